"""Deleting an annotated article in the admin: superusers can, editors unpublish instead."""

from articles.models import Article, Block


def test_superuser_deletes_an_annotated_article_with_everything_in_it(client, superuser, article, make_annotation):
    from annotations.models import Annotation

    make_annotation(article=article, tags=["x"])
    client.force_login(superuser)
    page = client.get(f"/admin/articles/article/{article.pk}/delete/")
    assert page.status_code == 200 and not page.context["perms_lacking"] and not page.context["protected"]
    response = client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    assert Annotation.objects.count() == 0 and Block.objects.count() == 0


def test_an_editor_is_told_why_not_and_nothing_is_deleted(client, editor, article, make_annotation):
    make_annotation(article=article)
    client.force_login(editor)
    page = client.get(f"/admin/articles/article/{article.pk}/delete/")
    assert page.status_code == 200
    assert page.context["perms_lacking"]  # the page lists what the editor may not delete
    assert client.post(f"/admin/articles/article/{article.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


def test_a_block_cannot_be_deleted_on_its_own_by_an_editor(client, editor, article):
    block = article.blocks.first()
    client.force_login(editor)
    assert client.post(f"/admin/articles/block/{block.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Block.objects.filter(pk=block.pk).exists()
