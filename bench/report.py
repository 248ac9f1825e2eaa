"""The report: one table of medians, the goals with PASS/MISS, the notes; the raw numbers to bench/results/result-*.json."""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass, field

from common import RESULTS_DIR

# issue 17's goals, on the production set-up (PostgreSQL + Redis, 5 workers)
GOAL_RATIOS = {  # phase: (what, share of /healthz's req/s when warm)
    "sample_warm": ("sample article, warm", 0.80),
    "large_warm": ("large article, warm", 0.50),
    "collection": ("W3C collection (large), warm", 0.50),
    "feed": ("Atom feed (large), warm", 0.50),
}
GOAL_LARGE_PAGE_BYTES = 500 * 1024
GOAL_COLD_SECONDS = 0.5
GOAL_ADMIN_P50_MS = 150
GOAL_WORKER_MB = 300


@dataclass
class Results:
    """What the phases measured, rows in table order, and the notes to print under the goals."""

    args: argparse.Namespace
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    phases: dict[str, dict] = field(default_factory=dict)
    memory_after_large: dict = field(default_factory=dict)
    memory_end: dict = field(default_factory=dict)

    def record(self, key: str, row: dict, **details: object) -> None:
        """A phase's row for the table, and everything it measured for the JSON under ``key``."""
        self.rows.append(row)
        self.phases[key] = {"row": row, **details}


