"""Accessibility in a real browser: axe-core on every public page and form, plus what axe cannot judge.

axe (tests/browser/a11y.py) fails on any 'serious' or 'critical' violation
(contrast, names of form controls, landmarks, ARIA). The other tests check
heading order, a visible keyboard focus, highlights that do not rely on colour
alone, and that annotation cards come after their paragraph in reading order.
"""

import re
from itertools import pairwise
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from annotations.models import Tag

from . import a11y
from .journeys import approved_note_and_fact_check, key_containing

HEADINGS_JS = """() => [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
    .filter(h => h.getClientRects().length && !h.closest('[hidden], [aria-hidden="true"]'))
    .map(h => [Number(h.tagName[1]), h.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60)])"""


def heading_problems(page) -> list[str]:
    """Headings inside <main> must start at h1 and never skip a level going down."""
    headings = page.evaluate(HEADINGS_JS)
    if not headings:
        return ["no heading in <main>"]
    problems = []
    if headings[0][0] != 1:
        problems.append(f"first heading is h{headings[0][0]} {headings[0][1]!r}, not h1")
    for (before, _), (level, text) in pairwise(headings):
        if level > before + 1:
            problems.append(f"h{before} followed by h{level} {text!r}")
    return problems


DANGLING_IDREFS_JS = """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby], [aria-controls]')]
    .flatMap(el => ['aria-describedby', 'aria-labelledby', 'aria-controls'].flatMap(attr =>
        (el.getAttribute(attr) || '').split(/\\s+/).filter(id => id && !document.getElementById(id))
            .map(id => `${el.tagName.toLowerCase()}#${el.id} ${attr}=${id}`)))"""


@pytest.fixture
def annotated(demo_data):
    """The sample article with an approved note (alice: a quote, tags) and an approved fact-check (bob)."""
    note, check = approved_note_and_fact_check(demo_data)
    return SimpleNamespace(article=demo_data, note=note, check=check, url=demo_data.get_absolute_url())


def open_article(page, live_url, annotated):
    page.goto(live_url(annotated.url))
    expect(page.locator(f"#a-{annotated.note.pk}")).to_be_visible()
    return page


def open_inline_form(page, live_url, annotated):
    open_article(page, live_url, annotated)
    key = key_containing(annotated.article, "At that time, few people paid attention")
    page.locator(f"#p-{key} a.annotate-link").click()
    expect(page.locator(f"#p-{key} .inline-annotate form")).to_be_visible()


def open_search(page, live_url, annotated):
    page.goto(live_url("/search/?q=AGI"))
    expect(page.locator(f"#a-{annotated.note.pk}")).to_be_visible()
    expect(page.locator(".search-results li").first).to_be_visible()


def open_tag_page(page, live_url, annotated):
    tag = Tag.objects.get(name="translation")
    page.goto(live_url(tag.get_absolute_url()))
    expect(page.locator(f"#a-{annotated.note.pk}")).to_be_visible()


def open_flag_form(page, live_url, annotated):
    page.goto(live_url(f"/annotations/{annotated.note.pk}/flag/"))
    expect(page.get_by_role("button", name="Send flag")).to_be_visible()


def open_flag_form_with_errors(page, live_url, annotated):
    open_flag_form(page, live_url, annotated)
    page.get_by_label("Other").check()
    page.get_by_role("button", name="Send flag").click()
    expect(page.locator(".errorlist")).to_be_visible()


def open_signup_with_errors(page, live_url, annotated):
    page.goto(live_url("/accounts/signup/"))
    page.locator("input[name=username]").fill("alice")
    page.locator("input[name=password1]").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".errorlist").first).to_be_visible()


def goto(path, ready="h1"):
    def open_page(page, live_url, annotated):
        page.goto(live_url(path(annotated) if callable(path) else path))
        expect(page.locator(ready).first).to_be_visible()

    return open_page


