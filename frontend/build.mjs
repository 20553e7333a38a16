// Bundles every src/<page>.js into tangguh/bids/static/bids/<page>.js (ES2020, one file each,
// no CDN: the node serves everything itself, so sealing works with no outside service).
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const entries = readdirSync("src")
  .filter((name) => name.endsWith(".js") && !name.startsWith("_"))
  .map((name) => `src/${name}`);

await build({
  entryPoints: entries,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "eof",
  // words.txt (the passphrase word list) is shared with tangguh/domain/sealing/passphrase.py.
  loader: { ".txt": "text" },
  outdir: "../tangguh/bids/static/bids",
  logLevel: "info",
});