def report(
    results: Results,
    *,
    size: str,
    seconds: float,
    db_display: str,
    cache_url: str,
    workers: int,
    concurrency: int,
    log_problems: dict,
) -> None:
    """Print the table, the goals and the notes; write them and the raw numbers to a result-*.json."""
    args = results.args
    rows = results.rows
    base = next((r for r in rows if r["label"].startswith("/healthz")), None)
    base_rps = base["rps"] if base else float("nan")
    header = f"{'scenario':<48} {'req/s':>9} {'× healthz':>10} {'p50 ms':>9} {'p95 ms':>9} {'requests':>9} {'errors':>7}  notes"
    lines = [header, "-" * len(header)]
    for r in rows:
        if r.get("na"):
            lines.append(f"{r['label']:<48} {r['na']:>9}")
            continue
        if r.get("cold"):
            lines.append(
                f"{r['label']:<48} {'—':>9} {'—':>10} {r['p50']:>9.0f} {r['p95']:>9.0f} {r['n']:>9} {r['errors']:>7}  "
                "p50 = median, p95 column = slowest sample"
            )
            continue
        ratio = r["rps"] / base_rps if base_rps == base_rps and base_rps else float("nan")
        note = r.get("note", "")
        if not note and r.get("bytes"):
            note = f"{r['bytes'] / 1024:,.0f} KiB/page" if r["bytes"] > 4096 else f"{r['bytes']} B"
        lines.append(
            f"{r['label']:<48} {r['rps']:>9.1f} {ratio:>10.2f} {r['p50']:>9.1f} {r['p95']:>9.1f} {r['n']:>9} {r['errors']:>7}  {note}"
        )
    mem = results.memory_after_large
    peak = max((m.get("VmHWM", 0) for m in mem.values()), default=float("nan"))
    peak_end = max((m.get("VmHWM", 0) for m in results.memory_end.values()), default=float("nan"))
    lines.append(
        f"{'worker peak RSS (VmHWM), after the large article':<48} {peak:>8.0f}M {'':>10} {'':>9} {'':>9} {len(mem):>9} {'':>7}  "
        f"max over {len(mem)} workers; {peak_end:.0f} MB at the end of the run"
    )

    goals = []

    def goal(ok: bool, text: str) -> None:
        goals.append(f"  {'PASS' if ok else 'MISS'}  {text}")

    by_key = {k: v.get("row") for k, v in results.phases.items()}
    for key, (what, target) in GOAL_RATIOS.items():
        row = by_key.get(key)
        if row and row.get("rps"):
            ratio = row["rps"] / base_rps
            diff = (ratio - target) * 100
            goal(
                ratio >= target,
                f"{what} ≥ {target * 100:.0f} % of /healthz req/s: {ratio * 100:.0f} % "
                f"({'+' if diff >= 0 else ''}{diff:.0f} points)",
            )
    large = by_key.get("large_warm")
    if large and large.get("bytes"):
        goal(
            large["bytes"] <= GOAL_LARGE_PAGE_BYTES,
            f"large article page ≤ {GOAL_LARGE_PAGE_BYTES // 1024} KiB: {large['bytes'] / 1024:.0f} KiB",
        )
    for key, what in (("admin_queue", "admin moderation queue"), ("admin_changelist", "admin changelist")):
        row = by_key.get(key)
        if row and row.get("p50"):
            goal(row["p50"] <= GOAL_ADMIN_P50_MS, f"{what} p50 ≤ {GOAL_ADMIN_P50_MS} ms: {row['p50']:.0f} ms")
    cold = by_key.get("large_cold")
    if cold:
        med = cold["p50"] / 1000
        goal(
            med < GOAL_COLD_SECONDS,
            f"large article cold render < {GOAL_COLD_SECONDS} s: median {med:.2f} s, slowest {cold['p95'] / 1000:.2f} s "
            f"({'%.2f s under' % (GOAL_COLD_SECONDS - med) if med < GOAL_COLD_SECONDS else '%.2f s over' % (med - GOAL_COLD_SECONDS)})",
        )
    scale_lines: list[str] = []
    if "scale" in results.phases:  # run.py --scale: the large article's surfaces at both sizes (site_size.py)
        from site_size import table

        seeded_total = results.phases["scale"].get("seeded_annotations", 0)
        scale_lines, scale_goals = table(results.phases, args.scale, seeded_total)
        for ok, text in scale_goals:
            goal(ok, text)
    total = sum(r.get("n", 0) for r in rows if not r.get("na"))
    errors = sum(r.get("errors", 0) for r in rows if not r.get("na"))
    goal(errors == 0, f"zero errors: {errors} of {total:,} requests")
    w = by_key.get("writes")
    if w:
        lost = w["ok"] - w["created"]
        goal(
            lost == 0 and w["ok"] > 0,
            f"zero lost writes: {w['created']} rows created for {w['ok']} successful POSTs "
            f"({'none lost' if lost == 0 else f'{lost} lost' if lost > 0 else f'{-lost} rows without a 302'})",
        )
    goal(
        peak < GOAL_WORKER_MB,
        f"worker memory < {GOAL_WORKER_MB} MB: peak {peak:.0f} MB "
        f"({abs(GOAL_WORKER_MB - peak):.0f} MB {'under' if peak < GOAL_WORKER_MB else 'over'})",
    )

    def short(label: str) -> str:
        return label.split(" (")[0].split(",")[0]

    timed = [r for r in rows if r.get("client_cpu") is not None]
    cpu_note = ", ".join(f"{short(r['label'])} {r['client_cpu'] * 100:.0f} %" for r in timed)
    other_note = ", ".join(f"{short(r['label'])} {r['other_cpu']:.2f}" for r in timed)
    busiest = max((r["other_cpu"] for r in timed), default=0.0)
    warm = {k: v["warm_up"] for k, v in results.phases.items() if "warm_up" in v}
    warm_note = ", ".join(
        f"{k} {v['requests']} ({v['slow']} slow{'' if v['settled'] else ', NOT settled'})" for k, v in warm.items()
    )
    results.notes += [
        f"server log: {log_problems['worker timeouts']} worker timeouts, {log_problems['tracebacks']} tracebacks, "
        f"{log_problems['workers booted']} workers booted ({workers} at start)",
        f"warm-up requests before timing (slow = cache misses): {warm_note}",
        f"CPU used outside gunicorn and the load client during the timed rounds (other processes, the database "
        f"server, the kernel; cores of {os.cpu_count()}, median): {other_note}"
        + (" — the machine was busy: treat the numbers as noisy" if busiest > 0.25 else ""),
    ]
    title = (
        f"Benchmark ({size}): {db_display}; cache {cache_url}; "
        f"gunicorn {workers} sync workers on {os.cpu_count()} CPUs; {concurrency} client connections; "
        f"{args.rounds} round(s) × {args.read_seconds:g} s per read phase, writes {args.write_seconds:g} s"
    )
    out = [
        title,
        "",
        *lines,
        "",
        *([*scale_lines, ""] if scale_lines else []),
        "Goals",
        *goals,
        "",
        *results.notes,
        f"client CPU (share of one core, median round): {cpu_note}",
        f"run took {seconds:.0f} s; details in bench/results/",
    ]
    print("\n".join(out), flush=True)
    data = {
        "args": vars(args),
        "phases": results.phases,
        "rows": rows,
        "goals": goals,
        "notes": results.notes,
        "memory_after_large": mem,
        "memory_end": results.memory_end,
        "table": "\n".join(out),
    }
    path = RESULTS_DIR / f"result-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=1, default=str))
