"""Browser tests: Playwright drives the machine's Chromium against pytest-django's live server.

Chromium is Debian's /usr/bin/chromium (override with CHROMIUM_PATH); Playwright
never downloads a browser (`scripts/ensure-chromium` installs the package).
Without it the tests are skipped, or fail when REQUIRE_BROWSER=1 (CI).
"""

import os

# Playwright's sync API keeps an asyncio event loop running in this thread, so
# Django's async-safety check would raise SynchronousOnlyOperation on every ORM
# call made by the tests themselves. The tests call the ORM synchronously and
# never from a coroutine, so the check is switched off (Django's documented
# escape hatch). Set before anything else runs. Once tests/browser is collected
# it holds for the whole pytest process, which is harmless: no test runs Django
# code from a coroutine.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import io  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from . import a11y  # noqa: E402

BROWSER_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BROWSER_DIR.parent.parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
# Fail fast: the live server is local, nothing should take seconds.
DEFAULT_TIMEOUT_MS = 10_000


@pytest.hookimpl(tryfirst=True)  # before `-m` selection deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        message = f"Chromium not found at {path} (set CHROMIUM_PATH, or run scripts/ensure-chromium to install Debian's chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def make_page(browser):
    """make_page(viewport=..., java_script_enabled=..., **new_context_kwargs) -> a page in a fresh context."""
    contexts = []

    def make(*, viewport=None, java_script_enabled=True, **context_kwargs):
        context = browser.new_context(
            viewport=viewport or DESKTOP, java_script_enabled=java_script_enabled, **context_kwargs
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    return make_page()


@pytest.fixture
def mobile_page(make_page):
    return make_page(viewport=MOBILE, is_mobile=True, has_touch=True)


@pytest.fixture
def live_url(live_server):
    """live_url('/articles/x/') -> 'http://localhost:PORT/articles/x/'."""

    def url(path="/"):
        return live_server.url.rstrip("/") + "/" + str(path).lstrip("/")

    return url


@pytest.fixture
def demo_data(live_server):
    """Run `setup_demo --no-annotations` (sample article 'altman-reflections', no annotations yet; users editor,
    moderator, alice, bob) -> the Article."""
    from django.core.management import call_command
    from django.test import override_settings

    from articles.demo import SAMPLE_SLUG
    from articles.models import Article

    # setup_demo refuses to run with DEBUG off, and pytest-django turns DEBUG off.
    with override_settings(DEBUG=True):
        call_command("setup_demo", "--no-annotations", stdout=io.StringIO())
    return Article.objects.get(slug=SAMPLE_SLUG)


@pytest.fixture
def demo_passwords():
    from articles.demo import DEMO_ACCOUNTS

    return {username: password for username, (password, _role) in DEMO_ACCOUNTS.items()}


@pytest.fixture
def login(live_url):
    """login(page, username, password) signs in through the site's login form; skips if there is none yet."""
    from django.urls import NoReverseMatch, reverse

    def do_login(page, username, password):
        try:
            path = reverse("login")
        except NoReverseMatch:
            path = "/accounts/login/"
        response = page.goto(live_url(path))
        if response is None or response.status == 404:
            pytest.fail(f"no login page at {path}", pytrace=False)
        if not response.ok:
            pytest.fail(f"login page {path} answered {response.status}", pytrace=False)
        form = page.locator("form").filter(has=page.locator("input[name=password]"))
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            submit = form.locator("button[type=submit], input[type=submit]")
            if submit.count():
                submit.first.click()
            else:
                form.locator("input[name=password]").press("Enter")
        if not any(cookie["name"] == "sessionid" for cookie in page.context.cookies()):
            pytest.fail(f"login as {username!r} failed: still at {page.url}", pytrace=False)
        return page

    return do_login


@pytest.fixture(scope="session")
def screenshot_dir():
    path = Path(os.environ.get("SCREENSHOT_DIR") or PROJECT_DIR / "artifacts" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def screenshot(screenshot_dir):
    """screenshot(page, 'article-desktop') -> Path of a full-page PNG in the screenshots folder."""

    def take(page, name):
        filename = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "screenshot"
        path = screenshot_dir / f"{filename}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def axe_check():
    """axe_check(page, context=None, options=None) -> list of axe violations on the current page."""
    return a11y.run_axe


@pytest.fixture
def assert_no_serious_violations():
    """assert_no_serious_violations(page) fails listing serious/critical axe violations."""
    return a11y.assert_no_serious_violations
