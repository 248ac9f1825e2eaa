"""Public reading of annotations: permalinks and tag pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..models import Annotation, Tag
from ..selectors import highlight_segments


@require_safe
def annotation_detail(request, pk: int):
    """One annotation with its paragraph in context; 404 unless the viewer may see it."""
    annotation = (
        Annotation.objects.visible_to(request.user)
        .filter(pk=pk, article__status="published")
        .select_related("author", "block", "article", "article__source")
        .prefetch_related("tags", "evidence")
        .first()
    )
    if annotation is None and request.user.is_authenticated:
        annotation = (
            Annotation.objects.filter(pk=pk, author=request.user)
            .select_related("author", "block", "article", "article__source")
            .prefetch_related("tags", "evidence")
            .first()
        )
    if annotation is None:
        raise Http404("No such annotation.")
    segments = highlight_segments(annotation.block.text, [annotation])
    return render(
        request,
        "annotations/annotation_detail.html",
        {"annotation": annotation, "article": annotation.article, "block": annotation.block, "segments": segments},
    )


@require_safe
def tag_detail(request, slug: str):
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404("No such tag.")
    annotations = list(
        Annotation.objects.public()
        .filter(tags=tag, article__status="published")
        .select_related("author", "block", "article")
        .prefetch_related("tags", "evidence")
        .order_by("-created_at")[:200]
    )
    return render(request, "annotations/tag_detail.html", {"tag": tag, "annotations": annotations})
