"""Checking the values of a qualification item, one rule per field, each error naming its field.

Values come from the API (already typed) or from forms (text); both are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from tangguh import clock
from tangguh.core.errors import InvalidInput
from tangguh.qualification.models import (
    BusinessSize,
    CapacityBasis,
    ItemKind,
    Ownership,
    SbuLevel,
    TaxStatus,
    plain,
)

Cleaner = Callable[[object, str], object]

LABELS: dict[str, tuple[str, str]] = {
    "kbli_codes": ("Kode KBLI", "KBLI codes"),
    "business_size": ("Kualifikasi usaha", "Business size"),
    "number": ("Nomor sertifikat", "Certificate number"),
    "subclassification_code": ("Kode subklasifikasi", "Subclassification code"),
    "qualification_level": ("Kualifikasi", "Qualification level"),
    "valid_until": ("Berlaku sampai", "Valid until"),
    "holder_name": ("Nama pemegang", "Holder's name"),
    "occupation": ("Jabatan kerja", "Occupation"),
    "level": ("Jenjang", "Level"),
    "basis": ("Dasar perhitungan", "Basis"),
    "amount": ("Nilai", "Amount"),
    "fiscal_year": ("Tahun anggaran", "Fiscal year"),
    "contract_name": ("Nama kontrak", "Contract name"),
    "client": ("Pemberi kerja", "Client"),
    "contract_value": ("Nilai kontrak", "Contract value"),
    "year": ("Tahun", "Year"),
    "completed_on": ("Tanggal selesai (BAST)", "Completion date"),
    "reference": ("Nomor keterangan KSWP", "KSWP statement number"),
    "status": ("Status", "Status"),
    "name": ("Nama", "Name"),
    "position": ("Posisi", "Position"),
    "education": ("Pendidikan", "Education"),
    "experience_years": ("Pengalaman (tahun)", "Experience (years)"),
    "quantity": ("Jumlah", "Quantity"),
    "capacity": ("Kapasitas", "Capacity"),
    "ownership": ("Status kepemilikan", "Ownership"),
}


def _error(field: str, rule_id: str, rule_en: str, code: str = "qualification.field_invalid"):
    label_id, label_en = LABELS.get(field, (field, field))
    return InvalidInput(code, f"{label_id}: {rule_id}.", f"{label_en}: {rule_en}.", field=field)


def _missing(field: str) -> InvalidInput:
    return _error(field, "wajib diisi", "is required", "qualification.field_required")


def text(max_length: int, *, required: bool = True) -> Cleaner:
    def clean(value: object, field: str) -> str:
        result = str(value or "").strip()
        if required and not result:
            raise _missing(field)
        if len(result) > max_length:
            raise _error(
                field, f"paling banyak {max_length} karakter", f"at most {max_length} characters"
            )
        return result

    return clean


def choice(options: type) -> Cleaner:
    allowed = [value for value, _ in options.choices]

    def clean(value: object, field: str) -> str:
        result = str(getattr(value, "value", value) or "").strip()
        if not result:
            raise _missing(field)
        if result not in allowed:
            listed = ", ".join(allowed)
            raise _error(field, f"harus salah satu dari {listed}", f"must be one of {listed}")
        return result

    return clean


def day(*, required: bool = True) -> Cleaner:
    def clean(value: object, field: str) -> date | None:
        if value in (None, ""):
            if required:
                raise _missing(field)
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise _error(field, "harus tanggal TTTT-BB-HH", "must be a date YYYY-MM-DD") from exc

    return clean


def money(value: object, field: str) -> Decimal:
    """Rupiah, at most two decimals, never negative, never a float."""
    if value in (None, ""):
        raise _missing(field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _error(field, "harus angka", "must be a number") from exc
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise _error(
            field,
            "harus angka tidak negatif dengan paling banyak dua desimal",
            "must be a non-negative number with at most two decimals",
        )
    if amount >= Decimal(10) ** 16:
        raise _error(field, "terlalu besar", "is too large")
    return amount


def integer(low: int, high: int | Callable[[], int]) -> Cleaner:
    def clean(value: object, field: str) -> int:
        if value in (None, ""):
            raise _missing(field)
        top = high() if callable(high) else high
        try:
            number = int(str(value).strip())
        except ValueError as exc:
            raise _error(field, "harus bilangan bulat", "must be a whole number") from exc
        if not low <= number <= top:
            raise _error(field, f"harus antara {low} dan {top}", f"must be between {low} and {top}")
        return number

    return clean


def _this_year() -> int:
    return clock.now().year


def kbli_codes(value: object, field: str) -> list[str]:
    """KBLI 2020 codes: five digits each, at least one, no repeats."""
    raw = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", str(value or ""))
    codes = [str(code).strip() for code in raw if str(code).strip()]
    if not codes:
        raise _missing(field)
    bad = [code for code in codes if not re.fullmatch(r"\d{5}", code)]
    if bad:
        raise _error(
            field,
            f"setiap kode KBLI terdiri dari 5 digit ({', '.join(bad[:3])})",
            f"each KBLI code is 5 digits ({', '.join(bad[:3])})",
        )
    if len(set(codes)) != len(codes) or len(codes) > 50:
        raise _error(
            field, "paling banyak 50 kode, tanpa pengulangan", "at most 50 codes, no repeats"
        )
    return codes


def subclassification(value: object, field: str) -> str:
    """SBU subclassification codes (LPJK, KBLI-based): two letters and three digits, e.g. BG001."""
    code = str(value or "").strip().upper()
    if not code:
        raise _missing(field)
    if not re.fullmatch(r"[A-Z]{2}\d{3}", code):
        raise _error(field, "format dua huruf dan tiga angka, mis. BG001", "like BG001")
    return code


SPECS: dict[ItemKind, dict[str, Cleaner]] = {
    ItemKind.LICENCE: {"kbli_codes": kbli_codes, "business_size": choice(BusinessSize)},
    ItemKind.SBU: {
        "number": text(60),
        "subclassification_code": subclassification,
        "qualification_level": choice(SbuLevel),
        "valid_until": day(),
    },
    ItemKind.SKK: {
        "holder_name": text(200),
        "number": text(60),
        "occupation": text(200),
        "level": integer(1, 9),
        "valid_until": day(),
    },
    ItemKind.CAPACITY: {
        "basis": choice(CapacityBasis),
        "amount": money,
        "fiscal_year": integer(1950, _this_year),
    },
    ItemKind.EXPERIENCE: {
        "contract_name": text(300),
        "client": text(200),
        "contract_value": money,
        "year": integer(1950, _this_year),
        "completed_on": day(required=False),
    },
    ItemKind.TAX: {"reference": text(100), "status": choice(TaxStatus), "valid_until": day()},
    ItemKind.STAFF: {
        "name": text(200),
        "position": text(200),
        "education": text(100),
        "experience_years": integer(0, 70),
    },
    ItemKind.EQUIPMENT: {
        "name": text(200),
        "quantity": integer(1, 1_000_000),
        "capacity": text(100, required=False),
        "ownership": choice(Ownership),
    },
}

# Items that name a person: their values stay out of the append-only audit chain (UU 27/2022).
PERSONAL_KINDS = frozenset({ItemKind.SKK, ItemKind.STAFF})


def item_kind(value: object) -> ItemKind:
    try:
        return ItemKind(getattr(value, "value", value))
    except ValueError as exc:
        raise InvalidInput(
            "qualification.kind_unknown",
            "Jenis data kualifikasi tidak dikenal.",
            "Unknown kind of qualification item.",
            field="kind",
        ) from exc


def item_values_clean(kind: ItemKind, values: Mapping[str, object]) -> dict[str, object]:
    """Every field of ``kind`` checked; unknown fields are refused, naming the first."""
    spec = SPECS[kind]
    stated = values.get("kind")
    if stated is not None and str(getattr(stated, "value", stated)) != kind.value:
        raise InvalidInput(
            "qualification.kind_mismatch",
            "Jenis pada isian berbeda dengan jenis data yang diubah.",
            "The kind in the values differs from the kind of the item.",
            field="kind",
        )
    unknown = sorted(set(values) - set(spec) - {"kind"})
    if unknown:
        raise InvalidInput(
            "qualification.field_unknown",
            f"Isian tidak dikenal untuk jenis ini: {unknown[0]}.",
            f"Not a field of this kind: {unknown[0]}.",
            field=unknown[0],
        )
    cleaned = {field: clean(values.get(field), field) for field, clean in spec.items()}
    completed = cleaned.get("completed_on")
    if isinstance(completed, date) and completed.year < cleaned["year"]:
        raise _error(
            "completed_on",
            "tidak boleh sebelum tahun kontrak",
            "cannot be before the contract year",
        )
    return cleaned


def audit_values(kind: ItemKind, values: Mapping[str, object]) -> dict:
    """What the audit chain records of an item's values (field names only for personal data)."""
    if kind in PERSONAL_KINDS:
        return {"fields": sorted(values)}
    return {field: plain(value) for field, value in values.items()}
