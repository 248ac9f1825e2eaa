#!/usr/bin/env python3
"""Known vulnerabilities in the pinned dependencies: pip-audit first, then PyPI for what it skipped.

pip-audit is the auditor. It asks its vulnerability service about each exact pinned version and writes a
JSON report (``make audit`` runs it). Where that service cannot be reached, pip-audit *skips* a dependency
instead of auditing it. For the skipped ones this script asks the one source that may still answer: PyPI's
project endpoint (``/pypi/<name>/json``), which lists the vulnerabilities PyPI knows for the project's
**newest release** (the same advisory data pip-audit's PyPI service reads per version). So:

- a pin that *is* the newest release is audited exactly;
- a pin on an older release series is audited only where the project backports every security fix to that
  series while it is supported (``SECURITY_SERIES``) and the pin is the newest release of its series; any
  vulnerability PyPI lists for the newest release then counts against the pin as well;
- anything else is reported as NOT audited, never passed silently.

A yanked pin fails too: its authors withdrew it.

Exit status: 0 when no pin has a known vulnerability (pins that could not be audited are printed as
warnings); 1 when a pin is vulnerable or yanked; 2 when the input is unusable (a requirement that is not
pinned with ``==``, a missing or unreadable pip-audit report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI_JSON_URL = os.environ.get("PYPI_JSON_URL", "https://pypi.org/pypi")


@dataclass(frozen=True)
class SupportedSeries:
    series: str  # "major.minor"
    supported_until: date
    policy: str


# Projects whose security releases cover every supported series at once, so that the newest release of a
# supported series carries every published fix. Dates are the end of support the project announces.
SECURITY_SERIES: dict[str, SupportedSeries] = {
    "django": SupportedSeries(
        series="5.2",
        supported_until=date(2028, 4, 30),
        policy="Django's security policy: fixes are released for every supported series at once; "
        "5.2 LTS is supported until April 2028",
    ),
}

# Outcomes, from worst to best.
VULNERABLE = "VULNERABLE"
YANKED = "YANKED"
NOT_AUDITED = "NOT AUDITED"
AUDITED = "audited"
FAILING = {VULNERABLE, YANKED}


class UsageError(Exception):
    """The requirements or the pip-audit report cannot be used."""


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    source: str  # "requirements.txt:12"


@dataclass
class Finding:
    pin: Pin
    outcome: str
    how: str
    vulns: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.outcome:<11}  {self.pin.name}=={self.pin.version}  {self.how}"
        if self.vulns:
            text += ": " + "; ".join(self.vulns)
        return text


# -- requirements --------------------------------------------------------------------------------------


def read_pins(paths: Iterable[Path]) -> list[Pin]:
    """Every ``name==version`` in the files (following ``-r`` includes), each name once."""
    pins: dict[str, Pin] = {}
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        path = path.resolve()
        if path in seen:
            return
        seen.add(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {path.name}: {exc.strerror}") from exc
        for number, raw in enumerate(lines, start=1):
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path.name}:{number}"
            if line.startswith(("-r ", "--requirement ")):
                visit(path.parent / line.split(None, 1)[1])
                continue
            if line.startswith("-"):
                raise UsageError(f"{where}: option {line.split()[0]} is not supported here")
            try:
                req = Requirement(line)
            except InvalidRequirement as exc:
                raise UsageError(f"{where}: {exc}") from exc
            specs = list(req.specifier)
            if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
                raise UsageError(f"{where}: {req.name} is not pinned to one version with ==")
            name = canonicalize_name(req.name)
            pin = Pin(name=name, version=specs[0].version, source=where)
            earlier = pins.setdefault(name, pin)
            if earlier.version != pin.version:
                raise UsageError(
                    f"{where}: {req.name} is pinned to {pin.version} here, {earlier.version} at {earlier.source}"
                )

    for path in paths:
        visit(Path(path))
    return list(pins.values())


# -- pip-audit's report ---------------------------------------------------------------------------------


def read_pip_audit(report: dict) -> dict[str, dict]:
    """pip-audit's JSON report (``-f json``), by canonical name."""
    try:
        return {canonicalize_name(dep["name"]): dep for dep in report["dependencies"]}
    except (KeyError, TypeError) as exc:
        raise UsageError("the pip-audit report has no list of dependencies") from exc


def from_pip_audit(pin: Pin, entry: dict) -> Finding | None:
    """The finding pip-audit made for the pin, or None where it skipped it."""
    if "skip_reason" in entry or entry.get("version") != pin.version:
        return None
    vulns = describe(entry.get("vulns") or [], fixes="fix_versions")
    if vulns:
        return Finding(pin, VULNERABLE, "pip-audit", vulns)
    return Finding(pin, AUDITED, "pip-audit: no known vulnerability in this version")


def describe(advisories: Iterable[dict], *, fixes: str) -> list[str]:
    """One line per vulnerability ("ID (aliases), fixed in X"). PyPI lists a PYSEC and a GHSA advisory that
    alias each other for the same vulnerability: the first one listed stands for both."""
    lines: list[str] = []
    known: set[str] = set()
    for advisory in advisories:
        vuln_id = advisory.get("id", "?")
        aliases = [a for a in advisory.get("aliases") or [] if a != vuln_id]
        if {vuln_id, *aliases} & known:
            continue
        known |= {vuln_id, *aliases}
        text = vuln_id + (f" ({', '.join(aliases)})" if aliases else "")
        fixed_in = advisory.get(fixes) or []
        lines.append(text + (f", fixed in {', '.join(fixed_in)}" if fixed_in else ", no fix released"))
    return lines


