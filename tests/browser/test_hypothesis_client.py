"""The real Hypothesis client (npm ``hypothesis``, served by the site) in Chromium against this site (issue 16).

The article's ``?client=hypothesis`` page boots the client; its sidebar (our ``/hypothesis/app.html`` in a frame)
talks to our h-compatible API. Logged out it lists the approved annotations anchored on their words; a reader
logs in through our own login page (the sidebar's "Log in"), selects words, creates a tagged note (pending), edits
and deletes it; a moderator approves another in the admin and it shows for anonymous readers in the sidebar and
on the plain page; a flag and a reply from the sidebar reach the moderators' queue. No console error, no CSP violation.
"""

import os
import re
import shutil

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, Flag
from hypothesis_api import client as hypothesis_client

from .journeys import CHECK_QUOTE, NOTE_QUOTE, approve, create_fact_check, create_note, key_containing, user


@pytest.fixture(autouse=True)
def _client_installed():
    """Skipped without the npm package (``make test`` installs it); a failure in CI, where it must be there."""
    if not hypothesis_client.installed():
        message = "the npm package hypothesis is not installed (make test installs it: npm ci)"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


SIDEBAR = "iframe[src*='/hypothesis/app.html']"
NEW_QUOTE = "ChatGPT celebrated its second birthday"
PROJECT_DOCS = hypothesis_client.settings.BASE_DIR / "docs"


