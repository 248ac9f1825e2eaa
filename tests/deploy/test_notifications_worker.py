"""A reply's notice on the production set-up: two app servers, one PostgreSQL, Redis, and a real Celery worker.

Two gunicorn servers (production settings) share a throwaway PostgreSQL database and Redis (the cache on
``TEST_REDIS_DB``, the job queue's broker on ``TEST_BROKER_REDIS_DB``, 12 unless told, whose keys are deleted
at the end); one ``celery -A config worker --beat`` process delivers the outbox to a file-based mail backend
(a file per message). The beat's outbox sweep runs every second, so it races the delivery task the web request
queued after its commit: the notice must still arrive exactly once.

Runs when the two-server deploy tests run (``DATABASE_URL`` on PostgreSQL, or ``TEST_POSTGRES_URL``; see
conftest.py), and is skipped (failed under ``CI=true``) otherwise.
"""

from __future__ import annotations

import email
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.deploy.conftest import (
    BASE_DIR,
    AppServer,
    _free_port,
    _run,
    _targets,
    _unavailable,
    log_tail,
    stop_group,
)

BROKER_DB = int(os.environ.get("TEST_BROKER_REDIS_DB", "12"))
ARTICLE = "/articles/altman-reflections/"
ANNOTATE = "/articles/altman-reflections/p/{key}/annotate/"


