"""The public pages (list, article, health check) and the setup_demo command."""

import datetime as dt
import json
from io import StringIO
from unittest import mock

import django.db
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from articles.demo import SAMPLE_SLUG
from articles.models import Article, Block, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(make_article):
    article = make_article(
        "The published article", slug="published", dek="A short summary of it.", published_on=dt.date(2024, 5, 1)
    )
    source = article.source
    source.publisher_name = "Example Media Ltd."
    source.original_url = "https://example.com/original-post"
    source.original_title = "The Original Post"
    source.original_author = "Ada Author"
    source.is_translation = True
    source.translated_from = "a Chinese translation of the English original"
    source.save()
    return article


@pytest.fixture
def draft(make_article):
    return make_article("The secret draft", slug="secret-draft", status=Article.Status.DRAFT, dek="Draft summary.")


# ---------------------------------------------------------------- list


def test_list_shows_published_articles(client, published):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The published article" in html
    assert "A short summary of it." in html
    assert "1 May 2024" in html
    assert "Example Media Ltd." in html
    assert 'href="/articles/published/"' in html


def test_list_hides_drafts(client, published, draft):
    html = client.get("/").content.decode()
    assert "The published article" in html
    assert "The secret draft" not in html
    assert "/articles/secret-draft/" not in html


def test_list_is_newest_first(client, make_article):
    make_article("Older piece", published_on=dt.date(2023, 1, 1))
    make_article("Newer piece", published_on=dt.date(2024, 1, 1))
    html = client.get("/").content.decode()
    assert html.index("Newer piece") < html.index("Older piece")


