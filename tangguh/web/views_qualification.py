"""Pages for the qualification profile (data kualifikasi): the vendor keeps it, the verifier
checks it. Views translate form input into service calls and results into templates; every
rule (which fields a kind has, what they accept, who may act) lives in the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from tangguh import clock
from tangguh.accounts.services.permissions import permission_require
from tangguh.core.errors import InvalidInput, ServiceError
from tangguh.domain.roles import Permission
from tangguh.participation.http import blob_attachment
from tangguh.qualification.models import (
    ITEM_MODELS,
    BusinessSize,
    CapacityBasis,
    ItemKind,
    Ownership,
    QualificationItem,
    SbuLevel,
    TaxStatus,
    Verification,
)
from tangguh.qualification.selectors import (
    qualification_item_expired,
    qualification_items_pending,
    qualification_profile_view,
)
from tangguh.qualification.services.access import company_require_own_or_verifier
from tangguh.qualification.services.cleaning import LABELS, SPECS, item_kind
from tangguh.qualification.services.documents import (
    MAX_DOCUMENT_BYTES,
    qualification_document_attach,
    qualification_document_read,
)
from tangguh.qualification.services.items import (
    qualification_item_add,
    qualification_item_delete,
    qualification_item_update,
)
from tangguh.qualification.services.verification import (
    qualification_item_reject,
    qualification_item_verify,
)
from tangguh.vendors.selectors import vendor_companies_of

# --- words on the page (the models carry the Indonesian; English sits beside it here) --------

KIND_TEXT: dict[ItemKind, tuple[str, str]] = {
    ItemKind.LICENCE: (ItemKind.LICENCE.label, "Business licence (NIB and KBLI)"),
    ItemKind.SBU: (ItemKind.SBU.label, "Business certificate (SBU)"),
    ItemKind.SKK: (ItemKind.SKK.label, "Work competence certificate (SKK)"),
    ItemKind.CAPACITY: (ItemKind.CAPACITY.label, "Financial capacity"),
    ItemKind.EXPERIENCE: (ItemKind.EXPERIENCE.label, "Experience"),
    ItemKind.TAX: (ItemKind.TAX.label, "Tax compliance (KSWP)"),
    ItemKind.STAFF: (ItemKind.STAFF.label, "Experts and skilled staff"),
    ItemKind.EQUIPMENT: (ItemKind.EQUIPMENT.label, "Equipment"),
}

CHOICE_FIELDS: dict[str, type] = {
    "business_size": BusinessSize,
    "qualification_level": SbuLevel,
    "basis": CapacityBasis,
    "status": TaxStatus,
    "ownership": Ownership,
}

CHOICE_EN: dict[str, str] = {
    "small": "Small",
    "non_small": "Non-small",
    "medium": "Medium",
    "large": "Large",
    "basic_capability": "Basic capability (KD)",
    "net_worth": "Net worth",
    "valid": "Valid",
    "invalid": "Not valid",
    "owned": "Owned",
    "leased": "Leased",
}
BUSINESS_SIZE_EN = {"small": "Small business", "non_small": "Non-small business"}

DATE_FIELDS = {"valid_until", "completed_on"}
MONEY_FIELDS = {"amount", "contract_value"}
NUMBER_FIELDS = {"level", "fiscal_year", "year", "experience_years", "quantity"}

HINTS: dict[str, tuple[str, str]] = {
    "kbli_codes": (
        "Kode 5 digit KBLI 2020, pisahkan dengan koma, mis. 41011, 42101",
        "5-digit KBLI 2020 codes separated by commas, e.g. 41011, 42101",
    ),
    "subclassification_code": ("Mis. BG001 atau BS001", "E.g. BG001 or BS001"),
    "amount": (
        "Rupiah, angka saja tanpa titik ribuan, mis. 1500000000",
        "Rupiah, digits only without thousands separators, e.g. 1500000000",
    ),
    "contract_value": (
        "Rupiah, angka saja tanpa titik ribuan, mis. 1500000000",
        "Rupiah, digits only without thousands separators, e.g. 1500000000",
    ),
    "level": ("Jenjang 1–9", "Level 1–9"),
    "completed_on": ("Kosongkan bila pekerjaan masih berjalan", "Leave empty if still ongoing"),
}

STATUS_TEXT: dict[str, tuple[str, str]] = {
    Verification.PENDING: ("Menunggu pemeriksaan", "Awaiting verification"),
    Verification.VERIFIED: ("Terverifikasi", "Verified"),
    Verification.REJECTED: ("Ditolak", "Rejected"),
}


def _english() -> bool:
    return (get_language() or "id").startswith("en")


def _t(indonesian: str, english: str) -> str:
    return english if _english() else indonesian


def _choice_label(value: str, options: type) -> str:
    if _english():
        return CHOICE_EN.get(value, value)
    return dict(options.choices).get(value, value)


def _required(kind: ItemKind, name: str) -> bool:
    """Whether the service's rule for ``name`` refuses an empty value (asked, not copied)."""
    try:
        SPECS[kind][name]("", name)
    except InvalidInput as exc:
        return exc.code == "qualification.field_required"
    return False


