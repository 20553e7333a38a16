// A member's sealed key shares for one tender: fetched from the node, opened with the identity
// from their key kit, each checked against its published commitment (SHA-256 of the share's
// RFC 8785 canonical JSON). Everything secret stays in this page.
import { armor } from "age-encryption";
import { api } from "./_member_api.js";
import { base64Bytes, canonicalJson, recipientFingerprint, sha256Hex } from "./_member_jcs.js";
import { KitError, openSealed } from "./_member_kit.js";

export class ShareError extends Error {
  constructor(code, info) {
    super(code);
    this.code = code;
    this.info = info || {};
  }
}

// The sealed share as the API gives it: ASCII armor (tangguh.domain.sealing.kit.armor) or
// standard base64 of the binary age file.
function sealedBytes(value) {
  const text = String(value || "").trim();
  if (text.startsWith("-----BEGIN")) return armor.decode(text);
  return base64Bytes(text);
}

function entriesOf(data) {
  if (Array.isArray(data)) return data;
  return (data && (data.shares || data.envelopes)) || [];
}

export async function myShares(code) {
  const { data } = await api("GET", `/tenders/${encodeURIComponent(code)}/sealing-key/shares/mine`);
  const entries = entriesOf(data);
  if (!entries.length) throw new ShareError("no_shares");
  return entries;
}

// Open and check every share; returns [{ entry, document, canonical, commitment }].
export async function openShares(code, entries, identity, recipient) {
  const opened = [];
  const kit = await recipientFingerprint(recipient);
  for (const entry of entries) {
    const holder = entry.member_recipient || entry.holder_recipient;
    const sealedTo = holder ? await recipientFingerprint(holder) : null;
    if (holder && holder.trim() !== recipient) {
      throw new ShareError("wrong_kit", { entry, kit, sealedTo });
    }
    let plain;
    try {
      plain = await openSealed(identity, sealedBytes(entry.sealed_share || entry.sealed));
    } catch (error) {
      if (error instanceof KitError) throw new ShareError("wrong_kit", { entry, kit, sealedTo });
      throw error;
    }
    let document;
    try {
      document = JSON.parse(new TextDecoder().decode(plain));
    } catch {
      throw new ShareError("share_invalid", { entry });
    }
    const canonical = canonicalJson(document);
    const commitment = await sha256Hex(canonical);
    if (commitment !== String(entry.commitment).toLowerCase()) {
      throw new ShareError("commitment_mismatch", { entry, commitment });
    }
    const same =
      document.tender === code &&
      document.envelope === entry.envelope &&
      (entry.lot === undefined || document.lot === entry.lot) &&
      (entry.index === undefined || document.index === entry.index) &&
      (!entry.recipient || document.recipient === entry.recipient);
    if (!same) throw new ShareError("share_mismatch", { entry });
    opened.push({ entry, document, canonical, commitment });
  }
  return opened;
}
