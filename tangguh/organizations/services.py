"""Setting up the node and its organizations: agencies, work units, UKPBJ and Pokja."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from tangguh import clock
from tangguh.accounts.models import RoleAssignment, User
from tangguh.accounts.services.permissions import permission_require
from tangguh.audit.services import audit_append
from tangguh.core.errors import Conflict, InvalidInput, NotFound
from tangguh.domain.calendar import national_holidays
from tangguh.domain.roles import Permission, Role
from tangguh.domain.sealing.fingerprint import recipient_fingerprint
from tangguh.domain.sealing.keys import KeyFormatError, parse_recipient
from tangguh.organizations.models import (
    Agency,
    Committee,
    LocalHoliday,
    Node,
    ProcurementUnit,
    WorkUnit,
)


def _name(value: str, field: str = "name") -> str:
    name = (value or "").strip()
    if not 2 <= len(name) <= 200:
        raise InvalidInput(
            "organization.name_invalid",
            "Nama wajib diisi, 2–200 karakter.",
            "A name of 2–200 characters is required.",
            field=field,
        )
    return name


def _duplicate(what_id: str, what_en: str) -> Conflict:
    return Conflict(
        "organization.duplicate",
        f"{what_id} dengan nama itu sudah ada.",
        f"A {what_en} with that name already exists.",
        field="name",
    )


def node_ensure(*, actor: User | str | None = "system", name: str | None = None) -> Node:
    """Create the node row from settings on first start; rename it when ``name`` is given."""
    with transaction.atomic():
        node = Node.objects.filter(pk=1).first()
        if node is None:
            node = Node.objects.create(
                pk=1,
                name=name or settings.TANGGUH_NODE_NAME,
                ocds_prefix=settings.TANGGUH_OCDS_PREFIX,
                time_zone=settings.TIME_ZONE,
            )
            audit_append(
                actor=actor,
                action="node.created",
                object_type="node",
                object_id=1,
                payload={"name": node.name, "time_zone": node.time_zone},
            )
        elif name and node.name != name:
            node.name = _name(name)
            node.save(update_fields=["name"])
            audit_append(
                actor=actor,
                action="node.renamed",
                object_type="node",
                object_id=1,
                payload={"name": node.name},
            )
    return node


def agency_create_unchecked(*, actor: User | str | None, name: str, code: str = "") -> Agency:
    name = _name(name)
    code = slugify(code or name)[:50]
    try:
        with transaction.atomic():
            agency = Agency.objects.create(name=name, code=code)
            audit_append(
                actor=actor,
                action="agency.created",
                object_type="agency",
                object_id=agency.pk,
                payload={"name": name, "code": code},
            )
    except IntegrityError as exc:
        raise _duplicate("Instansi", "agency") from exc
    return agency


def agency_create(*, actor: User, name: str, code: str = "") -> Agency:
    permission_require(
        user=actor, permission=Permission.MANAGE_ORGANIZATIONS, action="agency.create"
    )
    return agency_create_unchecked(actor=actor, name=name, code=code)


def _agency(agency_id: int) -> Agency:
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise NotFound(
            "agency.not_found", "Instansi tidak ditemukan.", "Agency not found.", field="agency_id"
        )
    return agency


def work_unit_create_unchecked(
    *, actor: User | str | None, agency: Agency, name: str, code: str = ""
) -> WorkUnit:
    name = _name(name)
    code = slugify(code or name)[:50]
    try:
        with transaction.atomic():
            unit = WorkUnit.objects.create(agency=agency, name=name, code=code)
            audit_append(
                actor=actor,
                action="work_unit.created",
                object_type="work_unit",
                object_id=unit.pk,
                payload={"name": name, "agency": agency.pk},
            )
    except IntegrityError as exc:
        raise _duplicate("Satuan kerja", "work unit") from exc
    return unit


def work_unit_create(*, actor: User, agency_id: int, name: str, code: str = "") -> WorkUnit:
    permission_require(
        user=actor,
        permission=Permission.MANAGE_ORGANIZATIONS,
        scope=f"agency:{agency_id}",
        action="work_unit.create",
    )
    return work_unit_create_unchecked(actor=actor, agency=_agency(agency_id), name=name, code=code)


def procurement_unit_create_unchecked(
    *, actor: User | str | None, agency: Agency, name: str
) -> ProcurementUnit:
    name = _name(name)
    try:
        with transaction.atomic():
            unit = ProcurementUnit.objects.create(agency=agency, name=name)
            audit_append(
                actor=actor,
                action="procurement_unit.created",
                object_type="procurement_unit",
                object_id=unit.pk,
                payload={"name": name, "agency": agency.pk},
            )
    except IntegrityError as exc:
        raise _duplicate("UKPBJ", "procurement unit") from exc
    return unit


def _check_members(members: list[User]) -> None:
    """Pokja Pemilihan: an odd number of members, at least three (Perpres 16/2018 Ps 1 angka
    12 as amended by 12/2021; Perlem LKPP 12/2021)."""
    distinct = {m.pk for m in members}
    if len(distinct) != len(members):
        raise InvalidInput(
            "committee.duplicate_member",
            "Anggota Pokja tidak boleh ganda.",
            "A committee member is listed twice.",
            field="members",
        )
    if len(members) < 3 or len(members) % 2 == 0:
        raise InvalidInput(
            "committee.member_count",
            f"Pokja harus beranggota ganjil, paling sedikit 3 orang (diberikan {len(members)}).",
            f"A committee needs an odd number of members, at least 3 (got {len(members)}).",
            field="members",
        )


def committee_form_unchecked(
    *,
    actor: User | str | None,
    procurement_unit: ProcurementUnit,
    name: str,
    members: list[User],
) -> Committee:
    name = _name(name)
    _check_members(members)
    try:
        with transaction.atomic():
            committee = Committee.objects.create(procurement_unit=procurement_unit, name=name)
            scope = f"committee:{committee.pk}"
            now = clock.now()
            for member in members:
                RoleAssignment.objects.create(
                    user=member, role=Role.COMMITTEE_MEMBER.value, scope=scope, created_at=now
                )
            audit_append(
                actor=actor,
                action="committee.formed",
                object_type="committee",
                object_id=committee.pk,
                payload={"name": name, "members": sorted(m.username for m in members)},
            )
    except IntegrityError as exc:
        raise _duplicate("Pokja", "committee") from exc
    return committee


def committee_form(
    *, actor: User, procurement_unit_id: int, name: str, member_usernames: list[str]
) -> Committee:
    """The UKPBJ head forms a Pokja from existing accounts."""
    permission_require(
        user=actor,
        permission=Permission.FORM_COMMITTEE,
        scope=f"procurement_unit:{procurement_unit_id}",
        action="committee.form",
    )
    unit = ProcurementUnit.objects.filter(pk=procurement_unit_id).first()
    if unit is None:
        raise NotFound(
            "procurement_unit.not_found",
            "UKPBJ tidak ditemukan.",
            "Procurement unit not found.",
            field="procurement_unit_id",
        )
    members = list(User.objects.filter(username__in=member_usernames, is_active=True))
    missing = sorted(set(member_usernames) - {m.username for m in members})
    if missing:
        raise InvalidInput(
            "committee.unknown_member",
            f"Akun tidak ditemukan: {', '.join(missing)}.",
            f"Unknown accounts: {', '.join(missing)}.",
            field="members",
        )
    if len(member_usernames) != len(set(member_usernames)):
        raise InvalidInput(
            "committee.duplicate_member",
            "Anggota Pokja tidak boleh ganda.",
            "A committee member is listed twice.",
            field="members",
        )
    return committee_form_unchecked(actor=actor, procurement_unit=unit, name=name, members=members)


def procurement_unit_recovery_set(
    *, actor: User, procurement_unit_id: int, recipient: str | None
) -> ProcurementUnit:
    """The UKPBJ head registers (or, with an empty ``recipient``, removes) the unit's offline
    recovery age recipient. Only keys dealt afterwards get a recovery share.

    Only the head of that UKPBJ may, not a node administrator: the operator must never be able
    to point a share of every future tender at a key of their own (docs/decisions/0502)."""
    permission_require(
        user=actor,
        permission=Permission.FORM_COMMITTEE,
        scope=f"procurement_unit:{procurement_unit_id}",
        action="procurement_unit.recovery_set",
    )
    text = (recipient or "").strip()
    if text:
        try:
            parse_recipient(text)
        except KeyFormatError as exc:
            raise InvalidInput(
                "procurement_unit.recovery_recipient_invalid",
                "Kunci pemulihan harus berupa penerima age X25519 (age1…).",
                "The recovery key must be an age X25519 recipient (age1…).",
                field="recipient",
            ) from exc
    with transaction.atomic():
        unit = ProcurementUnit.objects.select_for_update().filter(pk=procurement_unit_id).first()
        if unit is None:
            raise NotFound(
                "procurement_unit.not_found",
                "UKPBJ tidak ditemukan.",
                "Procurement unit not found.",
                field="procurement_unit_id",
            )
        previous = unit.recovery_recipient
        unit.recovery_recipient = text
        unit.recovery_recipient_set_at = clock.now() if text else None
        unit.save(update_fields=["recovery_recipient", "recovery_recipient_set_at"])
        audit_append(
            actor=actor,
            action="procurement_unit.recovery_recipient_set",
            object_type="procurement_unit",
            object_id=unit.pk,
            payload={
                "recipient": text or None,
                "fingerprint": recipient_fingerprint(text) if text else None,
                "previous_fingerprint": recipient_fingerprint(previous) if previous else None,
            },
        )
    return unit


# --- Local holidays (RULES.md "Holidays": node-defined local days) --------------------------

# How far ahead a local day may be set: this year and the next two (a typo such as 2204 is
# refused rather than silently kept).
HOLIDAY_YEARS_AHEAD = 2


def _node_today() -> dt.date:
    return clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _holiday_day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(
            "holiday.date_invalid",
            "Tanggal harus berformat TTTT-BB-HH.",
            "The date must be YYYY-MM-DD.",
            field="date",
        ) from exc


def _holiday_not_past(day: dt.date, action_id: str, action_en: str) -> None:
    # A past day has already shaped deadlines that were computed and announced; changing it
    # would rewrite history. Today is allowed: an office closed today still counts.
    if day < _node_today():
        raise InvalidInput(
            "holiday.date_past",
            f"Tanggal yang sudah lewat tidak dapat {action_id}.",
            f"A past date cannot be {action_en}.",
            field="date",
        )


def holiday_add_unchecked(
    *, actor: User | str | None, day: dt.date | str, name: str, reason: str = ""
) -> LocalHoliday:
    """Add a local day off. Refused: a past date, a date more than two years ahead, a date that
    is already a national holiday or cuti bersama, or one already a local day."""
    day = _holiday_day(day)
    name = (name or "").strip()
    if not 3 <= len(name) <= 200:
        raise InvalidInput(
            "holiday.name_invalid",
            "Nama hari libur wajib diisi, 3–200 karakter.",
            "A holiday name of 3–200 characters is required.",
            field="name",
        )
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise InvalidInput(
            "holiday.reason_too_long",
            "Alasan paling banyak 2000 karakter.",
            "The reason may have at most 2000 characters.",
            field="reason",
        )
    _holiday_not_past(day, "ditambahkan", "added")
    if day.year > _node_today().year + HOLIDAY_YEARS_AHEAD:
        raise InvalidInput(
            "holiday.date_too_far",
            f"Tanggal paling jauh tahun {_node_today().year + HOLIDAY_YEARS_AHEAD}.",
            f"The date may be at most in {_node_today().year + HOLIDAY_YEARS_AHEAD}.",
            field="date",
        )
    national = national_holidays(day.year).get(day)
    if national is not None:
        raise Conflict(
            "holiday.already_national",
            f"{day:%d-%m-%Y} sudah hari libur nasional/cuti bersama: {national}.",
            f"{day:%Y-%m-%d} is already a national holiday or cuti bersama: {national}.",
            field="date",
        )
    try:
        with transaction.atomic():
            holiday = LocalHoliday.objects.create(
                day=day,
                name=name,
                reason=reason,
                created_by=actor if isinstance(actor, User) else None,
                created_at=clock.now(),
            )
            audit_append(
                actor=actor,
                action="holiday.added",
                object_type="local_holiday",
                object_id=day.isoformat(),
                payload={"date": day.isoformat(), "name": name, "reason": reason},
            )
    except IntegrityError as exc:
        raise Conflict(
            "holiday.duplicate",
            f"{day:%d-%m-%Y} sudah hari libur daerah.",
            f"{day:%Y-%m-%d} is already a local holiday.",
            field="date",
        ) from exc
    return holiday


def holiday_add(*, actor: User, day: dt.date | str, name: str, reason: str = "") -> LocalHoliday:
    """The administrator adds a local day off (SPEC.md: the admin manages holidays)."""
    permission_require(user=actor, permission=Permission.MANAGE_NODE, action="holiday.add")
    return holiday_add_unchecked(actor=actor, day=day, name=name, reason=reason)


def holiday_remove_unchecked(
    *, actor: User | str | None, day: dt.date | str, reason: str
) -> dt.date:
    """Remove a local day off, with a reason. A past day stays (see ``_holiday_not_past``)."""
    day = _holiday_day(day)
    reason = (reason or "").strip()
    if not 3 <= len(reason) <= 2000:
        raise InvalidInput(
            "holiday.reason_required",
            "Alasan penghapusan wajib diisi (3–2000 karakter).",
            "A reason for the removal is required (3–2000 characters).",
            field="reason",
        )
    with transaction.atomic():
        holiday = LocalHoliday.objects.select_for_update().filter(day=day).first()
        if holiday is None:
            raise NotFound(
                "holiday.not_found",
                f"{day:%d-%m-%Y} bukan hari libur daerah.",
                f"{day:%Y-%m-%d} is not a local holiday.",
                field="date",
            )
        _holiday_not_past(day, "dihapus", "removed")
        holiday.delete()
        audit_append(
            actor=actor,
            action="holiday.removed",
            object_type="local_holiday",
            object_id=day.isoformat(),
            payload={"date": day.isoformat(), "name": holiday.name, "reason": reason},
        )
    return day


def holiday_remove(*, actor: User, day: dt.date | str, reason: str) -> dt.date:
    """The administrator removes a local day off, with a reason."""
    permission_require(user=actor, permission=Permission.MANAGE_NODE, action="holiday.remove")
    return holiday_remove_unchecked(actor=actor, day=day, reason=reason)
