"""Every public page, account page, error page and admin page moderators use is valid HTML (issue 18).

The pages are fetched with Django's test client (DEBUG off) over the demo data (``setup_demo``: published,
pending and rejected annotations, a reader's flag) plus a revision that leaves a fact-check on changed words,
written to a temporary folder, and checked in one run of the Nu HTML Checker (``vnu.jar`` from the npm
package ``vnu-jar``, ``package.json``; ``make test`` installs it, Debian's Java runs it). Any error fails the
test, listed with its page, line, message and extract; warnings are not checked.

Without Java or the jar the test is skipped, or fails when ``CI`` or ``REQUIRE_VNU`` is set.
This module is also the URLconf of its test: the site's URLs plus a view that refuses (403) and one that
raises (500), so the error pages are rendered by Django's own handlers.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import path, reverse

from annotations import services
from annotations.demo_compare import SYNTHETIC_SLUG
from annotations.models import Annotation, Flag
from annotations.services import moderation
from articles.demo import SAMPLE_SLUG
from articles.models import Article, ArticleRevision
from articles.services import BlockEdit, revise_blocks
from config.database_errors import database_unavailable_response
from config.urls import urlpatterns as site_patterns
from notifications.preferences import unsubscribe_token

PROJECT_DIR = Path(__file__).resolve().parents[2]
VNU_JAR = PROJECT_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VNU_TIMEOUT_SECONDS = 180

# vnu messages that come from Django's own code and that no template of ours can fix, each with why.
# Matched exactly (message text); keep this empty unless there is truly no honest fix.
KNOWN_DJANGO_ERRORS: dict[str, str] = {}

# Errors of ours whose fix is outside the templates, pinned so the test reports them as an expected failure
# (XFAIL, with this reason) instead of failing CI until they are fixed; any other error still fails. Remove an
# entry when it is fixed: the test then passes without it.


def _forbidden(request):
    raise PermissionDenied


def _boom(request):
    raise RuntimeError("a bug in a view (test_html_valid)")


urlpatterns = [
    *site_patterns,
    path("test-validation/forbidden/", _forbidden),
    path("test-validation/boom/", _boom),
]

pytestmark = [pytest.mark.vnu, pytest.mark.urls(__name__), pytest.mark.django_db]


def vnu_command() -> list[str]:
    java = shutil.which("java")
    missing = [
        name for name, ok in (("java", java), (str(VNU_JAR.relative_to(PROJECT_DIR)), VNU_JAR.is_file())) if not ok
    ]
    if missing:
        message = (
            f"the Nu HTML Checker needs {' and '.join(missing)}: `make test` installs the checker (npm ci, "
            "package.json) and Debian's Java runs it (apt-get install default-jre-headless)"
        )
        if os.environ.get("CI") or os.environ.get("REQUIRE_VNU"):
            pytest.fail(f"CI/REQUIRE_VNU set, but {message}", pytrace=False)
        pytest.skip(message)
    return [java, "-jar", str(VNU_JAR)]


class Pages:
    """The pages to check, written to ``directory`` as ``NN-name.html``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.files: dict[str, str] = {}  # file name -> what the page is (name and URL)

    def add(self, name: str, html: str, *, where: str) -> None:
        filename = f"{len(self.files) + 1:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"
        (self.directory / filename).write_text(html, encoding="utf-8")
        self.files[filename] = f"{name} ({where})"

    def fetch(self, client: Client, name: str, url: str, *, status: int = 200, data=None, method: str = "get") -> str:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert response.status_code == status, f"{name}: {method.upper()} {url} answered {response.status_code}"
        assert response["Content-Type"].startswith("text/html"), f"{name}: {url} is {response['Content-Type']}"
        html = response.content.decode()
        self.add(name, html, where=f"{method.upper()} {url} → {status}")
        return html


def user(username: str):
    return get_user_model().objects.get(username=username)


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


@pytest.fixture
def demo(settings):
    """The demo (setup_demo with its annotations), then an edit that leaves a published fact-check on changed
    words (an article revision, and an annotation waiting for a moderator's re-anchoring decision)."""
    with override_settings(DEBUG=True):  # setup_demo refuses to run with DEBUG off
        call_command("setup_demo", stdout=io.StringIO())
    article = Article.objects.get(slug=SAMPLE_SLUG)
    check = Annotation.objects.get(article=article, kind=Annotation.Kind.FACT_CHECK, quote__contains="a big failure")
    block = check.block
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(
                kind=block.kind,
                text=block.text.replace("a big failure", "a huge failure"),
                order=block.position,
                block=block,
            )
        ],
        actor=user("editor"),
        note="A word changed",
    )
    check.refresh_from_db()
    assert check.anchor_state == Annotation.AnchorState.NEEDS_REANCHORING
    settings.DEBUG = False
    return article