def test_list_when_empty(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "No articles have been published yet." in response.content.decode()


def test_list_for_staff_shows_drafts_with_a_badge(client, editor, published, draft):
    client.force_login(editor)
    html = client.get("/").content.decode()
    assert "The secret draft" in html
    assert "badge-draft" in html


# ---------------------------------------------------------------- article page


def test_article_page_shows_headline_dek_and_source_box(client, published):
    response = client.get("/articles/published/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>The published article</h1>" in html
    assert "A short summary of it." in html
    assert 'href="https://example.com/original-post"' in html
    assert "The Original Post" in html
    assert "Ada Author" in html
    assert "Example Media Ltd." in html
    assert "This is a translation" in html
    assert "a Chinese translation of the English original" in html
    assert "Draft preview" not in html


def test_article_page_without_translation_has_no_translation_note(client, article):
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Test Publisher" in html
    assert "This is a translation" not in html


def test_article_page_has_an_anchor_and_permalink_per_paragraph(client, published):
    html = client.get("/articles/published/").content.decode()
    blocks = list(published.blocks.current())
    assert len(blocks) == 3
    for block in blocks:
        assert f'id="p-{block.key}"' in html
        assert f'href="#p-{block.key}"' in html
        assert block.text in html
    # in reading order
    positions = [html.index(f'id="p-{b.key}"') for b in blocks]
    assert positions == sorted(positions)


def test_article_page_renders_headings_and_image_placeholders(client, article):
    Block.objects.create(article=article, key="head1", position=4, kind=Block.Kind.HEADING, text="A heading")
    Block.objects.create(article=article, key="img1", position=5, kind=Block.Kind.IMAGE, text="")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<h2 class="block-text" data-block-key="head1">A heading</h2>' in html
    assert 'id="p-img1"' in html
    assert "Image not reproduced" in html
    assert 'id="p-head1"' in html


def test_article_page_leaves_out_removed_blocks(client, article):
    removed = article.blocks.get(position=2)
    removed.mark_removed()
    removed.save()
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'id="p-{removed.key}"' not in html
    assert "Paragraph 2 text." not in html
    assert "Paragraph 1 text." in html and "Paragraph 3 text." in html


def test_article_page_escapes_block_text(client, article):
    Block.objects.filter(article=article, position=1).update(text="<script>alert(1)</script>")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_article_page_without_source_row(client, article):
    Source.objects.filter(article=article).delete()
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "Where this text comes from" not in response.content.decode()


def test_draft_is_404_for_anonymous(client, draft):
    assert client.get("/articles/secret-draft/").status_code == 404


def test_draft_is_404_for_a_signed_in_non_staff_user(client, make_user, draft):
    client.force_login(make_user("reader"))
    assert client.get("/articles/secret-draft/").status_code == 404


def test_draft_is_shown_to_staff_with_a_preview_notice(client, editor, draft):
    client.force_login(editor)
    response = client.get("/articles/secret-draft/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft preview" in html
    assert "The secret draft" in html


def test_draft_is_404_for_an_inactive_staff_user(client, make_user, draft):
    user = make_user("gone", staff=True)
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get("/articles/secret-draft/").status_code == 404


def test_unknown_slug_is_404(client, published):
    assert client.get("/articles/no-such-article/").status_code == 404


def test_post_to_article_page_is_405(client, published):
    assert client.post("/articles/published/").status_code == 405


def test_post_to_list_is_405(client, published):
    assert client.post("/").status_code == 405


@pytest.mark.parametrize("paragraphs", [3, 60])
def test_article_page_query_count_is_fixed(client, make_article, django_assert_num_queries, paragraphs):
    article = make_article("Counting queries", slug="counting", paragraphs=paragraphs)
    # article + source (1), current blocks (1), visible annotations (1; their tags and evidence are only
    # fetched when there are some), revisions for the corrections note (1); no session or user queries
    # for anonymous readers
    with django_assert_num_queries(4):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('class="permalink"') == paragraphs


def test_list_query_count_is_fixed(client, make_article, django_assert_num_queries):
    for i in range(5):
        make_article(f"Article {i}")
    with django_assert_num_queries(1):
        response = client.get("/")
    assert response.content.decode().count('class="article-item"') == 5


# ---------------------------------------------------------------- health check


def test_healthz_ok(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_liveness_and_ignores_the_database(client, db):
    # A database outage must not make a supervisor restart every node: /readyz takes the node out instead.
    with mock.patch.object(django.db.connection, "cursor", side_effect=django.db.OperationalError("down")):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503


# ---------------------------------------------------------------- setup_demo


def setup_demo():
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("setup_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_setup_demo_imports_the_sample_and_creates_accounts(db):
    out = setup_demo()

    article = Article.objects.get(slug=SAMPLE_SLUG)
    assert article.slug == "altman-reflections"
    assert article.dek
    assert article.blocks.current().count() == 39
    source = article.source
    assert source.original_author == "Sam Altman"
    assert source.is_translation is True
    assert source.copy_url == "https://aigca360.com/xinwen_en/26882.html"
    assert source.publisher_name == "Quantum (Shanghai) Artificial Intelligence Technology Co., Ltd."
    users = get_user_model().objects.order_by("username")
    assert [u.username for u in users] == ["alice", "bob", "editor", "moderator"]
    assert [u.username for u in users if u.is_staff] == ["editor", "moderator"]
    assert users.get(username="alice").check_password("alice-demo-pass")
    assert "/articles/altman-reflections/" in out


def test_setup_demo_twice_creates_nothing_new(db):
    setup_demo()
    blocks = list(Block.objects.order_by("pk").values_list("pk", "key", "position", "text", "updated_at"))
    users = list(get_user_model().objects.order_by("pk").values_list("pk", "username", "password"))

    out = setup_demo()

    assert Article.objects.count() == 2  # the sample and the synthetic compare pair (issue 19)
    assert Source.objects.count() == 2
    assert list(Block.objects.order_by("pk").values_list("pk", "key", "position", "text", "updated_at")) == blocks
    assert list(get_user_model().objects.order_by("pk").values_list("pk", "username", "password")) == users
    assert "up to date" in out
    assert "already exist" in out


def test_setup_demo_keeps_an_editors_changes(db):
    setup_demo()
    Article.objects.update(dek="An editor's dek.")
    Source.objects.update(original_author="S. Altman")
    setup_demo()
    article = Article.objects.get(slug=SAMPLE_SLUG)
    assert article.dek == "An editor's dek."
    assert article.source.original_author == "S. Altman"


def test_setup_demo_refuses_with_debug_off(db):
    with override_settings(DEBUG=False), pytest.raises(CommandError) as exc_info:
        call_command("setup_demo", stdout=StringIO(), stderr=StringIO())
    assert "DEBUG" in str(exc_info.value)
    assert Article.objects.count() == 0
    assert get_user_model().objects.count() == 0
