"""The audit log: one hash chain, append-only in the database, verified end to end."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from tangguh.audit.models import AuditEvent, AuditHead
from tangguh.audit.selectors import audit_verify
from tangguh.audit.services import audit_append


def _append(n: int, start: int = 0) -> list[AuditEvent]:
    return [
        audit_append(
            actor="test",
            action="test.event",
            object_type="thing",
            object_id=i,
            payload={"i": i, "note": "Rp1.234.568 — uji"},
        )
        for i in range(start, start + n)
    ]


def _disable_guard():
    """What an attacker with database access would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")


@pytest.mark.django_db
def test_appended_events_form_one_valid_chain(clock):
    before = audit_verify().count
    events = _append(5)
    assert [e.seq for e in events] == list(range(before + 1, before + 6))
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash
    report = audit_verify()
    assert report.ok
    assert report.count == before + 5
    assert report.head_hash == events[-1].hash == AuditHead.objects.get(pk=1).hash


@pytest.mark.django_db
def test_event_times_never_decrease_even_when_the_clock_steps_back(clock):
    first = _append(1)[0]
    clock.move(timedelta(hours=-2))
    second = _append(1)[0]
    assert second.at == first.at
    assert audit_verify().ok


@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_an_event(clock):
    event = _append(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == "test.event"


@pytest.mark.django_db
def test_verify_names_the_first_altered_event(clock):
    events = _append(6)
    _disable_guard()
    target = events[3]
    AuditEvent.objects.filter(pk=target.pk).update(payload={"i": 999})
    report = audit_verify()
    assert not report.ok
    assert report.problem.seq == target.seq
    assert "altered" in report.problem.reason


@pytest.mark.django_db
def test_verify_names_a_gap_when_an_event_is_removed(clock):
    events = _append(4)
    _disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    report = audit_verify()
    assert not report.ok
    assert report.problem.seq == events[2].seq
    assert "gap" in report.problem.reason


@pytest.mark.django_db
def test_verify_notices_events_cut_from_the_end(clock):
    events = _append(3)
    _disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [events[-1].seq])
    report = audit_verify()
    assert not report.ok
    assert report.problem.seq == events[-1].seq


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT']}/{s['NAME']}"
    )


WRITER = """
import os, sys, django
django.setup()
from tangguh.audit.services import audit_append
worker, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    audit_append(actor=f"worker-{worker}", action="test.concurrent", object_type="worker",
                 object_id=worker, payload={"i": i})
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_in_several_processes_never_fork_the_chain():
    before = audit_verify().count
    workers, per_worker = 4, 25
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "tangguh.settings",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(w), str(per_worker)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for w in range(workers)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]
    report = audit_verify()
    assert report.ok, report.problem
    assert report.count == before + workers * per_worker
    concurrent = AuditEvent.objects.filter(action="test.concurrent")
    assert concurrent.count() == workers * per_worker
    assert {e.object_id for e in concurrent} == {str(w) for w in range(workers)}
    # Events from different processes interleave: they really ran at the same time.
    order = [e.object_id for e in concurrent.order_by("seq")]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches >= workers - 1
