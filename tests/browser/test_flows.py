"""Whole journeys in a real browser: accounts, moderation, reading in place, flags, editing, mobile.

Annotations that a journey needs but does not exercise are written through the
services (tests/browser/journeys.py): the live
server shares the test database, so the browser sees them at once.
"""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from annotations.models import Annotation
from tests.browser.journeys import (
    CHECK_QUOTE,
    NOTE_BODY,
    NOTE_QUOTE,
    approve,
    approved_note_and_fact_check,
    create_fact_check,
    create_note,
    key_containing,
)


def admin_login(page, live_url, username, password):
    page.goto(live_url("/admin/login/?next=/admin/annotations/annotation/queue/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").or_(page.locator("#login-form [type=submit]")).first.click()
    expect(page).to_have_url(re.compile(r"/admin/annotations/annotation/queue/$"))
    return page


def no_horizontal_scroll(page):
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"page is {scroll_width}px wide in a {inner_width}px viewport"


def test_sign_up_lands_logged_in_then_log_out_and_in_again(page, live_url, demo_data):
    page.goto(live_url("/"))
    page.locator(".site-header").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    form = page.locator("form.account-form")
    form.get_by_label("Username").fill("carol")
    form.get_by_label("Email").fill("carol@example.com")
    form.locator("input[name=password1]").fill("a-long-pass-for-carol-42")
    form.locator("input[name=password2]").fill("a-long-pass-for-carol-42")
    form.get_by_role("button", name="Create account").click()

    header = page.locator(".site-header")
    expect(page).to_have_url(live_url("/"))
    expect(header).to_contain_text("Signed in as carol")
    expect(page.locator(".messages")).to_contain_text("Welcome, carol")
    assert get_user_model().objects.get(username="carol").email == "carol@example.com"

    header.get_by_role("button", name="Log out").click()
    expect(header.get_by_role("link", name="Log in")).to_be_visible()
    expect(header).not_to_contain_text("carol")

    header.get_by_role("link", name="Log in").click()
    page.locator("input[name=username]").fill("carol")
    page.locator("input[name=password]").fill("a-long-pass-for-carol-42")
    page.locator("form.account-form").get_by_role("button", name="Log in").click()
    expect(header).to_contain_text("Signed in as carol")


def test_moderator_approves_a_pending_note_and_fact_check_from_the_queue(
    page, make_page, mobile_page, live_url, demo_data, demo_passwords, screenshot
):
    note, check = create_note(demo_data), create_fact_check(demo_data)
    assert note.status == check.status == Annotation.Status.PENDING

    admin_login(page, live_url, "moderator", demo_passwords["moderator"])
    for annotation, quote in ((note, NOTE_QUOTE), (check, CHECK_QUOTE)):
        item = page.locator(f"#q-{annotation.pk}")
        expect(item).to_contain_text("Pending review")
        expect(item.locator("blockquote mark")).to_have_text(quote)
    expect(page.locator(f"#q-{check.pk}")).to_contain_text("Accurate")
    screenshot(page, "moderation-queue")

    for annotation in (note, check):
        page.locator(f"#q-{annotation.pk}").get_by_role("button", name="Approve").click()
        expect(page.locator(".messagelist")).to_contain_text(f"#{annotation.pk}: approve recorded")
        expect(page.locator(f"#q-{annotation.pk}")).to_have_count(0)
    expect(page.locator(".queue-empty")).to_be_visible()
    note.refresh_from_db()
    check.refresh_from_db()
    assert note.status == check.status == Annotation.Status.APPROVED
    assert note.moderated_by.username == "moderator"

    # now public: highlighted for anonymous readers, on desktop and mobile
    reader = make_page()
    for tab, name in ((reader, "annotated-article-desktop"), (mobile_page, "annotated-article-mobile")):
        tab.goto(live_url(demo_data.get_absolute_url()))
        for annotation, quote in ((note, NOTE_QUOTE), (check, CHECK_QUOTE)):
            expect(tab.locator(f"#a-{annotation.pk}")).to_be_visible()
            expect(tab.locator("mark.quote-mark", has_text=quote)).to_have_count(1)
        expect(tab.locator(".fact-check-summary")).to_contain_text("1 claim checked")
        screenshot(tab, name)


def test_anonymous_reader_sees_approved_annotations_in_place_and_on_the_permalink(page, live_url, demo_data):
    note, check = approved_note_and_fact_check(demo_data)
    key = key_containing(demo_data, NOTE_QUOTE)

    page.goto(live_url(demo_data.get_absolute_url()))
    block = page.locator(f"#p-{key}")
    expect(block.locator("mark.quote-mark")).to_have_text(NOTE_QUOTE)
    card = block.locator(f"#a-{note.pk}")
    expect(card).to_contain_text("AGI is the claim")
    expect(page.locator(f"#a-{check.pk} .verdict")).to_contain_text("Accurate")

    # the [n] reference after the quote jumps to the card
    ref = block.locator(f"a.quote-ref[href='#a-{note.pk}']")
    expect(ref).to_contain_text(re.compile(r"\[\d+\]"))
    ref.click()
    expect(page).to_have_url(re.compile(rf"#a-{note.pk}$"))
    assert page.evaluate("() => document.querySelector(':target')?.id") == f"a-{note.pk}"
    expect(card).to_be_in_viewport()

    # its permalink shows the paragraph with the quote marked
    card.get_by_role("link", name="Permalink").click()
    expect(page).to_have_url(live_url(f"/annotations/{note.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Note")
    expect(page.locator(".paragraph-context blockquote mark")).to_have_text(NOTE_QUOTE)
    expect(page.locator(f"#a-{note.pk} .annotation-body")).to_contain_text("AGI is the claim")

    page.get_by_role("link", name=re.compile("See it in place")).click()
    expect(page).to_have_url(re.compile(re.escape(demo_data.get_absolute_url()) + rf"#a-{note.pk}$"))
    expect(page.locator(f"#a-{note.pk}")).to_be_in_viewport()


def test_reader_flags_a_note_and_the_moderator_hides_it(make_page, live_url, demo_data, demo_passwords, login):
    note = create_note(demo_data)
    approve(note)
    reason = "Speculation presented as the author's words."

    # bob flags it
    bob = login(make_page(), "bob", demo_passwords["bob"])
    bob.goto(live_url(demo_data.get_absolute_url()))
    bob.locator(f"#a-{note.pk}").get_by_role("link", name="Flag").click()
    expect(bob).to_have_url(live_url(f"/annotations/{note.pk}/flag/"))
    bob.get_by_label("Inaccurate").check()
    bob.get_by_label("Details").fill("The original does not say this.")
    bob.get_by_role("button", name="Send flag").click()
    expect(bob).to_have_url(re.compile(rf"#a-{note.pk}$"))
    expect(bob.locator(".messages")).to_contain_text("the moderators will look at your flag")

    # the moderator sees the flag with its reason and hides the note
    mod = admin_login(make_page(), live_url, "moderator", demo_passwords["moderator"])
    item = mod.locator(f"#q-{note.pk}")
    expect(item).to_contain_text("1 open flag")
    expect(item.locator(".flags")).to_contain_text("Inaccurate: “The original does not say this.”")
    expect(item.locator(".flags")).to_contain_text("bob")
    item.get_by_label("Reason (shown to the author)").fill(reason)
    item.get_by_role("button", name="Hide (resolve flags)").click()
    expect(mod.locator(".messagelist")).to_contain_text(f"#{note.pk}: hide flagged recorded")
    note.refresh_from_db()
    assert note.status == Annotation.Status.HIDDEN and note.moderation_reason == reason

    # gone for anonymous readers
    reader = make_page()
    reader.goto(live_url(demo_data.get_absolute_url()))
    expect(reader.get_by_role("heading", level=1)).to_have_text(demo_data.title)
    expect(reader.locator(f"#a-{note.pk}")).to_have_count(0)
    expect(reader.locator("mark.quote-mark")).to_have_count(0)
    assert reader.goto(live_url(f"/annotations/{note.pk}/")).status == 404

    # the author sees it hidden, with the reason, in place and in her list
    alice = login(make_page(), "alice", demo_passwords["alice"])
    alice.goto(live_url(demo_data.get_absolute_url()))
    card = alice.locator(f"#a-{note.pk}")
    expect(card.locator(".badge-status")).to_have_text("Hidden")
    expect(card.locator(".moderation-reason")).to_contain_text(reason)
    alice.goto(live_url("/accounts/annotations/"))
    row = alice.locator("table.data-table tbody tr", has_text=NOTE_BODY[:40])
    expect(row).to_contain_text("Hidden")
    expect(row).to_contain_text(f"Reason: {reason}")


def test_author_edits_then_deletes_her_annotation(page, live_url, demo_data, demo_passwords, login):
    note = create_note(demo_data)
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(demo_data.get_absolute_url()))

    page.locator(f"#a-{note.pk}").get_by_role("link", name="Edit").click()
    expect(page).to_have_url(live_url(f"/annotations/{note.pk}/edit/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your note")
    body = page.locator("textarea[name=body]")
    expect(body).to_have_value(NOTE_BODY)
    body.fill("Rewritten: the copy keeps the superlative of the original.")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"#a-{note.pk}$"))
    card = page.locator(f"#a-{note.pk}")
    expect(card.locator(".annotation-body")).to_have_text("Rewritten: the copy keeps the superlative of the original.")
    expect(page.locator(".messages")).to_contain_text("Your changes were saved")

    card.get_by_role("link", name="Delete").click()
    expect(page).to_have_url(live_url(f"/annotations/{note.pk}/delete/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your note?")
    page.locator("form.confirm-form").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"#p-"))
    expect(page.locator(".messages")).to_contain_text("Your annotation was deleted")
    expect(page.locator(f"#a-{note.pk}")).to_have_count(0)
    expect(page.locator("mark.quote-mark")).to_have_count(0)
    assert not Annotation.objects.filter(pk=note.pk).exists()


