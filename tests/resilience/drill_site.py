"""The fault drill's production set-up: a throwaway PostgreSQL database, a Redis and a gunicorn of its own.

Everything listens on 127.0.0.1 only. The PostgreSQL server is the machine's
(``TEST_POSTGRES_URL``, else ``DATABASE_URL`` when it is PostgreSQL, else
postgres://postgres@127.0.0.1:5432); the drill connects to it only to create
``drill_<random>``, which it dropped at the end, and its faults
(``pg_terminate_backend``, ``ALLOW_CONNECTIONS false``) touch that database
alone. Redis is a redis-server of the drill's own on a free port (the
machine's Redis is not touched); gunicorn runs ``config/gunicorn.py`` with the
production settings (DEBUG off) and three workers.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

from tests.resilience.conftest import (
    BASE_DIR,
    Client,
    OwnRedis,
    _free_port,
    _manage,
    production_env,
)
from tests.resilience.drill_load import ARTICLE, REQUEST_TIMEOUT, Outcome, paragraph_keys

# bench/server.py's Server: gunicorn in its own process group, its workers (children of the master), its log.
# (tests/resilience/conftest.py has put bench/ on sys.path, where that module finds its siblings.)
_spec = importlib.util.spec_from_file_location("bench_server_drill", BASE_DIR / "bench" / "server.py")
_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _server
_spec.loader.exec_module(_server)
Server = _server.Server

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WORKERS = 3
WRITERS = 3
PASSWORD = "drill-password-not-secret"
MODERATOR = ("moderator", "moderator-demo-pass")  # the demo moderator (setup_demo)

SEED_WRITERS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from accounts.roles import ANNOTATORS, TRUSTED_ANNOTATORS
groups = list(Group.objects.filter(name__in=[ANNOTATORS, TRUSTED_ANNOTATORS]))
assert len(groups) == 2, groups
for i in range({count}):
    user = get_user_model().objects.create_user(f"drill-writer-{{i}}", f"writer{{i}}@drill.invalid", "{password}")
    user.groups.add(*groups)
"""


class Unavailable(Exception):
    """PostgreSQL or redis-server is not there to drill against."""


def postgres_server_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "")
    if not url and os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        url = os.environ["DATABASE_URL"]
    url = url or "postgres://postgres@127.0.0.1:5432/postgres"
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        raise Unavailable(f"the drill cuts PostgreSQL connections, so only on this machine (not {host})")
    return url


