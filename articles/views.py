from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import selectors


@require_safe
def article_list(request):
    articles = selectors.article_list(user=request.user)
    return render(request, "articles/article_list.html", {"articles": articles})


@require_safe
def article_detail(request, slug):
    """The annotated version: the article's blocks with the annotations the viewer may see."""
    # The article page is where articles and their annotations meet.
    from annotations.selectors import blocks_with_annotations

    article = selectors.article_for_reading(slug=slug, user=request.user)
    block_views = blocks_with_annotations(article=article, user=request.user)
    total = sum(view.count for view in block_views)
    return render(
        request,
        "articles/article_detail.html",
        {"article": article, "block_views": block_views, "annotation_total": total},
    )


@never_cache
@require_safe
def healthz(request) -> HttpResponse:
    """200 when the database answers, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
