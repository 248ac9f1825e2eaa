"""The public structure stays put: URL paths and names, command names, migrations (issue 12).

A change to any of them is deliberate: regenerate the snapshot with
``python scripts/structure_snapshot.py --write`` and say why in the commit.
"""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("structure_snapshot", ROOT / "scripts" / "structure_snapshot.py")
structure_snapshot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(structure_snapshot)


def committed() -> dict:
    return json.loads(structure_snapshot.SNAPSHOT.read_text(encoding="utf-8"))


def test_url_patterns_and_names_are_the_committed_ones():
    assert structure_snapshot.snapshot()["urls"] == committed()["urls"]


def test_management_command_names_are_the_committed_ones():
    assert structure_snapshot.snapshot()["commands"] == committed()["commands"]


def test_migrations_are_the_committed_ones():
    assert structure_snapshot.snapshot()["migrations"] == committed()["migrations"]


def test_the_snapshot_sees_a_changed_route(settings):
    """The comparison is not vacuous: a project with one more route differs from the snapshot."""
    from django.urls import clear_url_caches

    settings.ROOT_URLCONF = "tests.snapshots.extra_urls"
    clear_url_caches()
    try:
        assert structure_snapshot.snapshot()["urls"] != committed()["urls"]
        assert "extra/ -> extra" in structure_snapshot.snapshot()["urls"]
    finally:
        clear_url_caches()


def test_models_match_their_migrations(db):
    """No model changed without a migration (the restructure moves code, never models)."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