class DrillSite:
    """Start with ``start()``; ``close()`` always stops gunicorn and Redis and drops the database."""

    def __init__(self, tmp: Path):
        import psycopg

        self.tmp = tmp
        server = urllib.parse.urlsplit(postgres_server_url())
        maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres", query=""))
        try:
            self.admin = psycopg.connect(maintenance, autocommit=True, connect_timeout=3)
        except psycopg.Error as exc:
            raise Unavailable(f"PostgreSQL at {server.hostname}:{server.port or 5432} is unreachable: {exc}") from exc
        self.name = f"drill_{secrets.token_hex(5)}"
        self.database_url = urllib.parse.urlunsplit(server._replace(path=f"/{self.name}", query=""))
        self.redis = OwnRedis(tmp)
        self.mail_port = _free_port()  # nothing listens there until the mail drill starts its sink
        self.server: Server | None = None
        # other processes of the drill's own (the mail worker), stopped in close()
        self.extra: list[subprocess.Popen] = []
        self.extra_cleanup: list = []  # and callables (the SMTP sink's stop)
        self.writers: list[Client] = []
        self.keys: list[str] = []
        self.witness_key = ""
        self.env: dict = {}

    # ------------------------------------------------------------------ set-up and teardown

    def start(self) -> None:
        self.admin.execute(f'CREATE DATABASE "{self.name}"')
        self.redis.start()
        port = _free_port()
        self.env = production_env(
            self.tmp,
            port,
            DATABASE_URL=self.database_url,
            CACHE_URL=self.redis.url,
            CACHE_KEY_PREFIX=f"drill-{secrets.token_hex(4)}",
            WEB_CONCURRENCY=str(WORKERS),
            GUNICORN_ACCESS_LOG="off",
            GUNICORN_TIMEOUT="20",
            GUNICORN_GRACEFUL_TIMEOUT="5",
            # the writers share one address: the per-IP annotate limit would stop the load, not a fault
            RATE_LIMIT_ANNOTATE_IP="100000/h",
            # mail through the outbox and the job queue (a broker database on the drill's Redis), to an SMTP
            # port where nothing listens; failed e-mails are retried after 1 s, doubling, swept every second
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.mail_port),
            EMAIL_TIMEOUT="2",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis.port}/1",
            MAIL_RETRY_SECONDS="1",
            MAIL_RETRY_BASE_SECONDS="1",
            MAIL_MAX_ATTEMPTS="50",  # the demo's e-mails, queued at set-up, are retried from the worker's start
        )
        _manage(["migrate", "--noinput"], self.env)
        _manage(["setup_demo"], {**self.env, "DEBUG": "true"})  # the article and the demo accounts
        _manage(["collectstatic", "--noinput"], self.env)
        _manage(["shell", "-c", SEED_WRITERS.format(count=WRITERS, password=PASSWORD)], self.env)
        self.server = Server(self.env, port, self.tmp / "gunicorn.log")
        self.server.start(timeout=60)
        page = self.client().get(ARTICLE)
        assert page.status == 200, page.status
        self.keys = paragraph_keys(page.body.decode())[:6]
        assert self.keys, "no paragraph keys on the article page"
        # The witness write (a change every later read must show) goes to a paragraph nobody else annotates:
        # the article page shows a few cards per paragraph (the rest on the paragraph's own page), so a
        # paragraph the load keeps writing to would hide it for a reason that has nothing to do with caching.
        bare = [k for k in paragraph_keys(page.body.decode(), annotated=False) if k not in self.keys]
        assert bare, "no unannotated paragraph on the article page"
        self.witness_key = bare[-1]
        for i in range(WRITERS):
            writer = self.client()
            writer.login("/accounts/login/", f"drill-writer-{i}", PASSWORD, next_url=ARTICLE)
            self.writers.append(writer)

    def close(self) -> None:
        try:
            for stop in self.extra_cleanup:
                stop()
            for proc in self.extra:
                stop_process(proc)
            if self.server is not None:
                self.server.stop()
            self.redis.kill()
        finally:
            exists = self.admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            if exists:
                self.allow_connections(True)  # a drill that failed mid-outage leaves it refusing
                self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.close()

    # ------------------------------------------------------------------ the app

    @property
    def port(self) -> int:
        return self.server.port

    def client(self) -> Client:
        return Client("127.0.0.1", self.server.port, timeout=REQUEST_TIMEOUT)

    def log(self) -> str:
        return self.server.log_path.read_text(errors="replace")

    def workers(self) -> list[int]:
        return self.server.worker_pids()

    def wait_for_workers(self, without: int, timeout: float = 15) -> float:
        """Seconds until the master runs WORKERS workers again, none of them ``without``; AssertionError after timeout."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            pids = self.workers()
            if len(pids) == WORKERS and without not in pids:
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(f"gunicorn runs {self.workers()} after killing {without}, not {WORKERS} workers")

    def start_mail_worker(self) -> None:
        from tests.resilience.drill_mail import start_worker

        self.extra.append(start_worker(self.env, self.worker_log_path))

    @property
    def worker_log_path(self) -> Path:
        return self.tmp / "celery.log"

    # ------------------------------------------------------------------ the database

    def terminate_backends(self) -> int:
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name],
        ).fetchall()
        return sum(1 for (done,) in rows if done)

    def allow_connections(self, allowed: bool) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS {"true" if allowed else "false"}')

    def query(self, sql: str, params=None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as db:
            return db.execute(sql, params).fetchall()

    def check_writes(self, outcomes: list[Outcome]) -> tuple[int, list[str]]:
        """Every write's rows: (writes checked, problems).

        A write answered with its redirect must be in the database exactly once
        with all of its rows (the annotation, its evidence, its two tags, its
        "create" moderation log row); a write answered with an error status
        must have left nothing; a write whose connection broke (no answer) may
        have committed or not, but entirely.
        """
        found = defaultdict(list)
        for body, evidence, logs, tags in self.query(
            """
            SELECT a.body,
                   (SELECT count(*) FROM annotations_evidence e WHERE e.annotation_id = a.id),
                   (SELECT count(*) FROM annotations_moderationlog l WHERE l.annotation_id = a.id AND l.action = 'create'),
                   (SELECT count(*) FROM annotations_taggedannotation t WHERE t.content_object_id = a.id)
            FROM annotations_annotation a WHERE a.body LIKE 'Drill %'
            """
        ):
            found[body].append((evidence, logs, tags))
        writes = [o for o in outcomes if o.kind == "write"]
        problems = []
        for write in writes:
            rows = found.get(write.token, [])
            complete = rows == [(write.evidence, 1, 2)]
            if write.ok and not complete:
                problems.append(f"{write.token!r} answered {write.status} but its rows are {rows or 'missing'}")
            elif isinstance(write.status, int) and not write.ok and rows:
                problems.append(f"{write.token!r} answered {write.status} but left rows {rows}")
            elif isinstance(write.status, str) and rows and not complete:
                problems.append(f"{write.token!r} broke off ({write.status}) and left partial rows {rows}")
        return len(writes), problems


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM the process group ``proc`` leads, SIGKILL after ``timeout`` seconds."""
    import signal

    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def check_approvals(site: DrillSite, outcomes: list[Outcome]) -> tuple[int, list[str]]:
    """Every approval answered with its redirect: the annotation approved, one "approve" log row, and (its
    author having an address) one outbox row for that decision; an approval answered otherwise left none."""
    approvals = [o for o in outcomes if o.kind == "moderate"]
    rows = {
        str(pk): (status, logs, emails)
        for pk, status, logs, emails in site.query(
            """
            SELECT a.id, a.status,
                   (SELECT count(*) FROM annotations_moderationlog l WHERE l.annotation_id = a.id AND l.action = 'approve'),
                   (SELECT count(*) FROM notifications_outgoingemail o JOIN annotations_moderationlog l
                      ON o.key = 'moderation-log:' || l.id
                    WHERE l.annotation_id = a.id AND l.action = 'approve')
            FROM annotations_annotation a WHERE a.id = ANY(%s)
            """,
            [[int(o.token) for o in approvals]],
        )
    }
    problems = []
    for approval in approvals:
        found = rows.get(approval.token)
        if approval.ok and found != ("approved", 1, 1):
            problems.append(f"approval of #{approval.token} answered {approval.status}, rows: {found}")
        elif not approval.ok and found and found[1:] != (0, 0):
            problems.append(f"approval of #{approval.token} answered {approval.status} but left rows {found}")
    return len(approvals), problems
