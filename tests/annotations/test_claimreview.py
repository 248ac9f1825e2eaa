"""schema.org ClaimReview JSON-LD: the presenter, the script escaping and the template tag."""

import json
import re
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory, override_settings

from annotations.exports.claimreview import claim_review, claim_reviews, claim_reviews_script, script_safe_json
from annotations.models import Annotation
from annotations.selectors.article import article_annotations
from annotations.verdicts import SCALE
from articles.models import Article, Source
from articles.selectors import article_for_reading

pytestmark = pytest.mark.django_db

TEXT = "The minister said the budget grew by four percent last year, the largest rise in a decade."
QUOTE = "the budget grew by four percent"
PAYLOAD = "</script><script>alert(1)</script>"
BASE = "https://annotated.example"
REQUIRED = {"@context", "@type", "url", "claimReviewed", "reviewRating", "author", "datePublished", "itemReviewed"}


@pytest.fixture
def paragraph(article, set_text):
    return set_text(article, "k001", TEXT)


@pytest.fixture
def fact_check(article, paragraph, make_annotation):
    return make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, quote=QUOTE, claim="Budget grew 4%")


def reload(article) -> Article:
    """The article as the pages load it (with its source, in one query)."""
    return article_for_reading(slug=article.slug, user=AnonymousUser())


def test_claim_review_has_every_required_property(article, fact_check):
    review = claim_review(fact_check, article=reload(article), request_or_base_url=BASE)

    assert REQUIRED <= set(review)
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert review["url"] == f"{BASE}/annotations/{fact_check.pk}/"
    assert review["claimReviewed"] == "Budget grew 4%"
    assert review["reviewRating"] == {
        "@type": "Rating",
        "name": "Misleading",  # Google recommends name (issue 18)
        "alternateName": "Misleading",
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert review["author"] == {
        "@type": "Organization",
        "name": "Annotated fact-check desk",
        "url": "http://127.0.0.1:8000",
    }
    assert review["datePublished"] == fact_check.created_at.date().isoformat()
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["appearance"] == {
        "@type": "CreativeWork",
        "url": f"{BASE}/articles/{article.slug}/",
        "headline": article.title,
    }
    # the test article's source names no original: nothing is invented
    assert "author" not in item and "datePublished" not in item and "firstAppearance" not in item


@pytest.mark.parametrize("value", list(SCALE))
def test_ratings_only_where_the_verdict_has_a_number(article, paragraph, make_annotation, value):
    annotation = make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, quote=QUOTE, verdict=value)
    rating = claim_review(annotation, article=reload(article), request_or_base_url=BASE)["reviewRating"]
    info = SCALE[value]

    assert rating["@type"] == "Rating"
    assert rating["name"] == rating["alternateName"] == info.label  # always, with or without a number
    if info.rating is None:
        assert set(rating) == {"@type", "name", "alternateName"}
    else:
        assert (rating["ratingValue"], rating["bestRating"], rating["worstRating"]) == (info.rating, 5, 1)


def test_original_work_from_the_source(article, fact_check):
    Source.objects.filter(article=article).update(
        original_author="Jane Reporter",
        original_published_on=date(2024, 3, 5),
        original_url="https://news.example.com/budget",
        original_title="Budget story",
    )
    item = claim_review(fact_check, article=reload(article), request_or_base_url=BASE)["itemReviewed"]

    assert item["author"] == {"@type": "Person", "name": "Jane Reporter"}
    assert item["datePublished"] == "2024-03-05"
    assert item["firstAppearance"] == {
        "@type": "CreativeWork",
        "url": "https://news.example.com/budget",
        "headline": "Budget story",
    }


def test_a_translation_s_claim_is_its_publisher_s_on_the_copy_s_date(article, fact_check):
    """The words checked are the copy's: in a translation the publisher made them, on the copy's date."""
    Source.objects.filter(article=article).update(
        is_translation=True,
        original_author="Jane Reporter",
        original_published_on=date(2024, 3, 5),
        publisher_name="Republisher Ltd",
        publisher_url="https://republisher.example/",
        copy_published_on=date(2024, 3, 9),
    )
    item = claim_review(fact_check, article=reload(article), request_or_base_url=BASE)["itemReviewed"]

    assert item["author"] == {"@type": "Organization", "name": "Republisher Ltd", "url": "https://republisher.example/"}
    assert item["datePublished"] == "2024-03-09"


