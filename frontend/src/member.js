// The committee member's pages: enrol a personal key (Kunci pribadi saya), check the key shares
// of a tender (Periksa kunci), release them after the deadline (Buka penawaran).
//
// The identity and the passphrase exist only in this page's memory; no request carries them.
// The node gets the public recipient (enrolment), the commitment of a share that opened (key
// check) and, after the deadline only, the plain share bound to the closing statement.
import { ApiError, api } from "./_member_api.js";
import { canonicalJson, recipientFingerprint, sha256Hex } from "./_member_jcs.js";
import { KitError, kitText, newMemberKey, openKit, sealKit } from "./_member_kit.js";
import { ShareError, myShares, openShares } from "./_member_shares.js";
import { newPassphrase, normalizePassphrase } from "./_words.js";

const EN = document.documentElement.lang === "en";
const t = (id, en) => (EN ? en : id);
const $ = (id) => document.getElementById(id);
const ENVELOPES = {
  offer: ["penawaran", "offer"],
  technical: ["teknis", "technical"],
  price: ["harga", "price"],
};
const envelopeName = (name) => t(...(ENVELOPES[name] || [name, name]));

// Give the browser a moment to paint a progress message before scrypt holds the thread.
const paint = () => new Promise((resolve) => setTimeout(resolve, 40));

function say(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = kind === "error" ? "error" : kind === "ok" ? "ok" : "";
}

