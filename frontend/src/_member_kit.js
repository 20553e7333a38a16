// A committee member's key kit: their personal age X25519 identity, as an age identity file,
// sealed (age scrypt, work factor 2^18) with a generated passphrase. Made and opened only here,
// in the member's browser; the node receives the public recipient and nothing else.
//
// The kit is ASCII-armored ("-----BEGIN AGE ENCRYPTED FILE-----"): a small text file that can be
// printed and kept with the written passphrase; `age -d` and pyrage read armor as they read
// binary. Kits made by the command line may be binary; both open here.
import {
  Decrypter,
  Encrypter,
  armor,
  generateX25519Identity,
  identityToRecipient,
} from "age-encryption";

// 2^18: what browsers and phones open in a second or two; typage refuses more than 2^20.
export const KIT_WORK_FACTOR = 18;
const AGE_MAGIC = "age-encryption.org/v1\n";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const IDENTITY_LINE = /^AGE-SECRET-KEY-1[0-9A-Z]+$/;

export class KitError extends Error {
  constructor(code, detail) {
    super(detail || code);
    this.code = code;
  }
}

// A new personal key. generateX25519Identity, never generateIdentity: the latter makes a
// post-quantum hybrid key (age1pq1…) that the node's pyrage cannot seal shares to.
export async function newMemberKey() {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  return { identity, recipient };
}

// The kit's plain text: an age identity file in the shape `age-keygen` writes, the same as
// tangguh/domain/sealing/kit.py's kit_plaintext, so `age -d kit.age > me.txt` then
// `age -d -i me.txt` works without Tangguh.
export function kitText({ identity, recipient, createdAt }) {
  return [
    "# Tangguh key kit (kunci pribadi anggota Pokja)",
    `# created: ${createdAt}`,
    `# public key: ${recipient}`,
    identity,
    "",
  ].join("\n");
}

export async function sealKit(text, passphrase) {
  const encrypter = new Encrypter();
  encrypter.setScryptWorkFactor(KIT_WORK_FACTOR);
  encrypter.setPassphrase(passphrase);
  return armor.encode(await encrypter.encrypt(text));
}

// The binary age file of a kit as read from disk (armored or binary); KitError "not_kit" when
// it is not an age file sealed with a passphrase (e.g. a share file or a bid picked by mistake).
export function kitFile(bytes) {
  let data = bytes;
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart();
  if (head.startsWith(ARMOR_BEGIN)) {
    try {
      data = armor.decode(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new KitError("not_kit", String(error && error.message));
    }
  }
  const header = new TextDecoder().decode(data.subarray(0, 256));
  if (!header.startsWith(AGE_MAGIC)) throw new KitError("not_kit", "not an age file");
  if (!header.startsWith(`${AGE_MAGIC}-> scrypt `)) {
    throw new KitError("not_kit", "not sealed with a passphrase");
  }
  return data;
}

function identityIn(text) {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (IDENTITY_LINE.test(line)) return line;
  }
  throw new KitError("not_kit", "no AGE-SECRET-KEY-1 line in the kit");
}

// Open a kit with the first of ``passphrases`` that fits; { identity, recipient }.
// KitError "wrong_passphrase" when none does.
export async function openKit(bytes, passphrases) {
  const data = kitFile(bytes);
  let text = null;
  for (const passphrase of passphrases) {
    const decrypter = new Decrypter();
    decrypter.addPassphrase(passphrase);
    try {
      text = await decrypter.decrypt(data, "text");
      break;
    } catch (error) {
      const message = String(error && error.message);
      if (message.includes("work factor")) throw new KitError("not_kit", message);
      // "no identity matched": this passphrase does not open it; try the next form.
    }
  }
  if (text === null) throw new KitError("wrong_passphrase");
  const identity = identityIn(text);
  let recipient;
  try {
    recipient = await identityToRecipient(identity);
  } catch (error) {
    throw new KitError("not_kit", String(error && error.message));
  }
  return { identity, recipient };
}

// Decrypt a file sealed to the member's recipient (a key share); KitError "wrong_kit" when
// this identity does not open it.
export async function openSealed(identity, bytes) {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  try {
    return await decrypter.decrypt(bytes);
  } catch (error) {
    throw new KitError("wrong_kit", String(error && error.message));
  }
}
