"""The admin pages moderators use, as the demo moderator: axe finds no serious or critical violation and the
browser reports no Content-Security-Policy violation (issue 18).

CSP violations are caught twice: a ``securitypolicyviolation`` listener registered before any page script
(``add_init_script``) stores them on ``window``, and console errors mentioning the policy are collected too.
"""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, Evidence
from annotations.services import moderation
from articles.models import ArticleRevision
from articles.services import BlockEdit, revise_blocks
from tests.browser.journeys import EVIDENCE_URL, approve, create_fact_check, create_note, user

from . import a11y

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(
        `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}: ${event.sample}`
    );
});
"""


@pytest.fixture
def moderation_data(demo_data):
    """Pending annotations, and an approved fact-check (evidence, an open flag) whose text changed under it."""
    article = demo_data
    pending_note = create_note(article)
    pending_check = create_fact_check(article, author="alice", body="Released in late 2022, as the essay says.")
    check = create_fact_check(article, author="bob")
    approve(check)
    moderation.flag_annotation(annotation=check, reporter=user("alice"), reason="inaccurate", text="Check the year.")
    block = check.block
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(
                kind=block.kind,
                text=block.text.replace("November 30, 2022", "November 30, 2021"),
                order=block.position,
                block=block,
            )
        ],
        actor=user("editor"),
        note="Corrected a date",
    )
    check.refresh_from_db()
    assert check.anchor_state == Annotation.AnchorState.NEEDS_REANCHORING
    assert Evidence.objects.filter(annotation=check).exists()
    revision = ArticleRevision.objects.filter(article=article).latest("pk")
    return SimpleNamespace(article=article, check=check, pending=[pending_note, pending_check], revision=revision)


@pytest.fixture
def moderator_page(make_page, live_url, demo_data, demo_passwords):
    page = make_page()
    page.add_init_script(CSP_LISTENER)
    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(live_url("/admin/login/?next=/admin/"))
    page.locator("#id_username").fill("moderator")
    page.locator("#id_password").fill(demo_passwords["moderator"])
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_contain_text("moderator")
    page.console_messages = console
    return page


ADMIN_PAGES = {
    "index": lambda d: "/admin/",
    "moderation-queue": lambda d: "/admin/annotations/annotation/queue/",
    "annotation-changelist": lambda d: "/admin/annotations/annotation/",
    "annotation-change-form": lambda d: f"/admin/annotations/annotation/{d.check.pk}/change/",
    "reanchor": lambda d: f"/admin/annotations/annotation/{d.check.pk}/reanchor/",
    "revision-changelist": lambda d: "/admin/articles/articlerevision/",
    "revision-change-form": lambda d: f"/admin/articles/articlerevision/{d.revision.pk}/change/",
    "flag-review": lambda d: "/admin/annotations/annotation/?flagged=open",
}


def csp_problems(page) -> list[str]:
    events = page.evaluate("() => window.__cspViolations || []")
    console = [
        message
        for message in page.console_messages
        if "content security policy" in message.lower() or "content-security-policy" in message.lower()
    ]
    return events + console


@pytest.mark.parametrize("name", list(ADMIN_PAGES))
def test_admin_page_has_no_serious_axe_violation_and_no_csp_violation(name, moderator_page, live_url, moderation_data):
    page = moderator_page
    page.console_messages.clear()  # the login page's messages are not this page's
    response = page.goto(live_url(ADMIN_PAGES[name](moderation_data)))
    assert response is not None and response.status == 200, f"{page.url} answered {response and response.status}"
    if name == "moderation-queue":
        expect(page.locator(f"#r-{moderation_data.check.pk}")).to_have_count(1)
        for annotation in moderation_data.pending:
            expect(page.locator(f"#q-{annotation.pk}")).to_have_count(1)
    if name == "annotation-change-form":
        expect(page.locator(f'.inline-group input[value="{EVIDENCE_URL}"]')).to_have_count(1)
    if name == "flag-review":
        expect(page.locator(f'#result_list a[href*="/annotation/{moderation_data.check.pk}/change/"]')).to_have_count(1)
    page.wait_for_load_state("networkidle")
    # read before axe runs: axe itself parses stylesheets with @import (admin/css/forms.css) through <style>
    # elements it creates, which this CSP rightly blocks; those are the test tool's, not the page's
    problems = csp_problems(page)
    blocking = [v for v in a11y.run_axe(page) if v["impact"] in a11y.BLOCKING_IMPACTS]
    report = []
    if blocking:
        report.append(f"axe found {len(blocking)} serious/critical violation(s):\n" + a11y.format_violations(blocking))
    if problems:
        report.append("CSP violations:\n" + "\n".join(problems))
    assert not report, f"on {page.url}:\n" + "\n".join(report)
