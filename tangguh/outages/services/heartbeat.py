"""The heartbeat: the running node records that it is alive; a silence longer than the
threshold becomes a detected outage (start = the last beat, end = now), recorded once.

A beat is one short write transaction on one row (no audit event: a beat a minute would bury
the chain; the outage it may reveal is audited). ``tangguh serve`` beats once before it serves
(so a restart after a long stop extends deadlines before anyone can act on the old ones) and
then every minute from a sibling process; ``tangguh heartbeat`` beats once, for cron.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass

from django.db import IntegrityError, close_old_connections, connection, transaction

from tangguh import clock
from tangguh.outages.models import Heartbeat, Outage, OutageSource
from tangguh.outages.selectors import gap_threshold
from tangguh.outages.services.outages import ApplyReport, outage_record, outages_apply_pending

logger = logging.getLogger(__name__)

DETECTED_REASON = (
    "Node tidak berdenyut (tidak berjalan atau tidak dapat menulis ke basis data). / "
    "No heartbeat from the node (not running, or unable to write to its database)."
)


@dataclass
class BeatResult:
    outage: Outage | None
    report: ApplyReport


def _locked_heartbeat() -> Heartbeat | None:
    query = Heartbeat.objects
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return query.filter(pk=1).first()


def heartbeat_beat(*, startup: bool = False) -> BeatResult:
    """Record one beat; a gap above the threshold since the last one becomes an outage, whose
    extensions are then applied (with any outage still pending)."""
    now = clock.now()
    outage = None
    try:
        with transaction.atomic():
            beat = _locked_heartbeat()
            if beat is None:
                Heartbeat.objects.create(
                    pk=1, beat_at=now, started_at=now, host=socket.gethostname(), pid=os.getpid()
                )
            else:
                if now - beat.beat_at > gap_threshold():
                    outage = outage_record(
                        source=OutageSource.DETECTED,
                        start=beat.beat_at,
                        end=now,
                        reason=DETECTED_REASON,
                    )
                # Times never go back: a clock stepped backwards must not hide the next gap.
                beat.beat_at = max(beat.beat_at, now)
                beat.host, beat.pid = socket.gethostname(), os.getpid()
                if startup:
                    beat.started_at = now
                beat.save()
    except IntegrityError:
        # Two beaters saw the same gap at once (PostgreSQL; SQLite serialises at BEGIN): the
        # other one recorded it.
        outage = None
    return BeatResult(outage, outages_apply_pending())


def heartbeat_loop(*, interval: int, parent_pid: int | None = None, beats: int | None = None):
    """Beat every ``interval`` seconds until the parent process is gone (``tangguh serve``
    starts this as a sibling of granian, so it never runs once per worker and stops with the
    server: a beat from an orphan would hide the very outage it exists to see)."""
    done = 0
    while True:
        close_old_connections()
        try:
            heartbeat_beat()
        except Exception:  # a failed beat is the signal, not a reason to stop beating
            logger.exception("heartbeat failed")
        done += 1
        if beats is not None and done >= beats:
            return
        deadline = time.monotonic() + interval
        while time.monotonic() < deadline:
            if parent_pid is not None and os.getppid() != parent_pid:
                return
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
