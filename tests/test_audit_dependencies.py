"""The dependency audit (scripts/audit_dependencies.py): pip-audit's findings first, PyPI's newest-release
data for what pip-audit skipped, and never a pass for a pin nothing checked. No network: PyPI is faked."""

import importlib.util
import io
import json
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / "scripts" / "audit_dependencies.py")
audit_dependencies = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = audit_dependencies  # dataclasses look their module up there
_spec.loader.exec_module(audit_dependencies)

Pin = audit_dependencies.Pin
TODAY = date(2026, 12, 2)

PYSEC = {
    "id": "PYSEC-2026-1",
    "aliases": ["CVE-2026-0001", "GHSA-aaaa-bbbb-cccc"],
    "fixed_in": ["2.0.1"],
    "withdrawn": None,
}
# PyPI lists the GHSA advisory as well, aliasing the PYSEC one: one vulnerability, not two.
GHSA = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "aliases": ["CVE-2026-0001", "PYSEC-2026-1"],
    "fixed_in": ["2.0.1"],
    "withdrawn": None,
}


def project(newest, releases=None, vulnerabilities=(), yanked=()):
    releases = releases or [newest]
    return {
        "info": {"version": newest},
        "releases": {
            v: [{"filename": f"x-{v}.tar.gz", "yanked": v in yanked, "yanked_reason": None}] for v in releases
        },
        "vulnerabilities": list(vulnerabilities),
    }


def pin(name="example", version="2.0.0"):
    return Pin(name=name, version=version, source="requirements.txt:1")


# -- PyPI's project data, one pin at a time --------------------------------------------------------------


@pytest.mark.parametrize(
    ("pinned", "data", "outcome", "says"),
    [
        # the pin is the newest release: PyPI's list is exactly the pin's
        ("2.0.0", project("2.0.0"), "audited", "the newest release"),
        ("2.0.0", project("2.0.0", vulnerabilities=[PYSEC, GHSA]), "VULNERABLE", "PYSEC-2026-1"),
        # a withdrawn advisory does not count
        ("2.0.0", project("2.0.0", vulnerabilities=[{**PYSEC, "withdrawn": "2026-02-01T00:00:00Z"}]), "audited", ""),
        # an older release of a project with no backport policy: nothing can be said
        ("1.9.0", project("2.0.0", ["1.9.0", "2.0.0"]), "NOT AUDITED", "not the newest release (2.0.0)"),
        # a yanked pin fails whatever else is known
        ("1.9.0", project("2.0.0", ["1.9.0", "2.0.0"], yanked=["1.9.0"]), "YANKED", "withdrawn by its authors"),
        ("2.0.0", project("2.0.0", yanked=["2.0.0"]), "YANKED", "no reason given"),
        # PyPI answered with something else
        ("2.0.0", {"message": "Not Found"}, "NOT AUDITED", "no project information"),
    ],
)
def test_assess_from_the_newest_release(pinned, data, outcome, says):
    finding = audit_dependencies.assess(pin(version=pinned), data, today=TODAY)
    assert finding.outcome == outcome
    assert says in finding.line()


def test_aliased_advisories_count_once():
    finding = audit_dependencies.assess(pin(), project("2.0.0", vulnerabilities=[PYSEC, GHSA]), today=TODAY)
    assert finding.vulns == ["PYSEC-2026-1 (CVE-2026-0001, GHSA-aaaa-bbbb-cccc), fixed in 2.0.1"]


DJANGO_RELEASES = ["5.1.9", "5.2", "5.2.18", "5.2.19", "5.2.20rc1", "6.0", "6.1.3"]


