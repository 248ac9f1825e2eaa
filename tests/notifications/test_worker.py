"""A real Celery worker on a Redis of the test's own delivers the outbox through a mail server that is
down, then back: every e-mail arrives, exactly once, with the Message-ID it was queued with.

Everything runs in processes of its own (a SQLite file database, redis-server on a free port, the worker,
``manage.py shell`` queueing the e-mails as a web request would) and an SMTP server (aiosmtpd) in this
process, started only once the first attempts have failed on its closed port.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.resilience.conftest import OwnRedis, _free_port

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUE = """
from django.db import transaction
from notifications.services import queue_email
for n in range(3):
    with transaction.atomic():
        queue_email(to=f"author{n}@example.org", subject=f"Decision {n}", body="Your note was approved.", kind="moderation")
"""


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: CI installs and starts Redis")
        pytest.skip("needs redis-server on the PATH")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_a_worker_delivers_through_a_mail_outage_exactly_once(tmp_path, redis_server):
    database = tmp_path / "outbox.sqlite3"
    smtp_port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "EMAIL_", "MAIL_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_READ_DOT_ENV": "0",
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_BROKER_URL": redis_server.url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "2",
        "MAIL_RETRY_SECONDS": "0.5",
        "MAIL_RETRY_BASE_SECONDS": "1",
        "PYTHONPATH": str(BASE_DIR),
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=BASE_DIR, check=True, timeout=120)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 — closed in finally
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--concurrency=1", "--loglevel=INFO"],
        env=env,
        cwd=BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    controller = None
    try:

        def rows():
            with sqlite3.connect(database) as db:
                return db.execute(
                    "SELECT status, attempts, last_error FROM notifications_outgoingemail ORDER BY id"
                ).fetchall()

        # queued as a web request would: written with their cause, handed to the queue after the commit
        subprocess.run([*manage, "shell", "-c", QUEUE], env=env, cwd=BASE_DIR, check=True, timeout=60)
        failed = wait_for(
            lambda: (r := rows()) and all(s == "pending" and a >= 1 for s, a, _ in r) and len(r) == 3 and r,
            60,
            "the worker's first attempts to fail on the closed port",
        )
        assert all("Connection refused" in error or "ConnectionRefused" in error for *_, error in failed), failed

        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        sent = wait_for(lambda: (r := rows()) and all(s == "sent" for s, *_ in r) and r, 60, "the sweep to deliver")
        assert len(sent) == 3
        time.sleep(2)  # several more sweeps: nothing is sent again
        subjects = sorted(line for m in sink.messages for line in m.splitlines() if line.startswith("Subject:"))
        assert subjects == ["Subject: Decision 0", "Subject: Decision 1", "Subject: Decision 2"]
        ids = [line for m in sink.messages for line in m.splitlines() if line.lower().startswith("message-id:")]
        assert len(ids) == len(set(ids)) == 3
    finally:
        if controller is not None:
            controller.stop()
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)
        log.close()
    assert "Traceback" not in (tmp_path / "worker.log").read_text()
