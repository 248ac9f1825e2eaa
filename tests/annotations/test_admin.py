"""The annotation admin: who gets in, the changelist and its filters, adding a fact-check with evidence."""

import re

import pytest

from annotations.admin.annotation import AnnotationAdmin
from annotations.models import Annotation, Evidence, Tag
from articles.models import Block
from tests.factories import BlockFactory
from tests.helpers import admin_add_payload

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/annotations/annotation/"
ADD = "/admin/annotations/annotation/add/"
TEXT = "The minister said the budget grew by four percent last year, the largest rise in a decade."
QUOTE = "the budget grew by four percent"
STAFF = ["editor", "moderator"]


@pytest.fixture(params=STAFF)
def staff(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def paragraph(article, set_text):
    return set_text(article, "k001", TEXT)


def add_data(response, *, evidence=(), **fields):
    """POST data for the add form: the fields, plus every inline's management form from the GET ``response``."""
    return admin_add_payload(response, evidence=evidence, **fields)


def block_choices(response) -> set[int]:
    """The paragraph choices of the admin form, as the page offers them."""
    select = re.search(r'<select name="block"[^>]*>(.*?)</select>', response.content.decode(), flags=re.S).group(1)
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select)}


# ---------------------------------------------------------------- who gets in


def test_anonymous_is_sent_to_the_admin_login(client, db):
    for url in (CHANGELIST, ADD):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_annotator_is_sent_to_the_admin_login(client, author, article, counts):
    client.force_login(author)
    before = counts()
    for url in (CHANGELIST, ADD):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"
    response = client.post(
        ADD, {"article": article.pk, "block": article.blocks.first().pk, "kind": "note", "body": "x"}
    )
    assert response.status_code == 302
    assert counts() == before


def test_staff_open_the_changelist(client, staff, article, make_annotation):
    note = make_annotation(article=article, body="A visible note")
    client.force_login(staff)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert [a.pk for a in response.context["cl"].result_list] == [note.pk]


# ---------------------------------------------------------------- changelist filters and search


@pytest.fixture
def mixed(article, make_annotation, author, other_user):
    return {
        "note": make_annotation(article=article, author=author, body="Plain note about wages", tags=["economy"]),
        "pending_check": make_annotation(
            article=article,
            author=other_user,
            kind="fact_check",
            status="pending",
            body="Checked claim",
            tags=["budget"],
        ),
        "approved_check": make_annotation(
            article=article,
            author=author,
            kind="fact_check",
            verdict="false",
            body="Second check",
            tags=["budget", "economy"],
        ),
        "hidden_note": make_annotation(article=article, author=other_user, status="hidden", body="Hidden zebra note"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=fact_check", {"pending_check", "approved_check"}),
        ("kind__exact=note", {"note", "hidden_note"}),
        ("status=pending", {"pending_check"}),
        ("status__exact=hidden", {"hidden_note"}),
        ("tag=budget", {"pending_check", "approved_check"}),
        ("tag=economy", {"note", "approved_check"}),
        ("q=zebra", {"hidden_note"}),
        ("q=economy", {"note", "approved_check"}),  # by tag name, each annotation once
        ("q=other", {"pending_check", "hidden_note"}),  # by author's username
        ("kind=fact_check&tag=economy", {"approved_check"}),
        ("verdict__exact=false", {"approved_check"}),
    ],
)
def test_changelist_filters_and_search(query, expected, client, staff, mixed):
    client.force_login(staff)
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    got = [a.pk for a in response.context["cl"].result_list]
    assert sorted(got) == sorted(mixed[name].pk for name in expected)


def test_changelist_lists_tags_in_use_as_a_filter(client, editor, mixed):
    Tag.objects.create(name="unused")
    client.force_login(editor)
    page = client.get(CHANGELIST).content.decode()
    assert "?tag=budget" in page and "?tag=economy" in page
    assert "?tag=unused" not in page


# ---------------------------------------------------------------- the add form


def test_add_page_limits_paragraphs_to_the_article(client, staff, article, make_article):
    other = make_article("Another article", paragraphs=3)
    BlockFactory(article=article, key="img1", position=10, kind=Block.Kind.IMAGE, text="A chart")
    removed = article.blocks.get(key="k003")
    removed.mark_removed()
    removed.save()
    client.force_login(staff)
    response = client.get(f"{ADD}?article={article.pk}")
    assert response.status_code == 200
    expected = set(article.blocks.filter(key__in=["k001", "k002"]).values_list("pk", flat=True))
    assert set(response.context["adminform"].form.fields["block"].queryset.values_list("pk", flat=True)) == expected
    assert block_choices(response) == expected
    assert not block_choices(response) & set(other.blocks.values_list("pk", flat=True))


def test_add_page_without_an_article_offers_no_paragraphs(client, editor, article):
    client.force_login(editor)
    response = client.get(ADD)
    assert response.status_code == 200
    assert block_choices(response) == set()
    assert "Choose the article first" in response.content.decode()


