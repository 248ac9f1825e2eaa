"""The admin side of re-anchoring: a changelist filter and the moderators' re-attach page.

Holds no rules: decisions call ``annotations.services.anchor_review``. The
re-attach page and the queue's one-click decisions are routed by
``AnnotationAdmin.get_urls`` (``admin:annotations_annotation_reanchor``,
``admin:annotations_annotation_anchor_decide``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.text import no_control_characters
from annotations.anchoring.matcher import Paragraph, suggest
from annotations.forms import small_int
from annotations.models import QUOTE_MAX_LENGTH, Annotation, ModerationLog
from annotations.selectors.article import highlight_segments
from annotations.services import anchor_review
from annotations.services.moderation import StaleDecision, can_moderate
from articles.models import ArticleRevision, Block

State = Annotation.AnchorState
ANCHOR_ACTIONS = [
    ModerationLog.Action.REANCHORED,
    ModerationLog.Action.NEEDS_REANCHOR,
    ModerationLog.Action.ORPHANED,
    ModerationLog.Action.REATTACHED,
    ModerationLog.Action.ANCHOR_CONFIRMED,
    ModerationLog.Action.ORPHAN_CONFIRMED,
]
REVISIONS_SEARCHED = 20  # for the paragraph's text before the change that detached the annotation


class AnchorStateFilter(admin.SimpleListFilter):
    """Annotations that revisions moved, detached or left on changed words."""

    title = "anchoring"
    parameter_name = "anchoring"

    def lookups(self, request, model_admin):
        return [
            ("attention", "Needs a moderator (re-anchoring, or an orphan not reviewed)"),
            (State.NEEDS_REANCHORING, "Needs re-anchoring"),
            (State.ORPHANED, "Orphaned"),
            (State.MOVED, "Re-anchored automatically"),
            ("text_changed", "Refers to an earlier wording"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "attention":
            return queryset.needs_anchor_review()
        if value in (State.NEEDS_REANCHORING, State.ORPHANED, State.MOVED):
            return queryset.filter(anchor_state=value)
        if value == "text_changed":
            return queryset.filter(text_changed=True)
        return queryset


class ReattachForm(forms.Form):
    block = forms.ChoiceField(label="Paragraph", help_text="A paragraph of the article's current text.")
    quote = forms.CharField(
        required=False,
        max_length=QUOTE_MAX_LENGTH,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90}),
        help_text="The exact words it refers to, copied from that paragraph; leave empty for the whole paragraph.",
    )
    # Where a chosen suggestion's words stand: hints, read leniently (``offsets``). An error on a hidden field
    # would come back with no message the moderator can see; offsets that are not usable leave the quote to be
    # found in the paragraph, which says clearly when it cannot be.
    start = forms.CharField(required=False, widget=forms.HiddenInput)
    end = forms.CharField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False,
        max_length=1000,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 2, "cols": 90}),
        help_text="Optional: kept in the annotation's history.",
    )
    expected_state = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, blocks: list[Block], **kwargs):
        super().__init__(*args, **kwargs)
        self.blocks = {b.key: b for b in blocks}
        self.fields["block"].choices = [("", "—")] + [
            (b.key, f"{b.position}. [{b.key}] {b.text[:100]}") for b in blocks
        ]

    def offsets(self) -> tuple[int | None, int | None]:
        """The offsets of a chosen suggestion, when the quote was left as suggested."""
        data = self.cleaned_data
        block = self.blocks.get(data.get("block"))
        start, end = small_int(data.get("start")), small_int(data.get("end"))
        quote = data.get("quote") or ""
        if block is not None and start is not None and end is not None and block.text[start:end] == quote and quote:
            return start, end
        return None, None


def reanchor_view(model_admin, request, object_id: str):
    """GET: an annotation, where it was, suggestions and the form. POST: re-attach it, or confirm it orphaned."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not can_moderate(request.user):
        raise PermissionDenied
    annotation = (
        Annotation.objects.select_related(
            "article", "block", "author", "original_revision", "anchored_revision", "anchor_reviewed_by"
        )
        .filter(pk=small_int(object_id))
        .first()
    )
    if annotation is None:
        raise Http404("No such annotation.")
    change_url = reverse("admin:annotations_annotation_change", args=[annotation.pk])
    blocks = list(annotation.article.blocks.current().exclude(kind=Block.Kind.IMAGE))
    words = annotation.original_quote or annotation.quote
    suggestions = suggest(
        quote=words,
        prefix=annotation.quote_prefix,
        suffix=annotation.quote_suffix,
        paragraphs=[Paragraph(b.key, b.text) for b in blocks],
    )

    if request.method == "POST":
        form = ReattachForm(request.POST, blocks=blocks)
        if "orphan" in request.POST:
            form.fields["block"].required = False
        if form.is_valid():
            try:
                if "orphan" in request.POST:
                    anchor_review.confirm_orphan(
                        annotation=annotation,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        expected_state=form.cleaned_data["expected_state"] or None,
                    )
                    done = f"#{annotation.pk} confirmed as orphaned: readers see it under “Notes on earlier wording”."
                else:
                    start, end = form.offsets()
                    anchor_review.reattach_annotation(
                        annotation=annotation,
                        actor=request.user,
                        block_key=form.cleaned_data["block"],
                        quote=form.cleaned_data["quote"],
                        start=start,
                        end=end,
                        reason=form.cleaned_data["reason"],
                        expected_state=form.cleaned_data["expected_state"] or None,
                    )
                    done = f"#{annotation.pk} re-attached to p-{form.cleaned_data['block']}."
            except StaleDecision as exc:
                model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(request.path)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                model_admin.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
    else:
        live = annotation.is_placed
        best = suggestions[0] if suggestions else None
        if live:  # correcting an automatic move: start from where it is
            block_key, quote = annotation.block.key, annotation.quote
        else:  # start from the best suggestion, if any
            block_key, quote = (best.key, best.text) if best else ("", words)
        initial = {
            "block": request.GET.get("block", block_key),
            "quote": request.GET.get("quote", quote),
            "start": request.GET.get("start", best.start if best and not live else None),
            "end": request.GET.get("end", best.end if best and not live else None),
            "expected_state": annotation.anchor_state,
        }
        form = ReattachForm(initial=initial, blocks=blocks)

    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Re-attach annotation #{annotation.pk}",
        "opts": model_admin.model._meta,
        "annotation": annotation,
        "form": form,
        "change_url": change_url,
        "was": _where_it_was(annotation),
        "suggestions": [
            {
                "match": m,
                "block": next(b for b in blocks if b.key == m.key),
                "use_url": "?" + urlencode({"block": m.key, "quote": m.text, "start": m.start, "end": m.end}),
            }
            for m in suggestions
        ],
        "history": list(
            annotation.moderation_log.filter(action__in=ANCHOR_ACTIONS)
            .select_related("actor")
            .order_by("created_at", "pk")
        ),
    }
    return TemplateResponse(request, "admin/annotations/annotation/reanchor.html", context)


