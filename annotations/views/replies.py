"""Replying to annotations (issue #15): a form page per annotation, which works without JavaScript; the
article page's script (``static/js/annotate.js``) opens the same form in place under the annotation.

Replying to a missing, private, pending, rejected, hidden or deleted annotation, or one in a hidden thread,
is a 404 (the same answer as an id that never existed, so nothing can be probed).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.ratelimits import rate_limited
from annotations import services
from annotations.forms import ReplyForm, add_service_errors
from annotations.models import Annotation
from annotations.selectors.article import tag_suggestions
from annotations.services.replies import repliable


def _in_thread(reply: Annotation, above: Annotation | None = None) -> str:
    """The reply in its whole thread, on its top annotation's permalink: on the article page a thread shows
    its first few replies only, so a new (or edited) reply may not be there. ``above``: an annotation above it
    in its thread, its parents loaded (else at most MAX_REPLY_DEPTH reads)."""
    node = above or reply
    while node.parent_id is not None:
        node = node.parent
    return f"{reverse('annotations:annotation-detail', kwargs={'pk': node.pk})}#a-{reply.pk}"


def _saved_message(reply: Annotation) -> str:
    if reply.status == Annotation.Status.APPROVED:
        return "Your reply was published."
    return "Your reply was saved and is waiting for a moderator."


def _render(request, template: str, context: dict, *, status: int):
    context.setdefault("tag_suggestions", tag_suggestions(request.user))
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("annotate")
def reply_create(request, pk: int):
    """GET: the reply form under the annotation it answers (``?fragment=1``: the form alone, for the script);
    POST: the reply, through ``services.create_reply`` (the moderation policy of notes)."""
    parent = repliable(pk)
    if parent is None:
        raise Http404("No such annotation to reply to.")
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply = services.create_reply(
                author=request.user, parent=parent, body=form.cleaned_data["body"], tags=form.cleaned_data["tags"]
            )
        except ValidationError as exc:
            if "parent" in getattr(exc, "message_dict", {}):  # decided meanwhile (hidden, deleted)
                raise Http404("No such annotation to reply to.") from None
            add_service_errors(form, exc)
        else:
            messages.success(request, _saved_message(reply))
            return redirect(_in_thread(reply, parent))  # parent: loaded with the annotations above it
    template = "annotations/_reply_form.html" if request.GET.get("fragment") else "annotations/reply_form.html"
    return _render(
        request,
        template,
        {
            "parent": parent,
            "article": parent.article,
            "form": form,
            "action": reverse("annotations:annotation-reply", kwargs={"pk": parent.pk}),
        },
        status=400 if request.method == "POST" else 200,
    )


def reply_edit(request, reply: Annotation):
    """The author edits their reply (called by ``annotate.annotation_edit`` for a reply): body and tags."""
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                reply = services.update_annotation(
                    actor=request.user, annotation=reply, body=form.cleaned_data["body"], tags=form.cleaned_data["tags"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied:
                raise Http404("No such annotation of yours.") from None
            else:
                messages.success(request, "Your changes were saved.")
                return redirect(_in_thread(reply))
    else:
        form = ReplyForm(initial={"body": reply.body, "tags": ", ".join(t.name for t in reply.tags.all())})
    return _render(
        request,
        "annotations/reply_form.html",
        {
            "parent": reply.parent,
            "reply": reply,
            "article": reply.article,
            "form": form,
            "action": reverse("annotations:annotation-edit", kwargs={"pk": reply.pk}),
        },
        status=400 if request.method == "POST" else 200,
    )