def test_a_translation_without_a_publisher_names_no_author(article, fact_check):
    # never the original's author: those are not their words
    Source.objects.filter(article=article).update(
        is_translation=True, original_author="Jane Reporter", publisher_name="", copy_published_on=None
    )
    Article.objects.filter(pk=article.pk).update(published_on=date(2024, 4, 1))
    item = claim_review(fact_check, article=reload(article), request_or_base_url=BASE)["itemReviewed"]

    assert "author" not in item
    assert item["datePublished"] == "2024-04-01"  # the copy's date, from the article when the source has none


def test_an_original_without_its_date_falls_back_to_the_copy_s(article, fact_check):
    Source.objects.filter(article=article).update(original_author="Jane Reporter", copy_published_on=date(2024, 5, 6))
    item = claim_review(fact_check, article=reload(article), request_or_base_url=BASE)["itemReviewed"]

    assert item["author"] == {"@type": "Person", "name": "Jane Reporter"}
    assert item["datePublished"] == "2024-05-06"


def test_every_demo_fact_check_has_the_recommended_properties(db):
    with override_settings(DEBUG=True):  # setup_demo refuses to run with DEBUG off
        call_command("setup_demo", stdout=StringIO(), stderr=StringIO())
    article = Article.objects.get(source__is_translation=True)
    checks = Annotation.objects.readable().filter(article=article, kind=Annotation.Kind.FACT_CHECK)
    reviews = claim_reviews(checks, article=reload(article), base_url=BASE)
    assert reviews and len(reviews) == checks.count()
    for review in reviews:
        assert review["reviewRating"]["name"]
        assert review["itemReviewed"]["author"]["@type"] == "Organization"
        assert review["itemReviewed"]["author"]["name"] == article.source.publisher_name
        assert review["itemReviewed"]["datePublished"] == article.source.copy_published_on.isoformat()


def test_article_without_source_row(article, fact_check):
    Source.objects.filter(article=article).delete()
    review = claim_review(fact_check, article=reload(article), request_or_base_url=BASE)

    assert set(review["itemReviewed"]) == {"@type", "appearance"}


def test_date_published_is_the_approval_date(article, fact_check):
    Annotation.objects.filter(pk=fact_check.pk).update(moderated_at=datetime(2025, 1, 2, 12, 0, tzinfo=UTC))
    fact_check.refresh_from_db()

    assert claim_review(fact_check, article=reload(article), request_or_base_url=BASE)["datePublished"] == "2025-01-02"


def test_claim_falls_back_to_quote_then_paragraph(article, paragraph, make_annotation):
    quoted = make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, quote=QUOTE)
    Annotation.objects.filter(pk=quoted.pk).update(claim="")
    quoted.refresh_from_db()
    whole = make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, claim="")

    assert claim_review(quoted, article=reload(article), request_or_base_url=BASE)["claimReviewed"] == QUOTE
    assert claim_review(whole, article=reload(article), request_or_base_url=BASE)["claimReviewed"] == TEXT


@override_settings(SITE_URL="https://site.example", SITE_ORGANIZATION="The Desk")
def test_base_url_from_a_request_or_settings(article, fact_check):
    request = RequestFactory().get("/", HTTP_HOST="testserver", secure=True)
    from_request = claim_review(fact_check, article=reload(article), request_or_base_url=request)
    from_settings = claim_review(fact_check, article=reload(article))

    assert from_request["url"] == f"https://testserver/annotations/{fact_check.pk}/"
    assert from_settings["url"] == f"https://site.example/annotations/{fact_check.pk}/"
    assert from_request["author"] == {"@type": "Organization", "name": "The Desk", "url": "https://site.example"}


def test_unpublishable_annotations_are_refused(article, paragraph, make_annotation, make_article):
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)
    refused = [
        make_annotation(article=article, kind=Annotation.Kind.NOTE),
        make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, status=Annotation.Status.PENDING),
        make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, status=Annotation.Status.REJECTED),
        make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, status=Annotation.Status.HIDDEN),
        make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, visibility=Annotation.Visibility.PRIVATE),
    ]
    on_draft = make_annotation(article=draft, kind=Annotation.Kind.FACT_CHECK)
    for annotation in refused:
        with pytest.raises(ValueError):
            claim_review(annotation, article=reload(article), request_or_base_url=BASE)
    with pytest.raises(ValueError):
        claim_review(on_draft, article=draft, request_or_base_url=BASE)
    with pytest.raises(ValueError):  # an annotation presented as part of another article
        claim_review(on_draft, article=reload(article), request_or_base_url=BASE)

    assert claim_reviews(refused, article=reload(article), base_url=BASE) == []
    assert claim_reviews_script(refused, article=reload(article), base_url=BASE) == ""
    assert claim_reviews_script([on_draft], article=draft, base_url=BASE) == ""


