// A minimal streaming tar writer (POSIX ustar, with a PAX extended header only for a name that
// ustar cannot hold: longer than 100 bytes or not ASCII). Deterministic like the Python packer
// in tangguh/sealing/package.py: mode 0644, owner 0, time 0, empty user and group names. Files
// are read as streams, so memory stays flat however large the attachments are.

const BLOCK = 512;
const encoder = new TextEncoder();

function octal(value, width) {
  // width bytes: digits, then NUL (ustar numeric fields)
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function put(header, offset, text, width) {
  const bytes = encoder.encode(text);
  if (bytes.length > width) throw new Error(`tar: field too long: ${text}`);
  header.set(bytes, offset);
}

function ustarHeader(name, size, type) {
  const header = new Uint8Array(BLOCK);
  put(header, 0, name, 100);
  put(header, 100, octal(0o644, 8), 8);
  put(header, 108, octal(0, 8), 8);
  put(header, 116, octal(0, 8), 8);
  put(header, 124, octal(size, 12), 12);
  put(header, 136, octal(0, 12), 12);
  header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  put(header, 156, type, 1);
  put(header, 257, "ustar\0", 6);
  put(header, 263, "00", 2);
  put(header, 329, octal(0, 8), 8);
  put(header, 337, octal(0, 8), 8);
  let checksum = 0;
  for (const byte of header) checksum += byte;
  put(header, 148, checksum.toString(8).padStart(6, "0") + "\0 ", 8);
  return header;
}

function paxRecord(key, value) {
  // "<length> key=value\n", the length counting itself
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return `${length}${body}`;
}

const MAX_USTAR_SIZE = 8 ** 11 - 1;

// The header blocks of one entry (a PAX header first when needed).
export function entryHeader(name, size) {
  const nameBytes = encoder.encode(name);
  // eslint-disable-next-line no-control-regex
  const plain = nameBytes.length <= 100 && /^[\x20-\x7e]*$/.test(name);
  if (plain && size <= MAX_USTAR_SIZE) return [ustarHeader(name, size, "0")];
  let records = "";
  let shortName = name;
  if (!plain) {
    records += paxRecord("path", name);
    // A readable stand-in for readers without PAX support: ASCII, at most 100 bytes.
    shortName = name.replace(/[^\x20-\x7e]/g, "_").slice(0, 100);
  }
  if (size > MAX_USTAR_SIZE) records += paxRecord("size", String(size));
  const pax = encoder.encode(records);
  const blocks = [ustarHeader("././@PaxHeader", pax.length, "x"), ...pad(pax)];
  blocks.push(ustarHeader(shortName, Math.min(size, MAX_USTAR_SIZE), "0"));
  return blocks;
}

function pad(bytes) {
  const padded = new Uint8Array(Math.ceil(bytes.length / BLOCK) * BLOCK);
  padded.set(bytes);
  return padded.length ? [padded] : [];
}

function padding(size) {
  const rest = size % BLOCK;
  return rest ? BLOCK - rest : 0;
}

// The exact size of the archive of `entries` ({name, size}).
export function tarSize(entries) {
  let total = 2 * BLOCK;
  for (const entry of entries) {
    for (const block of entryHeader(entry.name, entry.size)) total += block.length;
    total += entry.size + padding(entry.size);
  }
  return total;
}

// A ReadableStream of the archive. Each entry is {name, size, data} where data is a
// Uint8Array or a Blob/File (read as a stream). onBytes(n) is told of every chunk produced.
export function tarStream(entries, onBytes = () => {}) {
  async function* blocks() {
    for (const entry of entries) {
      for (const block of entryHeader(entry.name, entry.size)) yield block;
      let written = 0;
      if (entry.data instanceof Uint8Array) {
        written = entry.data.length;
        yield entry.data;
      } else {
        const reader = entry.data.stream().getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          written += value.length;
          if (written > entry.size) break;
          yield value;
        }
      }
      if (written !== entry.size) {
        // The file changed on disk after it was chosen: the archive would be corrupt.
        throw new Error(`tar: ${entry.name} has ${written} bytes, expected ${entry.size}`);
      }
      const rest = padding(entry.size);
      if (rest) yield new Uint8Array(rest);
    }
    yield new Uint8Array(2 * BLOCK);
  }
  const iterator = blocks();
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) {
        controller.close();
        return;
      }
      onBytes(value.length);
      controller.enqueue(value);
    },
    async cancel(reason) {
      await iterator.return(reason);
    },
  });
}
