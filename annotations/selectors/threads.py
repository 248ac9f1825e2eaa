"""Threads of replies (issue #15), put together in memory from rows a page has already read.

The pages read an article's (or a paragraph's) replies in the same query as its annotations, so the number of
queries does not grow with the number of replies; this module hangs each reply under its parent:
``node.thread_children`` (its replies, oldest first) and ``node.reply_count`` (the replies under it at any
depth, placeholders left out). A reply whose parent the viewer may not see (hidden, rejected, pending, private)
is left out with everything under it; a deleted placeholder stays only while it holds replies someone sees.
Works on ``Annotation`` objects and on ``annotations.selectors.article.AnnotationRow`` alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from annotations.models import Annotation, Tag, TaggedAnnotation

# replies shown under an annotation on the article and paragraph pages; the rest are on its permalink page
REPLIES_SHOWN = 3


def is_deleted(node) -> bool:
    return getattr(node, "deleted_at", None) is not None


def build_threads(tops: Iterable, replies: Iterable) -> list:
    """Hang ``replies`` under ``tops`` (and under one another); the ``tops`` to keep (a deleted placeholder
    without a visible reply goes), in their order. Replies unreachable from ``tops`` are dropped."""
    children: dict[int, list] = defaultdict(list)
    for reply in sorted(replies, key=lambda r: (r.created_at, r.pk)):
        children[reply.parent_id].append(reply)

    def walk(node, seen: set[int]) -> None:
        kept = []
        for child in children.get(node.pk, ()):
            if child.pk in seen:  # never loops, whatever the rows say
                continue
            seen.add(child.pk)
            walk(child, seen)
            if not (is_deleted(child) and not child.thread_children):
                kept.append(child)
        node.thread_children = kept
        node.reply_count = sum((0 if is_deleted(c) else 1) + c.reply_count for c in kept)

    kept_tops = []
    for top in tops:
        walk(top, {top.pk})
        if not (is_deleted(top) and not top.thread_children):
            kept_tops.append(top)
    return kept_tops


def preorder(node) -> list:
    """The replies under ``node`` in reading order (each followed by its own replies)."""
    out = []
    for child in getattr(node, "thread_children", ()):
        out.append(child)
        out.extend(preorder(child))
    return out


def first_replies(node, limit: int = REPLIES_SHOWN) -> list:
    """The first ``limit`` replies under ``node`` in reading order: a prefix of ``preorder``, so every one's
    parent is shown too."""
    return preorder(node)[:limit]


def attach_shown(card, row, loaded: dict, limit: int | None = REPLIES_SHOWN) -> None:
    """Copy the thread of ``row`` (an ``AnnotationRow`` with its thread) onto ``card`` (its loaded annotation),
    with the loaded annotations (``loaded`` by pk) of the first ``limit`` replies (all when None); sets
    ``card.replies_hidden``, the replies left for the permalink page. ``card`` may be ``row`` itself (a page
    that loaded whole annotations), to keep only the first few."""
    shown = {r.pk for r in (preorder(row) if limit is None else first_replies(row, limit))}

    def copy(source_row, target) -> None:
        children = list(getattr(source_row, "thread_children", ()))  # read first: ``target`` may be the row
        target.reply_count = getattr(source_row, "reply_count", 0)
        target.thread_children = []
        for child in children:
            if child.pk in shown and child.pk in loaded:
                card_child = loaded[child.pk]
                copy(child, card_child)
                target.thread_children.append(card_child)

    copy(row, card)
    card.replies_hidden = card.reply_count - sum(1 for pk in shown if not is_deleted(loaded.get(pk)))


def thread_of(annotation, *, user):
    """The top of ``annotation``'s thread with every reply ``user`` may see under it (``thread_children``, all
    of them), or None when ``user`` may not see the thread (an annotation above it is hidden, rejected,
    pending or private and not theirs). ``annotation``'s parents must be select_related.

    Queries: the replies on the thread's paragraph with their authors (1), their tags (1). Replies stay on
    their annotation's paragraph (``annotations.services.reanchoring``), so the paragraph bounds the read.
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    node = annotation
    while node.parent_id is not None:
        node = node.parent
        if node.author_id != user_id and not (node.status == Annotation.Status.APPROVED and not node.is_private):
            return None
    root = node
    replies = list(
        Annotation.objects.visible_to(user)
        .filter(article_id=root.article_id, block_id=root.block_id, parent__isnull=False)
        .select_related("author")
    )
    by_pk = {r.pk: r for r in replies}
    tags: dict = {}
    for annotation_id, tag_id, name, slug in (
        TaggedAnnotation.objects.filter(content_object__in=list(by_pk))
        .order_by("pk")
        .values_list("content_object_id", "tag_id", "tag__name", "tag__slug")
    ):
        tags.setdefault(annotation_id, []).append(Tag(pk=tag_id, name=name, slug=slug))
    for reply in replies:
        reply.tag_objects = tags.get(reply.pk, [])
        reply.evidence_list = []
    build_threads([root], replies)
    root.replies_hidden = 0
    return root