function reveal(id) {
  const section = $(id);
  section.hidden = false;
  const heading = section.querySelector("h2");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

function busy(buttons, on) {
  for (const button of buttons) if (button) button.disabled = on;
  document.body.setAttribute("aria-busy", on ? "true" : "false");
}

async function fileBytes(input) {
  const file = input.files && input.files[0];
  if (!file) return null;
  return new Uint8Array(await file.arrayBuffer());
}

function problem(error) {
  if (error instanceof KitError) {
    if (error.code === "wrong_passphrase") {
      return t(
        "Frasa sandi salah: berkas kunci tidak terbuka. Periksa setiap kata (tujuh kata) dan coba lagi.",
        "Wrong passphrase: the key kit does not open. Check each of the seven words and try again.",
      );
    }
    return t(
      "Berkas ini bukan berkas kunci pribadi (kunci-….age). Pilih berkas yang Anda unduh saat mendaftarkan kunci.",
      "This file is not a personal key kit (kunci-….age). Choose the file you downloaded when you enrolled your key.",
    );
  }
  if (error instanceof ShareError) {
    const entry = error.info.entry || {};
    const which = `${envelopeName(entry.envelope)} (${t("bagian", "share")} ${entry.index ?? "?"})`;
    switch (error.code) {
      case "no_shares":
        return t(
          "Anda tidak memegang bagian kunci untuk tender ini.",
          "You hold no key share for this tender.",
        );
      case "wrong_kit": {
        const { kit, sealedTo } = error.info;
        const prints = sealedTo
          ? t(
              ` (sidik jari kunci dalam berkas ini: ${kit}; bagian kunci Anda disegel untuk: ${sealedTo})`,
              ` (this kit's key fingerprint: ${kit}; your share is sealed to: ${sealedTo})`,
            )
          : "";
        return t(
          `Berkas kunci salah: bagian kunci Anda untuk sampul ${which} tidak terbuka dengan kunci ini${prints}. Pilih berkas kunci yang terdaftar ketika kunci tender ini dibagikan.`,
          `Wrong key kit: your share for the ${which} envelope does not open with this key${prints}. Choose the kit that was enrolled when this tender's key was dealt.`,
        );
      }
      case "commitment_mismatch":
        return t(
          `Bagian kunci sampul ${which} terbuka, tetapi SHA-256-nya tidak sama dengan komitmen yang diterbitkan. Jangan lanjutkan; laporkan kepada Kepala UKPBJ dan admin.`,
          `The share for the ${which} envelope opens, but its SHA-256 differs from the published commitment. Do not go on; report it to the UKPBJ head and the administrator.`,
        );
      default:
        return t(
          `Bagian kunci sampul ${which} tidak dapat dibaca atau bukan untuk tender ini.`,
          `The share for the ${which} envelope cannot be read or is not for this tender.`,
        );
    }
  }
  if (error instanceof ApiError) {
    if (error.code === "network") {
      return t(
        "Sambungan terputus. Periksa jaringan lalu coba lagi; tidak ada yang hilang.",
        "The connection dropped. Check the network and try again; nothing was lost.",
      );
    }
    return error.message;
  }
  return `${t("Kesalahan", "Error")}: ${error && error.message ? error.message : error}`;
}

// --- Kunci pribadi saya: enrolment ---------------------------------------------------------

function enrolPage(root) {
  const username = root.dataset.username;
  const filename = `kunci-${username}.age`;
  let key = null;
  let passphrase = null;
  let kit = null;
  let enrolled = false;

  const words = $("passphrase-words");
  const written = $("written");
  const sealButton = $("seal");
  const download = $("download");
  const enrolButton = $("enrol");
  const retype = $("retype");

  function showWords() {
    words.replaceChildren(
      ...passphrase.split("-").map((word) => {
        const item = document.createElement("li");
        item.textContent = word;
        return item;
      }),
    );
    $("passphrase-line").textContent = passphrase;
    $("passphrase-box").hidden = false;
  }

  window.addEventListener("beforeunload", (event) => {
    if (key && !enrolled) event.preventDefault();
  });

  $("generate").addEventListener("click", async () => {
    busy([$("generate")], true);
    say(t("Membuat kunci pribadi…", "Making your personal key…"));
    key = await newMemberKey();
    passphrase = newPassphrase();
    kit = null;
    written.checked = false;
    sealButton.disabled = true;
    for (const id of ["step-download", "step-retype", "step-done"]) $(id).hidden = true;
    showWords();
    $("generate").hidden = true;
    reveal("step-passphrase");
    say(t("Kunci dibuat. Tulis frasa sandi di kertas.", "Key made. Write the passphrase on paper."));
  });

  written.addEventListener("change", () => {
    sealButton.disabled = !written.checked;
  });

  sealButton.addEventListener("click", async () => {
    busy([sealButton], true);
    say(
      t(
        "Mengunci kunci pribadi dengan frasa sandi (scrypt 2^18, beberapa detik)…",
        "Sealing your personal key with the passphrase (scrypt 2^18, a few seconds)…",
      ),
    );
    await paint();
    const text = kitText({ ...key, createdAt: new Date().toISOString() });
    kit = await sealKit(text, passphrase);
    download.href = URL.createObjectURL(new Blob([kit], { type: "text/plain" }));
    download.download = filename;
    $("written-wrap").hidden = true;
    sealButton.hidden = true;
    reveal("step-download");
    say(t("Berkas kunci siap diunduh.", "The key kit is ready to download."), "ok");
  });

  download.addEventListener("click", () => {
    // The passphrase leaves the screen: the member types it back from the paper.
    $("passphrase-box").hidden = true;
    $("show-again").hidden = false;
    reveal("step-retype");
    say(
      t(
        "Simpan berkas kunci di flashdisk atau tempat aman. Lalu ketik frasa sandi dari kertas Anda.",
        "Keep the key kit on a USB stick or another safe place. Then type the passphrase from your paper.",
      ),
    );
  });

  $("show-again").addEventListener("click", () => {
    $("passphrase-box").hidden = false;
    $("show-again").hidden = true;
  });

  $("retype-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!kit) return;
    const typed = normalizePassphrase(retype.value);
    if (typed !== passphrase) {
      say(
        t(
          "Frasa sandi yang Anda ketik tidak sama dengan yang ditampilkan. Periksa tulisan Anda (tampilkan lagi bila perlu).",
          "The passphrase you typed differs from the one shown. Check what you wrote (show it again if needed).",
        ),
        "error",
      );
      retype.focus();
      return;
    }
    busy([enrolButton], true);
    try {
      say(
        t(
          "Menguji berkas kunci dengan frasa sandi yang Anda ketik…",
          "Testing the key kit with the passphrase you typed…",
        ),
      );
      await paint();
      const opened = await openKit(new TextEncoder().encode(kit), [typed]);
      if (opened.recipient !== key.recipient) throw new KitError("not_kit");
      say(t("Mendaftarkan kunci publik…", "Enrolling the public key…"));
      const { data } = await api("POST", "/me/member-key", { recipient: key.recipient });
      const local = await recipientFingerprint(key.recipient);
      if (data.recipient !== key.recipient || data.fingerprint !== local) {
        throw new Error(t("node mencatat kunci lain", "the node recorded another key"));
      }
      enrolled = true;
      retype.value = "";
      $("passphrase-box").hidden = true;
      $("show-again").hidden = true;
      $("done-fingerprint").textContent = data.fingerprint;
      $("done-recipient").textContent = data.recipient;
      $("step-retype").hidden = true;
      reveal("step-done");
      say(t("Kunci pribadi terdaftar.", "Personal key enrolled."), "ok");
      passphrase = null;
      key = { recipient: key.recipient };
    } catch (error) {
      say(problem(error), "error");
      busy([enrolButton], false);
    }
  });
}

