"""Helpers shared by test modules: form payloads and row counts (no fixtures here; see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django import forms
from django.contrib.auth import get_user_model

from annotations.models import Annotation, Evidence, Flag, ModerationLog, Tag, TaggedAnnotation


def annotate_payload(*, evidence: Iterable[Mapping[str, str]] = (), **overrides) -> dict:
    """POST data of the public annotate form (and the edit form): a public note, plus the evidence formset.

    ``evidence`` is a list of rows (``{"url": …, "title": …}``); the management
    form counts at least two rows, as the page serves them. ``overrides`` replace
    any field, the management form's too (``**{"evidence-TOTAL_FORMS": "0"}``).
    """
    evidence = list(evidence)
    data = {
        "kind": "note",
        "quote": "",
        "quote_start": "",
        "quote_end": "",
        "offsets_unit": "",
        "body": "A note.",
        "tags": "",
        "visibility": "public",
        "claim": "",
        "verdict": "",
        "evidence-TOTAL_FORMS": str(max(2, len(evidence))),
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "10",
    }
    for i, row in enumerate(evidence):
        for name, value in row.items():
            data[f"evidence-{i}-{name}"] = value
    data.update(overrides)
    return data


def admin_add_payload(response, *, evidence: Iterable[Mapping[str, str]] = (), **fields) -> dict:
    """POST data for the annotation admin's add form: the fields, and every inline's management form.

    ``response`` is the GET of the add page (its inlines give the prefixes);
    ``evidence`` rows fill the evidence inline. Defaults: a public fact-check
    with an empty body (set ``article``, ``block`` and ``body`` in ``fields``).
    """
    evidence = list(evidence)
    data = {
        "kind": "fact_check",
        "visibility": "public",
        "quote": "",
        "body": "",
        "tags": "",
        "claim": "",
        "verdict": "",
        "_save": "Save",
    }
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        rows = evidence if prefix == "evidence" else []
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for i, row in enumerate(rows):
            for name, value in {"excerpt": "", "archived_url": "", "position": str(i), **row}.items():
                data[f"{prefix}-{i}-{name}"] = value
    data.update({name: str(value) for name, value in fields.items()})
    return data


def annotation_row_counts() -> dict[str, int]:
    """Row counts of everything an annotation write touches (to assert nothing was written)."""
    return {
        "annotations": Annotation.objects.count(),
        "evidence": Evidence.objects.count(),
        "tags": Tag.objects.count(),
        "tagged": TaggedAnnotation.objects.count(),
        "moderation_log": ModerationLog.objects.count(),
    }


def row_counts() -> dict[str, int]:
    """Rows of everything a write on this site may touch (annotations, flags, users …)."""
    return {
        "annotations": Annotation.objects.count(),
        "evidence": Evidence.objects.count(),
        "tagged": TaggedAnnotation.objects.count(),
        "flags": Flag.objects.count(),
        "moderation_log": ModerationLog.objects.count(),
        "users": get_user_model().objects.count(),
    }


def form_field_data(form):
    """The POST data a browser would send for ``form`` unchanged."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        if isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        data[bound.html_name] = value
    return data


def change_form_data(response):
    """POST data for saving the change page as it was served: main form, inline forms and management forms."""
    data = form_field_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_field_data(formset.management_form))
        for form in formset.initial_forms:
            data.update(form_field_data(form))
        # unchanged extra forms: send nothing (TOTAL_FORMS counts only the initial ones)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
    data["_save"] = "Save"
    return data
