"""The offline procedure's page (``/tender/<code>/luring/``): public minutes and openings for
everyone; for a listed vendor, the draft minutes to confirm; for the tender's Pokja, the forms
to record, confirm (second factor), publish, import, and record an offline opening. Views
only translate."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from tangguh.accounts.selectors import users_with_role
from tangguh.bids.services.opening import is_committee_member
from tangguh.core.errors import InvalidInput, NotFound, ServiceError
from tangguh.domain.roles import Role
from tangguh.offline.models import MediaMinute
from tangguh.offline.selectors import minute_row, offline_summary
from tangguh.offline.services.common import offline_tender
from tangguh.offline.services.imports import offline_envelope_import
from tangguh.offline.services.minutes import (
    MediaFileIn,
    media_minute_member_confirm,
    media_minute_publish,
    media_minute_record,
    media_minute_vendor_confirm,
    media_minute_vendor_scan,
)
from tangguh.offline.services.openings import OpenedIn, offline_opening_record
from tangguh.vendors.selectors import vendor_companies_of


def _local(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(
            "offline.time_invalid",
            "Waktu tidak dapat dibaca.",
            "The time cannot be read.",
            field=field,
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def _file_lines(text: str) -> list[MediaFileIn]:
    """``NIB | sampul | diserahkan oleh | waktu | SHA-256 | ukuran``, one file a line."""
    rows = []
    for number, line in enumerate(x for x in text.splitlines() if x.strip()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 6 or not parts[5].isdigit():
            raise InvalidInput(
                "offline.file_line_invalid",
                f"Baris {number + 1}: tulis NIB | sampul | diserahkan oleh | waktu | SHA-256 | "
                "ukuran.",
                f"Line {number + 1}: write NIB | envelope | handed over by | time | SHA-256 | "
                "size.",
                field="files",
            )
        rows.append(
            MediaFileIn(
                company_nib=parts[0],
                envelope=parts[1] or "offer",
                handed_over_by=parts[2],
                received_at=_local(parts[3], "files"),
                sha256=parts[4],
                size=int(parts[5]),
            )
        )
    return rows


def _act(request, tender, action: str) -> str:
    post, user = request.POST, request.user
    minute_id = int(post.get("minute") or 0)
    if action == "record":
        minute = media_minute_record(
            actor=user,
            tender=tender,
            place=post.get("place", ""),
            note=post.get("note", ""),
            files=_file_lines(post.get("files", "")),
        )
        return f"BA penerimaan luring {minute.number} dicatat. / Minute {minute.number} recorded."
    if action == "vendor_confirm":
        media_minute_vendor_confirm(
            actor=user, tender=tender, minute_id=minute_id, sha256=post.getlist("sha256")
        )
        return "Konfirmasi Anda dicatat. / Your confirmation is recorded."
    if action == "vendor_scan":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(
                "offline.file_required", "Pilih berkas PDF.", "Choose a PDF file.", field="file"
            )
        media_minute_vendor_scan(
            actor=user,
            tender=tender,
            minute_id=minute_id,
            company_nib=post.get("company_nib", ""),
            filename=upload.name,
            handle=upload,
        )
        return "Pindaian pernyataan penyedia dicatat. / The vendor's scanned statement is recorded."
    if action == "member_confirm":
        media_minute_member_confirm(
            actor=user,
            tender=tender,
            minute_id=minute_id,
            otp=post.get("otp", ""),
            digest=post.get("digest"),
        )
        return "Konfirmasi Anda dicatat. / Your confirmation is recorded."
    if action == "publish":
        media_minute_publish(actor=user, tender=tender, minute_id=minute_id)
        return "Berita acara diumumkan. / The minute is published."
    if action == "import":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(
                "offline.file_required", "Pilih berkas.", "Choose a file.", field="file"
            )
        result = offline_envelope_import(
            actor=user, tender=tender, stream=upload, content_length=upload.size
        )
        return (
            f"Berkas {result.envelope.sha256[:12]}… diimpor (luring). / "
            f"File {result.envelope.sha256[:12]}… imported (luring)."
        )
    if action == "opening":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(
                "offline.file_required", "Pilih berkas PDF.", "Choose a PDF file.", field="file"
            )
        envelopes = []
        for line in (x for x in post.get("envelopes", "").splitlines() if x.strip()):
            sha, _, price = line.partition("|")
            envelopes.append(OpenedIn(sha256=sha.strip(), total_price=price.strip()))
        offline_opening_record(
            actor=user,
            tender=tender,
            opened_at=_local(post.get("opened_at", ""), "opened_at"),
            place=post.get("place", ""),
            members=post.getlist("members"),
            envelopes=envelopes,
            filename=upload.name,
            handle=upload,
        )
        return "Pembukaan luring dicatat. / The offline opening is recorded."
    raise InvalidInput("offline.action_invalid", "Aksi tidak dikenal.", "Unknown action.")


def tender_page(request, code: str):
    try:
        tender = offline_tender(code)
    except NotFound as exc:
        raise Http404(code) from exc
    user = request.user if request.user.is_authenticated else None
    member = is_committee_member(user, tender)
    status = 200
    if request.method == "POST":
        if user is None:
            return redirect(f"/masuk/?next={request.path}")
        try:
            messages.success(request, _act(request, tender, request.POST.get("action", "")))
            return redirect("offline:tender", code=tender.code)
        except ServiceError as exc:
            messages.error(request, f"{exc.message(get_language())} ({exc.code})")
            if exc.status == 403:
                return render(request, "web/forbidden.html", status=403)
            status = exc.status
    summary = offline_summary(tender, include_drafts=member)
    vendor_drafts = []
    if user is not None and not member:
        mine = {c.pk: c for c in vendor_companies_of(user)}
        for minute in MediaMinute.objects.filter(
            tender=tender, published_at__isnull=True, files__company_id__in=list(mine)
        ).distinct():
            row = minute_row(minute)
            nibs = {c.nib for c in mine.values()}
            row["mine"] = [f for f in row["files"] if f["company_nib"] in nibs]
            vendor_drafts.append(row)
    members = []
    if member:
        members = users_with_role(Role.COMMITTEE_MEMBER, f"committee:{tender.committee_id}")
    return render(
        request,
        "offline/tender.html",
        {
            "tender": tender,
            "member": member,
            "summary": summary,
            "vendor_drafts": vendor_drafts,
            "members": members,
            "node_zone": settings.TIME_ZONE,
            "drafts": [m for m in summary["minutes"] if not m["published_at"]],
            "form": request.POST if request.method == "POST" else {},
        },
        status=status,
    )
