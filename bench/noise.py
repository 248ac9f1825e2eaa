"""Noise from a shared machine: wait for quiet CPUs before a timed round, measure what other processes used."""

from __future__ import annotations

import os
import time
from pathlib import Path

from common import log
from server import Server

# (wall clock, busy CPU seconds of the whole machine, CPU seconds of the server's processes)
CpuSnapshot = tuple[float, float, float]


def wait_for_quiet(server: Server, label: str, limit: float, quiet_below: float) -> None:
    """Before a timed round, wait (at most --quiet-wait s) until other processes leave the CPUs alone.

    The server is idle between rounds, so whatever keeps the machine busy
    then is someone else's (a shared machine); its CPU use during the
    round is reported either way.
    """
    if limit <= 0:
        return
    deadline = time.monotonic() + limit
    waited = False
    while True:
        before = cpu_snapshot(server)
        time.sleep(0.5)
        busy = other_cpu(before, cpu_snapshot(server), 0.0)
        if busy < quiet_below or time.monotonic() >= deadline:
            break
        if not waited:
            log(f"{label}: other processes use {busy:.2f} cores: waiting up to {limit:.0f} s for a quieter machine")
            waited = True


def cpu_snapshot(server: Server) -> CpuSnapshot:
    """(wall clock, busy CPU seconds of the whole machine, CPU seconds of the server's processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / tick  # all but idle and iowait (guest is in user)
    return time.monotonic(), busy, server.cpu_seconds()


def other_cpu(before: CpuSnapshot, after: CpuSnapshot, client_cpu: float) -> float:
    """Cores used by processes other than the server and the load client between two snapshots."""
    wall = after[0] - before[0]
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2]) - client_cpu) / wall) if wall > 0 else 0.0
