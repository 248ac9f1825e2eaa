"""config.settings read from the environment, each case in a fresh interpreter (settings are module-level)."""

import json
import os
import shutil
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
    # Django's own Redis backend (django-environ picks it when django-redis is not installed),
    # wrapped so that an unreachable Redis is a cache miss, not a 500 (config/cache.py)
    assert settings["cache_backend"] == "config.cache.ResilientRedisCache"
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


# --------------------------------------------------------------------------- a developer's .env

# What a developer's .env might say; each value differs from what the test settings use.
BOGUS_DOT_ENV = """\
DEBUG=false
SECRET_KEY=a-secret-from-a-dot-env-file
ALLOWED_HOSTS=dot-env.example
DATABASE_URL=postgres://someone:pw@dot-env.invalid:5432/theirs
SITE_NAME=From a dot-env file
RATELIMIT_ENABLE=false
ANNOTATIONS_FLAG_HIDE_THRESHOLD=99
"""

DOT_ENV_PROBE = """
import importlib, json, sys
s = importlib.import_module(sys.argv[1])
print(json.dumps({
    "debug": s.DEBUG,
    "secret_key": s.SECRET_KEY,
    "allowed_hosts": s.ALLOWED_HOSTS,
    "engine": s.DATABASES["default"]["ENGINE"],
    "site_name": s.SITE_NAME,
    "ratelimit_enable": s.RATELIMIT_ENABLE,
    "flag_hide_threshold": s.ANNOTATIONS_FLAG_HIDE_THRESHOLD,
}))
"""


def settings_beside_a_dot_env(root: Path, module: str) -> dict:
    """``module``'s settings, imported from a copy of the settings modules in ``root`` (whose .env may exist)."""
    dropped = {*VARIABLES, "DJANGO_READ_DOT_ENV", "DJANGO_SETTINGS_MODULE", "SITE_NAME", "RATELIMIT_ENABLE"}
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    result = subprocess.run(
        [sys.executable, "-c", DOT_ENV_PROBE, module], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_dot_env_file_does_not_change_the_test_settings(tmp_path):
    """A .env beside the settings (where config.settings looks: BASE_DIR/.env) is ignored by tests.settings.

    The settings modules are copied into a temporary project root, so the
    checkout (and a developer's real .env) is left alone; the copy's BASE_DIR is
    that root. The control shows the same .env does change config.settings.
    """
    for module in (
        "config/__init__.py",
        "config/celery.py",
        "config/settings.py",
        "tests/__init__.py",
        "tests/settings.py",
    ):
        (tmp_path / module).parent.mkdir(exist_ok=True)
        shutil.copy(PROJECT_ROOT / module, tmp_path / module)
    without = settings_beside_a_dot_env(tmp_path, "tests.settings")
    (tmp_path / ".env").write_text(BOGUS_DOT_ENV)

    # control: the project's own settings do read this .env
    assert settings_beside_a_dot_env(tmp_path, "config.settings") == {
        "debug": False,
        "secret_key": "a-secret-from-a-dot-env-file",
        "allowed_hosts": ["dot-env.example"],
        "engine": "django.db.backends.postgresql",
        "site_name": "From a dot-env file",
        "ratelimit_enable": False,
        "flag_hide_threshold": 99,
    }
    # the test settings do not: the same values as without the file, the development defaults
    with_dot_env = settings_beside_a_dot_env(tmp_path, "tests.settings")
    assert with_dot_env == without
    assert with_dot_env["secret_key"].startswith("django-insecure-")
    assert (with_dot_env["debug"], with_dot_env["engine"], with_dot_env["site_name"]) == (
        True,
        "django.db.backends.sqlite3",
        "Annotated",
    )
    assert (with_dot_env["ratelimit_enable"], with_dot_env["flag_hide_threshold"]) == (True, 3)


def test_this_test_run_reads_no_dot_env():
    """The settings this run uses were imported with .env reading off (tests/settings.py turns it off)."""
    assert os.environ["DJANGO_READ_DOT_ENV"] == "0"
