"""The bid package's ``penawaran.json``: what a vendor offers, in a versioned schema that the
sealing page and ``tangguh seal`` check before sealing and that opening reads, so the committee
never retypes prices (SPEC.md "Sealed bids and opening").

Money is a string or an integer of whole rupiah, never a float (a float cannot hold every
rupiah amount exactly). Arithmetic correction of the bill of quantities belongs to evaluation
(issue #6); here each line is only checked for its shape.

Version 2 makes the bid guarantee (jaminan penawaran) a structured object ``{reference, issuer,
amount, valid_until}`` so that opening can check it against the HPS and the bid's validity
(RULES.md "Bid guarantee", "Bid validity"; ``tangguh.domain.evaluation.guarantees``). Version 1
held only a free-text reference. Sealing (the sealing page, ``tangguh seal``) takes version 2
only; reading an opened package still takes version 1, because a bid sealed before the upgrade
must still open: its reference becomes ``BidGuarantee(reference=…)`` with the rest unknown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

SCHEMA = "tangguh.penawaran"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # what opening reads; sealing writes VERSION only
ENVELOPES = ("offer", "technical", "price")
PRICED = ("offer", "price")
REQUIRED_DECLARATIONS = ("pakta_integritas",)
MAX_LINES = 5000
MAX_TEXT = 200
# Only the extended ISO 8601 calendar date: date.fromisoformat also takes "20240624" and week
# dates, which the browser's port would have to copy; [0-9] because \d takes any Unicode digit.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    message_id: str
    message_en: str


class BidPackageInvalid(ValueError):
    """Every problem of a ``penawaran.json`` at once."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message_en}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class BoqLine:
    """A bill-of-quantities line as the vendor priced it."""

    item: str
    unit: str
    volume: Decimal
    unit_price: Decimal
    total: Decimal


@dataclass(frozen=True)
class BidGuarantee:
    """The bid guarantee (jaminan penawaran) a bid states. From a version 1 package only the
    reference is known; the issuer, amount and validity are then None (unknown)."""

    reference: str
    issuer: str | None = None
    amount: Decimal | None = None
    valid_until: dt.date | None = None

    def to_json(self) -> dict:
        return {
            "reference": self.reference,
            "issuer": self.issuer,
            "amount": None if self.amount is None else str(self.amount),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict | None) -> BidGuarantee | None:
        """Back from ``to_json`` (what the opening list stores); None stays None."""
        if data is None:
            return None
        amount, valid_until = data.get("amount"), data.get("valid_until")
        return cls(
            reference=data["reference"],
            issuer=data.get("issuer"),
            amount=None if amount is None else Decimal(amount),
            valid_until=None if valid_until is None else dt.date.fromisoformat(valid_until),
        )


@dataclass(frozen=True)
class BidPackage:
    tender: str
    lot: int
    envelope: str
    company_nib: str
    total_price: Decimal | None
    boq: tuple[BoqLine, ...]
    tkdn_percent: Decimal | None
    validity_days: int
    bid_guarantee: BidGuarantee | None
    declarations: dict[str, bool] = field(default_factory=dict)
    version: int = VERSION  # the schema version the document was written in

    def to_json(self) -> dict:
        """The canonical document (amounts as strings), in the version it was written in."""
        guarantee = None
        if self.bid_guarantee is not None:
            guarantee = (
                self.bid_guarantee.reference if self.version == 1 else self.bid_guarantee.to_json()
            )
        return {
            "schema": SCHEMA,
            "version": self.version,
            "tender": self.tender,
            "lot": self.lot,
            "envelope": self.envelope,
            "company_nib": self.company_nib,
            "total_price": None if self.total_price is None else str(self.total_price),
            "boq": [
                {
                    "item": b.item,
                    "unit": b.unit,
                    "volume": str(b.volume),
                    "unit_price": str(b.unit_price),
                    "total": str(b.total),
                }
                for b in self.boq
            ],
            "tkdn_percent": None if self.tkdn_percent is None else str(self.tkdn_percent),
            "validity_days": self.validity_days,
            "bid_guarantee": guarantee,
            "declarations": dict(self.declarations),
        }


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, where: str, message_id: str, message_en: str) -> None:
        self.problems.append(Problem(f"penawaran.{code}", where, message_id, message_en))

    def amount(self, value: object, where: str, *, whole: bool, minimum: Decimal) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.add(
                "amount_type",
                where,
                "harus berupa angka dalam teks atau bilangan bulat (bukan pecahan desimal biner)",
                "must be a number as text or an integer (not a float)",
            )
            return Decimal(0)
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.add("amount_invalid", where, "bukan angka", "is not a number")
            return Decimal(0)
        if not amount.is_finite():
            # NaN or Infinity would make every later comparison raise: refuse it here.
            self.add("amount_invalid", where, "bukan angka", "is not a number")
            return Decimal(0)
        if amount < minimum:
            self.add(
                "amount_range",
                where,
                f"harus paling sedikit {minimum}",
                f"must be at least {minimum}",
            )
        elif whole and amount != amount.to_integral_value():
            self.add("amount_whole", where, "harus rupiah bulat", "must be whole rupiah")
        return amount