@pytest.mark.parametrize(
    ("pinned", "releases", "vulns", "today", "outcome", "says"),
    [
        # the newest release of the supported LTS series: covered by Django's policy
        ("5.2.19", DJANGO_RELEASES, [], TODAY, "audited", "the newest 5.2 release"),
        # a vulnerability listed for the newest release counts against the LTS pin too
        ("5.2.19", DJANGO_RELEASES, [PYSEC], TODAY, "VULNERABLE", "PYSEC-2026-1"),
        # a newer patch of the series exists (a release candidate does not count)
        ("5.2.18", DJANGO_RELEASES, [], TODAY, "NOT AUDITED", "5.2.19 is a newer release of the 5.2 series"),
        # past the end of support the policy no longer holds
        ("5.2.19", DJANGO_RELEASES, [], date(2028, 5, 1), "NOT AUDITED", "out of support"),
        # another series than the supported one
        ("5.1.9", DJANGO_RELEASES, [], TODAY, "NOT AUDITED", "not the newest release"),
        # PyPI did not list the releases
        ("5.2.19", ["6.1.3"], [], TODAY, "NOT AUDITED", "did not list the releases"),
    ],
)
def test_assess_a_supported_series(pinned, releases, vulns, today, outcome, says):
    data = project("6.1.3", releases, vulnerabilities=vulns)
    finding = audit_dependencies.assess(pin("django", pinned), data, today=today)
    assert finding.outcome == outcome
    assert says in finding.line()


# -- requirements files ----------------------------------------------------------------------------------


def test_read_pins_follows_includes_and_canonicalises(tmp_path):
    (tmp_path / "base.txt").write_text("# comment\nDjango==5.2.19\npsycopg[binary]==3.3.9  # driver\n")
    (tmp_path / "dev.txt").write_text("-r base.txt\nFaker==40.63.0\ndjango==5.2.19\n")
    pins = audit_dependencies.read_pins([tmp_path / "dev.txt", tmp_path / "base.txt"])
    assert [(p.name, p.version) for p in pins] == [("django", "5.2.19"), ("psycopg", "3.3.9"), ("faker", "40.63.0")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Django>=5.2\n", "Django is not pinned to one version with =="),
        ("Django==5.2.*\n", "not pinned to one version"),
        ("Django\n", "not pinned"),
        ("Django==5.2.19\ndjango==5.2.18\n", "pinned to 5.2.18 here, 5.2.19 at"),
        ("--index-url https://example.org/simple\n", "option --index-url is not supported"),
        ("Django===\n", "req.txt:1"),
        ("-r missing.txt\n", "cannot read missing.txt"),
    ],
)
def test_read_pins_refuses_what_it_cannot_audit(tmp_path, text, message):
    path = tmp_path / "req.txt"
    path.write_text(text)
    with pytest.raises(audit_dependencies.UsageError, match=message.replace(".", r"\.").replace("*", r"\*")):
        audit_dependencies.read_pins([path])


# -- the whole run ---------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("alpha==1.0\nbeta==2.0\ngamma==3.0\n")

    def write(dependencies):
        report = tmp_path / "pip-audit.json"
        report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
        return ["--pip-audit", str(report), str(req)]

    return write


def run(args, pypi, capsys):
    asked = []

    def fetch(name):
        asked.append(name)
        if name not in pypi:
            raise OSError("HTTP Error 404: Not Found")
        return pypi[name]

    code = audit_dependencies.main(args, fetch=fetch, today=TODAY)
    return code, capsys.readouterr(), asked


SKIPPED = "Dependency not found on PyPI and could not be audited"


def test_pip_audit_findings_are_used_and_only_skipped_pins_go_to_pypi(files, capsys):
    args = files(
        [
            {"name": "alpha", "version": "1.0", "vulns": []},
            {"name": "beta", "skip_reason": f"{SKIPPED}: beta (2.0)"},
            {"name": "gamma", "skip_reason": f"{SKIPPED}: gamma (3.0)"},
        ]
    )
    code, out, asked = run(args, {"beta": project("2.0"), "gamma": project("3.0")}, capsys)
    assert code == 0
    assert sorted(asked) == ["beta", "gamma"]
    assert "audited      alpha==1.0  pip-audit" in out.out
    assert "3 audited with no known vulnerability, 0 vulnerable, 0 yanked, 0 not audited" in out.out
    assert "WARNING" not in out.out


