"""A paragraph's own page: its text with every annotation on it (the article page shows the first few).

Same filters and the same visibility rules as the article page (pending and
private annotations only for their author), the same cards, no JavaScript.
The old address of a paragraph that was merged or rewritten redirects to the
page of the paragraph now holding its text (``articles.keys``).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.text import visible_control_characters
from annotations.selectors.reading import ReadingFilterForm, read_paragraph
from articles.keys import successors
from articles.models import Block
from articles.selectors import article_for_reading


def _successor(article, key: str) -> str | None:
    """The current paragraph holding the text of the removed paragraph ``key``, if any (1 query)."""
    blocks = [b for b in article.blocks.order_by("position") if b.kind != Block.Kind.IMAGE]
    removed = [(b.key, b.text) for b in blocks if b.removed_at is not None and b.key == key]
    if not removed:
        return None
    return successors(removed, [(b.key, b.text) for b in blocks if b.removed_at is None]).get(key)


@require_safe
def paragraph_detail(request, slug: str, key: str):
    article = article_for_reading(slug=slug, user=request.user)
    block = article.blocks.current().filter(key=key).exclude(kind=Block.Kind.IMAGE).first()
    if block is None:
        new_key = _successor(article, key)
        if new_key is None:
            raise Http404("No such paragraph in this article.")
        url = reverse("annotations:paragraph-detail", kwargs={"slug": article.slug, "key": new_key})
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{url}?{query}" if query else url)
    form = ReadingFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        errors = visible_control_characters(errors)  # Django's messages echo the value sent
        return render(request, "articles/article_bad_filter.html", {"article": article, "errors": errors}, status=400)
    data = form.cleaned_data if request.GET else {}
    reading = read_paragraph(
        article=article,
        block=block,
        user=request.user,
        view=data.get("view") or "",
        filters=form.active() if request.GET else {},
    )
    return render(
        request, "articles/paragraph_detail.html", {"article": article, "reading": reading, "paragraph": block}
    )
