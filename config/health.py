"""The load balancers' health checks: site plumbing, not a feature of any app.

``/healthz`` is liveness, for a supervisor deciding whether to restart the
process: it answers when the process can serve a request, and checks no
dependency (a database outage must not make every node restart at once).
``/readyz`` is readiness, for a load balancer deciding whether to send this
node traffic: the database answers and every migration is applied, the cache
and the job queue's broker answer. Each dependency gets a status in the JSON:

- ``database``: "ok", or "unavailable" / "unmigrated" → 503 (take the node out);
- ``cache``: "ok", or "degraded" when Redis does not answer → still 200, since
  pages render from the database without it (``config/cache.py``); the
  fail-closed rate limits (log in, sign up) answer 503 meanwhile;
- ``queue`` (when ``CELERY_BROKER_URL`` is set): "ok", or "degraded" when the
  broker does not answer → still 200: e-mail waits in the outbox and the
  sweep delivers it once the broker is back. "eager" without a broker (tasks
  run in the web process).
"""

from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request) -> HttpResponse:
    """Liveness: 200 whenever this process answers (no dependency is checked; see /readyz)."""
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return {"status": "unavailable", "error": type(exc).__name__}
    if plan:
        return {"status": "unmigrated", "pending": len(plan)}
    return {"status": "ok"}


def _cache() -> dict:
    backend = caches["default"]
    ping = getattr(backend, "ping", None)
    if ping is None:  # a local-memory cache is always there
        return {"status": "ok", "backend": type(backend).__name__}
    if ping():
        return {"status": "ok", "backend": type(backend).__name__}
    return {"status": "degraded", "backend": type(backend).__name__, "detail": "unreachable; serving without it"}


def _queue() -> dict:
    from config.celery import app

    if app.conf.task_always_eager:
        return {"status": "eager"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, interval_start=0, timeout=1.0)
    except Exception as exc:  # kombu raises its own and the transport's errors
        return {"status": "degraded", "error": type(exc).__name__, "detail": "e-mail waits in the outbox"}
    return {"status": "ok"}


@never_cache
@require_safe
def readyz(request) -> HttpResponse:
    """Per-dependency readiness; 503 when the node should not take traffic."""
    checks = {"database": _database(), "cache": _cache(), "queue": _queue()}
    if checks["database"]["status"] != "ok":
        status = "unavailable"
    elif checks["cache"]["status"] == "degraded" or checks["queue"]["status"] == "degraded":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "unavailable" else 200)