def parse_penawaran(data: bytes | str | dict, *, sealing: bool = False) -> BidPackage:
    """Check a ``penawaran.json`` and return it as a value; raise ``BidPackageInvalid`` listing
    every problem, each with a stable code, the field and messages in both languages.

    ``sealing``: the document is about to be sealed, so only the current VERSION is taken (the
    browser's ``checkPenawaran`` applies these rules). Otherwise (opening) version 1 is read too.
    """
    check = _Checker()
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data, parse_float=lambda text: float(text))
        except ValueError as exc:
            raise BidPackageInvalid(
                [
                    Problem(
                        "penawaran.not_json",
                        "penawaran.json",
                        "bukan JSON yang sah",
                        "is not valid JSON",
                    )
                ]
            ) from exc
    if not isinstance(data, dict):
        raise BidPackageInvalid(
            [
                Problem(
                    "penawaran.not_object",
                    "penawaran.json",
                    "harus objek JSON",
                    "must be a JSON object",
                )
            ]
        )
    version = data.get("version")
    accepted = (VERSION,) if sealing else READABLE_VERSIONS
    if data.get("schema") != SCHEMA or version not in accepted:
        check.add(
            "schema",
            "schema",
            f"harus {SCHEMA} versi {VERSION}",
            f"must be {SCHEMA} version {VERSION}",
        )
    tender = str(data.get("tender", ""))
    if not (tender.isdigit() and len(tender) == 9):
        check.add("tender", "tender", "kode tender 9 digit", "a 9-digit tender code")
    lot = data.get("lot", 1)
    if not isinstance(lot, int) or isinstance(lot, bool) or not 1 <= lot <= 9999:
        check.add("lot", "lot", "nomor lot 1–9999", "a lot number 1–9999")
        lot = 1
    envelope = data.get("envelope")
    if envelope not in ENVELOPES:
        check.add(
            "envelope",
            "envelope",
            "harus offer, technical atau price",
            "must be offer, technical or price",
        )
    nib = str(data.get("company_nib", ""))
    if not (nib.isdigit() and len(nib) == 13):
        check.add("company_nib", "company_nib", "NIB 13 digit", "a 13-digit NIB")
    total = None
    if envelope in PRICED:
        total = check.amount(data.get("total_price"), "total_price", whole=True, minimum=Decimal(1))
    elif data.get("total_price") is not None:
        check.add(
            "price_in_technical",
            "total_price",
            "sampul teknis tidak boleh memuat harga",
            "a technical envelope holds no price",
        )
    boq = _boq(data.get("boq", []), check, priced=envelope in PRICED)
    tkdn = None
    if data.get("tkdn_percent") is not None:
        tkdn = check.amount(data["tkdn_percent"], "tkdn_percent", whole=False, minimum=Decimal(0))
        if tkdn > 100:
            check.add("tkdn_range", "tkdn_percent", "TKDN 0–100%", "TKDN must be 0–100%")
    validity = data.get("validity_days")
    if not isinstance(validity, int) or isinstance(validity, bool) or not 1 <= validity <= 730:
        check.add(
            "validity_days",
            "validity_days",
            "masa berlaku penawaran 1–730 hari",
            "bid validity of 1–730 days",
        )
        validity = 0
    legacy = version == 1 and not sealing
    guarantee = _guarantee(data.get("bid_guarantee"), check, legacy=legacy)
    declarations = data.get("declarations", {})
    if not isinstance(declarations, dict):
        declarations = {}
    for name in REQUIRED_DECLARATIONS:
        if declarations.get(name) is not True:
            check.add(
                "declaration",
                f"declarations.{name}",
                "pernyataan wajib disetujui",
                "this declaration must be accepted",
            )
    if check.problems:
        raise BidPackageInvalid(check.problems)
    return BidPackage(
        tender=tender,
        lot=lot,
        envelope=envelope,
        company_nib=nib,
        total_price=total,
        boq=boq,
        tkdn_percent=tkdn,
        validity_days=validity,
        bid_guarantee=guarantee,
        declarations={k: bool(v) for k, v in declarations.items()},
        version=1 if legacy else VERSION,
    )


