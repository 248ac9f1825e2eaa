"""/healthz (liveness) and /readyz (readiness, per dependency) in config/health.py."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from tests.resilience.conftest import redis_caches

pytestmark = pytest.mark.django_db


def test_ready_with_a_migrated_database_and_the_local_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["queue"] == {"status": "eager"}  # no broker: tasks run in the web process
    assert "no-cache" in response["Cache-Control"]


def test_ready_with_a_live_redis(client, own_redis):
    with override_settings(CACHES=redis_caches(own_redis.url)):
        body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["cache"] == {"status": "ok", "backend": "ResilientRedisCache"}


def test_an_unreachable_cache_is_degraded_not_down(client, redis_down):
    response = client.get("/readyz")
    assert response.status_code == 200  # pages still render from the database
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["cache"]["status"] == "degraded"
    assert client.get("/healthz").status_code == 200  # liveness: the process is fine


def test_unapplied_migrations_take_the_node_out(client):
    # As during a deploy before `migrate`: the newest annotations migration is not recorded as applied
    # (deleted from django_migrations inside the test's transaction, rolled back afterwards).
    newest = MigrationExecutor(connection).loader.graph.leaf_nodes("annotations")[0]
    assert MigrationRecorder(connection).migration_qs.filter(app=newest[0], name=newest[1]).delete()[0] == 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"status": "unmigrated", "pending": 1}


def test_an_unreachable_database_takes_the_node_out(client, monkeypatch):
    def fail(self, targets, clean_start=False):
        raise OperationalError("connection refused")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "unavailable", "error": "OperationalError"}


def test_readyz_is_read_only(client):
    assert client.post("/readyz").status_code == 405


def test_ready_with_a_live_broker(client, own_redis, settings):
    from config.celery import app

    settings.CELERY_BROKER_URL = own_redis.url
    app.conf.update(task_always_eager=False, broker_url=own_redis.url)
    try:
        body = client.get("/readyz").json()
    finally:
        app.conf.update(task_always_eager=True, broker_url="")
    assert body["status"] == "ok"
    assert body["checks"]["queue"] == {"status": "ok"}


def test_an_unreachable_broker_is_degraded_not_down(client):
    from config.celery import app

    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    try:
        response = client.get("/readyz")
    finally:
        app.conf.update(task_always_eager=True, broker_url="")
    assert response.status_code == 200  # e-mail waits in the outbox; pages are unaffected
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["queue"]["status"] == "degraded"
