// Bundles every src/<page>.js into tangguh/bids/static/bids/<page>.js (ES2020, one file each,
// no CDN: the node serves everything itself, so sealing works with no outside service).
import { build } from "esbuild";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const outdir = "../tangguh/bids/static/bids";
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
  outdir,
  logLevel: "info",
});

// Pre-compressed copies: WhiteNoise serves <file>.br or <file>.gz to browsers that accept them,
// so a Pokja member on a slow link in Timika downloads about a third of the bytes.
for (const name of readdirSync(outdir).filter((n) => n.endsWith(".js"))) {
  const body = readFileSync(`${outdir}/${name}`);
  writeFileSync(`${outdir}/${name}.gz`, gzipSync(body, { level: 9, mtime: 0 }));
  writeFileSync(
    `${outdir}/${name}.br`,
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}