# name -> (who is logged in, how to open the page)
PAGES = {
    "article-list": (None, goto("/")),
    "annotated-article": (None, open_article),
    "annotated-article-member": ("alice", open_article),
    "annotate-form-page": (
        "alice",
        goto(lambda a: f"/articles/{a.article.slug}/p/{a.note.block.key}/annotate/", "form.annotation-form"),
    ),
    "inline-annotate-form": ("alice", open_inline_form),
    "edit-form-page": ("alice", goto(lambda a: f"/annotations/{a.note.pk}/edit/", "form.annotation-form")),
    "permalink": (None, goto(lambda a: f"/annotations/{a.note.pk}/", ".paragraph-context mark")),
    "fact-check-permalink": (None, goto(lambda a: f"/annotations/{a.check.pk}/", ".paragraph-context mark")),
    "tag-index": (None, goto("/tags/", ".tag-index")),
    "tag-page": (None, open_tag_page),
    "search-results": (None, open_search),
    "login": (None, goto("/accounts/login/", "form.account-form")),
    "signup": (None, goto("/accounts/signup/", "form.account-form")),
    "signup-with-errors": (None, open_signup_with_errors),
    "my-annotations": ("alice", goto("/accounts/annotations/", "table.data-table")),
    "flag-form": ("bob", open_flag_form),
    "flag-form-with-errors": ("bob", open_flag_form_with_errors),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_axe_violations_and_headings_in_order(
    name, page, live_url, annotated, login, demo_passwords, assert_no_serious_violations
):
    username, open_page = PAGES[name]
    if username:
        login(page, username, demo_passwords[username])
    open_page(page, live_url, annotated)

    assert_no_serious_violations(page)
    problems = heading_problems(page)
    assert not problems, f"heading order on {page.url}: " + "; ".join(problems)
    # help texts and errors are announced with their field only when the ids they point to exist
    dangling = page.evaluate(DANGLING_IDREFS_JS)
    assert not dangling, f"ARIA references to missing ids on {page.url}: {dangling}"


def test_annotation_markers_have_enough_contrast(page, live_url, annotated):
    """The [n] references and verdict badges are short text that axe only flags as 'needs review'."""
    open_article(page, live_url, annotated)

    failures = a11y.short_text_contrast_failures(page)

    assert not failures, "\n".join(
        f"{f['target']}: {f['fgColor']} on {f['bgColor']} = {f['contrastRatio']}:1 (needs {f['expectedContrastRatio']})"
        for f in failures
    )


def test_keyboard_focus_is_visible_on_the_annotate_link(page, live_url, annotated, login, demo_passwords):
    login(page, "alice", demo_passwords["alice"])
    open_article(page, live_url, annotated)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('a.annotate-link')"):
            break
    else:
        pytest.fail("no Annotate link reached with Tab")

    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor,
                           focusVisible: document.activeElement.matches(':focus-visible')}; }"""
    )
    assert style["focusVisible"], style
    assert style["style"] != "none" and style["width"] not in ("0px", ""), f"no visible focus outline: {style}"


def test_highlights_do_not_rely_on_colour_alone(page, live_url, annotated):
    open_article(page, live_url, annotated)
    for annotation in (annotated.note, annotated.check):
        found = page.evaluate(
            """(pk) => {
                const marks = [...document.querySelectorAll(`mark.quote-mark[data-annotations~="${pk}"]`)];
                if (!marks.length) return null;
                const last = marks[marks.length - 1], s = getComputedStyle(last);
                const refs = [];
                for (let n = last.nextSibling; n && n.nodeType === 1 && n.matches('a.quote-ref'); n = n.nextSibling)
                    refs.push(n.getAttribute('href'));
                return {text: marks.map(m => m.textContent).join(''), border: [s.borderBottomStyle, s.borderBottomWidth],
                        decoration: s.textDecorationLine, refs};
            }""",
            annotation.pk,
        )
        assert found, f"no highlight for annotation {annotation.pk}"
        assert found["text"] == annotation.quote
        underlined = found["border"][0] != "none" and found["border"][1] != "0px"
        assert underlined or found["decoration"] != "none", f"highlight is colour only: {found}"
        assert f"#a-{annotation.pk}" in found["refs"], f"no [n] reference right after the quote: {found}"
        ref = page.locator(f"a.quote-ref[href='#a-{annotation.pk}']")
        expect(ref).to_have_accessible_name(re.compile(r"^annotation \[\d+\]$"))


def test_annotation_cards_follow_their_paragraph_in_reading_order(page, live_url, annotated):
    open_article(page, live_url, annotated)
    for annotation in (annotated.note, annotated.check):
        order = page.evaluate(
            """([pk, key]) => {
                const card = document.getElementById(`a-${pk}`), block = document.getElementById(`p-${key}`);
                const text = block.querySelector('.block-text');
                const next = block.nextElementSibling;
                const follows = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
                return {inBlock: block.contains(card), afterText: follows(text, card),
                        beforeNext: !next || follows(card, next)};
            }""",
            [annotation.pk, annotation.block.key],
        )
        assert order == {"inBlock": True, "afterText": True, "beforeNext": True}, (annotation.pk, order)


@pytest.fixture
def full_demo(live_server):
    """The sample article as `make run` serves it: setup_demo with its demo annotations."""
    import io

    from django.core.management import call_command
    from django.test import override_settings

    from articles.demo import SAMPLE_SLUG
    from articles.models import Article

    with override_settings(DEBUG=True):
        call_command("setup_demo", stdout=io.StringIO())
    return Article.objects.get(slug=SAMPLE_SLUG)


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "mobile"])
def test_the_demo_article_as_make_run_serves_it(
    viewport, make_page, live_url, full_demo, assert_no_serious_violations, screenshot
):
    from annotations.models import Annotation

    page = make_page(viewport=viewport)
    page.goto(live_url(full_demo.get_absolute_url()))
    published = Annotation.objects.filter(article=full_demo, status=Annotation.Status.APPROVED)
    assert published.count() == 9
    for annotation in published:
        expect(page.locator(f"#a-{annotation.pk}")).to_be_attached()
    expect(page.locator("section.fact-check-summary")).to_contain_text("6 claims checked")

    assert_no_serious_violations(page)
    assert not heading_problems(page)
    failures = a11y.short_text_contrast_failures(page)
    assert not failures, failures
    screenshot(page, f"demo-article-{'mobile' if viewport else 'desktop'}")
