"""Gunicorn settings for production: ``gunicorn -c config/gunicorn.py config.wsgi``.

Everything comes from the environment, like the Django settings:

- ``HOST`` (default ``0.0.0.0``) and ``PORT`` (default ``8000``): where to listen.
- ``WEB_CONCURRENCY``: worker processes; by default 2 × CPUs + 1, at most
  ``GUNICORN_MAX_WORKERS`` (8), counting only the CPUs this process may run on.
- ``GUNICORN_THREADS`` (1): more than 1 switches to the threaded worker.
- ``GUNICORN_TIMEOUT`` (30 s): a worker silent this long is killed and replaced.
- ``GUNICORN_GRACEFUL_TIMEOUT`` (30 s): on restart/shutdown, workers finish
  their requests for this long before they are killed.
- ``GUNICORN_KEEPALIVE`` (5 s): idle keep-alive wait (threaded worker; the sync
  worker closes every connection and expects a proxy in front).
- ``GUNICORN_MAX_REQUESTS`` (1000) and ``GUNICORN_MAX_REQUESTS_JITTER`` (100):
  a worker is replaced after that many requests (plus a random jitter so the
  workers do not all restart at once), which bounds slow memory growth;
  ``0`` turns recycling off.
- ``GUNICORN_ACCESS_LOG`` (``-``: standard output; ``off`` for none, or a path)
  and ``GUNICORN_LOG_LEVEL`` (``info``); errors go to standard error.
- ``GUNICORN_PRELOAD`` (false): load Django in the master before forking.
- ``GUNICORN_CONTROL_SOCKET``: path of gunicorn's control socket (``gunicornc``);
  unset, there is none, so several instances can run on one host.
- ``FORWARDED_ALLOW_IPS`` (read by gunicorn itself): proxies trusted for
  ``X-Forwarded-*``; Django's own proxy settings are ``BEHIND_TLS_PROXY`` and
  ``BEHIND_PROXY``.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def default_workers(cpus: int | None = None, cap: int | None = None) -> int:
    """2 × CPUs + 1, at most ``cap``: the usual sizing for sync workers."""
    cpus = cpus if cpus is not None else _cpu_count()
    cap = cap if cap is not None else _int("GUNICORN_MAX_WORKERS", 8)
    return max(1, min(2 * cpus + 1, cap))


def _bind() -> list[str]:
    host = os.environ.get("HOST", "").strip() or "0.0.0.0"
    port = _int("PORT", 8000)
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return [f"{host}:{port}"]


wsgi_app = "config.wsgi:application"
bind = _bind()
workers = _int("WEB_CONCURRENCY", 0) or default_workers()
threads = max(1, _int("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100) if max_requests else 0
preload_app = _bool("GUNICORN_PRELOAD")

# The heartbeat file of each worker is touched constantly: keep it in memory
# (a disk-backed /tmp can stall workers into timeouts, notably in containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

_access = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip()
accesslog = None if _access.lower() in {"off", "none", "false", "0", ""} else _access
# the combined format, plus the time taken in milliseconds and the worker pid
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %(p)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

proc_name = os.environ.get("GUNICORN_PROC_NAME", "annotations")

_control = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control:
    control_socket = _control
else:
    control_socket_disable = True
