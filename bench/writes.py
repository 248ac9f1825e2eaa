"""The write phase: logged-in annotators POST the annotate form; every 302 must have created its row."""

from __future__ import annotations

import json

from common import BENCH_DIR, PYTHON, log, run_subprocess
from phases import Context


def count_writes(ctx: Context) -> int:
    out = run_subprocess(
        [PYTHON, str(BENCH_DIR / "seed.py"), "count", "--prefix", ctx.info["writer_prefix"]],
        ctx.server_env,
        120,
        "counting rows",
    )
    return json.loads(out.strip().splitlines()[-1])["annotations"]


def write_phase(ctx: Context) -> dict:
    args = ctx.args
    writers = len(ctx.info["writers"])
    label = f"writes: {writers} annotators POSTing"
    before = count_writes(ctx)
    log(f"{label} for {args.write_seconds:.0f} s (logging {writers} users in first)")
    out = run_subprocess(
        [
            PYTHON,
            str(BENCH_DIR / "load.py"),
            "--port",
            str(ctx.port),
            "--seconds",
            str(args.write_seconds),
            "writes",
            "--info",
            str(ctx.db.info_path),
        ],
        ctx.client_env,
        args.write_seconds + 300,
        "write load",
    )
    result = json.loads(out.strip().splitlines()[-1])
    after = count_writes(ctx)
    created = after - before
    ok = result["statuses"].get("302", 0)
    row = {
        "label": label,
        "rps": result["rps"],
        "p50": result["p50_ms"],
        "p95": result["p95_ms"],
        "n": result["requests"],
        "errors": result["failed"] + len(result["login_errors"]),
        "note": f"{created} rows for {ok} × 302",
        "created": created,
        "ok": ok,
        "writes": True,
    }
    if result["login_errors"]:
        ctx.results.notes.append(
            f"write phase: {len(result['login_errors'])} logins failed: {result['login_errors'][:3]}"
        )
    if result["errors"]:
        ctx.results.notes.append(f"write phase errors: {result['errors']}")
    ctx.results.record("writes", row, result=result, rows_before=before, rows_after=after)
    log(
        f"{label}: {result['rps']:.1f}/s, p95 {result['p95_ms']:.0f} ms, {result['failed']} failed; "
        f"{created} rows created, {ok} × 302"
    )
    return row
