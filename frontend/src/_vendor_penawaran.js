// penawaran.json in the browser: the same rules as tangguh/domain/bid_package.py
// (parse_penawaran), ported check by check and in the same order, so that the sealing page
// refuses before sealing exactly what `tangguh seal` and the opening refuse. Every problem is
// {code, field, message_id, message_en}, as the Python Problem; tests/test_browser_sealing.py
// runs both sides on the same documents and compares the lists.
//
// Version 2 states the bid guarantee as {reference, issuer, amount, valid_until}. The browser
// only seals, so, as parse_penawaran(…, sealing=True), only version 2 is taken here (opening
// on the node still reads version 1 packages sealed before the upgrade).
//
// Known differences, all on input the form never produces: Python's Decimal and str.isdigit
// also take non-ASCII digits (this port refuses them), and JSON.parse cannot tell 5.0 from 5
// (Python calls 5.0 a float).

export const SCHEMA = "tangguh.penawaran";
export const VERSION = 2;
export const ENVELOPES = ["offer", "technical", "price"];
export const PRICED = ["offer", "price"];
export const REQUIRED_DECLARATIONS = ["pakta_integritas"];
export const MAX_LINES = 5000;
export const MAX_TEXT = 200;

// Python's str.isspace() characters, which str.strip() and Decimal() strip.
const PY_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");
const DECIMAL = /^([+-]?)(?:(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?|(inf|infinity)|(s?nan)\d*)$/i;

export function pyStrip(text) {
  return text.replace(STRIP, "");
}

// str(value) as Python prints the JSON values a document can hold.
function pyStr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return Array.isArray(value) ? "[…]" : "{…}"; // never empty, never all digits, as in Python
}

