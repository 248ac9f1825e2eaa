"""A production app server (gunicorn, DEBUG off) keeps serving while its Redis is stopped, and recovers.

Bounded and local: a SQLite file in a temporary directory, a redis-server of
the test's own on a free port of 127.0.0.1 (the machine's Redis is not
touched), one gunicorn worker (so "one warning" is countable in its log).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.resilience.conftest import _free_port

BASE_DIR = Path(__file__).resolve().parents[2]
ARTICLE = "/articles/altman-reflections/"

_spec = importlib.util.spec_from_file_location("bench_load_resilience", BASE_DIR / "bench" / "load.py")
_load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _load
_spec.loader.exec_module(_load)
Client = _load.Client


def _run(args, env):
    done = subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.fixture
def server(own_redis, tmp_path):
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "RATE_LIMIT"))}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "tests.deploy.server_settings",
        "DJANGO_READ_DOT_ENV": "0",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "CACHE_URL": own_redis.url,
        "STATIC_ROOT": str(tmp_path / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_ACCESS_LOG": "off",
        "LOG_LEVEL": "WARNING",
    }
    _run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    _run([sys.executable, "manage.py", "setup_demo"], {**env, "DEBUG": "true"})
    _run([sys.executable, "manage.py", "collectstatic", "--noinput"], env)
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                if Client("127.0.0.1", port, timeout=5).get("/healthz").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz in 30 s"
            time.sleep(0.2)
        yield port, log_path
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def _readyz(port) -> tuple[int, dict]:
    response = Client("127.0.0.1", port).get("/readyz")
    return response.status, json.loads(response.body)


def test_redis_stopped_and_started_under_gunicorn(server, own_redis):
    port, log_path = server
    reader = Client("127.0.0.1", port)
    assert reader.get(ARTICLE).status == 200
    assert _readyz(port) == (
        200,
        {
            "status": "ok",
            "checks": {"database": {"status": "ok"}, "cache": {"status": "ok", "backend": "ResilientRedisCache"}},
        },
    )

    own_redis.stop()
    started = time.monotonic()
    statuses = [
        Client("127.0.0.1", port).get(path).status
        for _ in range(10)
        for path in (ARTICLE, "/", "/articles/altman-reflections/annotations/")
    ]
    assert set(statuses) == {200}, statuses
    status, body = _readyz(port)
    assert (status, body["status"], body["checks"]["cache"]["status"]) == (200, "degraded", "degraded")
    visitor = Client("127.0.0.1", port)
    assert visitor.get("/accounts/login/").status == 200
    refused = visitor.post("/accounts/login/", {"username": "alice", "password": "alice-demo-pass"})
    assert refused.status == 503 and b"try again in a minute" in refused.body
    outage_seconds = time.monotonic() - started
    log = log_path.read_text(errors="replace")
    assert log.count("cache unreachable") == 1, log[-3000:]  # 32 requests within one warning interval
    assert "Traceback" not in log and "Internal Server Error" not in log

    own_redis.start()
    # /readyz asks Redis directly (never skipped), and its answer ends the recorded outage at once
    assert _readyz(port)[1]["status"] == "ok"
    assert reader.get(ARTICLE).status == 200
    assert visitor.post("/accounts/login/", {"username": "alice", "password": "alice-demo-pass"}).status == 302
    assert "cache reachable again" in log_path.read_text(errors="replace")
    assert outage_seconds < 10  # 32 requests with Redis down took seconds, not connect timeouts each
