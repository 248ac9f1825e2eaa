"""Reading the sample article in a real browser: list, article, permalinks, mobile, no-JS, accessibility."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Block

from . import a11y

SOURCE_HEADING = "Where this text comes from"


def paragraph_count(article):
    return article.blocks.current().filter(kind=Block.Kind.PARAGRAPH).count()


def no_horizontal_scroll(page):
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def test_home_lists_sample_and_opens_it(page, live_url, demo_data):
    page.goto(live_url("/"))
    link = page.get_by_role("link", name=demo_data.title, exact=True)
    expect(link).to_be_visible()

    link.click()

    expect(page).to_have_url(live_url(demo_data.get_absolute_url()))
    expect(page.get_by_role("heading", level=1)).to_have_text(demo_data.title)
    expect(page.get_by_role("heading", name=SOURCE_HEADING)).to_be_visible()
    expect(page.locator(".source-box")).to_contain_text("Reflections")
    first_paragraph = page.locator('.article-body .block-paragraph[id^="p-"] .block-text').first
    expect(first_paragraph).to_be_visible()
    expect(first_paragraph).not_to_be_empty()
    expect(page.locator('.article-body .block-paragraph[id^="p-"] .block-text')).to_have_count(
        paragraph_count(demo_data)
    )


def test_paragraph_permalink_updates_hash(page, live_url, demo_data):
    page.goto(live_url(demo_data.get_absolute_url()))
    block = page.locator(".article-body .block-paragraph").nth(2)
    block_id = block.get_attribute("id")
    assert block_id and block_id.startswith("p-")

    block.locator("a.permalink").click()

    expect(page).to_have_url(re.compile(re.escape(f"#{block_id}") + "$"))
    assert page.evaluate("() => location.hash") == f"#{block_id}"
    assert page.evaluate("() => document.querySelector(':target')?.id") == block_id


def test_permalink_opens_at_the_paragraph(page, live_url, demo_data):
    page.goto(live_url(demo_data.get_absolute_url()))
    block_id = page.locator(".article-body .block-paragraph").last.get_attribute("id")

    page.goto(live_url(demo_data.get_absolute_url()) + f"#{block_id}")

    expect(page.locator(f"#{block_id}")).to_be_in_viewport()


@pytest.mark.parametrize("where", ["list", "article"])
def test_mobile_has_no_horizontal_scroll(mobile_page, live_url, demo_data, where):
    mobile_page.goto(live_url("/" if where == "list" else demo_data.get_absolute_url()))
    expect(mobile_page.get_by_role("heading", level=1)).to_be_visible()

    scroll_width, inner_width = no_horizontal_scroll(mobile_page)

    assert inner_width == 390
    assert scroll_width <= inner_width, f"page is {scroll_width}px wide in a {inner_width}px viewport"


def test_article_reads_without_javascript(make_page, live_url, demo_data):
    page = make_page(java_script_enabled=False)
    page.goto(live_url(demo_data.get_absolute_url()))

    expect(page.get_by_role("heading", level=1)).to_have_text(demo_data.title)
    expect(page.get_by_role("heading", name=SOURCE_HEADING)).to_be_visible()
    paragraphs = page.locator('.article-body .block-paragraph[id^="p-"] .block-text')
    expect(paragraphs).to_have_count(paragraph_count(demo_data))
    expect(paragraphs.first).to_be_visible()


@pytest.mark.parametrize("where", ["list", "article"])
def test_no_serious_accessibility_violations(page, live_url, demo_data, assert_no_serious_violations, where):
    page.goto(live_url("/" if where == "list" else demo_data.get_absolute_url()))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    assert_no_serious_violations(page)


def test_mobile_article_has_no_serious_accessibility_violations(
    mobile_page, live_url, demo_data, assert_no_serious_violations
):
    mobile_page.goto(live_url(demo_data.get_absolute_url()))
    expect(mobile_page.get_by_role("heading", level=1)).to_be_visible()

    assert_no_serious_violations(mobile_page)


def test_article_screenshots(page, mobile_page, live_url, demo_data, screenshot):
    url = live_url(demo_data.get_absolute_url())
    written = []
    for name, tab in (("article-desktop", page), ("article-mobile", mobile_page)):
        tab.goto(url)
        expect(tab.get_by_role("heading", level=1)).to_be_visible()
        written.append(screenshot(tab, name))

    for path in written:
        assert path.is_file() and path.stat().st_size > 10_000, path
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_short_glyphs_have_enough_contrast(page, live_url, demo_data):
    page.goto(live_url(demo_data.get_absolute_url()))

    failures = a11y.short_text_contrast_failures(page)

    assert not failures, "\n".join(
        f"{f['target']}: {f['fgColor']} on {f['bgColor']} = {f['contrastRatio']}:1 (needs {f['expectedContrastRatio']}) {f['html']}"
        for f in failures
    )


def test_permalinks_are_inside_the_viewport(page, live_url, demo_data):
    page.goto(live_url(demo_data.get_absolute_url()))
    boxes = page.locator(".article-body .permalink").evaluate_all(
        "links => links.map(a => { const r = a.getBoundingClientRect(); return [a.getAttribute('href'), r.left, r.right]; })"
    )
    width = page.evaluate("() => window.innerWidth")

    clipped = [(href, left, right) for href, left, right in boxes if left < 0 or right > width]
    assert boxes and not clipped, f"permalinks cut off at the viewport edge: {clipped[:3]}"


def test_demo_reader_can_log_in(page, live_url, demo_data, demo_passwords, login):
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(demo_data.get_absolute_url()))

    expect(page.locator(".site-header")).to_contain_text("alice")
