"""The compare view (?view=compare), the drift summary and "fact-check this drift" (issue 19)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from annotations.models import Annotation
from annotations.selectors.compare import diff_html
from articles.models import OriginalRights
from articles.services.originals import attach_original, save_correction

pytestmark = pytest.mark.django_db

HARBOUR = "The harbour opened in 1887 after ten years of dredging, and the first ship to dock carried coal from Wales."
MARKET = "Every Saturday the market fills the square with farmers selling cheese, apples, honey and warm bread."
SCHOOL = "The village school has two classrooms, a garden the pupils plant each spring, and a library of old atlases."
RIVER = "Floods used to reach the church steps until the river was widened and a stone wall was built along it."
FESTIVAL = "In August a music festival brings brass bands from the whole valley to play on a stage by the lake."
LIGHTHOUSE = "The lighthouse on the northern cape was automated in 1990, and its last keeper now runs the museum."
LEAD = "Our correspondent visited a small town last week and sends this report about its daily life."
MARKET_COPY = "Every Saturday the market fills the town square with farmers who sell cheese, apples and fresh bread."
COPY = [
    LEAD,
    HARBOUR,
    MARKET_COPY,
    "The village school has two classrooms and a garden the pupils plant each spring.",
    "It also has a library of old atlases.",
    RIVER.rstrip(".") + ", and " + FESTIVAL[0].lower() + FESTIVAL[1:],
]
ORIGINAL = "\n\n".join([HARBOUR, MARKET, LIGHTHOUSE, SCHOOL, RIVER, FESTIVAL])


@pytest.fixture
def town(make_article, set_text):
    article = make_article("A small town", slug="small-town", paragraphs=len(COPY))
    for i, text in enumerate(COPY, start=1):
        set_text(article, f"k{i:03d}", text)
    source = article.source
    source.original_url = "https://example.org/town"
    source.original_title = "Town life"
    source.save()
    return article


def compare_url(article) -> str:
    return f"{article.get_absolute_url()}?view=compare"


def original_side(html: str) -> str:
    return " ".join(re.findall(r'<div class="compare-side compare-original".*?</div>', html, re.DOTALL))


def test_without_an_original_the_view_says_so(client, town):
    html = client.get(compare_url(town)).content.decode()
    assert "No original text is stored for this article" in html
    assert "https://example.org/town" in html
    assert 'id="p-k001"' in html  # the copy is still there


def test_rows_of_every_kind_with_marked_changes_and_drift(client, town, make_annotation):
    make_annotation(article=town, block="k003", quote="town square", body="Which square?")
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    html = client.get(compare_url(town)).content.decode()
    kinds = re.findall(r'<li class="compare-row compare-([a-z_]+)" id="([^"]+)"', html)
    assert [k for k, _ in kinds] == ["added", "same", "reworded", "omitted", "split", "merged"]
    assert [a for _, a in kinds][:3] == ["c-k001", "c-k002", "c-k003"]
    assert "Added in this copy" in html and "Left out of this copy" in html
    assert re.search(r"Reworded</strong> <span class=\"drift\">· drift \d+%", html)
    # the changes, marked for screen readers too, not by colour only
    assert '<del><span class="visually-hidden">deleted: </span>' in html
    assert '<ins><span class="visually-hidden">inserted: </span>' in html
    # the original's words are on its side; the annotation keeps its place on the copy's
    assert LIGHTHOUSE in original_side(html)
    copy_side = re.search(r'id="c-k003".*?</li>', html, re.DOTALL).group(0)
    assert "<mark" in copy_side and "town square" in copy_side
    assert "Fact-check this drift" not in html  # signed-in readers only


def test_drift_summary_in_the_fact_check_summary(client, town):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    html = client.get(town.get_absolute_url()).content.decode()
    summary = re.search(r'<div class="drift-summary">.*?</div>', html, re.DOTALL).group(0)
    assert "Paragraphs unchanged: 1; reworded: 3; added in this copy: 1; left out of this copy: 1" in summary
    links = re.findall(r'href="\?view=compare#(c-k\d+)"', summary)
    assert set(links) == {"c-k003", "c-k004", "c-k006"}


def test_an_original_revised_shows_at_once(client, town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    assert LIGHTHOUSE in client.get(compare_url(town)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the cached pages' version moves on at commit
        attach_original(article=town, text=ORIGINAL.replace(LIGHTHOUSE, "The old mill grinds flour on Tuesdays only."))
    html = client.get(compare_url(town)).content.decode()
    assert LIGHTHOUSE not in html and "The old mill grinds flour" in html


def test_a_correction_is_shown_as_an_editors_row(client, town, editor):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    lighthouse = town.original.blocks.get(text=LIGHTHOUSE).key
    save_correction(article=town, copy_keys=["k001"], original_keys=[lighthouse], actor=editor)
    html = client.get(compare_url(town)).content.decode()
    row = re.search(r'id="c-k001".*?</li>', html, re.DOTALL).group(0)
    assert "aligned by an editor" in row and LIGHTHOUSE in row


def test_original_text_is_rendered_inert(client, town):
    attach_original(article=town, text=ORIGINAL + "\n\nA <script>alert(1)</script> & <b>bold</b> claim.")
    town.source.original_rights = OriginalRights.READERS
    town.source.save()
    html = client.get(compare_url(town)).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold" not in html


def test_diff_html_escapes_both_texts():
    html = diff_html("the <b>old</b> words", "the <i>new</i> words")
    assert "<b>" not in html and "<i>" not in html and "i&gt;new&lt;/i" in html


# ---------------------------------------------------------------- rights


def published_fact_check(make_annotation, article, key, excerpt):
    return make_annotation(
        article=article,
        block=key,
        kind=Annotation.Kind.FACT_CHECK,
        claim="A claim.",
        verdict="mistranslation",
        evidence=[{"url": "https://example.org/town", "title": "Town life", "excerpt": excerpt}],
    )


def test_editors_only_original_is_withheld_from_readers_and_shown_to_editors(client, town, editor, author):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.EDITORS)
    html = client.get(compare_url(town)).content.decode()
    assert LIGHTHOUSE not in html and MARKET not in html
    assert "only the site’s editors to read it" in html
    assert "drift" in html  # the rows keep their kind and drift figure
    client.force_login(author)
    assert MARKET not in client.get(compare_url(town)).content.decode()
    client.force_login(editor)
    html = client.get(compare_url(town)).content.decode()
    assert MARKET in html and LIGHTHOUSE in html


def test_excerpts_shows_readers_only_what_published_fact_checks_cite(client, town, editor, make_annotation):
    published_fact_check(make_annotation, town, "k003", "farmers selling cheese, apples, honey")
    # a pending fact-check citing the school does not count
    make_annotation(
        article=town,
        block="k004",
        kind=Annotation.Kind.FACT_CHECK,
        claim="A claim.",
        verdict="mistranslation",
        status=Annotation.Status.PENDING,
        evidence=[{"url": "https://example.org/town", "title": "Town life", "excerpt": "two classrooms"}],
    )
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.EXCERPTS)
    html = client.get(compare_url(town)).content.decode()
    side = original_side(html)
    assert MARKET in side
    for withheld in (HARBOUR, SCHOOL, LIGHTHOUSE, RIVER):
        assert withheld not in side
    assert "passages that published fact-checks cite" in html
    client.force_login(editor)
    side = original_side(client.get(compare_url(town)).content.decode())
    assert all(text in side for text in (HARBOUR, MARKET, SCHOOL, LIGHTHOUSE))


# ---------------------------------------------------------------- fact-check this drift


def test_fact_check_this_drift_prefills_the_annotate_form_and_saves(client, town, author):
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.READERS)
    client.force_login(author)
    html = client.get(compare_url(town)).content.decode()
    links = re.findall(r'class="fact-check-drift" href="([^"]+)"', html)
    assert links
    url = links[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == reverse("annotations:annotation-create", kwargs={"slug": town.slug, "key": "k003"})
    assert query["verdict"] == ["mistranslation"] and query["kind"] == ["fact_check"]
    assert query["quote"][0] in MARKET_COPY and query["evidence_excerpt"] == [MARKET]

    form = client.get(url)
    assert form.status_code == 200
    page = form.content.decode()
    assert re.search(r'<option value="mistranslation" selected>', page)
    assert MARKET in page  # the evidence excerpt
    data = {name: value for name, value in form.context["form"].initial.items()}
    formset = form.context["formset"]
    payload = {
        **data,
        "visibility": "public",
        "evidence-TOTAL_FORMS": str(formset.total_form_count()),
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "3",
    }
    for i, row in enumerate(formset.forms):
        for name, value in (row.initial or {}).items():
            payload[f"evidence-{i}-{name}"] = value
    response = client.post(url.split("?")[0], payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    annotation = Annotation.objects.get(author=author)
    assert annotation.verdict == "mistranslation" and annotation.quote == query["quote"][0]
    assert annotation.evidence.get().excerpt == MARKET


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize(("signed_in", "queries"), [(False, 10), (True, 13)])
def test_compare_view_query_count_is_pinned(
    client, town, make_annotation, author, signed_in, queries, django_assert_num_queries
):
    """Anonymous: the article with its source and original's row; the blocks; the annotation rows, their tags,
    the cards and their evidence (read_article); the original's blocks, the corrections, the published
    fact-checks' excerpts (an "excerpts" original); the revision notes; and one more for the page cache's
    bookkeeping. Signed in: the session, the user, and whether they wrote on the article."""
    attach_original(article=town, text=ORIGINAL, rights=OriginalRights.EXCERPTS)
    for i in range(1, 7):
        published_fact_check(make_annotation, town, f"k{i:03d}", "farmers selling cheese")
    if signed_in:
        client.force_login(author)
    with django_assert_num_queries(queries):
        response = client.get(compare_url(town) + "&kind=note")
    assert response.status_code == 200 and "compare-row" in response.content.decode()


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_compare_queries_do_not_grow_with_paragraphs(client, make_article, django_assert_max_num_queries):
    counts = []
    for n in (3, 30):
        article = make_article(f"Long {n}", slug=f"long-{n}", paragraphs=n)
        attach_original(
            article=article,
            text="\n\n".join(f"Original paragraph number {i} about subject {i * 7}." for i in range(n)),
            rights=OriginalRights.READERS,
        )
        counts.append(_queries(client, compare_url(article)))
    assert counts[0] == counts[1]


def test_a_long_run_left_out_is_cut_to_a_few_rows_and_a_count(client, make_article, set_text):
    """A copy of three paragraphs of a 150-paragraph original (50 times longer) is a page about the copy."""
    original = [
        f"Paragraph {i} of the long original tells of subject number {i * 13} and its {i} details." for i in range(150)
    ]
    article = make_article("An excerpt", slug="excerpt", paragraphs=3)
    for n, i in enumerate((10, 11, 120), start=1):
        set_text(article, f"k{n:03d}", original[i])
    attach_original(article=article, text="\n\n".join(original), rights=OriginalRights.READERS)
    html = client.get(compare_url(article)).content.decode()
    kinds = re.findall(r'<li class="compare-row compare-([a-z_]+)"', html)
    # runs: 0-9, 12-119 and 121-149 left out, each as two rows and a count; the three paragraphs the same
    assert kinds == ["omitted"] * 3 + ["same"] * 2 + ["omitted"] * 3 + ["same"] + ["omitted"] * 3
    assert "And 8 more paragraphs of the original" in html and "And 106 more paragraphs" in html
    assert original[50] not in html
    summary = re.search(r'<div class="drift-summary">.*?</div>', html, re.DOTALL).group(0)
    assert "left out of this copy: 147" in summary


def test_a_drift_link_stays_within_a_request_line_servers_accept(client, make_article, set_text, author):
    """gunicorn refuses a request line over 4,094 bytes: a long passage is cut (marked "…") to fit."""
    words = " ".join(f"wörd{i} «quoted» & more" for i in range(400))  # escapes to several bytes a character
    article = make_article("Long", slug="long", paragraphs=1)
    set_text(article, "k001", "Intro. " + words + " and the copy's own ending here.")
    attach_original(
        article=article, text="Preface. " + words + " and the original's ending.", rights=OriginalRights.READERS
    )
    client.force_login(author)
    html = client.get(compare_url(article)).content.decode()
    url = re.search(r'class="fact-check-drift" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert len(url) <= 3500
    query = parse_qs(urlsplit(url).query)
    assert query["evidence_excerpt"][0].endswith(" …") and query["verdict"] == ["mistranslation"]
    assert client.get(url).status_code == 200
