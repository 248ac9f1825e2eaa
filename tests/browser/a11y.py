"""axe-core accessibility checks for Playwright pages.

axe-core comes from the PyPI package ``axe-playwright-python`` (pinned in
requirements-dev.txt), whose wheel ships ``axe.min.js``; nothing is fetched at
test time. Only that file is used: the checks below run ``axe.run()`` directly.

The site sends ``Content-Security-Policy: script-src 'self'``, which blocks
``page.add_script_tag(content=...)`` (an inline script). ``page.evaluate()``
runs through the DevTools protocol and is not subject to the page's CSP, so
axe is injected with ``page.evaluate(source)``. The page is therefore tested
under its real CSP (no ``bypass_csp``), exactly as a visitor gets it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pytest

AXE_PACKAGE = "axe_playwright_python"
BLOCKING_IMPACTS = ("serious", "critical")


@cache
def axe_source() -> str:
    try:
        return resources.files(AXE_PACKAGE).joinpath("axe.min.js").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.fail(
            "axe-core is missing: install the dev requirements (`make setup-dev`); "
            "the PyPI package axe-playwright-python ships axe.min.js",
            pytrace=False,
        )


def inject_axe(page) -> None:
    """Load axe-core into the current document (again after each navigation)."""
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(axe_source())


def run_axe(page, context=None, options=None) -> list[dict]:
    """Run axe on the page and return its violations (axe's own dicts)."""
    inject_axe(page)
    options = {"resultTypes": ["violations"], **(options or {})}
    results = page.evaluate(
        "([context, options]) => window.axe.run(context ?? document, options)",
        [context, options],
    )
    return results["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " | ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_no_serious_violations(page, context=None, options=None, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Fail listing every violation of impact serious or critical; return the others."""
    violations = run_axe(page, context=context, options=options)
    blocking = [v for v in violations if v["impact"] in impacts]
    if blocking:
        pytest.fail(
            f"axe found {len(blocking)} {'/'.join(impacts)} accessibility violation(s) on {page.url}:\n"
            + format_violations(blocking),
            pytrace=False,
        )
    return violations


def short_text_contrast_failures(page, context=None) -> list[dict]:
    """Nodes axe could not judge for colour contrast only because their text is very short
    (a ¶ glyph, a "[1]" marker) and whose measured contrast is still below axe's required ratio.

    axe reports these as "incomplete" (needs review), never as violations, so
    assert_no_serious_violations() alone would let a faint pilcrow through.
    """
    inject_axe(page)
    results = page.evaluate(
        "([context]) => window.axe.run(context ?? document, {runOnly: ['color-contrast'], resultTypes: ['incomplete']})",
        [context],
    )
    failures = []
    for item in results["incomplete"]:
        for node in item["nodes"]:
            for check in node["any"]:
                data = check.get("data") or {}
                if data.get("messageKey") != "shortTextContent" or data.get("contrastRatio") is None:
                    continue
                required = float(str(data.get("expectedContrastRatio", "4.5:1")).split(":")[0])
                if data["contrastRatio"] < required:
                    failures.append({"target": node["target"], "html": node["html"], **data})
    return failures
