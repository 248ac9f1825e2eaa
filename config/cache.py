"""A Redis cache that is an optimisation, never a single point of failure.

Django's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` from every
call while Redis is unreachable, so every page that touches the cache
answers 500. ``ResilientRedisCache`` answers as if the cache were empty
instead: reads are misses (``get`` returns the default, ``get_many`` ``{}``,
``incr`` raises ``ValueError`` as for a missing key), writes are skipped
(``add``/``touch``/``delete`` return ``False``). Pages then render from the
database.

After one failure the backend stops trying for ``RETRY_INTERVAL`` seconds
(every call in that window is an immediate miss, no connect timeout per
request), then tries again. One warning is logged per ``WARN_INTERVAL``
seconds while Redis stays down (with the number of failed calls), and one
when it answers again. The state is per process and per server, shared by
the threads that each hold their own backend instance.

``unavailable`` is true from a failed call until one succeeds: callers that
must not work without the cache (the fail-closed rate limits in
``accounts.ratelimits``) read it after their cache calls.

Only connection failures and timeouts degrade; any other Redis error (a
wrong type, a script error) is a bug and still raises.

One ``redis.Redis`` client per connection pool: Django's ``RedisCacheClient``
makes a new one for every call, and redis-py builds its table of about 170
response callbacks in each (measured here: about 0.37 ms of CPU per call, more
than the round trip to Redis and about a third of a warm page's cost). A client
is safe to share between threads (it takes a connection from its pool for each
command), so ``ReusedClientRedisCacheClient`` keeps one per pool.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("config.cache")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


@dataclass
class _Outage:
    """What this process knows of one Redis server being down."""

    retry_at: float = 0.0  # monotonic time before which calls skip Redis
    down_since: float | None = None
    warned_at: float | None = None
    failures: int = 0  # failed calls since the last warning


# Moved on whenever a process sees Redis answer again after an outage: entries stored before it may have
# missed invalidations meanwhile (a version bump that could not be written), so whole pages cached by
# address (annotations/page_cache.py, annotations.caching.article_cached_response) record the epoch they
# were stored in and are served only in that epoch.
EPOCH_KEY = "cache-epoch"

_outages: dict[str, _Outage] = {}
_lock = threading.Lock()


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one ``redis.Redis`` per connection pool instead of one per call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS", {}))
        # Ours, not redis-py's: take them out before the connection pool sees them.
        self.retry_interval = float(options.pop("RETRY_INTERVAL", 5))
        self.warn_interval = float(options.pop("WARN_INTERVAL", 60))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._outage_key = ",".join(self._servers)
        with _lock:
            self._outage = _outages.setdefault(self._outage_key, _Outage())

    @property
    def unavailable(self) -> bool:
        """True from a failed call until the next call that reaches Redis."""
        return self._outage.down_since is not None

    def reset_outage(self) -> None:
        """Forget a recorded outage (tests, after pointing the cache elsewhere)."""
        with _lock:
            outage = self._outage
            outage.retry_at, outage.down_since, outage.warned_at, outage.failures = 0.0, None, None, 0

    def _call(self, operation, fallback):
        outage = self._outage
        if outage.down_since is not None:
            if time.monotonic() < outage.retry_at:
                with _lock:
                    outage.failures += 1
                return fallback()
            # Redis may be back: before anything is read from it, move the epoch, so no page stored
            # before the outage is served after it (invalidations may have been missed meanwhile)
            try:
                self._new_epoch()
            except UNREACHABLE as exc:
                self._failed(exc)
                return fallback()
            self._recovered()
        try:
            return operation()
        except UNREACHABLE as exc:
            self._failed(exc)
            return fallback()

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with _lock:
            outage = self._outage
            outage.retry_at = now + self.retry_interval
            outage.failures += 1
            if outage.down_since is None:
                outage.down_since = now
            if outage.warned_at is not None and now - outage.warned_at < self.warn_interval:
                return
            outage.warned_at, failures = now, outage.failures
            outage.failures = 0
        logger.warning(
            "cache unreachable (%s: %s); serving without it, %d call(s) missed; retrying every %gs",
            type(exc).__name__,
            exc,
            failures,
            self.retry_interval,
        )

    def _recovered(self) -> None:
        with _lock:
            outage = self._outage
            if outage.down_since is None:
                return
            seconds = time.monotonic() - outage.down_since
            outage.retry_at, outage.down_since, outage.warned_at, outage.failures = 0.0, None, None, 0
        logger.warning("cache reachable again after %.1fs", seconds)

    def _new_epoch(self) -> None:
        """Move the epoch on (raises what redis-py raises when Redis is still down)."""
        try:
            super().incr(EPOCH_KEY)
        except ValueError:  # never set (or evicted): a value no earlier entry can hold
            super().set(EPOCH_KEY, time.time_ns() // 1000, timeout=None)

    def _raise_missing(self, key):
        raise ValueError(f"Key '{key}' not found (cache unreachable).")

    # Reads: a miss.
    def get(self, key, default=None, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).get(key, default, version), lambda: default)

    def get_many(self, keys, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).get_many(keys, version), dict)

    def has_key(self, key, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).has_key(key, version), lambda: False)

    def incr(self, key, delta=1, version=None):
        return self._call(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version), lambda: self._raise_missing(key)
        )

    # Writes: skipped.
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), lambda: False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), lambda: None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).touch(key, timeout, version), lambda: False)

    def delete(self, key, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).delete(key, version), lambda: False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), lambda: list(data))

    def delete_many(self, keys, version=None):
        return self._call(lambda: super(ResilientRedisCache, self).delete_many(keys, version), lambda: None)

    def clear(self):
        return self._call(lambda: super(ResilientRedisCache, self).clear(), lambda: False)

    def ping(self) -> bool:
        """Ask Redis directly (the readiness check); never skipped, never raises."""
        try:
            ok = bool(self._cache.get_client(write=True).ping())
            if self._outage.down_since is not None:
                self._new_epoch()
        except UNREACHABLE as exc:
            self._failed(exc)
            return False
        if self._outage.down_since is not None:
            self._recovered()
        return ok