def collect_pages(pages: Pages, article: Article, settings) -> None:
    slug = article.slug
    article_url = article.get_absolute_url()
    published = Annotation.objects.readable().filter(article=article)
    fact_check = published.filter(kind=Annotation.Kind.FACT_CHECK, author__username="bob").order_by("pk").first()
    note = published.filter(kind=Annotation.Kind.NOTE).order_by("pk").first()
    reanchoring = Annotation.objects.needs_anchor_review().filter(article=article).first()
    tag = fact_check.tags.order_by("slug").first()
    revision = ArticleRevision.objects.filter(article=article).latest("number")
    paragraph = note.block
    assert fact_check and note and reanchoring and tag
    # replies (issue #15): a published thread under the fact-check, shown on the article page and permalinks
    reply = services.create_reply(
        author=user("alice"), parent=fact_check, body="A *reply*, with a [link](https://example.org)."
    )
    moderation.approve(annotation=reply, actor=user("moderator"))
    services.create_reply(author=user("moderator"), parent=reply, body="An answer to the reply.", tags="thread")

    # ---- readers (anonymous)
    anonymous = Client()
    pages.fetch(anonymous, "article list", reverse("articles:article-list"))
    pages.fetch(anonymous, "article", article_url)
    pages.fetch(anonymous, "article, tag filter", f"{article_url}?{urlencode({'tag': tag.slug})}")
    pages.fetch(anonymous, "article, kind filter", f"{article_url}?kind=fact_check")
    pages.fetch(anonymous, "article, fact-checks view", f"{article_url}?view=fact-checks&verdict=misleading")
    pages.fetch(anonymous, "article, clean text", f"{article_url}?view=clean")
    pages.fetch(anonymous, "article, Hypothesis sidebar", f"{article_url}?client=hypothesis")
    pages.fetch(anonymous, "Hypothesis sidebar app", reverse("hypothesis_api:sidebar-app"))
    pages.fetch(anonymous, "Hypothesis notebook (none here)", reverse("hypothesis_api:notebook-app"), status=404)
    pages.fetch(anonymous, "article, bad filter", f"{article_url}?verdict=no-such-verdict", status=400)
    paragraph_url = reverse("annotations:paragraph-detail", kwargs={"slug": slug, "key": fact_check.block.key})
    pages.fetch(anonymous, "paragraph page", paragraph_url)
    pages.fetch(anonymous, "paragraph page, kind filter", f"{paragraph_url}?kind=note")
    pages.fetch(anonymous, "permalink, fact-check", reverse("annotations:annotation-detail", args=[fact_check.pk]))
    pages.fetch(anonymous, "permalink, note", reverse("annotations:annotation-detail", args=[note.pk]))
    pages.fetch(anonymous, "permalink, reply", reverse("annotations:annotation-detail", args=[reply.pk]))
    pages.fetch(
        anonymous, "permalink, on changed words", reverse("annotations:annotation-detail", args=[reanchoring.pk])
    )
    pages.fetch(anonymous, "verdict scale", reverse("annotations:verdict-scale"))
    pages.fetch(anonymous, "tag index", reverse("annotations:tag-index"))
    pages.fetch(anonymous, "tag page", reverse("annotations:tag-detail", kwargs={"slug": tag.slug}))
    pages.fetch(anonymous, "author page", reverse("annotations:author-detail", kwargs={"username": "alice"}))
    pages.fetch(anonymous, "search", f"{reverse('annotations:search')}?q=AGI")
    pages.fetch(anonymous, "search, nothing found", f"{reverse('annotations:search')}?q=zzyzx")
    pages.fetch(anonymous, "search, empty", reverse("annotations:search"))
    pages.fetch(
        anonymous, "revision", reverse("articles:article-revision", kwargs={"slug": slug, "number": revision.number})
    )
    if revision.number > 1:
        pages.fetch(
            anonymous, "earlier revision", reverse("articles:article-revision", kwargs={"slug": slug, "number": 1})
        )

    # ---- accounts
    pages.fetch(anonymous, "log in", reverse("login"))
    pages.fetch(
        anonymous,
        "log in, wrong password",
        reverse("login"),
        method="post",
        data={"username": "alice", "password": "wrong"},
    )
    pages.fetch(anonymous, "sign up", reverse("signup"))
    pages.fetch(
        anonymous,
        "sign up, errors",
        reverse("signup"),
        method="post",
        data={"username": "alice", "password1": "x", "password2": "y"},
        status=400,
    )
    pages.fetch(anonymous, "password reset", reverse("password_reset"))
    pages.fetch(anonymous, "password reset sent", reverse("password_reset_done"))
    pages.fetch(anonymous, "admin log in", reverse("admin:login"))

    # ---- an annotator (bob: published and rejected annotations of his own; alice flagged one)
    bob = logged_in("bob")
    alice = logged_in("alice")
    pages.fetch(bob, "article, signed in", article_url)
    pages.fetch(bob, "article, Hypothesis sidebar, signed in", f"{article_url}?client=hypothesis")
    pages.fetch(bob, "paragraph page, signed in", paragraph_url)
    pages.fetch(bob, "your annotations", reverse("annotations:annotation-mine"))
    create_url = reverse("annotations:annotation-create", kwargs={"slug": slug, "key": paragraph.key})
    pages.fetch(bob, "annotation form, add", create_url)
    pages.fetch(
        bob,
        "annotation form, add a fact-check with errors",
        create_url,
        method="post",
        data={"kind": "fact_check", "body": "", "quote": "no such words"},
        status=400,
    )
    pages.fetch(bob, "annotation form, edit", reverse("annotations:annotation-edit", args=[fact_check.pk]))
    reply_url = reverse("annotations:annotation-reply", args=[reply.pk])
    pages.fetch(bob, "reply form", reply_url)
    pages.fetch(bob, "reply form with errors", reply_url, method="post", data={"body": ""}, status=400)
    pages.fetch(bob, "annotation delete", reverse("annotations:annotation-delete", args=[fact_check.pk]))
    pages.fetch(bob, "password change", reverse("password_change"))
    pages.fetch(bob, "API tokens", reverse("api-tokens"))
    pages.fetch(bob, "e-mail notices", reverse("notification-settings"))
    pages.fetch(
        bob,
        "e-mail notices, errors",
        reverse("notification-settings"),
        method="post",
        data={"reply": "sometimes"},
        status=400,
    )
    unsubscribe_url = reverse("notification-unsubscribe", kwargs={"token": unsubscribe_token(user("bob"), "reply")})
    pages.fetch(anonymous, "unsubscribe, confirm", unsubscribe_url)
    pages.fetch(anonymous, "unsubscribe, done", unsubscribe_url, method="post", data={})
    pages.fetch(
        anonymous,
        "unsubscribe, bad link",
        reverse("notification-unsubscribe", kwargs={"token": "not-a-token"}),
        status=400,
    )
    pages.fetch(alice, "flag form", reverse("annotations:annotation-flag", args=[fact_check.pk]))

    # ---- error pages, through Django's handlers
    pages.fetch(anonymous, "404", "/no-such-page/", status=404)
    pages.fetch(alice, "403", "/test-validation/forbidden/", status=403)
    pages.fetch(
        Client(enforce_csrf_checks=True),
        "403 csrf",
        reverse("login"),
        method="post",
        data={"username": "x"},
        status=403,
    )
    pages.fetch(Client(raise_request_exception=False), "500", "/test-validation/boom/", status=500)
    pages.add(
        "503, database unreachable", database_unavailable_response().content.decode(), where="config.database_errors"
    )
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": {"anonymous": "1/m", "ip": "1/m", "username": "1/m"}}
    limited = Client()
    limited.post(reverse("login"), {"username": "alice", "password": "wrong"})
    pages.fetch(
        limited, "429", reverse("login"), method="post", data={"username": "alice", "password": "wrong"}, status=429
    )

    # ---- the admin, as the demo moderator
    moderator = logged_in("moderator")
    changelist = reverse("admin:annotations_annotation_changelist")
    pages.fetch(moderator, "admin index", reverse("admin:index"))
    pages.fetch(moderator, "moderation queue", reverse("admin:annotations_annotation_queue"))
    pages.fetch(moderator, "annotation list", changelist)
    pages.fetch(moderator, "annotation list, open flags", f"{changelist}?flagged=open")
    pages.fetch(moderator, "annotation list, anchoring", f"{changelist}?anchoring=attention")
    pages.fetch(moderator, "annotation list, search", f"{changelist}?q=AGI")
    pages.fetch(
        moderator,
        "bulk reject, reason",
        changelist,
        method="post",
        data={"action": "bulk_reject", "_selected_action": [fact_check.pk, note.pk]},
    )
    flagged = Flag.objects.filter(resolution="").values_list("annotation", flat=True).first() or fact_check.pk
    pages.fetch(
        moderator, "annotation change form, flagged", reverse("admin:annotations_annotation_change", args=[flagged])
    )
    pages.fetch(
        moderator,
        "annotation change form, re-anchoring",
        reverse("admin:annotations_annotation_change", args=[reanchoring.pk]),
    )
    pages.fetch(moderator, "annotation add form", reverse("admin:annotations_annotation_add"))
    pages.fetch(
        moderator,
        "annotation add form, article chosen",
        f"{reverse('admin:annotations_annotation_add')}?article={article.pk}",
    )
    pages.fetch(moderator, "re-attach", reverse("admin:annotations_annotation_reanchor", args=[reanchoring.pk]))
    pages.fetch(moderator, "revision list", reverse("admin:articles_articlerevision_changelist"))
    pages.fetch(moderator, "revision page", reverse("admin:articles_articlerevision_change", args=[revision.pk]))
    pages.fetch(moderator, "article list (admin)", reverse("admin:articles_article_changelist"))
    pages.fetch(
        moderator, "article page (admin, view only)", reverse("admin:articles_article_change", args=[article.pk])
    )
    editor = logged_in("editor")
    pages.fetch(editor, "article change form (editor)", reverse("admin:articles_article_change", args=[article.pk]))

    # ---- the compare view, its drift links and the original's admin page (issue 19)
    pages.fetch(anonymous, "compare view, sample (passages, excerpts)", f"{article_url}?view=compare")
    synthetic = Article.objects.get(slug=SYNTHETIC_SLUG).get_absolute_url()
    pages.fetch(anonymous, "compare view, synthetic pair", f"{synthetic}?view=compare")
    html = pages.fetch(bob, "compare view, signed in", f"{synthetic}?view=compare")
    drift = re.search(r'class="fact-check-drift" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    pages.fetch(bob, "annotation form, prefilled from a drift", drift)
    pages.fetch(editor, "original and alignment (admin)", reverse("admin:articles_article_original", args=[article.pk]))
    # the alignment collection is JSON-LD, not HTML: served here, its W3C checks in tests/annotations/test_compare_alignment.py
    alignment = anonymous.get(reverse("annotations:article-alignment", kwargs={"slug": slug}))
    assert alignment.status_code == 200 and alignment.json()["type"] == "AnnotationCollection"


def run_vnu(command: list[str], directory: Path, filenames: list[str]) -> list[dict]:
    result = subprocess.run(
        [*command, "--format", "json", "--errors-only", "--skip-non-html", "--stdout", *filenames],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=VNU_TIMEOUT_SECONDS,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"vnu gave no JSON report (exit {result.returncode}):\n{result.stdout}\n{result.stderr}", pytrace=False
        )
    return report["messages"]


def test_every_page_is_valid_html(demo, settings, tmp_path):
    command = vnu_command()
    pages = Pages(tmp_path)
    collect_pages(pages, demo, settings)

    started = time.monotonic()
    messages = run_vnu(command, tmp_path, list(pages.files))
    elapsed = time.monotonic() - started

    errors = []
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue  # --errors-only: nothing else is expected; warnings are out of scope
        if message.get("message") in KNOWN_DJANGO_ERRORS:
            continue
        errors.append(message)
    report = []
    for message in errors:
        filename = unquote(Path(message.get("url", "?")).name)
        report.append(
            f"{pages.files.get(filename, filename)}, line {message.get('lastLine', '?')}: {message.get('message')}\n"
            f"    {message.get('extract', '').strip()!r}"
        )
    assert not errors, (
        f"vnu found {len(errors)} error(s) in {len(pages.files)} pages (files in {tmp_path}, {elapsed:.1f} s):\n"
        + "\n".join(report)
    )
