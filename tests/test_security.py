"""Production security: check --deploy, headers, cookies."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent


def production_env(**extra) -> dict:
    # (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it)
    dropped = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="annotations.example.org", **extra)
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_hardened():
    code = (
        "from django.conf import settings as s; import django; django.setup();"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**production_env(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "True", "True", "DENY"], result.stderr


@pytest.mark.django_db
def test_security_headers_on_pages(article):
    response = Client().get(f"/articles/{article.slug}/")
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_hsts_over_https_in_production(article):
    with override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_SSL_REDIRECT=True):
        client = Client()
        response = client.get(f"/articles/{article.slug}/", secure=True)
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        insecure = client.get(f"/articles/{article.slug}/")
        assert insecure.status_code == 301 and insecure["Location"].startswith("https://")


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_secure_in_production(make_user):
    make_user("cookie", password="pw-for-tests-123")
    with override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True):
        client = Client(enforce_csrf_checks=False)
        client.get("/accounts/login/", secure=True)
        response = client.post("/accounts/login/", {"username": "cookie", "password": "pw-for-tests-123"}, secure=True)
        session = response.cookies["sessionid"]
        assert session["secure"] and session["httponly"]
        # logging in rotates the CSRF token: the new cookie is set, secure
        assert response.cookies["csrftoken"]["secure"]


def test_no_inline_script_in_templates():
    """CSP forbids inline script: no template may carry one (JSON-LD data blocks excepted)."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for chunk in text.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            if "src=" not in head and "application/ld+json" not in head:
                offenders.append(str(path.relative_to(ROOT)))
        if " on" in text and any(
            f" on{event}=" in text for event in ("click", "load", "error", "submit", "change", "mouseover")
        ):
            offenders.append(f"{path.relative_to(ROOT)} (inline handler)")
    assert offenders == []