def _max_length(kind: ItemKind, name: str) -> int | None:
    return getattr(ITEM_MODELS[kind]._meta.get_field(name), "max_length", None)


# --- what the templates loop over -------------------------------------------------------------


@dataclass
class Input:
    name: str
    id: str
    label: str
    widget: str  # text, date, select
    value: str = ""
    required: bool = True
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""
    inputmode: str = ""
    maxlength: int | None = None
    error: str = ""


@dataclass
class ItemForm:
    key: str  # unique on the page: "<kind>-new" or "<kind>-<id>"
    action: str
    inputs: list[Input]
    error: str = ""
    open: bool = False


@dataclass
class Row:
    label: str
    value: object
    type: str  # text, money, date, codes


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _form(
    kind: ItemKind,
    key: str,
    action: str,
    values: dict[str, object],
    error: ServiceError | None = None,
) -> ItemForm:
    english = _english()
    inputs = []
    for name in SPECS[kind]:
        label_id, label_en = LABELS.get(name, (name, name))
        hint = HINTS.get(name, ("", ""))
        entry = Input(
            name=name,
            id=f"{key}-{name}",
            label=label_en if english else label_id,
            widget="text",
            value=_as_text(values.get(name)),
            required=_required(kind, name),
            hint=hint[1] if english else hint[0],
            maxlength=_max_length(kind, name) if name not in CHOICE_FIELDS else None,
        )
        if name in CHOICE_FIELDS:
            entry.widget = "select"
            entry.options = [
                (value, _choice_label(value, CHOICE_FIELDS[name]))
                for value, _ in CHOICE_FIELDS[name].choices
            ]
        elif name in DATE_FIELDS:
            entry.widget = "date"
        elif name in MONEY_FIELDS:
            entry.inputmode = "decimal"
        elif name in NUMBER_FIELDS:
            entry.inputmode = "numeric"
        if error is not None and error.field == name:
            entry.error = error.message(get_language())
        inputs.append(entry)
    form = ItemForm(key=key, action=action, inputs=inputs)
    if error is not None:
        form.open = True
        if error.field not in SPECS[kind]:
            form.error = error.message(get_language())
    return form


def _rows(item: QualificationItem) -> list[Row]:
    english = _english()
    rows = []
    for name, value in item.values().items():
        label_id, label_en = LABELS.get(name, (name, name))
        label = label_en if english else label_id
        if name in CHOICE_FIELDS:
            rows.append(Row(label, _choice_label(value, CHOICE_FIELDS[name]), "text"))
        elif name in MONEY_FIELDS:
            rows.append(Row(label, value, "money"))
        elif name in DATE_FIELDS:
            rows.append(Row(label, value, "date"))
        elif name == "kbli_codes":
            rows.append(Row(label, value, "codes"))
        else:
            rows.append(Row(label, value, "text"))
    return rows


@dataclass
class Failure:
    """A form sent back with its error: which one, what was typed, what went wrong."""

    key: str
    values: dict[str, object]
    error: ServiceError


def _status(item: QualificationItem) -> dict:
    english = _english()
    text = STATUS_TEXT.get(item.verification, (item.verification, item.verification))
    return {"code": item.verification, "text": text[1] if english else text[0]}


def _item_card(
    item: QualificationItem, *, editable: bool, failure: Failure | None, today: date
) -> dict:
    company_id = item.profile.company_id
    kind = item.kind
    key = f"{kind.value}-{item.pk}"
    base = {"company_id": company_id, "kind": kind.value, "item_id": item.pk}
    card = {
        "item": item,
        "key": key,
        "rows": _rows(item),
        "status": _status(item),
        "expired": qualification_item_expired(item, today),
        "download": reverse("web:qualification_document", kwargs=base)
        if item.document_sha256
        else "",
    }
    if editable:
        mine = failure if failure and failure.key == key else None
        card["edit"] = _form(
            kind,
            key,
            reverse("web:qualification_update", kwargs=base),
            mine.values if mine else item.values(),
            mine.error if mine else None,
        )
        card["delete_action"] = reverse("web:qualification_delete", kwargs=base)
        card["upload_action"] = reverse("web:qualification_upload", kwargs=base)
        upload_key = f"upload-{key}"
        if failure and failure.key == upload_key:
            card["upload_error"] = failure.error.message(get_language())
    return card


