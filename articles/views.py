from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles import selectors


@require_safe
def article_list(request):
    articles = selectors.article_list(user=request.user)
    return render(request, "articles/article_list.html", {"articles": articles})