function isInt(value) {
  return typeof value === "number" && Number.isInteger(value);
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// Decimal(text) as Python's decimal module reads it (underscores dropped anywhere, as its C
// implementation does). Returns null when Python raises InvalidOperation.
export function parseDecimal(text) {
  const match = DECIMAL.exec(pyStrip(text).replace(/_/g, ""));
  if (!match) return null;
  const [, sign, whole, fraction, exponent, infinity, nan] = match;
  const negative = sign === "-";
  if (infinity) return { kind: "inf", negative };
  if (nan) return { kind: "nan", negative };
  const digits = (whole || "") + (fraction || "");
  if (digits === "") return null; // ".", "e5", "+"
  let coefficient = BigInt(digits);
  let exp = BigInt(exponent || "0") - BigInt((fraction || "").length);
  if (coefficient === 0n) exp = 0n;
  while (coefficient !== 0n && coefficient % 10n === 0n) {
    coefficient /= 10n;
    exp += 1n;
  }
  return { kind: "finite", negative, coefficient, exp };
}

// -1, 0 or 1 as a finite decimal compares with a small whole number m (0 ≤ m ≤ 100), without
// ever materialising a huge power of ten ("1e999999999" is a valid Decimal).
export function compareSmall(d, m) {
  const target = BigInt(m);
  if (d.coefficient === 0n) return 0n < target ? -1 : 0n === target ? 0 : 1;
  if (d.negative) return -1;
  const adjusted = BigInt(d.coefficient.toString().length - 1) + d.exp;
  if (adjusted >= 3n) return 1; // ≥ 1000
  if (adjusted < -1n) return target === 0n ? 1 : -1; // 0 < d < 0.1
  const left = d.exp >= 0n ? d.coefficient * 10n ** d.exp : d.coefficient;
  const right = d.exp >= 0n ? target : target * 10n ** -d.exp;
  return left < right ? -1 : left === right ? 0 : 1;
}

export function isWhole(d) {
  return d.coefficient === 0n || d.exp >= 0n;
}

class Checker {
  constructor() {
    this.problems = [];
  }

  add(code, field, message_id, message_en) {
    this.problems.push({ code: `penawaran.${code}`, field, message_id, message_en });
  }

  // Returns the parsed decimal, or null where Python returns Decimal(0) after a problem.
  amount(value, where, { whole, minimum }) {
    if (typeof value === "boolean" || !(isInt(value) || typeof value === "string")) {
      this.add(
        "amount_type",
        where,
        "harus berupa angka dalam teks atau bilangan bulat (bukan pecahan desimal biner)",
        "must be a number as text or an integer (not a float)",
      );
      return null;
    }
    const amount = parseDecimal(pyStr(value));
    if (amount === null) {
      this.add("amount_invalid", where, "bukan angka", "is not a number");
      return null;
    }
    if (amount.kind !== "finite") {
      // As Python: NaN and Infinity are "not a number", and nothing later compares them.
      this.add("amount_invalid", where, "bukan angka", "is not a number");
      return null;
    }
    if (compareSmall(amount, minimum) < 0) {
      this.add(
        "amount_range",
        where,
        `harus paling sedikit ${minimum}`,
        `must be at least ${minimum}`,
      );
    } else if (whole && !isWhole(amount)) {
      this.add("amount_whole", where, "harus rupiah bulat", "must be whole rupiah");
    }
    return amount;
  }
}

// The problems of a penawaran.json document (an object, or its JSON text); [] when valid.
export function checkPenawaran(data) {
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return [
        {
          code: "penawaran.not_json",
          field: "penawaran.json",
          message_id: "bukan JSON yang sah",
          message_en: "is not valid JSON",
        },
      ];
    }
  }
  if (!isObject(data)) {
    return [
      {
        code: "penawaran.not_object",
        field: "penawaran.json",
        message_id: "harus objek JSON",
        message_en: "must be a JSON object",
      },
    ];
  }
  const check = new Checker();
  const get = (key, fallback) => (Object.prototype.hasOwnProperty.call(data, key) ? data[key] : fallback);
  if (get("schema", null) !== SCHEMA || get("version", null) !== VERSION) {
    check.add("schema", "schema", `harus ${SCHEMA} versi ${VERSION}`, `must be ${SCHEMA} version ${VERSION}`);
  }
  if (!/^[0-9]{9}$/.test(pyStr(get("tender", "")))) {
    check.add("tender", "tender", "kode tender 9 digit", "a 9-digit tender code");
  }
  const lot = get("lot", 1);
  if (!isInt(lot) || lot < 1 || lot > 9999) {
    check.add("lot", "lot", "nomor lot 1–9999", "a lot number 1–9999");
  }
  const envelope = get("envelope", null);
  if (!ENVELOPES.includes(envelope)) {
    check.add("envelope", "envelope", "harus offer, technical atau price", "must be offer, technical or price");
  }
  if (!/^[0-9]{13}$/.test(pyStr(get("company_nib", "")))) {
    check.add("company_nib", "company_nib", "NIB 13 digit", "a 13-digit NIB");
  }
  const priced = PRICED.includes(envelope);
  if (priced) {
    check.amount(get("total_price", null), "total_price", { whole: true, minimum: 1 });
  } else if (get("total_price", null) !== null) {
    check.add("price_in_technical", "total_price", "sampul teknis tidak boleh memuat harga", "a technical envelope holds no price");
  }
  checkBoq(get("boq", []), check, priced);
  if (get("tkdn_percent", null) !== null) {
    const tkdn = check.amount(data.tkdn_percent, "tkdn_percent", { whole: false, minimum: 0 });
    if (tkdn !== null && tkdn.kind !== "nan" && (tkdn.kind === "inf" ? !tkdn.negative : compareSmall(tkdn, 100) > 0)) {
      check.add("tkdn_range", "tkdn_percent", "TKDN 0–100%", "TKDN must be 0–100%");
    }
  }
  const validity = get("validity_days", null);
  if (!isInt(validity) || validity < 1 || validity > 730) {
    check.add("validity_days", "validity_days", "masa berlaku penawaran 1–730 hari", "bid validity of 1–730 days");
  }
  checkGuarantee(get("bid_guarantee", null), check);
  const declarations = isObject(get("declarations", {})) ? get("declarations", {}) : {};
  for (const name of REQUIRED_DECLARATIONS) {
    if (declarations[name] !== true) {
      check.add("declaration", `declarations.${name}`, "pernyataan wajib disetujui", "this declaration must be accepted");
    }
  }
  return check.problems;
}