def test_another_user_cannot_edit_or_delete(page, live_url, demo_data, demo_passwords, login):
    note = create_note(demo_data)
    approve(note)
    login(page, "bob", demo_passwords["bob"])
    page.goto(live_url(demo_data.get_absolute_url()))
    card = page.locator(f"#a-{note.pk}")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="Flag")).to_be_visible()
    expect(card.get_by_role("link", name="Edit")).to_have_count(0)
    expect(card.get_by_role("link", name="Delete")).to_have_count(0)

    for action in ("edit", "delete"):
        response = page.goto(live_url(f"/annotations/{note.pk}/{action}/"))
        assert response.status == 404, f"{action}: {response.status}"
        expect(page.locator("body")).to_contain_text(re.compile("not found", re.IGNORECASE))
        expect(page.locator("textarea[name=body]")).to_have_count(0)
    note.refresh_from_db()
    assert note.body == NOTE_BODY


def test_mobile_reading_and_annotating(mobile_page, live_url, demo_data, demo_passwords, login):
    page = mobile_page
    note, check = approved_note_and_fact_check(demo_data)
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(demo_data.get_absolute_url()))
    assert page.evaluate("() => window.innerWidth") == 390
    no_horizontal_scroll(page)

    # each card sits below its paragraph's text, in the same column
    for annotation in (note, check):
        key = annotation.block.key
        text_box = page.locator(f"#p-{key} .block-text").bounding_box()
        card_box = page.locator(f"#a-{annotation.pk}").bounding_box()
        assert card_box["y"] >= text_box["y"] + text_box["height"], (text_box, card_box)
        assert card_box["x"] < text_box["x"] + text_box["width"] and text_box["x"] < card_box["x"] + card_box["width"]
        assert card_box["x"] + card_box["width"] <= 390

    key = key_containing(demo_data, "At that time, few people paid attention")
    page.locator(f"#p-{key} a.annotate-link").click()
    form = page.locator(f"#p-{key} .inline-annotate form")
    expect(form).to_be_visible()
    no_horizontal_scroll(page)
    form.locator("textarea[name=quote]").fill("few people paid attention")
    form.locator("textarea[name=body]").fill("Written on a phone.")
    submit = form.get_by_role("button", name="Save annotation")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    submit.tap()
    expect(page).to_have_url(re.compile(rf"#p-{key}$"))
    created = Annotation.objects.get(body="Written on a phone.")
    assert created.quote == "few people paid attention" and created.block.key == key
    expect(page.locator(f"#a-{created.pk}")).to_contain_text("Pending review")
    no_horizontal_scroll(page)
