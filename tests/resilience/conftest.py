"""Fixtures for dependencies that are down: a Redis on a closed port, and a Redis of our own to stop and start."""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

import config.cache

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens, connections are refused at once


def redis_caches(location: str, **options) -> dict:
    return {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "resilience-tests",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, **options},
        }
    }


def _forget_outages() -> None:
    config.cache._outages.clear()


@pytest.fixture
def redis_down():
    """The default cache is Redis on a port where nothing listens (settings and connections reset)."""
    _forget_outages()
    with override_settings(CACHES=redis_caches(CLOSED_PORT_URL), RATELIMIT_ENABLE=True):
        yield
    _forget_outages()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own on a free port of 127.0.0.1, saving to a temporary directory."""

    def __init__(self, directory):
        self.port = _free_port()
        self.directory = directory
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
            + ["--save", "", "--appendonly", "no", "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except Exception:  # noqa: BLE001 — not listening yet
                time.sleep(0.05)
        self.kill()
        pytest.fail("own redis-server did not start in 10 s")

    def stop(self) -> None:
        """Shut down after saving its data (as a restart with persistence does)."""
        import redis

        try:
            self.client().shutdown(save=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
        self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on the PATH")
    server = OwnRedis(tmp_path)
    server.start()
    _forget_outages()
    try:
        yield server
    finally:
        server.kill()
        _forget_outages()


# ---------------------------------------------------------------- a production app server

BASE_DIR = Path(__file__).resolve().parents[2]

# bench/load.py's HTTP client (standard library only), as tests/deploy uses it.
_spec = importlib.util.spec_from_file_location("bench_load_resilience", BASE_DIR / "bench" / "load.py")
_load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _load
_spec.loader.exec_module(_load)
Client = _load.Client


def production_env(tmp_path, port: int, **overrides) -> dict:
    """The environment of a gunicorn server on the production settings (DEBUG off), one worker."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "RATE_LIMIT"))}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "tests.deploy.server_settings",
        "DJANGO_READ_DOT_ENV": "0",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "CACHE_URL": "locmemcache://resilience",
        "STATIC_ROOT": str(tmp_path / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_ACCESS_LOG": "off",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def _manage(args: list[str], env: dict) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"manage.py {args}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"


class Gunicorn:
    """``gunicorn -c config/gunicorn.py config.wsgi`` with the demo data, in its own process group."""

    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path = env, log_path
        self.port = int(env["PORT"])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        _manage(["migrate", "--noinput"], self.env)
        _manage(["setup_demo"], {**self.env, "DEBUG": "true"})  # demo accounts only with DEBUG on
        _manage(["collectstatic", "--noinput"], self.env)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, self.log()[-3000:]
            try:
                if self.client(timeout=5).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz in 30 s"
            time.sleep(0.2)

    def client(self, **kw):
        return Client("127.0.0.1", self.port, **kw)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # the process group this server leads
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


# ---------------------------------------------------------------- the fault drill's table (tests/resilience/test_drill.py)

DRILL_ROWS = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    rows = config.stash.get(DRILL_ROWS, [])
    if rows:
        from tests.resilience.drill_load import format_table

        terminalreporter.section("fault drill")
        for line in format_table(rows):
            terminalreporter.write_line(line)