def test_staff_add_a_fact_check_with_evidence(client, staff, article, paragraph):
    Tag.objects.create(name="Budget")
    client.force_login(staff)
    page = client.get(f"{ADD}?article={article.pk}")
    data = add_data(
        page,
        article=article.pk,
        block=paragraph.pk,
        quote=f"  {QUOTE} ",
        body="The *statistics office* says 2.1%.",
        tags="budget, Public Finance",
        verdict="misleading",
        evidence=[{"url": "https://stats.example.org/2023", "title": "Budget statistics", "excerpt": "2.1 percent"}],
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    annotation = Annotation.objects.get()
    start = TEXT.index(QUOTE)
    assert (annotation.quote, annotation.quote_start, annotation.quote_end) == (QUOTE, start, start + len(QUOTE))
    assert annotation.quote_prefix == TEXT[:start]
    assert annotation.quote_suffix == TEXT[start + len(QUOTE) :][:32]
    assert annotation.body_html == "<p>The <em>statistics office</em> says 2.1%.</p>"
    assert annotation.author == staff
    assert (annotation.kind, annotation.verdict, annotation.claim) == ("fact_check", "misleading", QUOTE)
    assert annotation.status == Annotation.Status.PENDING  # fact-checks always wait, even a moderator's
    assert sorted(t.name for t in annotation.tags.all()) == ["Budget", "public finance"]
    assert Tag.objects.filter(name__iexact="budget").count() == 1
    assert [(e.url, e.title, e.excerpt) for e in annotation.evidence.all()] == [
        ("https://stats.example.org/2023", "Budget statistics", "2.1 percent")
    ]


def test_staff_add_a_note_which_publishes_at_once(client, staff, article, paragraph):
    client.force_login(staff)
    page = client.get(f"{ADD}?article={article.pk}")
    response = client.post(
        ADD, add_data(page, article=article.pk, block=paragraph.pk, kind="note", body="Context for readers.")
    )
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert (annotation.kind, annotation.quote, annotation.quote_start) == ("note", "", None)
    assert annotation.status == Annotation.Status.APPROVED  # moderators are trusted
    assert annotation.author == staff


REFUSED = {
    "fact-check without evidence": (
        {"verdict": "false", "quote": QUOTE},
        [],
        "A fact-check needs at least one evidence source",
    ),
    "quote not in the paragraph": (
        {"verdict": "false", "quote": "the deficit shrank"},
        [{"url": "https://example.org", "title": "x"}],
        "The quote does not occur in this paragraph.",
    ),
    "fact-check without verdict": (
        {"quote": QUOTE},
        [{"url": "https://example.org", "title": "x"}],
        "A fact-check needs a verdict.",
    ),
    "evidence url javascript:": (
        {"verdict": "false"},
        [{"url": "javascript:alert(1)", "title": "x"}],
        # one message for every URL that is not http(s) (issue 18: it was "Enter a valid URL.")
        "Enter an http:// or https:// address.",
    ),
    "note with evidence": (
        {"kind": "note"},
        [{"url": "https://example.org", "title": "x"}],
        "Only fact-checks have evidence sources",
    ),
    "empty body": (
        {"verdict": "false", "body": ""},
        [{"url": "https://example.org", "title": "x"}],
        "This field is required.",
    ),
    "bad tag": (
        {"verdict": "false", "tags": "ok, <script>"},
        [{"url": "https://example.org", "title": "x"}],
        "is not a valid tag",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_add_form_refusals_save_nothing(case, client, staff, article, paragraph, counts):
    fields, evidence, message = REFUSED[case]
    client.force_login(staff)
    page = client.get(f"{ADD}?article={article.pk}")
    before = counts()
    data = add_data(page, article=article.pk, block=paragraph.pk, body="An explanation.", evidence=evidence)
    data.update(fields)
    response = client.post(ADD, data)
    assert response.status_code == 200  # the form again, with its errors
    assert message in response.content.decode()
    assert counts() == before


def test_add_form_refuses_a_paragraph_of_another_article(client, editor, article, make_article, counts):
    other = make_article("Another article")
    client.force_login(editor)
    page = client.get(f"{ADD}?article={article.pk}")
    before = counts()
    data = add_data(page, article=article.pk, block=other.blocks.first().pk, kind="note", body="x")
    response = client.post(ADD, data)
    assert response.status_code == 200
    # the public form's own message (services.check_block), not the choice field's
    assert "That paragraph is not part of this article." in response.content.decode()
    assert counts() == before


def test_evidence_is_saved_only_with_its_annotation(client, editor, article, paragraph):
    client.force_login(editor)
    page = client.get(f"{ADD}?article={article.pk}")
    data = add_data(
        page,
        article=article.pk,
        block=paragraph.pk,
        quote="nowhere",
        verdict="false",
        body="x",
        evidence=[{"url": "https://example.org", "title": "x"}],
    )
    client.post(ADD, data)
    assert Evidence.objects.count() == 0


# ---------------------------------------------------------------- changelist queries

# The changelist's queries, whatever the number of annotations (one page of at most list_per_page):
#   1. the session                     2. the user
#   3. the user's own permissions      4. the user's group permissions
#   5. TagFilter: the tags in use (cached for a few minutes)
#   6. ArticleFilter: the articles (a small table)
#   7. AuthorFilter: the people who have annotated (cached for a few minutes)
#   8. the paginator's COUNT (show_full_result_count=False: no second, unfiltered count)
#   9. the page of annotations with article, block and author (list_select_related)
#  10. their tags (prefetch of tagged_items with select_related tag)
# No date_hierarchy: its DISTINCT-date queries would scan the whole table on every load.
CHANGELIST_QUERIES = 10
# With the filter choices cached (the next loads): 5 and 7 are not run.
CHANGELIST_QUERIES_WARM = 8


@pytest.mark.parametrize("n", [5, 60])
def test_changelist_queries_do_not_grow(
    n, client, staff, make_article, make_annotation, author, other_user, django_assert_num_queries
):
    articles = [make_article(f"Article {i}", paragraphs=3) for i in range(2)]
    for i in range(n):
        make_annotation(
            article=articles[i % 2],
            block=f"k00{i % 3 + 1}",
            author=(author, other_user)[i % 2],
            kind="fact_check" if i % 3 == 0 else "note",
            status=("pending", "approved", "hidden")[i % 3],
            tags=[f"tag {i % 4}", f"topic {i % 5}"],
        )
    client.force_login(staff)
    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = client.get(CHANGELIST)
    with django_assert_num_queries(CHANGELIST_QUERIES_WARM):
        client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(n, AnnotationAdmin.list_per_page)
    page = response.content.decode()
    assert page.count('class="field-tag_names"') == min(n, AnnotationAdmin.list_per_page)


# ---------------------------------------------------------------- the change form


def change_data(annotation, **fields):
    data = {
        "article": annotation.article_id,
        "block": annotation.block_id,
        "kind": annotation.kind,
        "visibility": annotation.visibility,
        "quote": annotation.quote,
        "body": annotation.body,
        "tags": ", ".join(t.name for t in annotation.tags.all()),
        "claim": annotation.claim,
        "verdict": annotation.verdict,
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    # the read-only history and flag inlines post their management forms too
    for prefix, count in (("flags", annotation.flags.count()), ("moderation_log", annotation.moderation_log.count())):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(count),
                f"{prefix}-INITIAL_FORMS": str(count),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for i, pk in enumerate(getattr(annotation, prefix).values_list("pk", flat=True)):
            data[f"{prefix}-{i}-id"] = str(pk)
            data[f"{prefix}-{i}-annotation"] = str(annotation.pk)
    data.update(fields)
    return data


def test_staff_edit_a_note_in_the_admin(client, staff, article, paragraph, make_annotation):
    annotation = make_annotation(article=article, quote=QUOTE, tags=["budget"])
    client.force_login(staff)
    url = f"{CHANGELIST}{annotation.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, change_data(annotation, body="Corrected **wording**."))
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert annotation.body_html == "<p>Corrected <strong>wording</strong>.</p>"
    assert (annotation.quote_start, annotation.quote_end) == (TEXT.index(QUOTE), TEXT.index(QUOTE) + len(QUOTE))
    assert annotation.author.username == "author"  # the author stays


def test_admin_edit_keeps_an_ambiguous_quote_anchored_where_it_was(client, editor, author, article, set_text):
    from annotations import services
    from annotations.services import QuoteInput

    text = "The budget grew. Critics say the budget grew too fast."
    set_text(article, "k001", text)
    second = text.index("budget grew", 10)
    annotation = services.create_annotation(
        author=author,
        article=article,
        block_key="k001",
        kind="note",
        body="Which one?",
        quote=QuoteInput("budget grew", start=second, end=second + 11),
    )
    client.force_login(editor)
    response = client.post(f"{CHANGELIST}{annotation.pk}/change/", change_data(annotation, body="Edited by staff."))
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert (annotation.body, annotation.quote_start) == ("Edited by staff.", second)


def test_the_row_checkbox_is_djangos_without_its_widget_rendering(article, make_annotation):
    """AnnotationAdmin.action_checkbox writes Django's checkbox directly (the widget's template rendering was a
    sixth of the changelist's time): the same HTML (the header is the template tag's), hostile text escaped."""
    from django.contrib import admin

    annotation = make_annotation(article=article, body="A note")
    model_admin = AnnotationAdmin(Annotation, admin.site)
    assert model_admin.action_checkbox(annotation) == admin.ModelAdmin.action_checkbox(model_admin, annotation)
    annotation.block.key = '"><script>'
    assert "<script>" not in model_admin.action_checkbox(annotation)
    assert model_admin.action_checkbox(annotation) == admin.ModelAdmin.action_checkbox(model_admin, annotation)
