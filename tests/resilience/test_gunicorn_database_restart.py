"""PostgreSQL cutting and refusing the app's connections, under production gunicorn workers.

Runs when ``TEST_POSTGRES_URL`` is set or ``DATABASE_URL`` is a postgres://
URL (as tests/deploy). It connects to that server only to create a throwaway
``resilience_<random>`` database, which the app servers use and which is
dropped at the end; the faults touch that database alone:

- ``pg_terminate_backend`` on every connection to it (a restart, a failover,
  an administrator's kill): persistent, health-checked connections
  (``CONN_HEALTH_CHECKS``) reconnect before the next request's first query;
- ``ALLOW_CONNECTIONS false`` plus the same kill (the database down): pages
  answer the clean 503 page (config/database_errors.py), ``/readyz`` and
  ``/healthz`` 503; a write attempted then leaves no row; allowed again, the
  same sessions go on without restarting the app.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import urllib.parse

import pytest

from tests.helpers import annotate_payload
from tests.resilience.conftest import Gunicorn, _free_port, production_env

ARTICLE = "/articles/altman-reflections/"
ANNOTATE = "/articles/altman-reflections/p/{key}/annotate/"


def _postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "")
    if not url and os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        url = os.environ["DATABASE_URL"]
    if not url:
        pytest.skip("needs PostgreSQL: runs when DATABASE_URL is a postgres:// URL or TEST_POSTGRES_URL is set")
    return url


@pytest.fixture
def site(tmp_path):
    import psycopg

    server = urllib.parse.urlsplit(_postgres_url())
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres", query=""))
    try:
        admin = psycopg.connect(maintenance, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {server.hostname}:{server.port or 5432} is unreachable: {exc}")
    name = f"resilience_{secrets.token_hex(5)}"
    database_url = urllib.parse.urlunsplit(server._replace(path=f"/{name}", query=""))
    admin.execute(f'CREATE DATABASE "{name}"')
    # two workers, each with its persistent connection
    env = production_env(tmp_path, _free_port(), DATABASE_URL=database_url, WEB_CONCURRENCY="2")
    gunicorn = Gunicorn(env, tmp_path / "gunicorn.log")
    try:
        gunicorn.start()
        yield gunicorn, admin, name
    finally:
        gunicorn.stop()
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _terminate(admin, name) -> int:
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    ).fetchall()
    return sum(1 for (done,) in rows if done)


def _rows(admin, name, body: str) -> int:
    import psycopg

    with psycopg.connect(admin.info.dsn.replace("dbname=postgres", f"dbname={name}"), autocommit=True) as db:
        return db.execute("SELECT count(*) FROM annotations_annotation WHERE body = %s", [body]).fetchone()[0]


def test_connections_cut_and_refused_then_back(site):
    gunicorn, admin, name = site
    alice = gunicorn.client()
    alice.login("/accounts/login/", "alice", "alice-demo-pass")
    anonymous = gunicorn.client()
    page = alice.get(ARTICLE)
    assert page.status == 200
    key = re.findall(r'class="block block-paragraph[^"]*" id="p-([a-z0-9-]+)"', page.body.decode())[1]
    for _ in range(6):  # both workers hold a persistent connection by now
        assert anonymous.get(ARTICLE).status == 200 and alice.get("/accounts/annotations/").status == 200

    # 1. Every connection of the app cut between requests: the next requests reconnect, none fails.
    assert _terminate(admin, name) >= 1
    statuses = [
        c.get(p).status for _ in range(10) for c, p in ((anonymous, ARTICLE), (alice, "/accounts/annotations/"))
    ]
    assert statuses == [200] * 20

    # 2. The database refusing connections: clean 503s, /readyz says so (/healthz, liveness, does not:
    # restarting the workers would not help), a write leaves nothing.
    admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    _terminate(admin, name)
    # a reader without a session still gets the article page the workers cached (no query is needed)...
    assert anonymous.get(ARTICLE).status == 200
    # ...anything that needs the database gets the clean 503: an address not cached, a signed-in reader's page
    down = anonymous.get(ARTICLE + "?view=fact-checks")
    assert down.status == 503 and b"could not reach its database" in down.body
    assert down.header("Retry-After") == "30"
    assert alice.get(ARTICLE).status == 503
    assert alice.get("/accounts/annotations/").status == 503
    assert gunicorn.client().get("/readyz").status == 503
    assert gunicorn.client().get("/healthz").status == 200
    lost = f"Written while the database was down {secrets.token_hex(4)}."
    assert alice.post(ANNOTATE.format(key=key), annotate_payload(body=lost)).status == 503

    # 3. Allowed again: the same workers and sessions go on within a few seconds.
    admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    back = time.monotonic()
    assert gunicorn.client().get("/readyz").status == 200
    recovery = time.monotonic() - back
    assert recovery < 5
    assert anonymous.get(ARTICLE).status == 200
    mine = alice.get("/accounts/annotations/")
    assert mine.status == 200  # still logged in: the session survived in the database
    kept = f"Written after the database came back {secrets.token_hex(4)}."
    created = alice.post(ANNOTATE.format(key=key), annotate_payload(body=kept, **{"evidence-TOTAL_FORMS": "0"}))
    assert created.status == 302
    assert (_rows(admin, name, lost), _rows(admin, name, kept)) == (0, 1)

    log = gunicorn.log()
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-3000:]
    assert "database unavailable for GET /articles/altman-reflections/" in log
