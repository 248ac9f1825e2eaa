"""The article admin, aware of annotations: registered here over the articles app's own.

``articles`` knows nothing of annotations; this app subclasses its admins and
adds what annotations change: who may delete an annotated article, and links
from a revision's outcome rows to each annotation and its re-attach page.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from annotations.models import Annotation
from articles.admin import ArticleAdmin, ArticleRevisionAdmin
from articles.models import Article, ArticleRevision


class AnnotatedArticleAdmin(ArticleAdmin):
    def deletion_refusals(self, objs, request) -> set[str]:
        """An article with annotations (people's fact-checks) only a superuser may delete; editors unpublish it."""
        if request.user.is_superuser or not Annotation.objects.filter(article__in=[o.pk for o in objs]).exists():
            return set()
        return {"annotations (an annotated article can only be deleted by a superuser; unpublish it instead)"}


class AnnotatedArticleRevisionAdmin(ArticleRevisionAdmin):
    def outcome_rows(self, revision: ArticleRevision) -> list[dict]:
        """The revision's outcome rows, with links to each annotation and its re-attach page (1 query)."""
        ids = [row["annotation"] for row in revision.outcomes]
        current = {a.pk: a for a in Annotation.objects.filter(pk__in=ids).only("pk", "kind", "anchor_state", "status")}
        rows = []
        for row in revision.outcomes:
            annotation = current.get(row["annotation"])
            rows.append(
                {
                    **row,
                    "annotation_obj": annotation,
                    "change_url": reverse("admin:annotations_annotation_change", args=[row["annotation"]])
                    if annotation
                    else "",
                    "reanchor_url": reverse("admin:annotations_annotation_reanchor", args=[row["annotation"]])
                    if annotation
                    else "",
                }
            )
        return rows


for model, model_admin in ((Article, AnnotatedArticleAdmin), (ArticleRevision, AnnotatedArticleRevisionAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