def test_script_keeps_only_approved_public_fact_checks(article, paragraph, make_annotation, fact_check):
    other = make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, claim="Second", verdict="accurate")
    make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, claim="LEAK", status=Annotation.Status.PENDING)
    make_annotation(article=article, kind=Annotation.Kind.NOTE, body="A note.")
    data = json.loads(
        claim_reviews_script(
            list(Annotation.objects.order_by("pk")) + [fact_check], article=reload(article), base_url=BASE
        )
    )

    assert [review["url"] for review in data] == [
        f"{BASE}/annotations/{fact_check.pk}/",
        f"{BASE}/annotations/{other.pk}/",
    ]
    assert "LEAK" not in json.dumps(data)


def test_one_review_is_an_object(article, fact_check):
    data = json.loads(claim_reviews_script([fact_check], article=reload(article), base_url=BASE))

    assert data["@type"] == "ClaimReview"


def test_script_cannot_be_broken_out_of(article, set_text, make_annotation):
    set_text(article, "k001", f"He wrote {PAYLOAD} & <!-- there -->.")
    Source.objects.filter(article=article).update(original_author=PAYLOAD)
    Article.objects.filter(pk=article.pk).update(title=f"Title {PAYLOAD}\u2028")
    annotation = make_annotation(
        article=article, kind=Annotation.Kind.FACT_CHECK, quote=PAYLOAD, claim=f"{PAYLOAD} & <!-- -->"
    )
    text = claim_reviews_script([annotation], article=reload(article), base_url=BASE)

    assert "</script" not in text.lower()
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert "\\u003C/script\\u003E" in text
    data = json.loads(text)  # still valid JSON, with the user's text intact
    assert data["claimReviewed"] == f"{PAYLOAD} & <!-- -->"
    assert data["itemReviewed"]["author"]["name"] == PAYLOAD
    assert data["itemReviewed"]["appearance"]["headline"] == f"Title {PAYLOAD}\u2028"


def test_script_safe_json_escapes():
    assert script_safe_json({"a": "<>&'\"\u2028"}) == '{"a":"\\u003C\\u003E\\u0026\'\\"\\u2028"}'


# ---------------------------------------------------------------- the template tag


def render(template: str, **context) -> str:
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    return Template("{% load claimreview_tags %}" + template).render(Context({"request": request, **context}))


def test_tag_writes_one_json_ld_script_element(article, set_text, make_annotation, django_assert_num_queries):
    set_text(article, "k001", f"He wrote {PAYLOAD}.")
    make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, quote=PAYLOAD)
    make_annotation(article=article, block="k002", kind=Annotation.Kind.FACT_CHECK, claim="Two", verdict="unverifiable")
    make_annotation(article=article, block="k002", kind=Annotation.Kind.NOTE)
    loaded = reload(article)
    block_views, _ = article_annotations(article=loaded, user=AnonymousUser())

    with django_assert_num_queries(0):  # everything comes from the selector's rows
        html = render("{% claim_reviews_jsonld block_views article %}", block_views=block_views, article=loaded)

    match = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', html, re.S)
    assert match, html
    assert html.lower().count("</script") == 1
    data = json.loads(match.group(1))
    assert [review["reviewRating"]["alternateName"] for review in data] == ["Misleading", "Unverifiable"]
    assert data[0]["claimReviewed"] == PAYLOAD
    assert data[0]["url"].startswith("http://testserver/annotations/")


def test_tag_accepts_one_annotation(article, fact_check):
    html = render("{% claim_reviews_jsonld annotation article %}", annotation=fact_check, article=reload(article))

    assert (
        json.loads(html.removeprefix('<script type="application/ld+json">').removesuffix("</script>"))["@type"]
        == "ClaimReview"
    )


def test_tag_writes_nothing_without_public_fact_checks(article, paragraph, make_annotation, make_article):
    note = make_annotation(article=article)
    pending = make_annotation(article=article, kind=Annotation.Kind.FACT_CHECK, status=Annotation.Status.PENDING)
    draft = make_article("Draft", slug="draft", status=Article.Status.DRAFT)
    on_draft = make_annotation(article=draft, kind=Annotation.Kind.FACT_CHECK)

    assert (
        render("{% claim_reviews_jsonld annotations article %}", annotations=[note, pending], article=reload(article))
        == ""
    )
    assert render("{% claim_reviews_jsonld annotations article %}", annotations=[on_draft], article=draft) == ""
    assert render("{% claim_reviews_jsonld annotations article %}", annotations=[], article=reload(article)) == ""
    assert render("{% claim_reviews_jsonld missing article %}", article=reload(article)) == ""
