"""What a load run measures: latencies, statuses and errors, summed up as one JSON-ready dict."""

from __future__ import annotations

import resource
import statistics
import threading
from dataclasses import dataclass, field

MAX_REQUESTS = 1_000_000  # a hard bound on any run, whatever the deadline


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: str, seconds: float | None, size: int = 0, error: str | None = None) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if seconds is not None:
                self.latencies.append(seconds)
            if error:
                self.errors[error] = self.errors.get(error, 0) + 1
            self.bytes += size


def summarise(tally: Tally, wall: float, cpu: float, ok: set[int]) -> dict:
    lat = [s * 1000 for s in tally.latencies]
    total = sum(tally.statuses.values())
    good = sum(n for s, n in tally.statuses.items() if s.isdigit() and int(s) in ok)
    return {
        "requests": total,
        "ok": good,
        "failed": total - good,
        "seconds": round(wall, 3),
        "rps": round(total / wall, 2) if wall > 0 else 0.0,
        "p50_ms": round(percentile(lat, 50), 2),
        "p95_ms": round(percentile(lat, 95), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "mean_ms": round(statistics.fmean(lat), 2) if lat else float("nan"),
        "max_ms": round(max(lat), 2) if lat else float("nan"),
        "statuses": tally.statuses,
        "errors": tally.errors,
        "bytes_per_response": round(tally.bytes / total) if total else 0,
        "client_cpu_seconds": round(cpu, 2),
        "latencies_ms": lat,
    }


def cpu_seconds() -> float:
    """CPU time of this client process, so a client-bound run shows."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