// Stripped text of at most MAX_TEXT characters (code points, as Python's len), else null.
function text(value) {
  if (typeof value !== "string" || [...value].length > MAX_TEXT || pyStrip(value) === "") return null;
  return pyStrip(value);
}

// An ISO calendar date "YYYY-MM-DD" (year 1–9999) that exists, as date.fromisoformat.
export function isIsoDate(value) {
  const m = typeof value === "string" ? /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value) : null;
  if (!m) return false;
  const [year, month, day] = m.slice(1).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year >= 1 && days !== undefined && day >= 1 && day <= days;
}

function checkGuarantee(value, check) {
  if (value === null) return;
  if (!isObject(value)) {
    check.add(
      "bid_guarantee",
      "bid_guarantee",
      "jaminan penawaran: objek {reference, issuer, amount, valid_until} atau null",
      "the bid guarantee: an object {reference, issuer, amount, valid_until} or null",
    );
    return;
  }
  const get = (key) => (Object.prototype.hasOwnProperty.call(value, key) ? value[key] : null);
  if (text(get("reference")) === null) {
    check.add(
      "bid_guarantee_reference",
      "bid_guarantee.reference",
      `nomor jaminan penawaran wajib diisi (teks ≤ ${MAX_TEXT})`,
      `the bid guarantee reference is required (text ≤ ${MAX_TEXT})`,
    );
  }
  if (text(get("issuer")) === null) {
    check.add(
      "bid_guarantee_issuer",
      "bid_guarantee.issuer",
      `penerbit jaminan (bank/asuransi) wajib diisi (teks ≤ ${MAX_TEXT})`,
      `the guarantee's issuer (bank/insurer) is required (text ≤ ${MAX_TEXT})`,
    );
  }
  check.amount(get("amount"), "bid_guarantee.amount", { whole: true, minimum: 1 });
  if (!isIsoDate(get("valid_until"))) {
    check.add(
      "bid_guarantee_valid_until",
      "bid_guarantee.valid_until",
      "tanggal berlaku jaminan wajib diisi (TTTT-BB-HH)",
      "the guarantee's valid-until date is required (YYYY-MM-DD)",
    );
  }
}

function checkBoq(lines, check, priced) {
  if (!Array.isArray(lines) || lines.length > MAX_LINES) {
    check.add(
      "boq",
      "boq",
      `daftar kuantitas (paling banyak ${MAX_LINES} baris)`,
      `a bill of quantities (at most ${MAX_LINES} lines)`,
    );
    return;
  }
  if (lines.length && !priced) {
    check.add("boq_in_technical", "boq", "sampul teknis tidak boleh memuat harga", "a technical envelope holds no price");
    return;
  }
  lines.forEach((line, i) => {
    const where = `boq.${i}`;
    const item = isObject(line) && Object.prototype.hasOwnProperty.call(line, "item") ? line.item : "";
    if (!isObject(line) || pyStrip(pyStr(item)) === "") {
      check.add("boq_item", `${where}.item`, "uraian pekerjaan wajib diisi", "the item is required");
      return;
    }
    for (const key of ["volume", "unit_price", "total"]) {
      const value = Object.prototype.hasOwnProperty.call(line, key) ? line[key] : null;
      check.amount(value, `${where}.${key}`, { whole: false, minimum: 0 });
    }
  });
}

// --- the form's side: numbers as Indonesians write them ------------------------------------

