// Packing and sealing in the browser, into the origin-private file system (OPFS).
//
// The tar is streamed through typage's STREAM encryption into an OPFS file and hashed on the
// way (SHA-256 of the sealed bytes), so a 1 GB bid never sits in memory. The sealed file is
// kept: a reload or a dropped connection resumes the upload of the very same ciphertext (a
// second sealing would produce other bytes and another hash, and the receipt names the hash).
// An index in localStorage remembers, per tender and envelope, which file holds what.

import { Encrypter } from "age-encryption";
import { sha256 } from "@noble/hashes/sha2.js";
import { tarSize, tarStream } from "./_vendor_tar.js";

const DIRECTORY = "tangguh-segel";
const INDEX = "tangguh.sealed.v1";
// age overhead: the header (~200 bytes for one X25519 stanza) plus 16 bytes per 64 KiB chunk.
const AGE_HEADER_ALLOWANCE = 1024;

export function sealedSizeBound(plainSize) {
  return plainSize + 16 * Math.max(1, Math.ceil(plainSize / 65536)) + 16 + AGE_HEADER_ALLOWANCE;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexToBase64(text) {
  const bytes = text.match(/../g).map((pair) => parseInt(pair, 16));
  return btoa(String.fromCharCode(...bytes));
}

// The recipient's fingerprint as docs/sealing.md defines it: the first 96 bits of SHA-256 over
// the recipient's text, in six groups of four hex digits.
export async function recipientFingerprint(recipient) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(recipient.trim()));
  const text = hex(new Uint8Array(digest)).slice(0, 24);
  return text.match(/..../g).join(" ");
}

export function normalizeFingerprint(text) {
  return String(text).replace(/[\s:-]/g, "").toLowerCase();
}

// --- the index of sealed files ------------------------------------------------------------

function readIndex() {
  try {
    return JSON.parse(localStorage.getItem(INDEX) || "{}") || {};
  } catch {
    return {};
  }
}

function writeIndex(index) {
  localStorage.setItem(INDEX, JSON.stringify(index));
}

export function recordKey(code, lot, envelope) {
  return `${code}/${lot}/${envelope}`;
}

export function getRecord(key) {
  return readIndex()[key] || null;
}

export function updateRecord(key, changes) {
  const index = readIndex();
  if (!index[key]) return null;
  index[key] = { ...index[key], ...changes };
  writeIndex(index);
  return index[key];
}

export function opfsAvailable() {
  return Boolean(
    navigator.storage &&
      navigator.storage.getDirectory &&
      typeof FileSystemFileHandle !== "undefined" &&
      "createWritable" in FileSystemFileHandle.prototype,
  );
}

async function directory() {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(DIRECTORY, { create: true });
}

// The sealed file a record names, or null if the browser no longer has it.
export async function sealedFile(record) {
  if (!record || !record.file) return null;
  try {
    const handle = await (await directory()).getFileHandle(record.file);
    const file = await handle.getFile();
    return file.size === record.size ? file : null;
  } catch {
    return null;
  }
}

async function removeFile(name) {
  try {
    await (await directory()).removeEntry(name);
  } catch {
    // already gone
  }
}

export async function forgetRecord(key) {
  const index = readIndex();
  const record = index[key];
  delete index[key];
  writeIndex(index);
  if (record && record.file) await removeFile(record.file);
}

// --- packing and sealing ------------------------------------------------------------------

// The package's entries: penawaran.json first, then the attachments under lampiran/, sorted
// by name (as `tangguh seal` packs a directory).
export function packageEntries(penawaran, attachments) {
  const manifest = new TextEncoder().encode(JSON.stringify(penawaran, null, 2) + "\n");
  const files = [...attachments].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [
    { name: "penawaran.json", size: manifest.length, data: manifest },
    ...files.map((file) => ({ name: `lampiran/${file.name}`, size: file.size, data: file })),
  ];
}

// Problems with the chosen attachments' names, as {field, message_id, message_en}.
export function attachmentProblems(attachments) {
  const problems = [];
  const seen = new Set();
  for (const file of attachments) {
    const name = file.name;
    // eslint-disable-next-line no-control-regex
    if (!name || name === "." || name === ".." || /[/\\\x00-\x1f]/.test(name)) {
      problems.push({
        field: "attachments",
        message_id: `nama berkas tidak dapat dipakai: ${name}`,
        message_en: `unusable file name: ${name}`,
      });
    } else if (seen.has(name)) {
      problems.push({
        field: "attachments",
        message_id: `dua lampiran bernama sama: ${name}`,
        message_en: `two attachments have the same name: ${name}`,
      });
    }
    seen.add(name);
  }
  return problems;
}

export function packageSize(entries) {
  return tarSize(entries);
}

// Pack `entries`, seal them to `recipient` and store the sealed file (OPFS, or in memory when
// the browser has no OPFS). onProgress(plainBytesDone, plainBytesTotal).
export async function sealPackage({ key, code, envelope, recipient, fingerprint, entries, onProgress }) {
  const plainSize = tarSize(entries);
  let done = 0;
  const plain = tarStream(entries, (n) => {
    done += n;
    onProgress(done, plainSize);
  });
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const sealed = await encrypter.encrypt(plain);
  const hasher = sha256.create();
  let size = 0;
  const hashing = new TransformStream({
    transform(chunk, controller) {
      hasher.update(chunk);
      size += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const record = {
    code,
    envelope,
    recipient,
    fingerprint,
    sealedAt: new Date().toISOString(),
    state: "sealed",
  };
  if (!opfsAvailable()) {
    const chunks = [];
    await sealed.pipeThrough(hashing).pipeTo(
      new WritableStream({
        write(chunk) {
          chunks.push(chunk);
        },
      }),
    );
    const blob = new Blob(chunks, { type: "application/octet-stream" });
    return { record: { ...record, sha256: hex(hasher.digest()), size, file: null }, blob };
  }
  if (navigator.storage.persist) navigator.storage.persist().catch(() => {});
  const name = `${code}-${envelope}-${Date.now()}.age`;
  const dir = await directory();
  const handle = await dir.getFileHandle(name, { create: true });
  try {
    const writable = await handle.createWritable();
    await sealed.pipeThrough(hashing).pipeTo(writable); // closing commits the file
    const file = await handle.getFile();
    if (file.size !== size) throw new Error(`stored ${file.size} bytes of ${size}`);
  } catch (error) {
    await removeFile(name);
    throw error;
  }
  const complete = { ...record, sha256: hex(hasher.digest()), size, file: name };
  const index = readIndex();
  const previous = index[key];
  index[key] = complete;
  writeIndex(index);
  if (previous && previous.file && previous.file !== name) await removeFile(previous.file);
  return { record: complete, blob: await (await dir.getFileHandle(name)).getFile() };
}
