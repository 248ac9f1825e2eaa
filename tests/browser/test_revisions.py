"""Revisions in a real browser (issue 13): an editor corrects a date under a published fact-check in the admin,
the moderator confirms it from the queue, readers see when it was re-checked; old paragraph links still land."""

import re

from playwright.sync_api import expect

from annotations.models import Annotation
from articles.models import Block
from articles.services import BlockEdit, revise_blocks
from tests.browser.journeys import CHECK_QUOTE, approve, create_fact_check


def admin_login(page, live_url, username, password, next_path):
    page.goto(live_url(f"/admin/login/?next={next_path}"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()


def test_editor_changes_a_date_the_moderator_confirms_and_readers_see_the_recheck(
    make_page, live_url, demo_data, demo_passwords
):
    article = demo_data
    check = create_fact_check(article)
    approve(check)
    paragraph = check.block

    # the editor corrects the year in the admin's article form
    editor = make_page()
    admin_login(editor, live_url, "editor", demo_passwords["editor"], f"/admin/articles/article/{article.pk}/change/")
    field = editor.locator("textarea").filter(has_text=CHECK_QUOTE)
    field.fill(paragraph.text.replace("November 30, 2022", "November 30, 2021"))
    editor.locator("input[name=_continue]").click()
    expect(editor.locator(".messagelist")).to_contain_text("need re-anchoring")
    check.refresh_from_db()
    assert check.anchor_state == Annotation.AnchorState.NEEDS_REANCHORING

    # a reader sees the notice meanwhile
    reader = make_page()
    reader.goto(live_url(article.get_absolute_url()))
    card = reader.locator(f"#a-{check.pk}")
    expect(card).to_contain_text("The text this fact-check refers to has changed since it was checked.")
    expect(card).to_contain_text(CHECK_QUOTE)

    # the moderator confirms it from the queue, seeing the change word by word
    moderator = make_page()
    admin_login(moderator, live_url, "moderator", demo_passwords["moderator"], "/admin/annotations/annotation/queue/")
    item = moderator.locator(f"#r-{check.pk}")
    expect(item.locator(".word-diff del")).to_have_text("2022")
    expect(item.locator(".word-diff ins")).to_have_text("2021")
    item.get_by_role("button", name="Confirm still valid").click()
    expect(moderator.locator(".messagelist")).to_contain_text("confirmed still valid")
    expect(moderator.locator(f"#r-{check.pk}")).to_have_count(0)

    reader.reload()
    card = reader.locator(f"#a-{check.pk}")
    expect(card).to_contain_text(re.compile(r"Re-checked on \d{1,2} \w{3} \d{4} after the text changed"))
    expect(card.locator(".annotation-quote")).to_contain_text("November 30, 2021")
    expect(card).to_contain_text("This refers to an earlier wording")


def test_a_link_to_a_merged_paragraph_lands_on_the_paragraph_holding_its_text(page, live_url, demo_data):
    article = demo_data
    blocks = list(article.blocks.current().filter(kind=Block.Kind.PARAGRAPH))
    first, second = blocks[5], blocks[6]
    merged_text = f"{first.text} {second.text}"
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind=first.kind, text=merged_text, order=first.position, block=first),
            BlockEdit(kind=second.kind, text=second.text, order=second.position, block=second, remove=True),
        ],
    )
    page.goto(live_url(f"{article.get_absolute_url()}#p-{second.key}"))
    # the old address is an empty element just before the merged paragraph, which the browser scrolled to
    expect(page.locator(f"#p-{second.key}")).to_have_count(1)
    top = page.evaluate(f"() => document.getElementById('p-{first.key}').getBoundingClientRect().top")
    # the page scrolls by whole pixels and the layout above is in fractions of one (rem margins): the
    # paragraph's top can sit a sub-pixel above the viewport's edge when the browser lands on it
    assert -1 < top < 200, top
