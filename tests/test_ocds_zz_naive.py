import os, subprocess, sys, time
import pytest
from django.db import connection
from tests.test_audit import _database_url
from tests.test_ocds_feed import _page, _next

NAIVE = """
import random, sys, time, django, hashlib
django.setup()
from datetime import UTC, datetime
from django.db import connection, transaction
from tangguh.opendata.models import Release, FeedHead
worker, count = int(sys.argv[1]), int(sys.argv[2])
random.seed(worker)
ocid = f"ocds-tgh001-2099{worker:05d}"
for n in range(1, count + 1):
    rid = f"{ocid}-tenderUpdate-{n}"
    body = '{"id":"%s"}' % rid
    with transaction.atomic():
        with connection.cursor() as c:
            c.execute("SELECT nextval('naive_position')")
            pos = c.fetchone()[0]
        time.sleep(random.uniform(0, 0.02))
        Release.objects.create(position=pos, ocid=ocid, release_id=rid, kind="tenderUpdate",
            date=datetime.now(UTC), body=body, sha256=hashlib.sha256(body.encode()).hexdigest())
        FeedHead.objects.filter(pk=1).update(position=max(pos, FeedHead.objects.get(pk=1).position))
        time.sleep(random.uniform(0, 0.02))
"""

@pytest.mark.django_db(transaction=True)
def test_naive():
    if connection.vendor != "postgresql":
        pytest.skip("pg only")
    with connection.cursor() as c:
        c.execute("CREATE SEQUENCE IF NOT EXISTS naive_position")
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "tangguh.settings"}
    procs = [subprocess.Popen([sys.executable, "-c", NAIVE, str(w), "30"], env=env, stderr=subprocess.PIPE) for w in range(4)]
    from tests.conftest import ApiClient
    api = ApiClient(); seen = []; cursor = ""; errors = 0
    while True:
        done = all(p.poll() is not None for p in procs)
        try:
            package = _page(api, cursor, limit=7)
        except AssertionError:
            errors += 1; time.sleep(0.01); continue
        seen.extend(r["id"] for r in package["releases"]); cursor = _next(package)
        if done and not package["releases"]:
            break
    for p in procs: print(p.communicate()[1].decode()[-500:])
    print("seen", len(seen), "unique", len(set(seen)), "cursor errors", errors)
    assert len(set(seen)) == 120
