"""Public reading of annotations: permalinks and tag pages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.text import no_control_characters, visible_control_characters
from annotations.models import MAX_REPLY_DEPTH, Annotation, Tag, readable_q
from annotations.selectors.article import highlight_segments
from annotations.selectors.search import MAX_QUERY_LENGTH, search
from annotations.selectors.threads import thread_of

PUBLIC = readable_q("tagged_annotations__content_object__")


# an annotation's permalink reads the annotations above it in its thread with it (replies nest this deep)
_ANCESTORS = "__".join(["parent"] * MAX_REPLY_DEPTH)


@require_safe
def annotation_detail(request, pk: int):
    """One annotation, or a reply in its thread, with its paragraph in context and the whole thread of
    replies (``#replies``; the article page shows the first few); 404 unless the viewer may see it."""
    related = ("author", "block", "article", "article__source", "original_revision", _ANCESTORS)
    annotation = (
        Annotation.objects.visible_to(request.user)
        .on_published_articles()
        .filter(pk=pk)
        .select_related(*related)
        .prefetch_related("tags", "evidence")
        .first()
    )
    if annotation is None and request.user.is_authenticated:
        annotation = (
            Annotation.objects.filter(pk=pk, author=request.user)
            .select_related(*related)
            .prefetch_related("tags", "evidence")
            .first()
        )
    if annotation is None:
        raise Http404("No such annotation.")
    root = thread_of(annotation, user=request.user)
    if root is None:  # a reply under an annotation the viewer may not see
        raise Http404("No such annotation.")
    if root.pk == annotation.pk:
        annotation = root
    else:
        root.article = annotation.article
    # a quote is highlighted only where it stands: an annotation a revision detached keeps stale offsets
    segments = highlight_segments(root.block.text, [root] if root.quote and root.is_placed else [])
    return render(
        request,
        "annotations/annotation_detail.html",
        {
            "annotation": annotation,
            "thread_root": root,
            "article": annotation.article,
            "paragraph": root.block,
            "segments": segments,
        },
    )


@require_safe
def tag_detail(request, slug: str):
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404("No such tag.")
    annotations = list(
        Annotation.objects.readable()
        .filter(tags=tag)
        .select_related("author", "block", "article")
        .prefetch_related("tags", "evidence")
        .order_by("-created_at")[:200]
    )
    if not annotations:
        # a tag used only on private or unpublished annotations does not exist for readers
        raise Http404("No such tag.")
    return render(request, "annotations/tag_detail.html", {"tag": tag, "annotations": annotations})


@require_safe
def tag_index(request):
    """Tags with the number of published annotations carrying them (one query)."""
    tags = Tag.objects.annotate(n=Count("tagged_annotations", filter=PUBLIC)).filter(n__gt=0).order_by("-n", "name")
    return render(request, "annotations/tag_index.html", {"tags": tags})


@require_safe
def author_detail(request, username: str):
    """A user's published annotations."""
    author = get_user_model().objects.filter(username=username, is_active=True).first()
    if author is None:
        raise Http404("No such user.")
    annotations = list(
        Annotation.objects.readable()
        .filter(author=author)
        .select_related("author", "block", "article")
        .prefetch_related("tags", "evidence")
        .order_by("-created_at")[:200]
    )
    return render(request, "annotations/author_detail.html", {"author": author, "annotations": annotations})


@require_safe
def search_view(request):
    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        return render(
            request,
            "annotations/search.html",
            {"query": query[:MAX_QUERY_LENGTH], "error": f"Search for at most {MAX_QUERY_LENGTH} characters."},
            status=400,
        )
    try:
        no_control_characters(query)  # the one rule for user text; the box shows where it was
    except ValidationError as exc:
        context = {"query": visible_control_characters(query), "error": " ".join(exc.messages)}
        return render(request, "annotations/search.html", context, status=400)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    results = search(query, page=page) if query.strip() else None
    return render(request, "annotations/search.html", {"query": query, "results": results})