def _watch(page) -> list[str]:
    """Console errors (CSP violations among them) of the page and its frames, and failed requests."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return problems


def _open(page, live_url, article):
    page.goto(live_url(f"{article.get_absolute_url()}?client=hypothesis"))
    sidebar = page.frame_locator(SIDEBAR)
    expect(sidebar.get_by_role("button", name="Public", exact=False).first).to_be_visible(timeout=20_000)
    return sidebar


def _sidebar_open(page) -> None:
    """Open the sidebar if the client collapsed it (it does on a window resize, which a full-page screenshot makes)."""
    toggle = page.get_by_role("button", name="Annotation sidebar", exact=True)
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")


def _cards(sidebar):
    return sidebar.locator("article")


def _select(page, key: str, words: str) -> None:
    """Select ``words`` in the paragraph ``key`` as a reader would with the mouse (a DOM selection), then release."""
    page.evaluate(
        """([key, words]) => {
            const element = document.querySelector(`[data-block-key="${key}"].block-text`);
            const node = element.firstChild;
            const start = node.textContent.indexOf(words);
            if (start < 0) throw new Error("words not in the paragraph's first text node");
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            element.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }""",
        [key, words],
    )


def test_logged_out_the_sidebar_lists_approved_annotations_on_their_words(
    page, live_url, demo_data, demo_passwords, screenshot, assert_no_serious_violations
):
    problems = _watch(page)
    note = create_note(demo_data)
    check = create_fact_check(demo_data, author="bob")
    approve(note, check)
    create_note(demo_data, author="bob", quote=NEW_QUOTE, body="Pending: not for readers yet.")

    sidebar = _open(page, live_url, demo_data)
    expect(_cards(sidebar)).to_have_count(2)
    expect(sidebar.get_by_text("AGI is the claim")).to_be_visible()
    expect(sidebar.get_by_text("Fact-check: Accurate.")).to_be_visible()
    expect(sidebar.get_by_text("verdict: Accurate")).to_be_visible()
    expect(sidebar.get_by_text("Pending: not for readers yet.")).to_have_count(0)
    # anchored on the right words of the right paragraphs
    for quote in (NOTE_QUOTE, CHECK_QUOTE):
        key = key_containing(demo_data, quote)
        highlight = page.locator(f'[data-block-key="{key}"].block-text hypothesis-highlight')
        expect(highlight).to_have_text(quote)
    expect(page.locator("hypothesis-highlight")).to_have_count(2)
    # the page with the client's elements in it stays usable (axe: no serious or critical violation); axe's own
    # injected styles are refused by the CSP, so the console is checked before it runs
    assert problems == []
    assert_no_serious_violations(page)
    problems.clear()
    # the screenshot for the README (docs/hypothesis-sidebar.png)
    page.locator(f"#p-{key_containing(demo_data, NOTE_QUOTE)}").scroll_into_view_if_needed()
    path = screenshot(page, "hypothesis-sidebar")
    page.screenshot(path=str(path))  # the viewport: the sidebar beside the annotated paragraphs
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":  # the README's copy, refreshed on request only
        shutil.copy(path, PROJECT_DOCS / "hypothesis-sidebar.png")

    # the sidebar's Log in is our login page, and it comes back to the article with the sidebar signed in
    _sidebar_open(page)
    sidebar.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.locator("input[name=username]").fill("alice")
    page.locator("input[name=password]").fill(demo_passwords["alice"])
    page.locator("form.account-form").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_url(f"{demo_data.get_absolute_url()}?client=hypothesis"))
    expect(page.frame_locator(SIDEBAR).get_by_role("button", name="alice")).to_be_visible(timeout=20_000)
    assert problems == []


def test_a_reader_creates_edits_and_deletes_a_note_in_the_sidebar(page, live_url, demo_data, demo_passwords, login):
    problems = _watch(page)
    login(page, "bob", demo_passwords["bob"])
    sidebar = _open(page, live_url, demo_data)
    expect(sidebar.get_by_role("button", name="bob")).to_be_visible()

    key = key_containing(demo_data, NEW_QUOTE)
    _select(page, key, NEW_QUOTE)
    page.locator("hypothesis-adder").get_by_role("button", name="Annotate").click()
    sidebar.get_by_role("textbox", name="Enter comment").fill("The original says the *same*.")
    tags = sidebar.get_by_role("combobox", name="Add tags").or_(sidebar.get_by_label("Add tags")).first
    tags.fill("birthday")
    tags.press("Enter")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/hypothesis/api/annotations")
    ) as created:
        sidebar.get_by_role("button", name="Post to Public").click()
    assert created.value.status == 200

    card = _cards(sidebar).filter(has_text="The original says the")
    expect(card.get_by_test_id("moderation-status-badge")).to_contain_text("Pending")
    expect(card.get_by_role("link", name="Tag: birthday")).to_be_visible()
    annotation = Annotation.objects.get(author=user("bob"))
    assert (annotation.block.key, annotation.quote, annotation.body) == (
        key,
        NEW_QUOTE,
        "The original says the *same*.",
    )
    assert [tag.name for tag in annotation.tags.all()] == ["birthday"]
    assert annotation.status == Annotation.Status.PENDING
    expect(page.locator(f'[data-block-key="{key}"].block-text hypothesis-highlight')).to_have_text(NEW_QUOTE)

    # edit
    card.get_by_role("button", name="Edit").click()
    sidebar.get_by_role("textbox", name="Enter comment").fill("Edited: the original says the same.")
    with page.expect_response(
        lambda r: r.request.method == "PATCH" and "/hypothesis/api/annotations/" in r.url
    ) as saved:
        sidebar.get_by_role("button", name="Post to Public").click()
    assert saved.value.status == 200
    expect(_cards(sidebar).filter(has_text="Edited: the original says the same.")).to_have_count(1)
    annotation.refresh_from_db()
    assert annotation.body == "Edited: the original says the same." and annotation.edited_at is not None

    # delete
    _cards(sidebar).filter(has_text="Edited:").get_by_role("button", name="Delete").click()
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        sidebar.get_by_role("dialog").get_by_role("button", name="Delete").click()
    assert deleted.value.status == 200
    expect(_cards(sidebar)).to_have_count(0)
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    expect(page.locator("hypothesis-highlight")).to_have_count(0)

    # the sidebar's Log out is the site's (a POST with the page's CSRF token), back to the article, logged out
    sidebar.get_by_role("button", name="bob").click()
    with page.expect_navigation():
        sidebar.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(live_url(f"{demo_data.get_absolute_url()}?client=hypothesis"))
    expect(page.locator(".site-header")).not_to_contain_text("Signed in as")
    expect(page.frame_locator(SIDEBAR).get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
    assert problems == []


def _admin_login(page, live_url, username, password):
    page.goto(live_url("/admin/login/?next=/admin/annotations/annotation/queue/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/annotations/annotation/queue/$"))


def test_a_moderators_approval_and_a_readers_flag_from_the_sidebar(
    make_page, live_url, demo_data, demo_passwords, login
):
    pending = create_note(demo_data, author="bob", quote=NEW_QUOTE, body="Bob's note, waiting for a moderator.")
    assert pending.status == Annotation.Status.PENDING

    # anonymous: not there yet
    reader = make_page()
    problems = _watch(reader)
    sidebar = _open(reader, live_url, demo_data)
    expect(sidebar.get_by_text("Bob's note, waiting")).to_have_count(0)

    # the moderator approves it in the admin
    moderator = make_page()
    _admin_login(moderator, live_url, "moderator", demo_passwords["moderator"])
    moderator.locator(f"#q-{pending.pk}").get_by_role("button", name="Approve").click()
    expect(moderator.locator(".messagelist")).to_contain_text(f"#{pending.pk}: approve recorded")

    # now in the sidebar, on its words, and on the plain page
    sidebar = _open(reader, live_url, demo_data)
    expect(sidebar.get_by_text("Bob's note, waiting for a moderator.")).to_be_visible()
    key = key_containing(demo_data, NEW_QUOTE)
    expect(reader.locator(f'[data-block-key="{key}"].block-text hypothesis-highlight')).to_have_text(NEW_QUOTE)
    reader.goto(live_url(demo_data.get_absolute_url()))
    expect(reader.locator(f"#a-{pending.pk}")).to_contain_text("Bob's note, waiting for a moderator.")
    assert problems == []

    # alice reports it from the sidebar; the moderators' queue shows the flag
    alice = make_page()
    login(alice, "alice", demo_passwords["alice"])
    sidebar = _open(alice, live_url, demo_data)
    card = _cards(sidebar).filter(has_text="Bob's note")
    with alice.expect_response(lambda r: r.request.method == "PUT" and r.url.endswith("/flag")) as flagged:
        card.get_by_role("button", name="Report this annotation to moderators").click()
    assert flagged.value.status == 204
    expect(card.get_by_role("button", name="Annotation has been reported to the moderators")).to_be_visible()
    flag = Flag.objects.get(annotation=pending)
    assert flag.reporter.username == "alice" and flag.resolution == Flag.Resolution.OPEN
    # and replies to it: a reply through the site's reply service, pending like any note of hers
    card.get_by_role("button", name="Reply").click()
    sidebar.get_by_role("textbox", name="Enter reply").fill("Alice's answer.")
    with alice.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/annotations")) as replied:
        sidebar.get_by_role("button", name="Post to Public").click()
    assert replied.value.status == 200
    reply = Annotation.objects.get(parent=pending)
    assert (reply.author.username, reply.body, reply.status) == ("alice", "Alice's answer.", Annotation.Status.PENDING)
    expect(sidebar.get_by_text("Alice's answer.")).to_be_visible()
    moderator.goto(live_url("/admin/annotations/annotation/queue/"))
    expect(moderator.locator(f"#q-{pending.pk}")).to_contain_text("1 open flag")
    expect(moderator.locator(f"#q-{pending.pk} .flags")).to_contain_text("alice")
