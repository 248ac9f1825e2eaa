"""Replies in a real browser (issue #15): a reader replies to a published fact-check without JavaScript (the
"Reply" link's form page) and with it (the same form opened in place); the moderator approves the replies from
the queue's "replies" view, where each shows the fact-check it answers; an anonymous reader then sees them under
the fact-check, nested, and on its permalink. The reply form passes axe, on its page and in place."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from annotations.models import Annotation
from tests.browser.journeys import approve, create_fact_check


def reply_without_javascript(make_page, login, live_url, article, check, demo_passwords, assert_no_serious_violations):
    page = make_page(java_script_enabled=False)
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(article.get_absolute_url()))
    card = page.locator(f"#a-{check.pk}")
    with page.expect_navigation():
        card.locator("footer a.reply-link").click()
    expect(page).to_have_url(re.compile(rf"/annotations/{check.pk}/reply/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply to this fact-check")
    page.get_by_label("Your reply").fill("Which *release notes* say so?")
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".messages")).to_contain_text("Your reply was saved and is waiting for a moderator.")
    reply = Annotation.objects.get(parent=check, author__username="alice")
    # its author sees it in place, marked as waiting
    expect(page.locator(f"#a-{check.pk} .reply-list #a-{reply.pk}")).to_contain_text("Pending review")
    return reply


def reply_with_javascript(make_page, login, live_url, article, check, demo_passwords, assert_no_serious_violations):
    page = make_page()
    login(page, "editor", demo_passwords["editor"])
    # the reply form's own page (axe needs JavaScript: checked here, in the JavaScript context)
    page.goto(live_url(f"/annotations/{check.pk}/reply/"))
    expect(page.get_by_label("Your reply")).to_be_visible()
    assert_no_serious_violations(page)
    page.goto(live_url(article.get_absolute_url()))
    card = page.locator(f"#a-{check.pk}")
    card.locator("footer a.reply-link").click()
    # the form opens in place under the fact-check, without leaving the page
    form = card.locator(".inline-reply form.reply-form")
    expect(form).to_be_visible()
    expect(page).to_have_url(re.compile(rf"{re.escape(article.get_absolute_url())}$"))
    expect(form.get_by_label("Your reply")).to_be_focused()
    assert_no_serious_violations(page, context=f"#a-{check.pk} .inline-reply")
    form.get_by_label("Your reply").fill("Checked against the archive: it holds.")
    with page.expect_navigation():
        form.get_by_role("button", name="Post reply").click()
    # an editor may moderate: the note policy publishes it at once
    expect(page.locator(".messages")).to_contain_text("Your reply was published.")
    return Annotation.objects.get(parent=check, author__username="editor")


def test_replies_with_and_without_javascript_approved_and_read(
    make_page, login, live_url, demo_data, demo_passwords, assert_no_serious_violations, screenshot
):
    check = create_fact_check(demo_data, author="bob")
    approve(check)
    pending = reply_without_javascript(
        make_page, login, live_url, demo_data, check, demo_passwords, assert_no_serious_violations
    )
    published = reply_with_javascript(
        make_page, login, live_url, demo_data, check, demo_passwords, assert_no_serious_violations
    )
    assert (pending.status, published.status) == ("pending", "approved")

    # the moderator finds the waiting reply in the queue's replies view, with the fact-check it answers
    moderator = make_page()
    moderator.goto(live_url("/admin/login/?next=/admin/annotations/annotation/queue/%3Freplies%3D1"))
    moderator.locator("#id_username").fill("moderator")
    moderator.locator("#id_password").fill(demo_passwords["moderator"])
    with moderator.expect_navigation():
        moderator.locator("#login-form [type=submit]").first.click()
    expect(moderator).to_have_url(re.compile(r"/admin/annotations/annotation/queue/\?replies=1$"))
    item = moderator.locator(f"#q-{pending.pk}")
    expect(item.locator("h2")).to_contain_text(f"Reply to #{check.pk}")
    expect(item.locator(f"#q-{pending.pk}-t-{check.pk}")).to_contain_text("bob")
    screenshot(moderator, "moderation-queue-replies")
    with moderator.expect_navigation():
        item.get_by_role("button", name="Approve").click()
    expect(moderator.locator(".messagelist")).to_contain_text(f"#{pending.pk}: approve recorded")
    pending.refresh_from_db()
    assert pending.status == "approved"

    # an anonymous reader sees both replies under the fact-check, oldest first, and on its permalink
    reader = make_page(java_script_enabled=False)
    reader.goto(live_url(demo_data.get_absolute_url()))
    replies = reader.locator(f"#a-{check.pk} .reply-list > li > article.annotation-reply")
    expect(replies).to_have_count(2)
    expect(replies.nth(0)).to_contain_text("Which release notes say so?")
    expect(replies.nth(1)).to_contain_text("Checked against the archive")
    expect(reader.locator(f"#a-{check.pk} .reply-count")).to_have_text("2 replies")
    expect(reader.locator(f"#a-{check.pk} footer a.reply-link").first).to_have_text("Log in to reply")
    screenshot(reader, "article-with-replies")
    reader.goto(live_url(f"/annotations/{pending.pk}/"))
    expect(reader.locator(f"#replies #a-{check.pk} #a-{pending.pk}")).to_be_visible()
