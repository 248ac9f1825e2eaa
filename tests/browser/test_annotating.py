"""Annotating in a real browser: select words with the mouse, the inline form, the no-JS path, the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation


def paragraph_key(article, index: int) -> str:
    return list(article.blocks.current().filter(kind="paragraph"))[index].key


def key_containing(article, phrase: str) -> str:
    return article.blocks.current().get(text__contains=phrase).key


def drag_select(page, key: str, phrase: str) -> None:
    """Select ``phrase`` inside paragraph p-<key> by dragging the mouse across it."""
    box = page.evaluate(
        """([key, phrase]) => {
            const p = document.querySelector(`#p-${key} .block-text`);
            const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const i = node.data.indexOf(phrase);
                if (i === -1) continue;
                const first = document.createRange(); first.setStart(node, i); first.setEnd(node, i + 1);
                const last = document.createRange(); last.setStart(node, i + phrase.length - 1); last.setEnd(node, i + phrase.length);
                const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
                return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
            }
            return null;
        }""",
        [key, phrase],
    )
    assert box, f"{phrase!r} not found in p-{key}"
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


def test_select_a_phrase_and_annotate_it_with_a_tagged_note(
    page, demo_data, live_url, login, demo_passwords, screenshot
):
    phrase = "We started OpenAI almost nine years ago"
    key = key_containing(demo_data, phrase)
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(f"/articles/{demo_data.slug}/"))
    page.locator(f"#p-{key}").scroll_into_view_if_needed()
    drag_select(page, key, phrase)
    button = page.locator(f"#p-{key} .annotate-selection")
    expect(button).to_be_visible()
    button.click()
    form = page.locator(f"#p-{key} .inline-annotate form")
    expect(form).to_be_visible()
    expect(form.locator("textarea[name=quote]")).to_have_value(phrase)
    form.locator("textarea[name=body]").fill("The original says *almost nine years ago* too.")
    form.locator("input[name=tags]").fill("Chronology, translation")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/articles/{demo_data.slug}/#p-{key}$"))
    annotation = Annotation.objects.get(quote=phrase)
    assert annotation.status == Annotation.Status.PENDING
    assert sorted(annotation.tags.names()) == ["chronology", "translation"]
    card = page.locator(f"#a-{annotation.pk}")
    expect(card).to_contain_text("Pending review")
    expect(page.locator(f"#p-{key} mark.quote-mark")).to_have_text(phrase)
    screenshot(page, "annotate-note-pending")


def test_fact_check_with_verdict_and_evidence_inline(page, demo_data, live_url, login, demo_passwords):
    key = key_containing(demo_data, "Bloomberg")
    login(page, "bob", demo_passwords["bob"])
    page.goto(live_url(f"/articles/{demo_data.slug}/"))
    page.locator(f"#p-{key} a.annotate-link").click()
    form = page.locator(f"#p-{key} .inline-annotate form")
    expect(form).to_be_visible()
    # fact-check fields appear only once "Fact-check" is chosen
    expect(form.locator(".fact-check-fields")).to_be_hidden()
    form.get_by_label("Fact-check").check()
    expect(form.locator(".fact-check-fields")).to_be_visible()
    form.locator("textarea[name=quote]").fill("Bloomberg")
    form.locator("textarea[name=body]").fill("The interview was with Bloomberg Businessweek.")
    form.locator("select[name=verdict]").select_option("mostly_accurate")
    form.locator("input[name='evidence-0-url']").fill("https://blog.samaltman.com/reflections")
    form.locator("input[name='evidence-0-title']").fill("Reflections (original)")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*#p-{key}$"))
    annotation = Annotation.objects.get(author__username="bob")
    assert annotation.kind == "fact_check" and annotation.verdict == "mostly_accurate"
    assert annotation.evidence.get().title == "Reflections (original)"
    expect(page.locator(f"#a-{annotation.pk} .verdict")).to_contain_text("Mostly accurate")


def test_fact_check_without_evidence_shows_the_error_in_the_form(page, demo_data, live_url, login, demo_passwords):
    key = paragraph_key(demo_data, 2)
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(f"/articles/{demo_data.slug}/p/{key}/annotate/"))
    page.get_by_label("Fact-check").check()
    page.locator("textarea[name=body]").fill("Needs evidence")
    page.locator("select[name=verdict]").select_option("false")
    page.locator("form.annotation-form button[type=submit]").click()
    expect(page.locator(".errorlist")).to_contain_text("at least one evidence source")
    assert Annotation.objects.count() == 0


def test_without_javascript_the_form_page_works_end_to_end(make_page, demo_data, live_url, login, demo_passwords):
    page = make_page(java_script_enabled=False)
    key = key_containing(demo_data, "like a decade for the average company")
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(f"/articles/{demo_data.slug}/"))
    page.locator(f"#p-{key} a.annotate-link").click()
    page.wait_for_url(re.compile(rf".*/p/{key}/annotate/$"))
    page.locator("textarea[name=quote]").fill("like a decade")
    page.locator("textarea[name=body]").fill("Paragraph-level note, no script.")
    page.locator("form.annotation-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*#p-{key}$"))
    annotation = Annotation.objects.get()
    assert annotation.quote == "like a decade"
    assert page.locator(f"#a-{annotation.pk}").is_visible()


def test_keyboard_only_reaches_the_form_and_submits(page, demo_data, live_url, login, demo_passwords):
    key = paragraph_key(demo_data, 0)
    login(page, "alice", demo_passwords["alice"])
    page.goto(live_url(f"/articles/{demo_data.slug}/"))
    # Tab until the first paragraph's Annotate link has focus
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.annotate-link')"):
            break
    else:
        pytest.fail("the Annotate link is not reachable with Tab")
    assert page.evaluate("document.activeElement.dataset.blockKey") == key
    page.keyboard.press("Enter")
    form = page.locator(f"#p-{key} .inline-annotate form")
    expect(form).to_be_visible()
    # focus moved into the form; type the note with the keyboard
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.name")
    for _ in range(10):
        if focused == "body":
            break
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.name")
    assert focused == "body"
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Enter")  # a newline in the textarea, not a submit
    form.locator("button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*#p-{key}$"))
    assert Annotation.objects.get().body.startswith("Typed without a mouse.")


def test_anonymous_reader_is_sent_to_log_in_and_back_to_the_paragraph(page, demo_data, live_url, demo_passwords):
    key = paragraph_key(demo_data, 0)
    page.goto(live_url(f"/articles/{demo_data.slug}/"))
    page.locator(f"#p-{key} a.annotate-link").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next="))
    page.locator("input[name=username]").fill("alice")
    page.locator("input[name=password]").fill(demo_passwords["alice"])
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/p/{key}/annotate/$"))
    expect(page.locator("h1")).to_have_text("Annotate this paragraph")