def _text(value: object) -> str | None:
    """Stripped text of at most MAX_TEXT characters, or None when it is anything else."""
    if not isinstance(value, str) or len(value) > MAX_TEXT or not value.strip():
        return None
    return value.strip()


def _guarantee(value: object, check: _Checker, *, legacy: bool) -> BidGuarantee | None:
    if value is None:
        return None
    if legacy:
        # Version 1: a free-text reference; what it does not say stays unknown.
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            check.add(
                "bid_guarantee",
                "bid_guarantee",
                f"nomor jaminan penawaran (teks ≤ {MAX_TEXT})",
                f"the bid guarantee reference (text ≤ {MAX_TEXT})",
            )
            return None
        return BidGuarantee(reference=value)
    if not isinstance(value, dict):
        check.add(
            "bid_guarantee",
            "bid_guarantee",
            "jaminan penawaran: objek {reference, issuer, amount, valid_until} atau null",
            "the bid guarantee: an object {reference, issuer, amount, valid_until} or null",
        )
        return None
    reference = _text(value.get("reference"))
    if reference is None:
        check.add(
            "bid_guarantee_reference",
            "bid_guarantee.reference",
            f"nomor jaminan penawaran wajib diisi (teks ≤ {MAX_TEXT})",
            f"the bid guarantee reference is required (text ≤ {MAX_TEXT})",
        )
    issuer = _text(value.get("issuer"))
    if issuer is None:
        check.add(
            "bid_guarantee_issuer",
            "bid_guarantee.issuer",
            f"penerbit jaminan (bank/asuransi) wajib diisi (teks ≤ {MAX_TEXT})",
            f"the guarantee's issuer (bank/insurer) is required (text ≤ {MAX_TEXT})",
        )
    amount = check.amount(
        value.get("amount"), "bid_guarantee.amount", whole=True, minimum=Decimal(1)
    )
    valid_until = _date(value.get("valid_until"))
    if valid_until is None:
        check.add(
            "bid_guarantee_valid_until",
            "bid_guarantee.valid_until",
            "tanggal berlaku jaminan wajib diisi (TTTT-BB-HH)",
            "the guarantee's valid-until date is required (YYYY-MM-DD)",
        )
    if reference is None or issuer is None or valid_until is None:
        return None
    return BidGuarantee(reference=reference, issuer=issuer, amount=amount, valid_until=valid_until)


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:  # 2024-02-30, month 13, year 0000
        return None


def _boq(lines: object, check: _Checker, *, priced: bool) -> tuple[BoqLine, ...]:
    if not isinstance(lines, list) or len(lines) > MAX_LINES:
        check.add(
            "boq",
            "boq",
            f"daftar kuantitas (paling banyak {MAX_LINES} baris)",
            f"a bill of quantities (at most {MAX_LINES} lines)",
        )
        return ()
    if lines and not priced:
        check.add(
            "boq_in_technical",
            "boq",
            "sampul teknis tidak boleh memuat harga",
            "a technical envelope holds no price",
        )
        return ()
    parsed = []
    for i, line in enumerate(lines):
        where = f"boq.{i}"
        if not isinstance(line, dict) or not str(line.get("item", "")).strip():
            check.add(
                "boq_item", f"{where}.item", "uraian pekerjaan wajib diisi", "the item is required"
            )
            continue
        parsed.append(
            BoqLine(
                item=str(line["item"]).strip(),
                unit=str(line.get("unit", "")).strip(),
                volume=check.amount(
                    line.get("volume"), f"{where}.volume", whole=False, minimum=Decimal(0)
                ),
                unit_price=check.amount(
                    line.get("unit_price"), f"{where}.unit_price", whole=False, minimum=Decimal(0)
                ),
                total=check.amount(
                    line.get("total"), f"{where}.total", whole=False, minimum=Decimal(0)
                ),
            )
        )
    return tuple(parsed)
