// Generated passphrases for key kits, the browser twin of tangguh/domain/sealing/passphrase.py:
// seven words from the same BIP-39 English list (words.txt, 2048 words, 11 bits each: 77 bits),
// drawn with crypto.getRandomValues and joined by hyphens. Never chosen by a person, never sent.
import text from "../../tangguh/domain/sealing/words.txt";

export const WORDS = text.split(/\s+/).filter(Boolean);
export const PASSPHRASE_WORDS = 7; // SPEC.md asks for six or more
if (WORDS.length !== 2048) throw new Error("words.txt must hold 2048 words");

const BY_PREFIX = new Map(WORDS.map((w) => [w.slice(0, 4), w]));
const KNOWN = new Set(WORDS);

// A uniform integer in [0, n): values from the top, incomplete range of 2^32 are redrawn
// (rejection sampling), so no word is more likely than another.
function randomBelow(n) {
  const limit = Math.floor(0x100000000 / n) * n;
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0] < limit) return buffer[0] % n;
  }
}

export function newPassphrase(words = PASSPHRASE_WORDS) {
  if (words < 6) throw new Error("a key-kit passphrase has at least six words");
  const out = [];
  for (let i = 0; i < words; i++) out.push(WORDS[randomBelow(WORDS.length)]);
  return out.join("-");
}

// The passphrase as a member may type it from paper: any case, words separated by spaces,
// hyphens or commas, a word cut short after its first four letters (BIP-39 words are unique
// in their first four letters). Returns the canonical hyphenated form; words not in the list
// are kept as typed (the kit then simply does not open).
export function normalizePassphrase(typed) {
  const tokens = String(typed || "")
    .toLowerCase()
    .split(/[\s,;.\-_]+/)
    .filter(Boolean);
  return tokens
    .map((t) => (KNOWN.has(t) ? t : (t.length >= 4 && BY_PREFIX.get(t.slice(0, 4))) || t))
    .join("-");
}
