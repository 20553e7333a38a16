// The vendor's sealing page (/tender/<code>/penawaran/, tangguh/bids/templates/bids/seal.html):
// build penawaran.json from the form, check it with the schema's rules before anything is
// sealed, pack it with the attachments, seal it in the browser to the envelope's recipient
// (the node never sees the bid), keep the sealed file in OPFS, upload it (resumable), and show
// the signed receipt.

import {
  buildPenawaran,
  checkPenawaran,
  formatIndonesian,
  multiply,
  normalizeAmount,
  sum,
} from "./_vendor_penawaran.js";
import {
  attachmentProblems,
  forgetRecord,
  getRecord,
  normalizeFingerprint,
  opfsAvailable,
  packageEntries,
  packageSize,
  recipientFingerprint,
  recordKey,
  sealPackage,
  sealedFile,
  sealedSizeBound,
  updateRecord,
} from "./_vendor_seal.js";
import { tarSize, tarStream } from "./_vendor_tar.js";
import { myEnvelopes, uploadSealed } from "./_vendor_upload.js";

const EN = document.documentElement.lang === "en";
const t = (id, en) => (EN ? en : id);
const root = document.getElementById("sealing");

const FIELD_LABELS = {
  total_price: ["Harga penawaran total", "Total bid price"],
  tkdn_percent: ["TKDN", "Domestic content (TKDN)"],
  validity_days: ["Masa berlaku penawaran", "Bid validity"],
  bid_guarantee: ["Jaminan penawaran", "Bid guarantee"],
  "bid_guarantee.reference": ["Nomor jaminan penawaran", "Bid guarantee reference"],
  "bid_guarantee.issuer": ["Penerbit jaminan penawaran", "Bid guarantee issuer"],
  "bid_guarantee.amount": ["Nilai jaminan penawaran", "Bid guarantee amount"],
  "bid_guarantee.valid_until": ["Jaminan penawaran berlaku sampai", "Bid guarantee valid until"],
  "declarations.pakta_integritas": ["Pakta integritas", "Integrity pact"],
  boq: ["Daftar kuantitas dan harga", "Bill of quantities"],
  attachments: ["Lampiran", "Attachments"],
  item: ["uraian", "item"],
  unit: ["satuan", "unit"],
  volume: ["volume", "volume"],
  unit_price: ["harga satuan", "unit price"],
  total: ["jumlah", "total"],
};

function label(field) {
  const boq = /^boq\.(\d+)\.(\w+)$/.exec(field);
  if (boq) {
    const [id, en] = FIELD_LABELS[boq[2]] || [boq[2], boq[2]];
    return t(`Daftar kuantitas baris ${Number(boq[1]) + 1}, ${id}`, `Bill of quantities line ${Number(boq[1]) + 1}, ${en}`);
  }
  const known = FIELD_LABELS[field];
  return known ? t(known[0], known[1]) : field;
}

const numberFormat = new Intl.NumberFormat(EN ? "en" : "id-ID", { maximumFractionDigits: 1 });

function megabytes(bytes) {
  return bytes < 1e6 ? `${numberFormat.format(bytes / 1e3)} kB` : `${numberFormat.format(bytes / 1e6)} MB`;
}

const MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
const MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS_ID = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];
const DAYS_EN = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// An RFC 3339 time from the node (already in the node's zone) as Indonesians read it, with
// seconds: "Senin, 24 Juni 2024 10:00:03 WIT".
function moment(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(iso || "");
  if (!m) return iso || "—";
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const zone = root.dataset.zone || "";
  return EN
    ? `${DAYS_EN[weekday]}, ${day} ${MONTHS_EN[month - 1]} ${year} ${m[4]}:${m[5]}:${m[6]} ${zone}`
    : `${DAYS_ID[weekday]}, ${day} ${MONTHS_ID[month - 1]} ${year} ${m[4]}:${m[5]}:${m[6]} ${zone}`;
}

