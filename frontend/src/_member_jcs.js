// RFC 8785 (JSON Canonicalization Scheme) for the documents the node hashes: key shares and the
// closing statement, whose SHA-256 hex of the canonical form is, respectively, the share's
// commitment and what a released share is bound to. Python side: the rfc8785 package.
//
// For JSON made of objects, arrays, strings, integers, booleans and null, JCS is: object keys
// sorted by their UTF-16 code units (what Array.prototype.sort does), no whitespace, strings
// and numbers serialised as ECMAScript's JSON.stringify does.
export function canonicalJson(value) {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new Error("JCS: non-finite number");
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
}

export async function sha256Hex(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function base64Bytes(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

// The 96-bit recipient fingerprint of tangguh/domain/sealing/fingerprint.py.
export async function recipientFingerprint(recipient) {
  const hex = (await sha256Hex(recipient.trim())).slice(0, 24);
  return hex.match(/.{4}/g).join(" ");
}