// --- shared by the key check and the release: open the kit, open and check the shares ------

async function unlock(code) {
  const kitBytes = await fileBytes($("kit"));
  if (!kitBytes) {
    say(t("Pilih berkas kunci Anda.", "Choose your key kit file."), "error");
    $("kit").focus();
    return null;
  }
  const raw = $("passphrase").value;
  if (!raw.trim()) {
    say(t("Ketik frasa sandi Anda.", "Type your passphrase."), "error");
    $("passphrase").focus();
    return null;
  }
  const normal = normalizePassphrase(raw);
  const candidates = normal === raw.trim() ? [normal] : [normal, raw.trim()];
  say(
    t(
      "Membuka berkas kunci dengan frasa sandi (beberapa detik)…",
      "Opening the key kit with the passphrase (a few seconds)…",
    ),
  );
  await paint();
  const { identity, recipient } = await openKit(kitBytes, candidates);
  say(t("Mengambil bagian kunci Anda…", "Fetching your key shares…"));
  const entries = await myShares(code);
  say(t("Membuka dan memeriksa bagian kunci…", "Opening and checking the key shares…"));
  const opened = await openShares(code, entries, identity, recipient);
  return { opened, recipient };
}

function unlockForm(onOpened) {
  const form = $("unlock");
  const button = form.querySelector("button[type=submit]");
  form.hidden = false;
  $("show-passphrase").addEventListener("change", (event) => {
    $("passphrase").type = event.target.checked ? "text" : "password";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    busy([button], true);
    try {
      const result = await unlock(form.dataset.tender);
      if (result) await onOpened(result);
    } catch (error) {
      say(problem(error), "error");
    } finally {
      $("passphrase").value = "";
      busy([button], false);
    }
  });
}

function listItem(list, text) {
  const item = document.createElement("li");
  item.textContent = text;
  list.append(item);
}

// --- Periksa kunci: key check ----------------------------------------------------------------

function checkPage(root) {
  const code = root.dataset.tender;
  unlockForm(async ({ opened }) => {
    const results = $("results");
    results.replaceChildren();
    for (const share of opened) {
      say(t("Mencatat pemeriksaan…", "Recording the check…"));
      await api("POST", `/tenders/${encodeURIComponent(code)}/sealing-key/checks`, {
        envelope: share.entry.envelope,
        lot: share.entry.lot ?? 1,
        commitment: share.commitment,
      });
      listItem(
        results,
        t(
          `Sampul ${envelopeName(share.entry.envelope)}: bagian kunci nomor ${share.document.index} terbuka dan cocok dengan komitmennya (${share.commitment.slice(0, 12)}…).`,
          `${envelopeName(share.entry.envelope)} envelope: key share ${share.document.index} opens and matches its commitment (${share.commitment.slice(0, 12)}…).`,
        ),
      );
    }
    results.hidden = false;
    say(
      t(
        "Pemeriksaan kunci berhasil dan tercatat. Simpan kembali berkas kunci dan kertas frasa sandi.",
        "Key check passed and recorded. Put the key kit and the passphrase paper away again.",
      ),
      "ok",
    );
  });
}

