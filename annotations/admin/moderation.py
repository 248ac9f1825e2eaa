"""The moderation back office in the admin: the queue page and bulk actions.

Holds no rules: every decision calls ``annotations.services.moderation``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from annotations.admin.replies import attach_thread_context
from annotations.forms import ModerationDecisionForm, small_int
from annotations.models import Annotation
from annotations.selectors.anchor_review import anchor_review_items
from annotations.selectors.article import highlight_segments
from annotations.selectors.queue import moderation_queue
from annotations.services import moderation

# Each item is a card with its paragraph, evidence, flags and a decision form (about 2 KB of HTML): the
# page's cost is its items' rendering once the query reads an index (issue 17: about 0.5 ms an item,
# 16 ms for the rest of the page, in-process at 105k annotations), so 25 a page, then "Next page".
QUEUE_PAGE_SIZE = 25


def queue_view(model_admin, request):
    """GET: the queue page. Paged by 'after' (keyset), so no COUNT of the whole table.

    Each page is one range of ``annotation_in_queue_idx`` (partial: only rows the queue shows, in its order),
    read up to one entry past the page: the same cost on page 1 and page 300, at 100,000 annotations or 1M.
    """
    if not moderation.can_moderate(request.user):
        raise PermissionDenied
    queryset = moderation_queue()
    replies_only = request.GET.get("replies") == "1"  # the "Replies" filter (issue #15)
    if replies_only:
        queryset = queryset.filter(parent__isnull=False)
    after = request.GET.get("after", "")
    after_pk = small_int(after)
    if after_pk is not None:
        first = Annotation.objects.filter(pk=after_pk).values("created_at").first()
        if first:
            # (created_at, id) > (first's, after_pk); the redundant >= gives the index scan its start
            queryset = queryset.filter(created_at__gte=first["created_at"]).filter(
                Q(created_at__gt=first["created_at"]) | Q(pk__gt=after_pk)
            )
    rows = list(queryset[: QUEUE_PAGE_SIZE + 1])
    has_more = len(rows) > QUEUE_PAGE_SIZE
    rows = rows[:QUEUE_PAGE_SIZE]
    # each row's links, one reverse() per article and one for the admin's change page (about 100 a page when
    # the template reversed them, with the page's address for each form: a tenth of the page's time)
    article_urls: dict[int, str] = {}
    change_url = reverse("admin:annotations_annotation_change", args=[0]).replace("/0/", "/{}/")
    for annotation in rows:
        annotation.segments = highlight_segments(annotation.block.text, [annotation])
        article_url = article_urls.get(annotation.article_id) or annotation.article.get_absolute_url()
        article_urls[annotation.article_id] = article_url
        annotation.article_url = article_url
        annotation.in_place_url = f"{article_url}#a-{annotation.pk}"
        annotation.change_url = change_url.format(annotation.pk)
    attach_thread_context(rows)  # a reply is judged with the thread it answers
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Moderation queue",
        "opts": model_admin.model._meta,
        "annotations": rows,
        "next_after": rows[-1].pk if has_more and rows else None,
        "back": request.get_full_path(),
        "replies_only": replies_only,
        "decide_url": reverse("admin:annotations_annotation_decide"),
        # the "text changed" section heads the first page only
        "review_items": anchor_review_items() if after_pk is None else [],
        "anchor_decide_url": reverse("admin:annotations_annotation_anchor_decide"),
    }
    return TemplateResponse(request, "admin/annotations/annotation/queue.html", context)


def decide_view(model_admin, request):
    """POST from the queue or an annotation's page: one decision on one annotation."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not moderation.can_moderate(request.user):
        raise PermissionDenied
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("admin:annotations_annotation_queue")
    pk = request.POST.get("annotation", "")
    annotation_pk = small_int(pk)
    annotation = Annotation.objects.filter(pk=annotation_pk).first() if annotation_pk is not None else None
    if annotation is None:
        model_admin.message_user(request, "That annotation no longer exists.", messages.ERROR)
        return HttpResponseRedirect(back)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if decision in ("keep", "hide_flagged"):
            moderation.resolve_flags(
                annotation=annotation,
                actor=request.user,
                decision="keep" if decision == "keep" else "hide",
                note=reason,
            )
        else:
            moderation.decide(
                decision=decision,
                annotation=annotation,
                actor=request.user,
                reason=reason,
                expected_status=request.POST.get("expected_status") or None,
            )
    except ValidationError as exc:
        model_admin.message_user(request, f"#{annotation.pk}: {' '.join(exc.messages)}", messages.ERROR)
    else:
        model_admin.message_user(request, f"#{annotation.pk}: {decision.replace('_', ' ')} recorded.", messages.SUCCESS)
    return HttpResponseRedirect(back)


def _bulk(decision: str, label: str):
    def action(model_admin, request, queryset):
        if not moderation.can_moderate(request.user):
            raise PermissionDenied
        form = ModerationDecisionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            for annotation in queryset.select_related(None).prefetch_related(None).only("pk", "status"):
                try:
                    moderation.decide(
                        decision=decision,
                        annotation=annotation,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        expected_status=annotation.status,
                    )
                    done += 1
                except ValidationError as exc:
                    refused.append(f"#{annotation.pk}: {' '.join(exc.messages)}")
            if done:
                model_admin.message_user(
                    request, f"{label}: {done} annotation{'s' if done != 1 else ''}.", messages.SUCCESS
                )
            for message in refused[:20]:
                model_admin.message_user(request, message, messages.WARNING)
            return None
        return TemplateResponse(
            request,
            "admin/annotations/annotation/bulk_decision.html",
            {
                **model_admin.admin_site.each_context(request),
                "title": f"{label}: give a reason",
                "opts": model_admin.model._meta,
                "form": form,
                "queryset": queryset.select_related("article")[:100],
                "count": queryset.count(),
                "action": request.POST.get("action"),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across", "0"),
                "label": label,
            },
        )

    action.__name__ = f"bulk_{decision}"
    action.short_description = f"{label} selected annotations…"
    action.allowed_permissions = ("moderate",)
    return action


bulk_approve = _bulk("approve", "Approve")
bulk_reject = _bulk("reject", "Reject")
bulk_hide = _bulk("hide", "Hide")
