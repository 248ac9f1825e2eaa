"""The article admin: changelist, change page, and editing blocks through the inline without losing keys."""

import pytest

from articles.models import Article, Block
from tests.articles.helpers import block_field, change_url
from tests.helpers import change_form_data

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/articles/article/"


@pytest.fixture(params=["editor", "superuser"])
def staff_client(request, client):
    client.force_login(request.getfixturevalue(request.param))
    return client


# ---------------------------------------------------------------- access


def test_anonymous_is_redirected_to_login(client, article):
    for url in (CHANGELIST, change_url(article)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_non_staff_user_cannot_open_the_admin(client, make_user, article):
    client.force_login(make_user("reader"))
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_changelist(staff_client, make_article):
    make_article("Alpha story", slug="alpha")
    make_article("Beta story", slug="beta", status=Article.Status.DRAFT)
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert {a.title for a in response.context["cl"].result_list} == {"Alpha story", "Beta story"}


def test_changelist_search(staff_client, make_article):
    make_article("Alpha story", slug="alpha")
    make_article("Beta story", slug="beta")
    response = staff_client.get(CHANGELIST, {"q": "alpha"})
    assert response.status_code == 200
    assert [a.title for a in response.context["cl"].result_list] == ["Alpha story"]


def test_changelist_search_by_publisher(staff_client, make_article):
    alpha = make_article("Alpha story", slug="alpha")
    make_article("Beta story", slug="beta")
    alpha.source.publisher_name = "Quantum Publishing"
    alpha.source.save()
    response = staff_client.get(CHANGELIST, {"q": "quantum"})
    assert [a.title for a in response.context["cl"].result_list] == ["Alpha story"]


def test_changelist_status_filter(staff_client, make_article):
    make_article("Alpha story", slug="alpha")
    make_article("Beta story", slug="beta", status=Article.Status.DRAFT)
    response = staff_client.get(CHANGELIST, {"status": "published"})
    assert response.status_code == 200
    assert [a.title for a in response.context["cl"].result_list] == ["Alpha story"]
    response = staff_client.get(CHANGELIST, {"status": "draft"})
    assert [a.title for a in response.context["cl"].result_list] == ["Beta story"]


def test_change_page(staff_client, article):
    response = staff_client.get(change_url(article))
    assert response.status_code == 200
    html = response.content.decode()
    assert "A test article" in html
    for block in article.blocks.current():
        assert block.key in html
        assert block.text in html


def test_change_page_hides_removed_blocks(staff_client, article):
    removed = article.blocks.get(position=3)
    removed.mark_removed()
    removed.save()
    response = staff_client.get(change_url(article))
    inline_pks = {
        form.instance.pk
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Block
        for form in inline.formset.initial_forms
    }
    assert inline_pks == set(article.blocks.current().values_list("pk", flat=True))
    assert removed.pk not in inline_pks


# ---------------------------------------------------------------- saving through the inline


def test_saving_unchanged_form_keeps_everything(staff_client, article):
    before = list(Block.objects.order_by("pk").values_list("pk", "key", "position", "kind", "text", "removed_at"))
    data = change_form_data(staff_client.get(change_url(article)))

    response = staff_client.post(change_url(article), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert (
        list(Block.objects.order_by("pk").values_list("pk", "key", "position", "kind", "text", "removed_at")) == before
    )


def test_a_source_url_typed_without_a_scheme_is_saved_as_https(staff_client, article):
    data = change_form_data(staff_client.get(change_url(article)))
    field = next(name for name in data if name.startswith("source") and name.endswith("-original_url"))
    data[field] = "blog.example.org/reflections"

    response = staff_client.post(change_url(article), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    article.source.refresh_from_db()
    assert article.source.original_url == "https://blog.example.org/reflections"


def test_editing_a_block_through_the_inline_keeps_keys_and_rows(staff_client, article):
    blocks = list(article.blocks.current())
    before = {b.pk: b.key for b in blocks}
    data = change_form_data(staff_client.get(change_url(article)))
    data[block_field(data, blocks[1], "text")] = "Paragraph 2 text, corrected by an editor."

    response = staff_client.post(change_url(article), data)

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    current = list(article.blocks.current())
    assert {b.pk: b.key for b in current} == before
    assert [b.position for b in current] == [1, 2, 3]
    assert [b.text for b in current] == [
        "Paragraph 1 text.",
        "Paragraph 2 text, corrected by an editor.",
        "Paragraph 3 text.",
    ]
    assert Block.objects.filter(article=article).count() == 3


def test_swapping_blocks_through_the_inline_keeps_keys(staff_client, article):
    b1, b2, b3 = article.blocks.current()
    data = change_form_data(staff_client.get(change_url(article)))
    data[block_field(data, b1, "position")] = "2"
    data[block_field(data, b2, "position")] = "1"

    response = staff_client.post(change_url(article), data)

    assert response.status_code == 302
    current = list(article.blocks.current())
    assert [(b.pk, b.key, b.position) for b in current] == [(b2.pk, b2.key, 1), (b1.pk, b1.key, 2), (b3.pk, b3.key, 3)]


def test_deleting_a_block_through_the_inline_keeps_its_row(staff_client, article):
    b1, b2, b3 = article.blocks.current()
    data = change_form_data(staff_client.get(change_url(article)))
    data[block_field(data, b2, "DELETE")] = "on"

    response = staff_client.post(change_url(article), data)

    assert response.status_code == 302
    assert [(b.pk, b.position) for b in article.blocks.current()] == [(b1.pk, 1), (b3.pk, 2)]
    b2.refresh_from_db()
    assert b2.removed_at is not None and b2.position is None
    assert b2.key == "k002"


def test_adding_a_block_through_the_inline_gives_it_a_new_key(staff_client, article):
    data = change_form_data(staff_client.get(change_url(article)))
    data["blocks-TOTAL_FORMS"] = "4"
    data.update({"blocks-3-position": "2", "blocks-3-kind": "paragraph", "blocks-3-text": "A new second paragraph."})

    response = staff_client.post(change_url(article), data)

    assert response.status_code == 302
    current = list(article.blocks.current())
    assert [b.text for b in current] == [
        "Paragraph 1 text.",
        "A new second paragraph.",
        "Paragraph 2 text.",
        "Paragraph 3 text.",
    ]
    assert [b.position for b in current] == [1, 2, 3, 4]
    assert [b.key for b in current if b.key.startswith("k")] == ["k001", "k002", "k003"]
    assert current[1].key not in {"k001", "k002", "k003"}
