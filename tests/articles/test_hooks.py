"""articles.hooks: what other apps do on a revision runs in the revision's transaction, in registration order."""

import pytest

from articles import hooks
from articles.models import ArticleRevision, Block
from articles.services import BlockEdit, revise_blocks


@pytest.fixture
def registered():
    """Hooks registered by a test, removed afterwards (the annotations app's own hook stays)."""
    added = []

    def register(hook):
        hooks.register_revision_hook(hook)
        added.append(hook)
        return hook

    yield register
    for hook in added:
        hooks._revision_hooks.remove(hook)


def edit_first_paragraph(article, text: str):
    first = article.blocks.current().first()
    return revise_blocks(article=article, edits=[BlockEdit(kind=first.kind, text=text, order=1, block=first)])


def test_the_annotations_app_registers_its_reanchoring_hook():
    from annotations.services.reanchoring import reanchor_after_revision

    assert reanchor_after_revision in hooks._revision_hooks


def test_hooks_run_in_order_with_the_revision_and_both_snapshots(article, registered):
    calls = []
    registered(lambda **kw: calls.append(("first", kw)))
    registered(lambda **kw: calls.append(("second", kw)))
    was = article.blocks.current().first().text

    result = edit_first_paragraph(article, "A new first paragraph.")

    assert [name for name, _ in calls] == ["first", "second"]
    kwargs = calls[0][1]
    assert kwargs["article"].pk == article.pk
    assert kwargs["revision"] == result.revision
    first = article.blocks.current().first()
    assert kwargs["before"][first.pk].text == was
    assert kwargs["after"][first.pk].text == "A new first paragraph."


def test_registering_twice_runs_once(article, registered):
    calls = []

    def hook(**kw):
        calls.append(kw)

    registered(hook)
    hooks.register_revision_hook(hook)
    edit_first_paragraph(article, "Changed once.")
    assert len(calls) == 1


def test_a_hook_that_fails_rolls_the_revision_back(article, registered):
    def broken(**kw):
        raise RuntimeError("hook failed")

    registered(broken)
    with pytest.raises(RuntimeError):
        edit_first_paragraph(article, "Never saved.")
    assert not ArticleRevision.objects.filter(article=article).exists()
    assert not Block.objects.filter(article=article, text="Never saved.").exists()


def test_no_hook_runs_when_nothing_changed(article, registered):
    calls = []
    registered(lambda **kw: calls.append(kw))
    first = article.blocks.current().first()
    result = revise_blocks(article=article, edits=[BlockEdit(kind=first.kind, text=first.text, order=1, block=first)])
    assert result.revision is None
    assert calls == []
