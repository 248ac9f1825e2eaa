"""The import contracts of pyproject.toml hold (import-linter); `make lint` checks them too.

The suite runs them so a forbidden import fails `make test` as well, where most work is checked.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contracts_are_kept():
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_articles_imports_nothing_of_annotations():
    """Spelled out, so the rule is readable here too: no line of articles/ imports the annotations app."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "articles").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.lstrip().startswith(("from annotations", "import annotations"))
    ]
    assert offenders == []
