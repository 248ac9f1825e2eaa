"""config.settings read from the environment, each case in a fresh interpreter (settings are module-level)."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VARIABLES = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CACHE_URL")

PROBE = """
import json
import config.settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "debug": s.DEBUG,
    "secret_key": s.SECRET_KEY,
    "allowed_hosts": s.ALLOWED_HOSTS,
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST", ""),
    "port": str(db.get("PORT", "")),
    "user": db.get("USER", ""),
    "health_checks": db.get("CONN_HEALTH_CHECKS", False),
    "cache_backend": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION", ""),
    "session_cookie_secure": getattr(s, "SESSION_COOKIE_SECURE", False),
}))
"""


def load_settings(**variables):
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def settings_from(**variables):
    result = load_settings(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_without_secret_key_refuses_to_start():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = load_settings(DEBUG="false", SECRET_KEY="a-long-random-production-secret-key-for-tests")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ALLOWED_HOSTS" in result.stderr
    assert "SECRET_KEY must be set" not in result.stderr


def test_production_with_secret_key_and_allowed_hosts_starts():
    settings = settings_from(
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-key-for-tests",
        ALLOWED_HOSTS="example.com,www.example.com",
    )
    assert settings["debug"] is False
    assert settings["secret_key"] == "a-long-random-production-secret-key-for-tests"
    assert settings["allowed_hosts"] == ["example.com", "www.example.com"]
    assert settings["session_cookie_secure"] is True


def test_database_url_selects_postgresql():
    settings = settings_from(DATABASE_URL="postgres://u:p@h:5432/db")
    assert settings["engine"] == "django.db.backends.postgresql"
    assert (settings["name"], settings["host"], settings["port"], settings["user"]) == ("db", "h", "5432", "u")
    assert settings["health_checks"] is True


def test_cache_url_selects_redis():
    settings = settings_from(CACHE_URL="redis://127.0.0.1:6379/0")
    assert settings["cache_backend"] in {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
    assert settings["cache_location"] == "redis://127.0.0.1:6379/0"


def test_defaults_are_development_sqlite_and_locmem():
    settings = settings_from()
    assert settings["debug"] is True
    assert settings["secret_key"].startswith("django-insecure-")
    assert "127.0.0.1" in settings["allowed_hosts"] and "localhost" in settings["allowed_hosts"]
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert Path(settings["name"]) == PROJECT_ROOT / "db.sqlite3"
    assert settings["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["session_cookie_secure"] is False
