"""The load balancers' health checks: site plumbing, not a feature of any app.

``/healthz`` is liveness (cheap: the process answers and the database says
``SELECT 1``). ``/readyz`` is readiness, for a load balancer deciding whether
to send this node traffic: the database answers and every migration is
applied, and the cache answers. Each dependency gets a status in the JSON:

- ``database``: "ok", or "unavailable" / "unmigrated" → 503 (take the node out);
- ``cache``: "ok", or "degraded" when Redis does not answer → still 200, since
  pages render from the database without it (``config/cache.py``); the
  fail-closed rate limits (log in, sign up) answer 503 meanwhile.
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
    """200 when the database answers, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


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


@never_cache
@require_safe
def readyz(request) -> HttpResponse:
    """Per-dependency readiness; 503 when the node should not take traffic."""
    checks = {"database": _database(), "cache": _cache()}
    if checks["database"]["status"] != "ok":
        status = "unavailable"
    elif checks["cache"]["status"] != "ok":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "unavailable" else 200)
