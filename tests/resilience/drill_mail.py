"""The fault drill's mail: an SMTP sink (aiosmtpd) that counts Message-IDs, and the job queue's worker.

The app servers send mail through the outbox (``notifications``): a
moderation decision writes its e-mail in the same transaction, the Celery
worker delivers it after the commit and its beat sweeps the outbox every
``MAIL_RETRY_SECONDS`` for what failed. The drill points ``EMAIL_PORT`` at a
port where nothing listens, then starts this sink on that very port.
"""

from __future__ import annotations

import email
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from tests.resilience.conftest import BASE_DIR

OUTBOX = "SELECT message_uuid::text, status, attempts, last_error FROM notifications_outgoingemail ORDER BY id"


class SmtpSink:
    """An SMTP server on 127.0.0.1:``port`` keeping the Message-ID of every message it accepts."""

    def __init__(self, port: int):
        self.port = port
        self.message_ids: list[str] = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.message_ids.append(str(message["Message-ID"]))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def uuids(self) -> Counter:
        """How many times each outbox row (its ``message_uuid``, the Message-ID's left part) arrived."""
        with self._lock:
            return Counter(mid.strip("<>").partition("@")[0] for mid in self.message_ids)


def start_worker(env: dict, log_path: Path, timeout: float = 30) -> subprocess.Popen:
    """``celery -A config worker --beat --concurrency=1`` in its own process group, once it says it is ready."""
    log = open(log_path, "wb")  # noqa: SIM115 — the child keeps it; closed when this function returns
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--concurrency=1", "--loglevel=INFO"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the celery worker exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        if " ready." in log_path.read_text(errors="replace"):
            return proc
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the celery worker was not ready in {timeout} s:\n{log_path.read_text()[-3000:]}")
