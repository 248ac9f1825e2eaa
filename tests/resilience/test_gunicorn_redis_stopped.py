"""A production app server (gunicorn, DEBUG off) keeps serving while its Redis is stopped, and recovers.

Bounded and local: a SQLite file in a temporary directory, a redis-server of
the test's own on a free port of 127.0.0.1 (the machine's Redis is not
touched), one gunicorn worker (so "one warning" is countable in its log).
"""

from __future__ import annotations

import json
import time

import pytest

from tests.resilience.conftest import Client, Gunicorn, _free_port, production_env

ARTICLE = "/articles/altman-reflections/"


@pytest.fixture
def server(own_redis, tmp_path):
    gunicorn = Gunicorn(production_env(tmp_path, _free_port(), CACHE_URL=own_redis.url), tmp_path / "gunicorn.log")
    try:
        gunicorn.start()
        yield gunicorn.port, gunicorn.log_path
    finally:
        gunicorn.stop()


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
            "checks": {
                "database": {"status": "ok"},
                "cache": {"status": "ok", "backend": "ResilientRedisCache"},
                "queue": {"status": "eager"},
            },
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