def _own_company_ids(user) -> list[int]:
    return [company.pk for company in vendor_companies_of(user)]


def _profile_page(request, company_id: int, *, failure: Failure | None = None, status=200):
    company = company_require_own_or_verifier(
        actor=request.user, company_id=company_id, action="qualification.read"
    )
    own = _own_company_ids(request.user)
    editable = company.pk in own
    view = qualification_profile_view(company)
    today = clock.now().date()
    groups = []
    for kind in ITEM_MODELS:
        items = [item for item in view.items if item.kind == kind]
        text = KIND_TEXT[kind]
        group = {
            "kind": kind.value,
            "title": text[1] if _english() else text[0],
            "cards": [
                _item_card(item, editable=editable, failure=failure, today=today) for item in items
            ],
            "add": None,
        }
        # One licence per company: once it exists, it is changed, not added again.
        if editable and not (kind == ItemKind.LICENCE and items):
            key = f"{kind.value}-new"
            mine = failure if failure and failure.key == key else None
            group["add"] = _form(
                kind,
                key,
                reverse(
                    "web:qualification_add", kwargs={"company_id": company.pk, "kind": kind.value}
                ),
                mine.values if mine else {},
                mine.error if mine else None,
            )
        groups.append(group)
    size = view.business_size
    size_text = (
        (BUSINESS_SIZE_EN[size.value] if _english() else size.label) if size is not None else ""
    )
    counts = {code: 0 for code in Verification.values}
    for item in view.items:
        counts[item.verification] += 1
    context = {
        "company": company,
        "editable": editable,
        "groups": groups,
        "business_size": size_text,
        "counts": counts,
        "item_total": len(view.items),
        "others": [c for c in vendor_companies_of(request.user) if c.pk != company.pk]
        if editable
        else [],
        "max_mb": MAX_DOCUMENT_BYTES // (1024 * 1024),
    }
    return render(request, "web/qualification.html", context, status=status)


def _forbidden(request, exc: ServiceError):
    messages.error(request, exc.message(get_language()))
    return render(request, "web/forbidden.html", status=exc.status)


def _back(company_id: int, anchor: str = ""):
    url = reverse("web:qualification") + f"?company={company_id}"
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _posted(kind: ItemKind, request) -> dict[str, object]:
    """Only the fields this kind has; the service checks each one."""
    return {name: request.POST.get(name, "") for name in SPECS[kind]}


def _item_name(item: QualificationItem) -> str:
    text = KIND_TEXT[item.kind]
    return text[1] if _english() else text[0]


# --- the vendor ------------------------------------------------------------------------------


@login_required
@require_GET
def qualification_page(request):
    """The whole profile of one of the user's companies (or any company, for a verifier)."""
    wanted = request.GET.get("company", "")
    if wanted.isdigit():
        company_id = int(wanted)
    else:
        own = _own_company_ids(request.user)
        if not own:
            return render(request, "web/forbidden.html", status=403)
        company_id = own[0]
    try:
        return _profile_page(request, company_id)
    except ServiceError as exc:
        return _forbidden(request, exc)


@login_required
@require_POST
def qualification_add(request, company_id: int, kind: str):
    try:
        kind_ = item_kind(kind)
    except ServiceError as exc:
        return _forbidden(request, exc)
    values = _posted(kind_, request)
    try:
        item = qualification_item_add(
            actor=request.user, company_id=company_id, kind=kind_, values=values
        )
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            return _forbidden(request, exc)
        messages.error(request, exc.message(get_language()))
        failure = Failure(f"{kind_.value}-new", values, exc)
        return _page_or_forbidden(request, company_id, failure, exc.status)
    messages.success(
        request,
        _t(
            f"{_item_name(item)} ditambahkan; menunggu pemeriksaan verifikator. "
            "Unggah dokumen pendukungnya (PDF).",
            f"{_item_name(item)} added; awaiting the verifier. Upload its supporting PDF.",
        ),
    )
    return _back(company_id, f"item-{item.kind.value}-{item.pk}")


def _page_or_forbidden(request, company_id: int, failure: Failure, status: int):
    try:
        return _profile_page(request, company_id, failure=failure, status=status)
    except ServiceError as exc:
        return _forbidden(request, exc)


@login_required
@require_POST
def qualification_update(request, company_id: int, kind: str, item_id: int):
    try:
        kind_ = item_kind(kind)
    except ServiceError as exc:
        return _forbidden(request, exc)
    values = _posted(kind_, request)
    try:
        item = qualification_item_update(
            actor=request.user, company_id=company_id, kind=kind_, item_id=item_id, values=values
        )
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            return _forbidden(request, exc)
        messages.error(request, exc.message(get_language()))
        failure = Failure(f"{kind_.value}-{item_id}", values, exc)
        return _page_or_forbidden(request, company_id, failure, exc.status)
    messages.success(
        request,
        _t(
            f"{_item_name(item)} diubah; kembali menunggu pemeriksaan verifikator.",
            f"{_item_name(item)} changed; it awaits the verifier again.",
        ),
    )
    return _back(company_id, f"item-{item.kind.value}-{item.pk}")


