"""Replies in the back office (issue #15): the changelist's filter, "reply to" on an annotation's page, the
queue's thread context, and a moderator's reply written from the admin (through ``services.create_reply``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from annotations import services
from annotations.forms import ReplyForm, add_service_errors, small_int
from annotations.models import MAX_REPLY_DEPTH, Annotation
from annotations.services.replies import repliable


class ReplyFilter(admin.SimpleListFilter):
    title = "thread"
    parameter_name = "thread"

    def lookups(self, request, model_admin):
        return [("replies", "Replies"), ("annotations", "Annotations of the text")]

    def queryset(self, request, queryset):
        if self.value() == "replies":
            return queryset.filter(parent__isnull=False)
        if self.value() == "annotations":
            return queryset.filter(parent__isnull=True)
        return queryset


@admin.display(description="reply to")
def reply_to_link(obj: Annotation) -> str:
    """The annotation a reply answers, linked to its admin page (read-only: a reply stays in its thread)."""
    if obj is None or obj.parent_id is None:
        return "—"
    return format_html(
        '<a href="{}">#{}</a> (<a href="{}">in its thread</a>)',
        reverse("admin:annotations_annotation_change", args=[obj.parent_id]),
        obj.parent_id,
        obj.get_absolute_url(),
    )


def attach_thread_context(rows: list[Annotation]) -> None:
    """Give each reply among ``rows`` its ``thread_context``: the annotations above it, the thread's top first
    (one query for all of them, none without replies)."""
    parent_ids = {a.parent_id for a in rows if a.parent_id is not None}
    if not parent_ids:
        return
    parents = {
        p.pk: p
        # a reply's parent has at most MAX_REPLY_DEPTH - 1 annotations above it: all joined here
        for p in Annotation.objects.filter(pk__in=parent_ids).select_related(
            *("__".join(["parent"] * level + ["author"]) for level in range(MAX_REPLY_DEPTH))
        )
    }
    for row in rows:
        chain, node = [], parents.get(row.parent_id)
        while node is not None:
            chain.append(node)
            node = node.parent if node.parent_id is not None else None
        row.thread_context = list(reversed(chain))


def reply_view(model_admin, request, object_id: str):
    """An editor or moderator replies to a published annotation from its admin page: the public form's
    service, as the admin user (their reply follows the same policy: a moderator's note publishes at once)."""
    if not services.can_edit_as_staff(request.user):
        raise PermissionDenied
    pk = small_int(object_id)
    parent = repliable(pk) if pk is not None else None
    if parent is None:
        raise Http404("Only published annotations can be replied to.")
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply = services.create_reply(
                author=request.user, parent=parent, body=form.cleaned_data["body"], tags=form.cleaned_data["tags"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            model_admin.message_user(
                request, f"Reply #{reply.pk} to #{parent.pk} saved ({reply.get_status_display()}).", messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:annotations_annotation_change", args=[reply.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Reply to annotation #{parent.pk}",
        "opts": model_admin.model._meta,
        "parent": parent,
        "form": form,
    }
    return TemplateResponse(
        request, "admin/annotations/annotation/reply.html", context, status=400 if form.errors else 200
    )
