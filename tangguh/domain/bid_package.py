"""The bid package's ``penawaran.json``: what a vendor offers, in a versioned schema that the
sealing page and ``tangguh seal`` check before sealing and that opening reads, so the committee
never retypes prices (SPEC.md "Sealed bids and opening").

Money is a string or an integer of whole rupiah, never a float (a float cannot hold every
rupiah amount exactly). Arithmetic correction of the bill of quantities belongs to evaluation
(issue #6); here each line is only checked for its shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

SCHEMA = "tangguh.penawaran"
VERSION = 1
ENVELOPES = ("offer", "technical", "price")
PRICED = ("offer", "price")
REQUIRED_DECLARATIONS = ("pakta_integritas",)
MAX_LINES = 5000


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
class BidPackage:
    tender: str
    lot: int
    envelope: str
    company_nib: str
    total_price: Decimal | None
    boq: tuple[BoqLine, ...]
    tkdn_percent: Decimal | None
    validity_days: int
    bid_guarantee: str | None
    declarations: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The canonical document (amounts as strings)."""
        return {
            "schema": SCHEMA,
            "version": VERSION,
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
            "bid_guarantee": self.bid_guarantee,
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


def parse_penawaran(data: bytes | str | dict) -> BidPackage:
    """Check a ``penawaran.json`` and return it as a value; raise ``BidPackageInvalid`` listing
    every problem, each with a stable code, the field and messages in both languages."""
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
    if data.get("schema") != SCHEMA or data.get("version") != VERSION:
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
    guarantee = data.get("bid_guarantee")
    if guarantee is not None and (not isinstance(guarantee, str) or len(guarantee) > 200):
        check.add(
            "bid_guarantee",
            "bid_guarantee",
            "nomor jaminan penawaran (teks ≤ 200)",
            "the bid guarantee reference (text ≤ 200)",
        )
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
    )


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