// "Rp2.389.450.000", "2.389.450.000", "1.250,5", "1250,5", "1250.5", "2389450000" → the plain
// decimal text the schema takes ("2389450000", "1250.5"). Dots followed by groups of exactly
// three digits are thousands separators (Indonesian usage), a comma is the decimal mark.
// Anything else is returned trimmed, as typed, for checkPenawaran to name the problem.
export function normalizeAmount(text) {
  const raw = String(text ?? "").trim();
  let t = raw.replace(/^rp\.?\s*/i, "").replace(/[\s\u00a0]/g, "");
  if (t === "") return "";
  let m = /^(-?)(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?$/.exec(t);
  if (m) return `${m[1]}${m[2].replace(/\./g, "")}${m[3] ? `.${m[3]}` : ""}`;
  m = /^(-?\d+),(\d+)$/.exec(t);
  if (m) return `${m[1]}.${m[2]}`;
  if (/^-?\d+(\.\d+)?$/.test(t)) return t;
  return raw;
}

// "2389450000.5" → "2.389.450.000,5" (for showing how the form read a number).
export function formatIndonesian(plain) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(plain);
  if (!m) return plain;
  const whole = m[2].replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${m[1]}${whole}${m[3] ? `,${m[3]}` : ""}`;
}

// volume × unit price, exactly (both plain decimal text); null when either is not a number.
export function multiply(a, b) {
  const pa = /^(\d+)(?:\.(\d+))?$/.exec(a);
  const pb = /^(\d+)(?:\.(\d+))?$/.exec(b);
  if (!pa || !pb) return null;
  const fa = pa[2] || "";
  const fb = pb[2] || "";
  const product = (BigInt(pa[1] + fa) * BigInt(pb[1] + fb)).toString();
  const scale = fa.length + fb.length;
  if (scale === 0) return product;
  const padded = product.padStart(scale + 1, "0");
  const whole = padded.slice(0, -scale);
  const fraction = padded.slice(-scale).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

// Sum of plain decimal texts (null if any is not one).
export function sum(values) {
  let scale = 0;
  const parsed = [];
  for (const value of values) {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
    if (!m) return null;
    parsed.push(m);
    scale = Math.max(scale, (m[3] || "").length);
  }
  let total = 0n;
  for (const [, sign, whole, fraction = ""] of parsed) {
    const units = BigInt(whole + fraction.padEnd(scale, "0"));
    total += sign === "-" ? -units : units;
  }
  const negative = total < 0n;
  const text = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const whole = scale ? text.slice(0, -scale) : text;
  const fraction = scale ? text.slice(-scale).replace(/0+$/, "") : "";
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

// The document the form describes. Empty optional fields become null; BoQ rows left wholly
// empty are dropped. Amounts stay text (never a JSON number: the schema forbids floats).
export function buildPenawaran({ tender, lot, envelope, companyNib, fields, boq }) {
  const priced = PRICED.includes(envelope);
  const total = normalizeAmount(fields.total_price);
  const tkdn = normalizeAmount(fields.tkdn_percent);
  const validityText = String(fields.validity_days ?? "").trim();
  const guarantee = {
    reference: String(fields.bid_guarantee_reference ?? "").trim(),
    issuer: String(fields.bid_guarantee_issuer ?? "").trim(),
    amount: normalizeAmount(fields.bid_guarantee_amount),
    valid_until: String(fields.bid_guarantee_valid_until ?? "").trim(),
  };
  const lines = priced
    ? boq
        .filter((row) => Object.values(row).some((v) => String(v ?? "").trim() !== ""))
        .map((row) => ({
          item: String(row.item ?? "").trim(),
          unit: String(row.unit ?? "").trim(),
          volume: nullIfEmpty(normalizeAmount(row.volume)),
          unit_price: nullIfEmpty(normalizeAmount(row.unit_price)),
          total: nullIfEmpty(normalizeAmount(row.total)),
        }))
    : [];
  return {
    schema: SCHEMA,
    version: VERSION,
    tender,
    lot,
    envelope,
    company_nib: companyNib,
    total_price: priced ? nullIfEmpty(total) : null,
    boq: lines,
    tkdn_percent: nullIfEmpty(tkdn),
    validity_days: /^\d{1,6}$/.test(validityText) ? Number(validityText) : validityText === "" ? null : validityText,
    // All four empty: no guarantee (not required for this tender); any one filled: an object
    // whose empty fields are null, so the check names each missing one.
    bid_guarantee: Object.values(guarantee).every((v) => v === "")
      ? null
      : Object.fromEntries(Object.entries(guarantee).map(([k, v]) => [k, nullIfEmpty(v)])),
    declarations: { ...fields.declarations },
  };
}

function nullIfEmpty(text) {
  return text === "" ? null : text;
}
