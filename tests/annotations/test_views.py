"""The public annotation pages: annotate, edit, delete, permalinks, tag pages, accounts."""

import re

import pytest
from django.test import Client, override_settings

from annotations.models import Annotation, Evidence, Tag
from articles.models import Article, Block
from tests.factories import BlockFactory
from tests.helpers import annotate_payload

pytestmark = pytest.mark.django_db

TEXT = "The minister said the budget grew by four percent last year, the largest rise in a decade."
QUOTE = "the budget grew by four percent"
PERSONAS = ["other_user", "moderator", "editor"]


@pytest.fixture
def paragraph(article, set_text):
    return set_text(article, "k001", TEXT)


def annotate_url(article, key="k001"):
    return f"/articles/{article.slug}/p/{key}/annotate/"


def form_data(**fields):
    """POST data of the annotate form: a note unless ``fields`` say otherwise (tests/helpers.py)."""
    return annotate_payload(**fields)


def fact_check_data(**fields):
    defaults = {
        "kind": "fact_check",
        "quote": QUOTE,
        "verdict": "misleading",
        "body": "The office says 2.1%.",
        "evidence": [{"url": "https://stats.example.org/2023", "title": "Budget statistics"}],
    }
    return form_data(**{**defaults, **fields})


def html(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- anonymous


def test_anonymous_get_of_annotate_redirects_to_login(client, article):
    url = annotate_url(article)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_anonymous_post_creates_nothing(client, article, counts):
    before = counts()
    response = client.post(annotate_url(article), form_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert counts() == before


@pytest.mark.parametrize("path", ["/annotations/{pk}/edit/", "/annotations/{pk}/delete/", "/accounts/annotations/"])
def test_anonymous_is_sent_to_login_for_edit_delete_and_own_list(path, client, article, make_annotation):
    annotation = make_annotation(article=article)
    response = client.post(path.format(pk=annotation.pk), form_data(body="Hijacked."))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    annotation.refresh_from_db()
    assert annotation.body == "A note about this paragraph."


def test_article_page_annotate_link_leads_an_anonymous_reader_to_login(client, article):
    page = html(client.get(article.get_absolute_url()))
    link = re.search(r'<a class="annotate-link" href="([^"]+)"[^>]*>Log in to annotate', page).group(1)
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={annotate_url(article)}"


# ---------------------------------------------------------------- create


def test_author_gets_the_form(client, author, article, paragraph):
    client.force_login(author)
    response = client.get(annotate_url(article))
    assert response.status_code == 200
    page = html(response)
    assert "<html" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'name="evidence-TOTAL_FORMS"' in page
    assert f'action="{annotate_url(article)}"' in page


def test_author_creates_a_note_and_sees_it_pending(client, author, article, paragraph):
    client.force_login(author)
    response = client.post(annotate_url(article), form_data(quote=QUOTE, body="Check *this*.", tags="Budget, economy"))
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{article.slug}/#p-k001"
    annotation = Annotation.objects.get()
    assert annotation.author == author
    assert annotation.status == Annotation.Status.PENDING
    assert (annotation.quote_start, annotation.quote_end) == (TEXT.index(QUOTE), TEXT.index(QUOTE) + len(QUOTE))
    assert sorted(t.name for t in annotation.tags.all()) == ["budget", "economy"]

    page = html(client.get(response["Location"]))
    assert f'id="a-{annotation.pk}"' in page
    assert '<span class="badge badge-status">Pending review</span>' in page
    assert "<p>Check <em>this</em>.</p>" in page
    assert "waiting for a moderator" in page  # the flash message


def test_author_creates_a_fact_check_through_the_view(client, author, article, paragraph):
    client.force_login(author)
    response = client.post(annotate_url(article), fact_check_data())
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert (annotation.kind, annotation.verdict, annotation.claim) == ("fact_check", "misleading", QUOTE)
    assert [(e.url, e.title) for e in annotation.evidence.all()] == [
        ("https://stats.example.org/2023", "Budget statistics")
    ]


def test_paragraph_level_note_without_quote(client, author, article):
    client.force_login(author)
    response = client.post(annotate_url(article, "k002"), form_data(body="About all of it."))
    assert response.status_code == 302
    assert response["Location"].endswith("#p-k002")
    annotation = Annotation.objects.get()
    assert annotation.block.key == "k002"
    assert annotation.quote == "" and annotation.quote_start is None


def test_trusted_annotators_note_is_published_at_once(client, make_user, article, paragraph):
    trusted = make_user("trusted", groups=["annotators", "trusted annotators"])
    client.force_login(trusted)
    client.post(annotate_url(article), form_data(quote=QUOTE, body="Published."))
    annotation = Annotation.objects.get()
    assert annotation.status == Annotation.Status.APPROVED
    anonymous_page = html(Client().get(article.get_absolute_url()))
    assert f'id="a-{annotation.pk}"' in anonymous_page


def test_utf16_offsets_from_the_browser_via_the_view(client, author, article, set_text):
    set_text(article, "k001", "Emoji 😀 then the quote here")
    client.force_login(author)
    data = form_data(quote="the quote", quote_start="14", quote_end="23", offsets_unit="utf16")
    assert client.post(annotate_url(article), data).status_code == 302
    annotation = Annotation.objects.get()
    assert (annotation.quote_start, annotation.quote_end) == (13, 22)


def test_forged_author_field_is_ignored(client, author, other_user, article):
    client.force_login(author)
    data = form_data(author=str(other_user.pk), author_id=str(other_user.pk), status="approved")
    assert client.post(annotate_url(article), data).status_code == 302
    annotation = Annotation.objects.get()
    assert annotation.author == author
    assert annotation.status == Annotation.Status.PENDING


BAD_INPUT = {
    "quote not in paragraph": (
        form_data(quote="the deficit shrank"),
        "The quote does not occur in this paragraph.",
    ),
    "offsets not matching": (
        form_data(quote=QUOTE, quote_start="0", quote_end=str(len(QUOTE))),
        "The quote does not match the paragraph",
    ),
    "fact-check without verdict": (fact_check_data(verdict=""), "A fact-check needs a verdict."),
    "fact-check without evidence": (
        fact_check_data(evidence=[]),
        "A fact-check needs at least one evidence source",
    ),
    "evidence url javascript:": (
        fact_check_data(evidence=[{"url": "javascript:alert(1)", "title": "x"}]),
        # one message for every URL that is not http(s) (issue 18: it was "Enter a valid URL.")
        "Enter an http:// or https:// address.",
    ),
    "evidence url ftp:": (
        fact_check_data(evidence=[{"url": "ftp://files.example.org/x", "title": "x"}]),
        "Enter an http:// or https:// address.",
    ),
    "evidence without title": (
        fact_check_data(evidence=[{"url": "https://ok.example.org"}]),
        "Give the source&#x27;s title.",
    ),
    "empty body": (form_data(body=""), "This field is required."),
    "too many tags": (form_data(tags=",".join(f"t{i}" for i in range(11))), "Use at most 10 tags"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_is_a_400_with_the_message_and_saves_nothing(case, client, author, article, paragraph, counts):
    data, message = BAD_INPUT[case]
    client.force_login(author)
    before = counts()
    response = client.post(annotate_url(article), data)
    assert response.status_code == 400
    assert message in html(response)
    assert counts() == before


@pytest.mark.parametrize("field", ["kind", "visibility"])
def test_errors_on_the_radio_fields_are_shown(field, client, author, article, counts):
    client.force_login(author)
    before = counts()
    response = client.post(annotate_url(article), form_data(**{field: "rumour"}))
    assert response.status_code == 400
    assert counts() == before
    assert "Select a valid choice. rumour is not one of the available choices." in html(response)


def test_several_errors_are_shown_together(client, author, article, paragraph):
    client.force_login(author)
    response = client.post(annotate_url(article), fact_check_data(quote="nowhere to be found", verdict="", evidence=[]))
    page = html(response)
    assert response.status_code == 400
    assert "The quote does not occur in this paragraph." in page
    assert "A fact-check needs a verdict." in page
    assert "A fact-check needs at least one evidence source" in page


def test_rejected_form_keeps_what_was_typed(client, author, article, paragraph):
    client.force_login(author)
    response = client.post(annotate_url(article), fact_check_data(verdict="", body="My careful explanation."))
    assert "My careful explanation." in html(response)
    assert "https://stats.example.org/2023" in html(response)


def test_csrf_token_is_required(author, article, counts, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    before = counts()
    with caplog.at_level("WARNING", logger="django.security.csrf"):
        response = client.post(annotate_url(article), form_data())
    # refused by the CSRF check itself (its failure page and log), not by anything else answering 403
    assert response.status_code == 403
    assert "CSRF verification failed. Request aborted." in html(response)
    assert [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"] == [
        f"Forbidden (CSRF cookie not set.): {annotate_url(article)}"
    ]
    assert counts() == before


def test_csrf_token_from_the_form_is_accepted(author, article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    page = html(client.get(annotate_url(article)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(annotate_url(article), form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Annotation.objects.count() == 1


def test_unknown_article_key_image_and_removed_blocks_are_404(client, author, article, make_article):
    BlockFactory(article=article, key="img1", position=10, kind=Block.Kind.IMAGE, text="A chart")
    removed = article.blocks.get(key="k003")
    removed.mark_removed()
    removed.save()
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)
    client.force_login(author)
    for url in (
        "/articles/no-such-article/p/k001/annotate/",
        annotate_url(article, "k999"),
        annotate_url(article, "img1"),
        annotate_url(article, "k003"),
        annotate_url(draft),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, form_data()).status_code == 404, url
    assert Annotation.objects.count() == 0


def test_fragment_variant_returns_only_the_form(client, author, article):
    client.force_login(author)
    response = client.get(annotate_url(article) + "?fragment=1")
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page and "<body" not in page
    assert '<form method="post"' in page
    assert 'class="annotation-form"' in page


def test_query_prefills_the_form(client, author, article, set_text):
    set_text(article, "k001", "Emoji 😀 then the quote here")
    client.force_login(author)
    page = html(
        client.get(annotate_url(article) + "?fragment=1&quote=the+quote&start=14&end=23&unit=utf16&kind=fact_check")
    )
    assert re.search(r"<textarea[^>]*name=\"quote\"[^>]*>\s*the quote</textarea>", page)
    assert '<input type="hidden" name="quote_start" value="14"' in page
    assert '<input type="hidden" name="quote_end" value="23"' in page
    assert '<input type="hidden" name="offsets_unit" value="utf16"' in page
    assert re.search(r'<input type="radio" name="kind" value="fact_check"[^>]*checked', page)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_405(method, client, author, article, make_annotation):
    annotation = make_annotation(article=article, author=author)
    client.force_login(author)
    for url in (annotate_url(article), f"/annotations/{annotation.pk}/edit/", f"/annotations/{annotation.pk}/delete/"):
        assert getattr(client, method)(url).status_code == 405, url
    assert Annotation.objects.filter(pk=annotation.pk).exists()


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize(
    "state", [("pending", "public"), ("hidden", "public"), ("rejected", "public"), ("approved", "private")]
)
def test_others_cannot_see_unpublished_annotations(
    state, client, author, other_user, moderator, article, make_annotation
):
    status, visibility = state
    annotation = make_annotation(
        article=article, author=author, status=status, visibility=visibility, body="Secret words"
    )
    viewers = [None, other_user, moderator]
    for viewer in viewers:
        c = Client()
        if viewer:
            c.force_login(viewer)
        page = html(c.get(article.get_absolute_url()))
        assert f'id="a-{annotation.pk}"' not in page
        assert "Secret words" not in page
        assert c.get(f"/annotations/{annotation.pk}/").status_code == 404
    client.force_login(author)
    assert "Secret words" in html(client.get(article.get_absolute_url()))
    assert client.get(f"/annotations/{annotation.pk}/").status_code == 200


def test_private_annotation_shows_a_private_badge_to_its_author(client, author, article, make_annotation):
    annotation = make_annotation(article=article, author=author, visibility="private")
    client.force_login(author)
    page = html(client.get(article.get_absolute_url()))
    assert f'id="a-{annotation.pk}"' in page
    assert "Private: only you" in page


def test_approved_public_annotation_is_seen_by_everyone(client, author, other_user, article, make_annotation):
    annotation = make_annotation(article=article, author=author, body="Everyone reads this")
    for viewer in (None, other_user):
        c = Client()
        if viewer:
            c.force_login(viewer)
        page = html(c.get(article.get_absolute_url()))
        assert f'id="a-{annotation.pk}"' in page
        assert "Everyone reads this" in page
        assert f"/annotations/{annotation.pk}/edit/" not in page  # only the author gets edit links


def test_annotations_of_a_draft_article_are_not_public(client, author, make_article, make_annotation):
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)
    annotation = make_annotation(article=draft, author=author)
    assert Client().get(f"/annotations/{annotation.pk}/").status_code == 404


# ---------------------------------------------------------------- edit and delete


def test_author_edits_through_the_form(client, author, article, paragraph, make_annotation):
    annotation = make_annotation(article=article, author=author, quote=QUOTE, tags=["budget"])
    client.force_login(author)
    page = html(client.get(f"/annotations/{annotation.pk}/edit/"))
    assert "A note about this paragraph." in page
    assert 'value="budget"' in page
    response = client.post(
        f"/annotations/{annotation.pk}/edit/",
        form_data(
            quote=QUOTE,
            quote_start=str(annotation.quote_start),
            quote_end=str(annotation.quote_end),
            body="Edited text.",
            tags="economy",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{article.slug}/#a-{annotation.pk}"
    annotation.refresh_from_db()
    assert annotation.body == "Edited text."
    assert [t.name for t in annotation.tags.all()] == ["economy"]
    assert annotation.status == Annotation.Status.PENDING  # an untrusted author's approved note goes back


def test_author_can_change_the_quote_in_the_edit_form(client, author, article, paragraph, make_annotation):
    annotation = make_annotation(article=article, author=author, quote=QUOTE)
    client.force_login(author)
    page = html(client.get(f"/annotations/{annotation.pk}/edit/"))
    hidden = dict(re.findall(r'<input type="hidden" name="(quote_start|quote_end|offsets_unit)" value="([^"]*)"', page))
    response = client.post(
        f"/annotations/{annotation.pk}/edit/", form_data(quote="the largest rise", body="Moved.", **hidden)
    )
    assert response.status_code == 302, html(response)
    annotation.refresh_from_db()
    assert annotation.quote == "the largest rise"


def test_kind_cannot_be_changed_by_editing(client, author, article, make_annotation):
    annotation = make_annotation(article=article, author=author)
    client.force_login(author)
    client.post(f"/annotations/{annotation.pk}/edit/", form_data(kind="fact_check", body="Edited.", verdict="false"))
    annotation.refresh_from_db()
    assert annotation.kind == "note"
    assert annotation.verdict == ""


def test_invalid_edit_is_a_400_and_changes_nothing(client, author, article, paragraph, make_annotation):
    annotation = make_annotation(article=article, author=author, kind="fact_check", quote=QUOTE)
    client.force_login(author)
    response = client.post(
        f"/annotations/{annotation.pk}/edit/",
        fact_check_data(verdict="", body="Edited.", evidence=[{"url": "https://x.example", "title": "x"}]),
    )
    assert response.status_code == 400
    assert "A fact-check needs a verdict." in html(response)
    annotation.refresh_from_db()
    assert (annotation.body, annotation.verdict) == ("A note about this paragraph.", "misleading")
    assert [e.url for e in annotation.evidence.all()] == ["https://example.org/source"]


@pytest.mark.parametrize("who", PERSONAS)
def test_others_cannot_edit_or_delete(who, request, client, author, article, make_annotation, counts):
    annotation = make_annotation(article=article, author=author, kind="fact_check", tags=["budget"])
    client.force_login(request.getfixturevalue(who))
    before = counts()
    edit, delete = f"/annotations/{annotation.pk}/edit/", f"/annotations/{annotation.pk}/delete/"
    assert client.get(edit).status_code == 404
    assert client.post(edit, fact_check_data(body="Hijacked.")).status_code == 404
    assert client.get(delete).status_code == 404
    assert client.post(delete).status_code == 404
    assert counts() == before
    annotation.refresh_from_db()
    assert annotation.body == "A note about this paragraph."


def test_edit_and_delete_of_unknown_ids_are_404(client, author):
    client.force_login(author)
    assert client.get("/annotations/999999/edit/").status_code == 404
    assert client.post("/annotations/999999/delete/").status_code == 404
    assert client.get("/annotations/999999/").status_code == 404


def test_delete_asks_first_and_deletes_on_post(client, author, article, make_annotation):
    annotation = make_annotation(article=article, author=author, kind="fact_check", tags=["budget"])
    client.force_login(author)
    response = client.get(f"/annotations/{annotation.pk}/delete/")
    assert response.status_code == 200
    assert "This cannot be undone." in html(response)
    assert Annotation.objects.filter(pk=annotation.pk).exists()
    response = client.post(f"/annotations/{annotation.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{article.slug}/#p-k001"
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    assert Evidence.objects.count() == 0
    assert Tag.objects.filter(name="budget").exists()


# ---------------------------------------------------------------- escaping

SCRIPT = "<script>alert(1)</script>"


def test_markup_in_every_field_is_escaped_on_the_article_page_and_permalink(client, author, article, set_text):
    set_text(article, "k001", f"Paragraph with {SCRIPT} in its own text and <b>bold</b> words.")
    client.force_login(author)
    response = client.post(
        annotate_url(article),
        form_data(
            kind="fact_check",
            quote=SCRIPT,
            body=f"Body {SCRIPT} <img src=x onerror=alert(2)>",
            claim=f"Claim {SCRIPT}",
            verdict="false",
            tags="safe tag",
            evidence=[
                {
                    "url": "https://example.org/?q=<script>",
                    "title": f"Title {SCRIPT}",
                    "excerpt": f"Excerpt {SCRIPT}",
                }
            ],
        ),
    )
    assert response.status_code == 302, html(response)
    annotation = Annotation.objects.get()
    for url in (article.get_absolute_url(), f"/annotations/{annotation.pk}/"):
        body = client.get(url).content
        assert b"<script>alert" not in body, url
        assert b"<img src=x" not in body, url
        assert b"<b>bold</b>" not in body, url
        page = body.decode()
        assert "Body &lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "Claim &lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "Title &lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "Excerpt &lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert '<mark class="quote-mark"' in page and "&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in page, url


def test_markup_in_tags_is_refused_and_echoed_escaped(client, author, article, counts):
    client.force_login(author)
    before = counts()
    response = client.post(annotate_url(article), form_data(tags=SCRIPT))
    assert response.status_code == 400
    assert b"<script>alert" not in response.content
    assert "&lt;script&gt;" in html(response)
    assert counts() == before


def test_javascript_link_in_body_is_not_a_link_on_the_page(client, author, article, make_annotation):
    make_annotation(article=article, author=author, body="[click](javascript:alert(1))")
    page = html(Client().get(article.get_absolute_url()))
    assert 'href="javascript' not in page
    assert "[click](javascript:alert(1))" in page


# ---------------------------------------------------------------- permalink and tags


def test_permalink_shows_the_quote_marked_in_its_paragraph(client, author, article, paragraph, make_annotation):
    annotation = make_annotation(article=article, author=author, quote=QUOTE, tags=["budget"])
    response = Client().get(f"/annotations/{annotation.pk}/")
    assert response.status_code == 200
    page = html(response)
    assert f'<mark class="quote-mark">{QUOTE}</mark>' in page
    assert "The minister said " in page and " last year, the largest rise in a decade." in page
    assert f'href="/articles/{article.slug}/#a-{annotation.pk}"' in page
    assert 'href="/tags/budget/"' in page


def test_form_page_and_permalink_show_the_paragraph_and_link_to_it(client, author, article, paragraph, make_annotation):
    annotation = make_annotation(article=article, author=author, quote=QUOTE)
    client.force_login(author)
    form_page = html(client.get(annotate_url(article)))
    assert f'<blockquote lang="en">{TEXT}</blockquote>' in form_page
    assert f'href="/articles/{article.slug}/#p-k001" class="cancel-link"' in form_page
    assert f'<a href="/articles/{article.slug}/#p-k001">p-k001</a>' in form_page
    edit_page = html(client.get(f"/annotations/{annotation.pk}/edit/"))
    assert f'<blockquote lang="en">{TEXT}</blockquote>' in edit_page
    permalink = html(client.get(f"/annotations/{annotation.pk}/"))
    assert f'From <a href="/articles/{article.slug}/#p-k001">' in permalink


def test_tag_page_shows_only_approved_public_annotations(
    client, author, other_user, article, make_article, make_annotation
):
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)
    shown = make_annotation(article=article, author=author, tags=["budget"], body="Shown on the tag page")
    make_annotation(article=article, author=author, tags=["budget"], status="pending", body="Pending one")
    make_annotation(article=article, author=author, tags=["budget"], status="hidden", body="Hidden one")
    make_annotation(article=article, author=author, tags=["budget"], status="rejected", body="Rejected one")
    make_annotation(article=article, author=author, tags=["budget"], visibility="private", body="Private one")
    make_annotation(article=draft, author=author, tags=["budget"], body="On a draft")
    make_annotation(article=article, author=author, tags=["other"], body="Other tag")
    client.force_login(author)  # even the author sees only the published ones here
    response = client.get("/tags/budget/")
    assert response.status_code == 200
    page = html(response)
    assert "Shown on the tag page" in page
    assert f'id="a-{shown.pk}"' in page
    for hidden in ("Pending one", "Hidden one", "Rejected one", "Private one", "On a draft", "Other tag"):
        assert hidden not in page


def test_unknown_tag_is_404(client, db):
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_tag_links_on_the_article_page_lead_to_the_tag_page(client, author, article, make_annotation):
    make_annotation(article=article, author=author, tags=["Public Health"])
    page = html(client.get(article.get_absolute_url()))
    tag = Tag.objects.get(name="public health")
    assert f'href="/tags/{tag.slug}/"' in page
    assert client.get(f"/tags/{tag.slug}/").status_code == 200


def test_a_non_ascii_tag_does_not_break_the_article_page(client, author, article):
    client.force_login(author)
    with override_settings(ANNOTATIONS_NOTES_POST_MODERATION=True):
        response = client.post(annotate_url(article), form_data(tags="翻译, café"))
    assert response.status_code == 302
    assert client.get(article.get_absolute_url()).status_code == 200
    for tag in Tag.objects.all():
        assert client.get(tag.get_absolute_url()).status_code == 200


# ---------------------------------------------------------------- the author's own list


def test_own_annotations_list_shows_states_and_not_others(client, author, other_user, article, make_annotation):
    make_annotation(article=article, author=author, body="Mine approved")
    make_annotation(article=article, author=author, status="pending", body="Mine pending")
    make_annotation(article=article, author=author, status="rejected", body="Mine rejected")
    make_annotation(article=article, author=author, visibility="private", body="Mine private")
    theirs = make_annotation(article=article, author=other_user, body="Theirs")
    client.force_login(author)
    response = client.get("/accounts/annotations/")
    assert response.status_code == 200
    page = html(response)
    for text in ("Mine approved", "Mine pending", "Mine rejected", "Mine private"):
        assert text in page
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    state_of = {re.search(r": (Mine \w+)", row).group(1): row for row in rows if "Mine" in row}
    assert "<td>Approved" in state_of["Mine approved"]
    assert "<td>Pending review" in state_of["Mine pending"]
    assert "<td>Rejected" in state_of["Mine rejected"]
    assert "<td>Private" in state_of["Mine private"]
    assert "Theirs" not in page
    assert f"/annotations/{theirs.pk}/" not in page