// --- Buka penawaran: releasing the shares after the deadline --------------------------------

async function closingStatement(code) {
  const { data } = await api("GET", `/tenders/${encodeURIComponent(code)}/closing-statement`);
  const document_ = data.document;
  return { document: document_, sha256: await sha256Hex(canonicalJson(document_)) };
}

function releasePage(root) {
  const code = root.dataset.tender;
  let statement = null;
  (async () => {
    say(t("Mengambil berita penutupan…", "Fetching the closing statement…"));
    try {
      statement = await closingStatement(code);
    } catch (error) {
      say(problem(error), "error");
      return;
    }
    $("statement-sha256").textContent = statement.sha256;
    $("statement-count").textContent = String(statement.document.count);
    $("statement-signed").textContent = statement.document.signed_at || "—";
    $("statement").hidden = false;
    say("");
    unlockForm(async ({ opened }) => {
      const results = $("results");
      results.replaceChildren();
      let done = false;
      for (const share of opened) {
        const name = envelopeName(share.entry.envelope);
        say(t(`Melepas bagian kunci sampul ${name}…`, `Releasing the ${name} envelope share…`));
        try {
          const { data } = await api(
            "POST",
            `/tenders/${encodeURIComponent(code)}/opening/shares`,
            { share: share.canonical, closing_statement: statement.sha256 },
          );
          listItem(
            results,
            data.opened
              ? t(
                  `Sampul ${name}: bagian kunci dilepas (${data.released} dari ${data.k}); penawaran sudah dibuka.`,
                  `${name} envelope: share released (${data.released} of ${data.k}); the bids are open.`,
                )
              : t(
                  `Sampul ${name}: bagian kunci dilepas (${data.released} dari ${data.k} yang diperlukan). Menunggu anggota Pokja lain.`,
                  `${name} envelope: share released (${data.released} of the ${data.k} needed). Waiting for other committee members.`,
                ),
          );
          done = done || data.opened;
        } catch (error) {
          if (error instanceof ApiError && error.code === "opening.already_opened") {
            listItem(results, t(`Sampul ${name}: sudah dibuka.`, `${name} envelope: already open.`));
            done = true;
          } else if (
            error instanceof ApiError &&
            error.code === "opening.price_after_evaluation" &&
            opened.length > 1
          ) {
            // Two-file tenders: the price share waits for the technical results; the
            // technical share above was released all the same.
            listItem(results, `${t("Sampul", "Envelope")} ${name}: ${error.message}`);
          } else {
            throw error;
          }
        }
      }
      results.hidden = false;
      $("after").hidden = false;
      if (done) $("opened-link").hidden = false;
      say(
        done
          ? t("Penawaran sudah dibuka.", "The bids are open.")
          : t("Bagian kunci Anda sudah dilepas.", "Your key share is released."),
        "ok",
      );
    });
  })();
}

// ---------------------------------------------------------------------------------------------

const root = $("member-app");
if (root) {
  if (!globalThis.crypto || !crypto.subtle) {
    say(
      t(
        "Halaman ini memerlukan peramban yang mendukung Web Crypto melalui HTTPS.",
        "This page needs a browser with Web Crypto, over HTTPS.",
      ),
      "error",
    );
  } else {
    root.hidden = false;
    const pages = { enrol: enrolPage, check: checkPage, release: releasePage };
    pages[root.dataset.page](root);
  }
}
