"""What other apps do when an article's text changes: an explicit registry, filled in their ``AppConfig.ready()``.

``articles`` never imports the apps that build on it. An app that keeps data
pointing into an article's text (``annotations`` re-anchors its annotations)
registers a function here; ``articles.revisions.record_revision`` runs every
registered function inside the transaction that changed the blocks, so their
writes commit or roll back with the revision. Not a signal: the list of what
runs is greppable (``register_revision_hook``) and its order is the order of
registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from articles.models import Article, ArticleRevision
    from articles.revisions import BlockState


class RevisionHook(Protocol):
    def __call__(
        self,
        *,
        article: Article,
        revision: ArticleRevision,
        before: Mapping[int, BlockState],
        after: Mapping[int, BlockState],
    ) -> None: ...


_revision_hooks: list[RevisionHook] = []


def register_revision_hook(hook: RevisionHook) -> RevisionHook:
    """Run ``hook`` after every revision of an article's blocks (idempotent; usable as a decorator)."""
    if hook not in _revision_hooks:
        _revision_hooks.append(hook)
    return hook


def run_revision_hooks(
    *, article: Article, revision: ArticleRevision, before: Mapping[int, BlockState], after: Mapping[int, BlockState]
) -> None:
    """Call every registered hook, in order, in the caller's transaction (an exception rolls the revision back)."""
    for hook in _revision_hooks:
        hook(article=article, revision=revision, before=before, after=after)
