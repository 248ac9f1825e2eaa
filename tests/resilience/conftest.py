"""Fixtures for dependencies that are down: a Redis on a closed port, and a Redis of our own to stop and start."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.test import override_settings

import annotations.caching
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
    annotations.caching._missed.clear()


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