def wait_for(predicate, timeout: float, what: str, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{log() if log else ''}")


class Worker:
    def __init__(self, env: dict, log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        stop_group(self.proc, 20)
        self._log.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    postgres, cache_url = _targets()
    import psycopg
    import redis

    server = urllib.parse.urlsplit(postgres)
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres", query=""))
    try:
        admin = psycopg.connect(maintenance, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL at {server.hostname}:{server.port or 5432} is unreachable: {exc}")
    broker_url = urllib.parse.urlunsplit(urllib.parse.urlsplit(cache_url)._replace(path=f"/{BROKER_DB}"))
    try:
        broker = redis.Redis.from_url(broker_url, socket_timeout=3, socket_connect_timeout=3)
        broker.ping()
    except redis.RedisError as exc:
        admin.close()
        _unavailable(f"Redis at {broker_url} is unreachable: {exc}")
    if broker.dbsize():
        admin.close()
        pytest.fail(f"the broker's Redis database {broker_url} is not empty: set TEST_BROKER_REDIS_DB to a free one")

    name = f"notices_{secrets.token_hex(5)}"
    database_url = urllib.parse.urlunsplit(server._replace(path=f"/{name}", query=""))
    key_prefix = f"notices-{secrets.token_hex(5)}"
    tmp = tmp_path_factory.mktemp("notices")
    mail_dir = tmp / "mail"
    mail_dir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "RATE_LIMIT", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "tests.deploy.server_settings",
        "DJANGO_READ_DOT_ENV": "0",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "CACHE_KEY_PREFIX": key_prefix,
        "STATIC_ROOT": str(tmp / "static"),
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "MAIL_RETRY_SECONDS": "1",  # the beat's sweep, racing the task queued after the commit
        "ANNOTATIONS_NOTES_POST_MODERATION": "false",  # bob's reply waits for the moderator
        "RATELIMIT_ENABLE": "false",
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "LOG_LEVEL": "WARNING",
    }
    servers: list[AppServer] = []
    worker = None
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _run([sys.executable, "manage.py", "migrate", "--noinput"], env, "migrate")
        _run([sys.executable, "manage.py", "setup_demo"], {**env, "DEBUG": "true"}, "setup_demo (DEBUG=true)")
        _run([sys.executable, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        for label in ("A", "B"):
            port = _free_port()
            servers.append(
                AppServer(
                    label, port, {**env, "PORT": str(port), "SITE_URL": "http://127.0.0.1:8000"}, tmp / f"{label}.log"
                )
            )
        for s in servers:
            s.start()
        worker = Worker({**env, "SITE_URL": "http://127.0.0.1:8000"}, tmp / "worker.log")
        for s in servers:
            s.wait_ready()
        from articles.demo import DEMO_ACCOUNTS

        yield {
            "a": servers[0],
            "b": servers[1],
            "worker": worker,
            "mail_dir": mail_dir,
            "db": lambda: psycopg.connect(database_url, autocommit=True, connect_timeout=5),
            "passwords": {user: password for user, (password, _role) in DEMO_ACCOUNTS.items()},
        }
    finally:
        if worker is not None:
            worker.stop()
        for s in servers:
            s.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        try:
            broker.flushdb()  # the broker's own database: its queues, unacked messages and the beat's nothing else
            cache = redis.Redis.from_url(cache_url, socket_timeout=3)
            keys = list(cache.scan_iter(match=f"{key_prefix}:*", count=500))
            for start in range(0, len(keys), 500):
                cache.delete(*keys[start : start + 500])
            cache.close()
        finally:
            broker.close()


def login(server, username, password, path="/accounts/login/"):
    client = server.client()
    client.login(path, username, password)
    return client


def messages_in(mail_dir: Path) -> list[email.message.Message]:
    """Every message the file backend wrote (one file per connection; messages separated by a line of dashes)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if chunk.strip():
                found.append(email.message_from_string(chunk.strip("\n")))
    return found


def test_a_reply_on_one_server_shows_on_the_other_and_its_notice_is_sent_once_by_the_worker(site):
    token = secrets.token_hex(6)
    a, b = site["a"], site["b"]
    with site["db"]() as conn:
        parent = conn.execute(
            "SELECT a.id FROM annotations_annotation a JOIN auth_user u ON u.id = a.author_id "
            "WHERE u.username = 'alice' AND a.status = 'approved' AND a.visibility = 'public' AND a.parent_id IS NULL "
            "ORDER BY a.id LIMIT 1"
        ).fetchone()
    assert parent is not None, "the demo has no published annotation by alice to reply to"
    parent_id = parent[0]

    bob = login(a, "bob", site["passwords"]["bob"])
    made = bob.post(f"/annotations/{parent_id}/reply/", {"body": f"Which source says so? {token}", "tags": ""})
    assert made.status == 302, made.body.decode()[:2000]
    with site["db"]() as conn:
        reply_id, status = conn.execute(
            "SELECT id, status FROM annotations_annotation WHERE parent_id = %s AND body LIKE %s",
            [parent_id, f"%{token}"],
        ).fetchone()
    assert status == "pending"

    moderator = login(b, "moderator", site["passwords"]["moderator"], path="/admin/login/")
    decided = moderator.post(
        "/admin/annotations/annotation/decide/",
        {
            "annotation": str(reply_id),
            "decision": "approve",
            "expected_status": "pending",
            "reason": "",
            "next": "/admin/",
        },
    )
    assert decided.status == 302, decided.body.decode()[:2000]

    # written through A, approved through B: both serve it
    for server in (a, b):
        page = server.client().get(ARTICLE)
        assert page.status == 200 and token in page.body.decode(), f"server {server.name} does not show the reply"

    def alices():
        return [
            m for m in messages_in(site["mail_dir"]) if m["To"] == "alice@example.com" and "replied" in m["Subject"]
        ]

    [notice] = wait_for(alices, 30, "the reply's notice to alice", log=site["worker"].log_tail)
    body = notice.get_payload(decode=True).decode()
    assert f"http://127.0.0.1:8000/articles/altman-reflections/#a-{reply_id}" in body
    assert token in body
    unsubscribe = "".join(notice["List-Unsubscribe"].split())  # the file keeps the long header folded
    assert unsubscribe.startswith("<http://127.0.0.1:8000/notifications/unsubscribe/")
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # several sweeps later: still exactly one, sent by the worker on its first attempt
    time.sleep(4)
    assert len(alices()) == 1
    with site["db"]() as conn:
        rows = conn.execute(
            "SELECT status, attempts FROM notifications_outgoingemail WHERE key = %s", [f"reply:{reply_id}"]
        ).fetchall()
    assert rows == [("sent", 1)]
    assert "notifications.deliver_email" in site["worker"].log_tail(400)

    # the unsubscribe link works against either server, without a session
    target = urllib.parse.urlsplit(unsubscribe.strip("<>")).path
    done = b.client().request("POST", target, data={"List-Unsubscribe": "One-Click"})
    assert done.status == 200
    with site["db"]() as conn:
        choice = conn.execute(
            "SELECT p.delivery FROM notifications_notificationpreference p JOIN auth_user u ON u.id = p.user_id "
            "WHERE u.username = 'alice' AND p.kind = 'reply'"
        ).fetchone()
    assert choice == ("off",)