function receiptPayload(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function downloadLink(blob, filename, text) {
  const link = el("a", { href: URL.createObjectURL(blob), download: filename, text });
  return link;
}

function csrf() {
  const field = root.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

// --- one envelope ---------------------------------------------------------------------------

class EnvelopeSection {
  constructor(section) {
    this.section = section;
    this.envelope = section.dataset.envelope;
    this.recipient = section.dataset.recipient;
    this.fingerprint = section.dataset.fingerprint;
    this.priced = section.dataset.priced === "1";
    this.key = recordKey(root.dataset.code, Number(root.dataset.lot), this.envelope);
    this.form = section.querySelector("form.penawaran");
    this.status = section.querySelector(".status");
    this.progress = section.querySelector("progress");
    this.pending = section.querySelector(".pending");
    this.receipt = section.querySelector(".receipt");
    this.summary = section.querySelector(".summary");
    this.busy = false;
  }

  init() {
    this.checkFingerprint();
    this.wireComparison();
    if (this.form) {
      this.wireBoq();
      this.wireAmounts();
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit();
      });
    }
    this.restore();
  }

  async checkFingerprint() {
    const computed = await recipientFingerprint(this.recipient);
    this.fingerprintOk = normalizeFingerprint(computed) === normalizeFingerprint(this.fingerprint);
    if (!this.fingerprintOk) {
      this.showStatus(
        t(
          "Sidik kunci yang ditampilkan tidak cocok dengan kunci penerima halaman ini. Jangan menyegel; hubungi Pokja.",
          "The fingerprint shown does not match this page's recipient key. Do not seal; contact the committee.",
        ),
        "error",
      );
      if (this.form) this.form.querySelector("button[type=submit]").disabled = true;
    }
  }

  wireComparison() {
    const input = this.section.querySelector("input.fp-compare");
    const result = this.section.querySelector(".fp-result");
    if (!input || !result) return;
    input.addEventListener("input", () => {
      const typed = normalizeFingerprint(input.value);
      if (!typed) {
        result.textContent = "";
        return;
      }
      const same = typed === normalizeFingerprint(this.fingerprint);
      result.textContent = same ? t("✔ cocok", "✔ matches") : t("✘ TIDAK cocok", "✘ does NOT match");
      result.className = `fp-result ${same ? "ok" : "error"}`;
    });
  }

  // --- the bill of quantities ---

  wireBoq() {
    this.boqBody = this.form.querySelector("tbody.boq");
    const add = this.form.querySelector("button.boq-add");
    if (!this.boqBody || !add) return;
    this.rowTemplate = this.boqBody.querySelector("tr").cloneNode(true);
    add.addEventListener("click", () => this.addRow());
    this.boqBody.addEventListener("input", (event) => this.rowChanged(event));
    this.boqBody.addEventListener("click", (event) => {
      if (event.target.matches("button.boq-remove")) {
        const row = event.target.closest("tr");
        if (this.boqBody.rows.length > 1) row.remove();
        else row.querySelectorAll("input").forEach((input) => (input.value = ""));
        this.renumber();
        this.updateBoqSum();
      }
    });
    this.renumber();
  }

  addRow() {
    const row = this.rowTemplate.cloneNode(true);
    row.querySelectorAll("input").forEach((input) => {
      input.value = "";
      delete input.dataset.edited;
    });
    row.querySelectorAll(".error").forEach((p) => p.remove());
    this.boqBody.append(row);
    this.renumber();
    row.querySelector("input").focus();
  }

  renumber() {
    [...this.boqBody.rows].forEach((row, i) => {
      row.querySelector(".boq-no").textContent = String(i + 1);
      row.querySelectorAll("input").forEach((input) => {
        input.setAttribute("aria-label", label(`boq.${i}.${input.dataset.boq}`));
      });
    });
  }

  rowChanged(event) {
    const input = event.target;
    const row = input.closest("tr");
    if (!row) return;
    if (input.dataset.boq === "total") input.dataset.edited = input.value.trim() ? "1" : "";
    if (input.dataset.boq === "volume" || input.dataset.boq === "unit_price") {
      const total = row.querySelector('[data-boq="total"]');
      if (!total.dataset.edited) {
        const product = multiply(
          normalizeAmount(row.querySelector('[data-boq="volume"]').value),
          normalizeAmount(row.querySelector('[data-boq="unit_price"]').value),
        );
        total.value = product === null ? "" : formatIndonesian(product);
      }
    }
    this.updateBoqSum();
  }

  boqRows() {
    if (!this.boqBody) return [];
    return [...this.boqBody.rows].map((row) => {
      const value = (name) => row.querySelector(`[data-boq="${name}"]`).value;
      return {
        item: value("item"),
        unit: value("unit"),
        volume: value("volume"),
        unit_price: value("unit_price"),
        total: value("total"),
      };
    });
  }

  updateBoqSum() {
    const out = this.form.querySelector(".boq-sum");
    if (!out) return;
    const totals = this.boqRows()
      .map((row) => normalizeAmount(row.total))
      .filter((value) => value !== "");
    const total = totals.length ? sum(totals) : null;
    out.textContent = total === null ? "" : `${t("Jumlah daftar kuantitas", "Bill of quantities total")}: Rp${formatIndonesian(total)}`;
    this.compareTotals(total);
  }

  // Arithmetic correction is the committee's job (evaluation); here a difference is only shown.
  compareTotals(boqTotal) {
    const note = this.form.querySelector(".boq-diff");
    const price = normalizeAmount(this.form.elements.total_price ? this.form.elements.total_price.value : "");
    if (!note) return;
    const differs = boqTotal !== null && /^\d+(\.\d+)?$/.test(price) && sum([boqTotal, `-${price}`]) !== "0";
    note.hidden = !differs;
    note.textContent = differs
      ? t(
          "Catatan: jumlah daftar kuantitas berbeda dengan harga penawaran total. Periksa kembali.",
          "Note: the bill of quantities adds up to a different amount than the total bid price. Check again.",
        )
      : "";
  }

  wireAmounts() {
    for (const input of this.form.querySelectorAll("input[data-amount]")) {
      const out = this.form.querySelector(`[data-read-as="${input.name}"]`);
      const update = () => {
        const plain = normalizeAmount(input.value);
        if (out) {
          out.textContent = /^-?\d+(\.\d+)?$/.test(plain)
            ? `${t("Terbaca", "Read as")}: ${input.dataset.amount === "rupiah" ? "Rp" : ""}${formatIndonesian(plain)}${input.dataset.amount === "percent" ? "%" : ""}`
            : "";
        }
        this.updateBoqSum();
      };
      input.addEventListener("input", update);
      update();
    }
  }

  // --- checking ---

  values() {
    const form = this.form.elements;
    const declarations = {};
    for (const box of this.form.querySelectorAll("input[data-declaration]")) {
      declarations[box.dataset.declaration] = box.checked;
    }
    return {
      total_price: form.total_price ? form.total_price.value : "",
      tkdn_percent: form.tkdn_percent.value,
      validity_days: form.validity_days.value,
      bid_guarantee_reference: form.bid_guarantee_reference.value,
      bid_guarantee_issuer: form.bid_guarantee_issuer.value,
      bid_guarantee_amount: form.bid_guarantee_amount.value,
      bid_guarantee_valid_until: form.bid_guarantee_valid_until.value,
      declarations,
    };
  }

  clearErrors() {
    this.form.querySelectorAll(".field-error").forEach((p) => p.remove());
    this.form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    this.form.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
    this.summary.hidden = true;
    this.summary.replaceChildren();
  }

  inputFor(field) {
    const boq = /^boq\.(\d+)\.(\w+)$/.exec(field);
    if (boq) {
      const rows = [...this.boqBody.rows].filter((row) =>
        [...row.querySelectorAll("input")].some((input) => input.value.trim() !== ""),
      );
      const row = rows[Number(boq[1])];
      return row ? row.querySelector(`[data-boq="${boq[2]}"]`) : null;
    }
    if (field.startsWith("declarations.")) {
      return this.form.querySelector(`input[data-declaration="${field.slice(13)}"]`);
    }
    if (field === "attachments") return this.form.elements.attachments;
    if (field === "boq") return this.form.querySelector("button.boq-add");
    // bid_guarantee.amount → the input named bid_guarantee_amount; a wrong-shaped guarantee as
    // a whole points at its reference.
    if (field === "bid_guarantee") return this.form.elements.bid_guarantee_reference;
    if (field.startsWith("bid_guarantee.")) return this.form.elements[field.replace(".", "_")] || null;
    return this.form.elements[field] || null;
  }

  showErrors(problems) {
    this.clearErrors();
    const list = el("ul");
    for (const problem of problems) {
      const input = this.inputFor(problem.field);
      const empty = input && input.type !== "checkbox" && input.value !== undefined && input.value.trim() === "";
      const message = empty && problem.code && problem.code.startsWith("penawaran.amount")
        ? t("wajib diisi", "is required")
        : t(problem.message_id, problem.message_en);
      const id = `${this.envelope}-error-${problem.field.replace(/\W/g, "-")}`;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        const holder = input.closest(".field, td") || input.parentElement;
        holder.classList.add("has-error");
        if (!holder.querySelector(`#${id}`)) {
          const p = el("p", { class: "error field-error", id, "data-field": problem.field, text: message });
          holder.append(p);
          input.setAttribute("aria-describedby", id);
        }
      }
      const item = el("li", { "data-code": problem.code || "", "data-field": problem.field });
      item.append(input ? el("a", { href: `#${input.id || ""}`, text: label(problem.field) }) : label(problem.field), `: ${message}`);
      if (input && !input.id) item.firstChild.removeAttribute("href");
      list.append(item);
    }
    this.summary.append(
      el("p", { text: t("Penawaran belum dapat disegel. Perbaiki isian berikut:", "The bid cannot be sealed yet. Correct these fields:") }),
      list,
    );
    this.summary.hidden = false;
    this.summary.focus();
  }

  // --- sealing and upload ---

  showStatus(text, kind = "") {
    this.status.hidden = false;
    this.status.className = `status ${kind}`;
    this.status.textContent = text;
  }

  setProgress(done, total) {
    this.progress.hidden = false;
    this.progress.max = total || 1;
    this.progress.value = done;
  }

  async submit() {
    if (this.busy || !this.fingerprintOk) return;
    const document_ = buildPenawaran({
      tender: root.dataset.code,
      lot: Number(root.dataset.lot),
      envelope: this.envelope,
      companyNib: root.dataset.companyNib,
      fields: this.values(),
      boq: this.boqRows(),
    });
    const attachments = [...this.form.elements.attachments.files];
    const problems = [...checkPenawaran(document_), ...attachmentProblems(attachments)];
    const entries = packageEntries(document_, attachments);
    const limit = Number(root.dataset.maxBytes);
    if (!problems.length && limit && sealedSizeBound(packageSize(entries)) > limit) {
      problems.push({
        field: "attachments",
        message_id: `paket terlalu besar (batas ${megabytes(limit)})`,
        message_en: `the package is too large (limit ${megabytes(limit)})`,
      });
    }
    if (problems.length) {
      this.showErrors(problems);
      return;
    }
    this.clearErrors();
    this.busy = true;
    this.form.querySelector("button[type=submit]").disabled = true;
    try {
      this.showStatus(t("Menyegel penawaran di peramban ini…", "Sealing the bid in this browser…"));
      const { record, blob } = await sealPackage({
        key: this.key,
        code: root.dataset.code,
        envelope: this.envelope,
        recipient: this.recipient,
        fingerprint: this.fingerprint,
        entries,
        onProgress: (done, total) => this.setProgress(done, total),
      });
      this.record = record;
      this.blob = blob;
      this.showSealed(record, blob);
      await this.upload();
    } catch (error) {
      this.showStatus(`${t("Gagal menyegel", "Sealing failed")}: ${error.message}`, "error");
    } finally {
      this.busy = false;
      this.form.querySelector("button[type=submit]").disabled = !this.fingerprintOk;
    }
  }

  showSealed(record, blob, { resumable = false } = {}) {
    this.pending.hidden = false;
    this.pending.replaceChildren(
      el("p", {
        text: resumable
          ? t("Berkas tersegel ini belum selesai terkirim. Unggahan dilanjutkan dari bagian terakhir yang diterima.", "This sealed file was not completely sent. The upload goes on from the last part received.")
          : t("Penawaran telah disegel di peramban ini.", "The bid is sealed in this browser."),
      }),
      el("p", {}, `SHA-256: `, el("code", { class: "sealed-sha256", text: record.sha256 })),
      el("p", { text: `${t("Ukuran", "Size")}: ${megabytes(record.size)} (${record.size} ${t("bita", "bytes")})` }),
      el("p", {}, downloadLink(blob, `${record.code}-${record.envelope}.age`, t("Unduh berkas tersegel (.age) untuk disimpan", "Download the sealed file (.age) to keep"))),
    );
    if (!record.file) {
      this.pending.append(
        el("p", {
          class: "muted",
          text: t(
            "Peramban ini tidak mendukung penyimpanan berkas (OPFS): bila halaman dimuat ulang, penawaran harus disegel ulang.",
            "This browser has no private file storage (OPFS): if the page reloads, the bid must be sealed again.",
          ),
        }),
      );
    }
  }

  async upload() {
    const record = this.record;
    if (root.dataset.open !== "1") {
      this.showStatus(t("Waktu unggah penawaran tidak sedang berlangsung.", "The bid upload window is not open."), "error");
      return;
    }
    if (record.file) updateRecord(this.key, { state: "uploading" });
    this.showStatus(t("Mengunggah berkas tersegel…", "Uploading the sealed file…"));
    this.setProgress(0, record.size);
    try {
      const result = await uploadSealed({
        code: root.dataset.code,
        envelope: this.envelope,
        file: this.blob,
        sha256: record.sha256,
        csrf: csrf(),
        partSize: Number(root.dataset.partSize) || 8 * 1024 * 1024,
        onProgress: (sent, total) => {
          this.setProgress(sent, total);
          this.showStatus(`${t("Mengunggah", "Uploading")}: ${megabytes(sent)} ${t("dari", "of")} ${megabytes(total)}`);
        },
        onRetry: (attempt, delay) => {
          this.showStatus(
            t(
              `Koneksi terputus; mencoba lagi dalam ${Math.round((delay || 0) / 1000)} detik (percobaan ${attempt + 1}). Berkas tersegel tetap tersimpan.`,
              `Connection lost; retrying in ${Math.round((delay || 0) / 1000)} s (attempt ${attempt + 1}). The sealed file stays stored.`,
            ),
            "warning",
          );
        },
      });
      if (result.sha256 !== record.sha256) throw new Error(`receipt names ${result.sha256}, sealed ${record.sha256}`);
      if (record.file) updateRecord(this.key, { state: "uploaded", receipt: result.receipt });
      this.showReceipt(result);
      this.pending.hidden = true;
      this.showStatus(t("Penawaran diterima node. Simpan berkas tersegel dan tanda terimanya.", "The node received the bid. Keep the sealed file and its receipt."), "ok");
      refreshEnvelopes();
    } catch (error) {
      const code = error.code ? ` [${error.code}]` : "";
      this.showStatus(`${t("Unggahan gagal", "Upload failed")}: ${error.message}${code}`, "error");
      // A refusal (4xx) will not change by itself: no automatic retry after a reload.
      if (record.file && error.status >= 400 && error.status < 500) updateRecord(this.key, { state: "sealed" });
      this.offerResume();
    }
  }

  offerResume() {
    if (!this.record || this.pending.querySelector("button.resume")) return;
    const resume = el("button", { type: "button", class: "resume", text: t("Lanjutkan unggah", "Resume the upload") });
    resume.addEventListener("click", () => {
      resume.remove();
      this.upload();
    });
    this.pending.append(resume);
    this.pending.hidden = false;
  }

  showReceipt(result) {
    const payload = receiptPayload(result.receipt) || {};
    const rows = [
      [t("Diterima", "Received"), moment(result.received_at || payload.received_at)],
      ["SHA-256", result.sha256],
      [t("Ukuran", "Size"), `${megabytes(result.size)} (${result.size} ${t("bita", "bytes")})`],
      [t("Sidik kunci sampul", "Sealing key fingerprint"), payload.recipient_fingerprint || this.fingerprint],
      [t("Indeks log audit", "Audit log index"), payload.audit_index ?? "—"],
    ];
    const table = el("table", { class: "facts" });
    for (const [name, value] of rows) {
      table.append(el("tr", {}, el("th", { scope: "row", text: name }), el("td", {}, el("code", { text: String(value) }))));
    }
    const blob = new Blob([result.receipt], { type: "application/jose" });
    const links = el(
      "p",
      {},
      downloadLink(blob, `tanda-terima-${root.dataset.code}-${this.envelope}.jws`, t("Unduh tanda terima (JWS)", "Download the receipt (JWS)")),
      " · ",
    );
    if (this.blob && this.record && this.record.sha256 === result.sha256) {
      links.append(downloadLink(this.blob, `${root.dataset.code}-${this.envelope}.age`, t("Unduh berkas tersegel (.age)", "Download the sealed file (.age)")), " · ");
    }
    links.append(el("a", { href: "/verifikasi-tanda-terima/", text: t("Periksa keaslian tanda terima", "Check the receipt") }));
    this.receipt.replaceChildren(
      el("h3", { text: t("Tanda terima", "Receipt") }),
      table,
      links,
      el("details", {}, el("summary", { text: t("Teks tanda terima", "Receipt text") }), el("textarea", { readonly: "", rows: "4", class: "receipt-jws", text: result.receipt })),
    );
    this.receipt.querySelector("textarea").value = result.receipt;
    this.receipt.hidden = false;
    this.receipt.dataset.sha256 = result.sha256;
  }

  // After a reload: a sealed file still waiting (resume it), or the last receipt.
  async restore() {
    const record = getRecord(this.key);
    if (!record) return;
    const file = await sealedFile(record);
    if (!file) {
      await forgetRecord(this.key);
      return;
    }
    this.record = record;
    this.blob = file;
    if (record.state === "uploaded" && record.receipt) {
      const payload = receiptPayload(record.receipt) || {};
      this.showReceipt({ receipt: record.receipt, sha256: record.sha256, size: record.size, received_at: payload.received_at });
      return;
    }
    this.showSealed(record, file, { resumable: true });
    if (root.dataset.open !== "1") return;
    if (record.state === "uploading") this.upload();
    else this.offerResume();
  }
}

