"""The article admin's page for the original's text and the alignment (issue 19): no rules here.

``/admin/articles/article/<id>/original/``: paste (or replace) the original's text, choose who may read it
and whether it is the full text or passages, see the current alignment row by row with its confidence, and
correct it (a copy paragraph with the original paragraph(s) it comes from, or marked added or left out).
Each form calls a service (``articles.services.originals``) and reports with ``message_user``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.text import no_control_characters
from articles.models import AlignmentCorrection, Article, OriginalRights, OriginalText, Source
from articles.selectors import original_alignment
from articles.services.originals import attach_original, delete_correction, save_correction

ORIGINAL_MAX_CHARS = 2_000_000


class OriginalForm(forms.Form):
    text = forms.CharField(
        label="The original's text",
        max_length=ORIGINAL_MAX_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
        help_text="Paste the original work: plain text (paragraphs separated by blank lines), Markdown or the "
        "house format. A revised text keeps the keys of the paragraphs it keeps, so corrections still hold.",
    )
    coverage = forms.ChoiceField(choices=OriginalText.Coverage.choices, initial=OriginalText.Coverage.FULL)
    rights = forms.ChoiceField(label="Who may read it", choices=OriginalRights.choices, initial=OriginalRights.EDITORS)
    note = forms.CharField(
        label="Revision note",
        required=False,
        max_length=1000,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
    )


def _label(block, number: int) -> str:
    text = " ".join(block.text.split())
    return f"{number}. {text[:90]}{'…' if len(text) > 90 else ''}"


class CorrectionForm(forms.Form):
    copy_keys = forms.MultipleChoiceField(
        label="Paragraph(s) of this copy",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Several only when they all come from one original paragraph (a split).",
    )
    original_keys = forms.MultipleChoiceField(
        label="Paragraph(s) of the original",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None: the copy's paragraph was added in this copy. Copy paragraphs left empty: the "
        "original's paragraph was left out of the copy.",
    )

    def __init__(self, *args, copy_blocks=(), original_blocks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_keys"].choices = [(b.key, _label(b, n)) for n, b in enumerate(copy_blocks, start=1)]
        self.fields["original_keys"].choices = [(b.key, _label(b, n)) for n, b in enumerate(original_blocks, start=1)]


def original_view(model_admin, request, object_id: str):
    """The original's page of one article (GET: forms and alignment; POST: one of three actions)."""
    article = model_admin.get_object(request, object_id)
    if article is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_change_permission(request, article):
        raise PermissionDenied
    here = reverse("admin:articles_article_original", args=[article.pk])
    source = Source.objects.filter(article=article).first()
    original = OriginalText.objects.filter(article=article).first()
    status = 200
    original_form = OriginalForm(
        initial={
            "text": "\n\n".join(b.text for b in original.blocks.current()) if original else "",
            "coverage": original.coverage if original else OriginalText.Coverage.FULL,
            "rights": source.original_rights if source else OriginalRights.EDITORS,
        }
    )
    copy_blocks = list(article.blocks.current().exclude(kind="image"))
    original_blocks = list(original.blocks.current()) if original else []
    correction_form = CorrectionForm(copy_blocks=copy_blocks, original_blocks=original_blocks)

    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "original":
                original_form = OriginalForm(request.POST)
                if original_form.is_valid():
                    data = original_form.cleaned_data
                    result = attach_original(
                        article=article,
                        text=data["text"],
                        coverage=data["coverage"],
                        rights=data["rights"],
                        actor=request.user,
                        note=data["note"],
                    )
                    model_admin.message_user(request, result.summary().capitalize() + ".", messages.SUCCESS)
                    return redirect(here)
            elif action == "correct":
                correction_form = CorrectionForm(request.POST, copy_blocks=copy_blocks, original_blocks=original_blocks)
                if correction_form.is_valid():
                    data = correction_form.cleaned_data
                    save_correction(
                        article=article,
                        copy_keys=data["copy_keys"],
                        original_keys=data["original_keys"],
                        actor=request.user,
                    )
                    model_admin.message_user(request, "Correction saved: the alignment follows it.", messages.SUCCESS)
                    return redirect(here)
            elif action == "remove":
                correction = AlignmentCorrection.objects.filter(
                    article=article, pk=request.POST.get("correction") or 0
                ).first()
                if correction is None:
                    model_admin.message_user(request, "No such correction (already removed?).", messages.WARNING)
                else:
                    delete_correction(correction=correction)
                    model_admin.message_user(request, "Correction removed.", messages.SUCCESS)
                return redirect(here)
            else:
                model_admin.message_user(request, "Unknown action.", messages.ERROR)
                return redirect(here)
        except ValidationError as exc:
            form = original_form if action == "original" else correction_form
            for message in exc.messages:
                form.add_error(None, message)
        status = 400

    found = original_alignment(article=article) if original else None
    rows = []
    if found is not None:
        for pair in found.alignment.pairs:
            rows.append(
                {
                    "pair": pair,
                    "copy": [found.copy[i] for i in pair.copy],
                    "original": [found.original[j] for j in pair.original],
                    "drift": None if not (pair.copy and pair.original) else round(pair.drift * 100),
                    "confidence": round(pair.confidence * 100),
                }
            )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Original text and alignment: {article.title}",
        "article": article,
        "original": original,
        "original_form": original_form,
        "correction_form": correction_form,
        "rows": rows,
        "corrections": list(article.alignment_corrections.all()) if original else [],
        "dropped": found.dropped if found else [],
        "revisions": list(original.revisions.select_related("created_by")[:10]) if original else [],
        "change_url": reverse("admin:articles_article_change", args=[article.pk]),
    }
    return TemplateResponse(request, "admin/articles/article/original.html", context, status=status)


def original_summary(article: Article | None) -> str:
    """For the article's change page: what is stored (1 query)."""
    if article is None or article.pk is None:
        return ""
    original = OriginalText.objects.filter(article=article).first()
    if original is None:
        return "No original text stored."
    return f"{original.get_coverage_display()}, version {original.version}."