def _where_it_was(annotation: Annotation) -> dict:
    """The paragraph text the annotation's quote offsets refer to, with the quote marked when it stands there.

    A removed paragraph keeps its last text; an edited one's earlier text is
    found in the latest revisions that changed it (1 query).
    """
    block = annotation.block
    text = block.text
    if annotation.quote and text[annotation.quote_start or 0 : annotation.quote_end or 0] != annotation.quote:
        for revision in ArticleRevision.objects.filter(article_id=annotation.article_id).order_by("-number")[
            :REVISIONS_SEARCHED
        ]:
            old = next((c["old_text"] for c in revision.changes if c["key"] == block.key and c["old_text"]), None)
            if old is not None and old[annotation.quote_start : annotation.quote_end] == annotation.quote:
                text = old
                break
    stands = (
        bool(annotation.quote) and text[annotation.quote_start or 0 : annotation.quote_end or 0] == annotation.quote
    )
    return {
        "block": block,
        "removed": block.removed_at is not None,
        "segments": highlight_segments(text, [annotation] if stands else []),
        "quote_stands": stands,
    }


def anchor_decide_view(model_admin, request):
    """POST from the queue's "text changed" section: confirm an annotation still valid where proposed, or detach it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_moderate(request.user):
        raise PermissionDenied
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("admin:annotations_annotation_queue")
    pk = small_int(request.POST.get("annotation"))
    annotation = Annotation.objects.filter(pk=pk).first() if pk is not None else None
    if annotation is None:
        model_admin.message_user(request, "That annotation no longer exists.", messages.ERROR)
        return HttpResponseRedirect(back)
    decision = request.POST.get("decision", "")
    common = {
        "annotation": annotation,
        "actor": request.user,
        "reason": request.POST.get("reason", "")[:1000],
        "expected_state": request.POST.get("expected_state") or None,
    }
    try:
        if decision == "confirm":
            anchor_review.confirm_still_valid(
                block_key=request.POST.get("block", ""),
                start=small_int(request.POST.get("start")),
                end=small_int(request.POST.get("end")),
                words=request.POST.get("words"),
                **common,
            )
            done = f"#{annotation.pk}: confirmed still valid; readers see when it was re-checked."
        elif decision == "detach":
            anchor_review.confirm_orphan(**common)
            done = f"#{annotation.pk}: detached; readers see it under “Notes on earlier wording”."
        else:
            model_admin.message_user(request, "Choose “confirm still valid” or “detach”.", messages.ERROR)
            return HttpResponseRedirect(back)
    except ValidationError as exc:
        model_admin.message_user(request, f"#{annotation.pk}: {' '.join(exc.messages)}", messages.ERROR)
    else:
        model_admin.message_user(request, done, messages.SUCCESS)
    return HttpResponseRedirect(back)