def test_a_vulnerability_from_pip_audit_fails(files, capsys):
    vuln = {"id": "PYSEC-2026-9", "aliases": ["CVE-2026-9"], "fix_versions": ["1.1"], "description": "..."}
    args = files(
        [
            {"name": "alpha", "version": "1.0", "vulns": [vuln]},
            {"name": "beta", "version": "2.0", "vulns": []},
            {"name": "gamma", "version": "3.0", "vulns": []},
        ]
    )
    code, out, asked = run(args, {}, capsys)
    assert code == 1
    assert asked == []
    assert "VULNERABLE   alpha==1.0  pip-audit: PYSEC-2026-9 (CVE-2026-9), fixed in 1.1" in out.out
    assert "audit: FAILED" in out.out


def test_a_vulnerability_from_pypi_fails(files, capsys):
    args = files([{"name": n, "skip_reason": SKIPPED} for n in ("alpha", "beta", "gamma")])
    pypi = {"alpha": project("1.0"), "beta": project("2.0", vulnerabilities=[PYSEC]), "gamma": project("3.0")}
    code, out, _ = run(args, pypi, capsys)
    assert code == 1
    assert out.out.splitlines()[0].startswith("VULNERABLE   beta==2.0  PyPI, newest release: PYSEC-2026-1")


def test_pins_nothing_checked_are_warned_about_not_passed(files, capsys):
    args = files([{"name": n, "skip_reason": SKIPPED} for n in ("alpha", "beta", "gamma")])
    pypi = {"alpha": project("1.0"), "beta": project("2.1", ["2.0", "2.1"])}  # gamma: PyPI does not answer
    code, out, _ = run(args, pypi, capsys)
    assert code == 0
    assert "NOT AUDITED  beta==2.0  not the newest release (2.1)" in out.out
    assert "NOT AUDITED  gamma==3.0  pip-audit skipped it and PyPI did not answer (HTTP Error 404" in out.out
    assert "1 audited with no known vulnerability, 0 vulnerable, 0 yanked, 2 not audited" in out.out
    assert "audit: WARNING" in out.out


def test_a_pin_missing_from_pip_audit_is_still_audited(files, capsys):
    args = files([])
    code, out, asked = run(args, {"alpha": project("1.0"), "beta": project("2.0"), "gamma": project("3.0")}, capsys)
    assert code == 0
    assert sorted(asked) == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize("report", ["", "not json", json.dumps({"no": "dependencies"}), json.dumps([1, 2])])
def test_an_unusable_pip_audit_report_is_a_usage_error(tmp_path, capsys, report):
    req = tmp_path / "requirements.txt"
    req.write_text("alpha==1.0\n")
    path = tmp_path / "pip-audit.json"
    path.write_text(report)
    code, out, asked = run(["--pip-audit", str(path), str(req)], {}, capsys)
    assert code == 2
    assert asked == []
    assert out.err.startswith("audit: ")


def test_a_missing_pip_audit_report_is_a_usage_error(tmp_path, capsys):
    req = tmp_path / "requirements.txt"
    req.write_text("alpha==1.0\n")
    code, out, _ = run(["--pip-audit", str(tmp_path / "nope.json"), str(req)], {}, capsys)
    assert code == 2
    assert "cannot read pip-audit's report" in out.err


def test_the_projects_pins_are_all_auditable():
    """Every line of the project's requirements is an exact pin the audit understands."""
    pins = audit_dependencies.read_pins([ROOT / "requirements.txt", ROOT / "requirements-dev.txt"])
    names = {p.name for p in pins}
    assert {"django", "django-taggit", "pytest-django", "pip-audit"} <= names


def test_report_lists_the_worst_first():
    findings = [
        audit_dependencies.Finding(pin("a"), "audited", "fine"),
        audit_dependencies.Finding(pin("b"), "NOT AUDITED", "unknown"),
        audit_dependencies.Finding(pin("c"), "VULNERABLE", "bad", ["X-1, no fix released"]),
    ]
    out = io.StringIO()
    assert audit_dependencies.report(findings, out) == 1
    assert [line.split()[0] for line in out.getvalue().splitlines()[:3]] == ["VULNERABLE", "NOT", "audited"]