@login_required
@require_POST
def qualification_delete(request, company_id: int, kind: str, item_id: int):
    try:
        qualification_item_delete(
            actor=request.user, company_id=company_id, kind=kind, item_id=item_id
        )
    except ServiceError as exc:
        return _forbidden(request, exc)
    messages.success(request, _t("Data dihapus.", "Item removed."))
    return _back(company_id, f"kind-{kind}")


@login_required
@require_POST
def qualification_upload(request, company_id: int, kind: str, item_id: int):
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput(
                "qualification.document_missing",
                "Berkas: pilih berkas PDF yang akan diunggah.",
                "File: choose the PDF file to upload.",
                field="file",
            )
        item = qualification_document_attach(
            actor=request.user,
            company_id=company_id,
            kind=kind,
            item_id=item_id,
            handle=upload,
            filename=upload.name or "",
            declared_size=upload.size,
        )
    except ServiceError as exc:
        if exc.status in (401, 403, 404) or exc.field == "kind":
            return _forbidden(request, exc)
        messages.error(request, exc.message(get_language()))
        failure = Failure(f"upload-{kind}-{item_id}", {}, exc)
        return _page_or_forbidden(request, company_id, failure, exc.status)
    messages.success(
        request,
        _t(
            f"Dokumen {item.document_filename} diunggah; menunggu pemeriksaan verifikator.",
            f"Document {item.document_filename} uploaded; awaiting the verifier.",
        ),
    )
    return _back(company_id, f"item-{item.kind.value}-{item.pk}")


@login_required
@require_GET
def qualification_document(request, company_id: int, kind: str, item_id: int):
    """The supporting PDF, for the company's users and verifiers; the read is recorded."""
    try:
        item = qualification_document_read(
            actor=request.user, company_id=company_id, kind=kind, item_id=item_id
        )
    except ServiceError as exc:
        return _forbidden(request, exc)
    return blob_attachment(
        sha256=item.document_sha256,
        filename=item.document_filename,
        content_type="application/pdf",
        size=item.document_size or 0,
    )


# --- the verifier ----------------------------------------------------------------------------


def _queue_page(request, *, failed: tuple[str, str, str] | None = None, status: int = 200):
    """``failed``: (key, reason typed, error) of a rejection sent back."""
    today = clock.now().date()
    rows = []
    for item in qualification_items_pending():
        key = f"{item.kind.value}-{item.pk}"
        rows.append(
            {
                "item": item,
                "key": key,
                "company": item.profile.company,
                "kind_label": _item_name(item),
                "rows": _rows(item),
                "expired": qualification_item_expired(item, today),
                "download": reverse(
                    "web:qualification_document",
                    kwargs={
                        "company_id": item.profile.company_id,
                        "kind": item.kind.value,
                        "item_id": item.pk,
                    },
                )
                if item.document_sha256
                else "",
                "decide": reverse(
                    "web:qualification_decide", kwargs={"kind": item.kind.value, "item_id": item.pk}
                ),
                "reason": failed[1] if failed and failed[0] == key else "",
                "error": failed[2] if failed and failed[0] == key else "",
            }
        )
    return render(request, "web/qualification_queue.html", {"rows": rows}, status=status)


@login_required
@require_GET
def qualification_queue(request):
    """Items waiting for a verifier, oldest change first, across companies."""
    try:
        permission_require(
            user=request.user, permission=Permission.VERIFY_VENDORS, action="qualification.pending"
        )
    except ServiceError as exc:
        return _forbidden(request, exc)
    return _queue_page(request)


@login_required
@require_POST
def qualification_decide(request, kind: str, item_id: int):
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    try:
        if decision == "verify":
            item = qualification_item_verify(actor=request.user, kind=kind, item_id=item_id)
            done = _t("terverifikasi", "verified")
        else:
            item = qualification_item_reject(
                actor=request.user, kind=kind, item_id=item_id, reason=reason
            )
            done = _t("ditolak", "rejected")
    except ServiceError as exc:
        if exc.field != "reason":
            return _forbidden(request, exc)
        message = exc.message(get_language())
        messages.error(request, message)
        return _queue_page(request, failed=(f"{kind}-{item_id}", reason, message), status=422)
    messages.success(request, f"{item.profile.company.name} · {_item_name(item)}: {done}.")
    return redirect("web:qualification_queue")
