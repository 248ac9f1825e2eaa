#!/usr/bin/env python
"""The project's public structure: URL patterns with their names, management commands, migrations.

Restructuring the code must not change any of them (issue 12). ``tests/test_structure.py``
compares the live project with the committed ``tests/snapshots/structure.json``; after a
deliberate change, regenerate it with ``python scripts/structure_snapshot.py --write``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "structure.json"


def _patterns(resolver, prefix: str = "", namespace: str = "") -> list[str]:
    from django.urls import URLPattern, URLResolver

    rows: list[str] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            # the admin's own URLs are Django's, not ours: one line stands for them
            if entry.app_name == "admin":
                rows.append(f"{route} -> include(admin)")
                continue
            rows.extend(_patterns(entry, route, inner))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            rows.append(f"{route} -> {name}")
    return rows


def snapshot() -> dict:
    """The structure of the configured project (Django must be set up)."""
    from django.core.management import get_commands
    from django.db.migrations.loader import MigrationLoader
    from django.urls import get_resolver

    # command names, not the app that holds them: moving a command between apps keeps its name
    commands = sorted(get_commands())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migrations = sorted(f"{app}.{name}" for app, name in loader.disk_migrations)
    return {"urls": _patterns(get_resolver()), "commands": commands, "migrations": migrations}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    data = snapshot()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if "--write" in argv:
        SNAPSHOT.write_text(text, encoding="utf-8")
        print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