# -- PyPI's project endpoint ----------------------------------------------------------------------------


def assess(pin: Pin, project: dict, *, today: date) -> Finding:
    """What PyPI's project JSON says about the pin (pure: the caller fetched ``project``)."""
    try:
        newest = project["info"]["version"]
        listed = project.get("vulnerabilities") or []
    except (KeyError, TypeError):
        return Finding(pin, NOT_AUDITED, "PyPI's answer had no project information")
    releases = project.get("releases")
    files = releases.get(pin.version) if isinstance(releases, dict) else None
    if files and all(f.get("yanked") for f in files):
        reason = next((f.get("yanked_reason") for f in files if f.get("yanked_reason")), None)
        return Finding(pin, YANKED, f"withdrawn by its authors ({reason or 'no reason given'})")

    vulns = describe([v for v in listed if not v.get("withdrawn")], fixes="fixed_in")
    if pin.version == newest:
        if vulns:
            return Finding(pin, VULNERABLE, "PyPI, newest release", vulns)
        return Finding(pin, AUDITED, "PyPI: the newest release; no known vulnerability")

    series = SECURITY_SERIES.get(pin.name)
    try:
        pinned = Version(pin.version)
    except InvalidVersion:
        return Finding(pin, NOT_AUDITED, f"not the newest release ({newest}); version not understood")
    if series is None or f"{pinned.major}.{pinned.minor}" != series.series:
        return Finding(
            pin, NOT_AUDITED, f"not the newest release ({newest}), and PyPI's data for older releases is unreachable"
        )
    if today > series.supported_until:
        return Finding(pin, NOT_AUDITED, f"the {series.series} series is out of support since {series.supported_until}")
    in_series = []
    for text in releases or {}:
        try:
            v = Version(text)
        except InvalidVersion:
            continue
        if not v.is_prerelease and (v.major, v.minor) == (pinned.major, pinned.minor):
            in_series.append(v)
    newer = sorted(v for v in in_series if v > pinned)
    if not in_series:
        return Finding(pin, NOT_AUDITED, "PyPI did not list the releases of its series")
    if newer:
        return Finding(pin, NOT_AUDITED, f"{newer[-1]} is a newer release of the {series.series} series")
    how = f"PyPI: the newest {series.series} release ({series.policy}); newest release {newest}"
    if vulns:
        return Finding(pin, VULNERABLE, how + " is listed as vulnerable", vulns)
    return Finding(pin, AUDITED, how + ": no known vulnerability")


Fetch = Callable[[str], dict]


def fetch_project(name: str) -> dict:
    request = urllib.request.Request(
        f"{PYPI_JSON_URL}/{name}/json", headers={"Accept": "application/json", "User-Agent": "audit_dependencies"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def audit(pins: list[Pin], pip_audit: dict[str, dict], *, fetch: Fetch, today: date) -> list[Finding]:
    findings: dict[str, Finding] = {}
    for pin in pins:
        found = from_pip_audit(pin, pip_audit[pin.name]) if pin.name in pip_audit else None
        if found:
            findings[pin.name] = found
    rest = [pin for pin in pins if pin.name not in findings]

    def one(pin: Pin) -> Finding:
        try:
            project = fetch(pin.name)
        except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts and bad JSON
            return Finding(pin, NOT_AUDITED, f"pip-audit skipped it and PyPI did not answer ({exc})")
        return assess(pin, project, today=today)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for finding in pool.map(one, rest):
            findings[finding.pin.name] = finding
    return [findings[pin.name] for pin in pins]


def report(findings: list[Finding], out=None) -> int:
    out = out or sys.stdout
    order = [VULNERABLE, YANKED, NOT_AUDITED, AUDITED]
    for finding in sorted(findings, key=lambda f: (order.index(f.outcome), f.pin.name)):
        print(finding.line(), file=out)
    counts = {outcome: sum(f.outcome == outcome for f in findings) for outcome in order}
    print(
        f"\naudit: {len(findings)} pinned: {counts[AUDITED]} audited with no known vulnerability, "
        f"{counts[VULNERABLE]} vulnerable, {counts[YANKED]} yanked, {counts[NOT_AUDITED]} not audited",
        file=out,
    )
    if counts[VULNERABLE] or counts[YANKED]:
        print("audit: FAILED: upgrade the pins listed above", file=out)
        return 1
    if counts[NOT_AUDITED]:
        print("audit: WARNING: the pins marked NOT AUDITED were not checked against any vulnerability data", file=out)
    return 0


def main(argv: list[str] | None = None, *, fetch: Fetch = fetch_project, today: date | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requirements", nargs="+", type=Path, help="requirements files with == pins")
    parser.add_argument("--pip-audit", type=Path, required=True, help="pip-audit's report (pip-audit -f json -o FILE)")
    args = parser.parse_args(argv)
    try:
        pins = read_pins(args.requirements)
        try:
            raw = json.loads(args.pip_audit.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read pip-audit's report {args.pip_audit}: {exc}") from exc
        pip_audit = read_pip_audit(raw)
    except UsageError as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    return report(audit(pins, pip_audit, fetch=fetch, today=today or date.today()))


if __name__ == "__main__":
    sys.exit(main())
