"""The compare view in a real browser (issue 19): the synthetic demo pair on a desktop and a phone, axe clean,
and a mistranslation fact-check created from a drift in two clicks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.demo_compare import SYNTHETIC_SLUG
from annotations.models import Annotation
from articles.alignment import KINDS

pytestmark = pytest.mark.browser

COMPARE = f"/articles/{SYNTHETIC_SLUG}/?view=compare"


def test_compare_view_on_a_desktop(page, demo_data, live_url, assert_no_serious_violations, screenshot):
    page.goto(live_url(COMPARE))
    rows = page.locator("li.compare-row")
    expect(rows.first).to_be_visible()
    kinds = {cls.split("compare-")[-1] for cls in rows.evaluate_all("els => els.map(e => e.className)")}
    assert kinds == set(KINDS)
    reworded = page.locator("li.compare-reworded").first
    copy_box = reworded.locator(".compare-copy").bounding_box()
    original_box = reworded.locator(".compare-original").bounding_box()
    assert original_box["x"] > copy_box["x"] + copy_box["width"] - 1  # side by side
    assert abs(original_box["y"] - copy_box["y"]) < 2
    # changes read as words, not colour only
    expect(reworded.locator("del .visually-hidden").first).to_have_text("deleted: ")
    expect(reworded.locator("ins .visually-hidden").first).to_have_text("inserted: ")
    expect(page.locator("li.compare-added")).to_contain_text("Added in this copy")
    expect(page.locator("li.compare-omitted")).to_contain_text("Left out of this copy")
    assert_no_serious_violations(page)
    screenshot(page, "compare-desktop")


def test_compare_view_on_a_phone_is_stacked(mobile_page, demo_data, live_url, assert_no_serious_violations, screenshot):
    page = mobile_page
    page.goto(live_url(COMPARE))
    reworded = page.locator("li.compare-reworded").first
    copy_box = reworded.locator(".compare-copy").bounding_box()
    original_box = reworded.locator(".compare-original").bounding_box()
    assert original_box["y"] >= copy_box["y"] + copy_box["height"] - 1  # stacked: the original below
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    assert_no_serious_violations(page)
    screenshot(page, "compare-mobile")


def test_compare_view_works_without_javascript(make_page, demo_data, live_url):
    page = make_page(java_script_enabled=False)
    page.goto(live_url(COMPARE))
    expect(page.locator("li.compare-merged")).to_be_visible()
    expect(page.locator("li.compare-reworded del").first).to_be_visible()


def test_a_mistranslation_fact_check_from_a_drift_in_two_clicks(
    page, demo_data, live_url, login, demo_passwords, assert_no_serious_violations
):
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(COMPARE))
    drift = page.locator("li.compare-reworded").nth(1)  # the hedges dropped: "would save 180,000 euros"
    with page.expect_navigation():
        drift.locator("a.fact-check-drift").click()  # click 1
    form = page.locator("form.annotation-form")
    expect(form.locator('select[name="verdict"]')).to_have_value("mistranslation")
    expect(form.locator('textarea[name="evidence-0-excerpt"]')).to_contain_text("could save about 180,000 euros")
    assert_no_serious_violations(page)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()  # click 2
    annotation = Annotation.objects.get(author__username="alice", article__slug=SYNTHETIC_SLUG)
    assert annotation.kind == Annotation.Kind.FACT_CHECK and annotation.verdict == "mistranslation"
    assert annotation.quote and annotation.quote in annotation.block.text
    assert "could save about 180,000 euros" in annotation.evidence.get().excerpt
    expect(page.locator(".messages")).to_contain_text("fact-check")


def test_compare_view_in_print(make_page, demo_data, live_url, login, demo_passwords):
    page = make_page(viewport={"width": 600, "height": 1000})  # narrower than the phone breakpoint
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(COMPARE))
    page.emulate_media(media="print")
    reworded = page.locator("li.compare-reworded").first
    copy_box = reworded.locator(".compare-copy").bounding_box()
    original_box = reworded.locator(".compare-original").bounding_box()
    assert original_box["x"] > copy_box["x"] + copy_box["width"] - 1  # side by side on paper
    expect(reworded.locator("del").first).to_be_visible()
    expect(page.locator("a.fact-check-drift").first).to_be_hidden()  # tools are not printed
    expect(page.locator("form.reading-controls")).to_be_hidden()


def test_the_originals_admin_page_is_axe_clean(
    page, demo_data, live_url, login, demo_passwords, assert_no_serious_violations
):
    from django.urls import reverse

    from articles.models import Article

    login(page, "editor", demo_passwords["editor"])
    article = Article.objects.get(slug=SYNTHETIC_SLUG)
    page.goto(live_url(reverse("admin:articles_article_original", args=[article.pk])))
    expect(page.get_by_role("table", name="How each paragraph of the copy pairs with the original’s")).to_contain_text(
        "moved"
    )
    assert_no_serious_violations(page)
