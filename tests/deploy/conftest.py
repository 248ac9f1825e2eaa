"""Two production app servers sharing one PostgreSQL database and one Redis cache.

When it runs: when ``DATABASE_URL`` points at PostgreSQL (the CI's second
suite run) or ``TEST_POSTGRES_URL`` is set (to opt in locally). It never uses
that database itself: it connects to the server it names and creates a
throwaway ``twoservers_<random>`` database, dropped at the end. Redis is
``TEST_REDIS_URL``, else ``CACHE_URL`` when it is Redis, else
redis://127.0.0.1:6379; the servers use database ``TEST_REDIS_DB`` (14) of it
under a key prefix of their own, whose keys are deleted at the end.
Otherwise (a SQLite run) the tests are skipped. When PostgreSQL or Redis does
not answer, they fail if ``CI=true`` and are skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# bench/load.py's HTTP client (standard library only): one connection, a cookie
# jar, Django-style log-in with the CSRF cookie.
_spec = importlib.util.spec_from_file_location("bench_load", BASE_DIR / "bench" / "load.py")
_load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _load
_spec.loader.exec_module(_load)
Client = _load.Client

REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "14"))
START_TIMEOUT = 30  # seconds for a server to answer /healthz


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"two-server deploy test: {reason} (CI=true: failing instead of skipping)")
    pytest.skip(f"two-server deploy test: {reason}")


def _targets() -> tuple[str, str]:
    postgres = os.environ.get("TEST_POSTGRES_URL", "")
    if not postgres and _is_postgres(os.environ.get("DATABASE_URL", "")):
        postgres = os.environ["DATABASE_URL"]
    if not postgres:
        pytest.skip("needs PostgreSQL: runs when DATABASE_URL is a postgres:// URL or TEST_POSTGRES_URL is set")
    redis = os.environ.get("TEST_REDIS_URL", "")
    if not redis and os.environ.get("CACHE_URL", "").startswith(("redis://", "rediss://")):
        redis = os.environ["CACHE_URL"]
    parts = urllib.parse.urlsplit(redis or "redis://127.0.0.1:6379")
    redis = urllib.parse.urlunsplit(parts._replace(path=f"/{REDIS_DB}", query=""))
    return postgres, redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a process's log ("" when there is none yet)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_group(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM to the process group ``proc`` leads (started with ``start_new_session``), SIGKILL after ``grace`` s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass
class AppServer:
    name: str
    port: int
    env: dict
    log_path: Path
    proc: subprocess.Popen | None = None
    _log: object = None

    def start(self) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if Client("127.0.0.1", self.port, timeout=5).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server {self.name} did not answer /healthz in {START_TIMEOUT} s:\n{self.log_tail()}")

    def client(self, **kw) -> Client:
        return Client("127.0.0.1", self.port, **kw)

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc, 15)
        self.proc = None
        self._log.close()


@dataclass
class Deployment:
    a: AppServer
    b: AppServer
    database_url: str
    redis_url: str
    key_prefix: str
    passwords: dict = field(default_factory=dict)

    def db(self):
        import psycopg

        return psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)


def _run(args: list[str], env: dict, what: str, timeout: float = 180) -> None:
    done = subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres, redis_url = _targets()
    try:
        import psycopg
        import redis
    except ImportError as exc:  # pragma: no cover — both are in requirements.txt
        _unavailable(f"missing driver: {exc}")

    server = urllib.parse.urlsplit(postgres)
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres", query=""))
    try:
        admin = psycopg.connect(maintenance, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL at {server.hostname}:{server.port or 5432} is unreachable: {exc}")
    try:
        cache = redis.Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3)
        cache.ping()
    except redis.RedisError as exc:
        admin.close()
        _unavailable(f"Redis at {redis_url} is unreachable: {exc}")

    name = f"twoservers_{secrets.token_hex(5)}"
    database_url = urllib.parse.urlunsplit(server._replace(path=f"/{name}", query=""))
    key_prefix = f"twoservers-{secrets.token_hex(5)}"
    tmp = tmp_path_factory.mktemp("two_servers")
    secret_key = secrets.token_urlsafe(50)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "RATE_LIMIT"))}
    env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "tests.deploy.server_settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CACHE_URL": redis_url,
        "CACHE_KEY_PREFIX": key_prefix,
        "STATIC_ROOT": str(tmp / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # notes by ordinary annotators publish at once (post-moderation);
        # fact-checks still wait for a moderator
        "ANNOTATIONS_NOTES_POST_MODERATION": "true",
        # a tiny per-IP annotate rate, counted in the shared Redis; the client
        # address comes from X-Forwarded-For so each test has its own count
        "RATE_LIMIT_ANNOTATE_IP": "3/m",
        "RATELIMIT_ENABLE": "true",
        "BEHIND_PROXY": "true",
        "HOST": "127.0.0.1",
        # one worker each: a page one server has cached is then certainly what
        # that server serves next, so a missed invalidation cannot hide behind
        # a request that happened to reach a second, still empty, worker
        "WEB_CONCURRENCY": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_ACCESS_LOG": "-",
        "LOG_LEVEL": "WARNING",
    }
    servers: list[AppServer] = []
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _run([sys.executable, "manage.py", "migrate", "--noinput"], env, "migrate")
        _run([sys.executable, "manage.py", "setup_demo"], {**env, "DEBUG": "true"}, "setup_demo (DEBUG=true)")
        _run([sys.executable, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        for label in ("A", "B"):
            port = _free_port()
            servers.append(
                AppServer(
                    label,
                    port,
                    {**env, "PORT": str(port), "SITE_URL": f"http://127.0.0.1:{port}"},
                    tmp / f"server-{label}.log",
                )
            )
        for s in servers:
            s.start()
        for s in servers:
            s.wait_ready()
        from articles.demo import DEMO_ACCOUNTS

        yield Deployment(
            servers[0],
            servers[1],
            database_url,
            redis_url,
            key_prefix,
            passwords={user: password for user, (password, _role) in DEMO_ACCOUNTS.items()},
        )
    finally:
        for s in servers:
            s.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        try:
            keys = list(cache.scan_iter(match=f"{key_prefix}:*", count=500))[:100_000]
            for start in range(0, len(keys), 500):
                cache.delete(*keys[start : start + 500])
        finally:
            cache.close()