// --- the vendor's envelopes ----------------------------------------------------------------

const STATUS = {
  current: ["berlaku", "current"],
  superseded: ["digantikan", "superseded"],
  withdrawn: ["ditarik", "withdrawn"],
};

async function refreshEnvelopes() {
  const body = document.querySelector("#my-envelopes tbody");
  if (!body) return;
  const mine = await myEnvelopes(root.dataset.code, csrf());
  if (!mine) return;
  body.replaceChildren(
    ...mine.envelopes
      .slice()
      .reverse()
      .map((row) => {
        const [id, en] = STATUS[row.status] || [row.status, row.status];
        const receipt = new Blob([row.receipt], { type: "application/jose" });
        return el(
          "tr",
          { "data-status": row.status, "data-sha256": row.sha256 },
          el("td", { text: row.envelope }),
          el("td", { text: t(id, en) }),
          el("td", { text: moment(row.received_at) }),
          el("td", {}, el("code", { title: row.sha256, text: `${row.sha256.slice(0, 12)}…${row.sha256.slice(-6)}` })),
          el("td", { text: megabytes(row.size) }),
          el("td", {}, downloadLink(receipt, `tanda-terima-${root.dataset.code}-${row.envelope}-${row.sha256.slice(0, 8)}.jws`, t("tanda terima", "receipt"))),
        );
      }),
  );
  const empty = document.querySelector("#my-envelopes .empty");
  if (empty) empty.hidden = mine.envelopes.length > 0;
}

function countdown() {
  const out = document.getElementById("countdown");
  if (!out || !root.dataset.deadline) return;
  // The node's clock decides; the offset keeps a wrong clock on this device out of the count.
  const skew = Date.parse(root.dataset.now) - Date.now();
  const deadline = Date.parse(root.dataset.deadline);
  const tick = () => {
    let left = Math.max(0, Math.floor((deadline - (Date.now() + skew)) / 1000));
    const days = Math.floor(left / 86400);
    left %= 86400;
    const clock = [Math.floor(left / 3600), Math.floor((left % 3600) / 60), left % 60].map((n) => String(n).padStart(2, "0")).join(":");
    out.textContent = `${t("Sisa waktu", "Time left")}: ${days ? `${days} ${t("hari", "days")} ` : ""}${clock}`;
  };
  tick();
  setInterval(tick, 1000);
}

// For checks from the console and the tests: the same functions the page uses.
window.tangguhSealing = { checkPenawaran, buildPenawaran, normalizeAmount, packageEntries, tarSize, tarStream, recipientFingerprint, opfsAvailable };

if (root) {
  countdown();
  for (const section of root.querySelectorAll("section.envelope")) new EnvelopeSection(section).init();
  root.dataset.ready = "1";
}
