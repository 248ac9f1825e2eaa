"""PostgreSQL query plans for the tests that prove a query reads only what it needs (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Collection

from django.db import connection


def plan_of(sql: str) -> str:
    """``EXPLAIN`` of ``sql``, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(line for (line,) in cursor.fetchall())


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def reads_too_much(sql: str, *, tables: Collection[str], limit: int, never_sequential: Collection[str]) -> list[str]:
    """The nodes of ``sql``'s executed plan (``EXPLAIN ANALYZE``) that read more than ``limit`` rows (returned
    and removed by filter, over all loops) of one of ``tables``, or scan one of ``never_sequential`` from start
    to end."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    found = []
    for node in _nodes(plan):
        table = node.get("Relation Name")
        if table not in tables:
            continue
        read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * (node.get("Actual Loops") or 1)
        if (node["Node Type"] == "Seq Scan" and table in never_sequential) or read > limit:
            found.append(f"{node['Node Type']} on {table} ({node.get('Alias')}, {node.get('Index Name')}): {read} rows")
    return found
