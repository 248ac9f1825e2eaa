from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext

from annotations import services
from annotations.admin import moderation as admin_moderation
from annotations.admin import reanchor as admin_reanchor
from annotations.admin import replies as admin_replies
from annotations.admin.filters import ArticleFilter, AuthorFilter, FlaggedFilter, TagFilter
from annotations.admin.paginator import EstimatedCountPaginator, is_unfiltered
from annotations.forms import EvidenceURLField, add_service_errors, small_int
from annotations.models import Annotation, Evidence, Flag, ModerationLog, TaggedAnnotation
from annotations.services import moderation
from articles.models import Article, Block


class ParagraphChoiceField(forms.ModelChoiceField):
    """Lists the article's paragraphs; the block chosen is judged by the same check as the public form's."""

    def label_from_instance(self, obj: Block) -> str:
        return f"{obj.position}. [{obj.key}] {obj.text[:90]}"

    def to_python(self, value):
        if value in self.empty_values:
            return None
        pk = small_int(value)
        block = Block.objects.filter(pk=pk).first() if pk is not None else None
        if block is None:
            raise ValidationError(services.annotations.NOT_IN_ARTICLE, code="invalid_choice")
        return block  # services.check_block decides (AnnotationAdminForm.clean)


class AnnotationAdminForm(forms.ModelForm):
    """Validates with the services' own checks (paragraph, quote, tags); the admin saves through the services too."""

    block = ParagraphChoiceField(queryset=Block.objects.none(), label="Paragraph")

    class Meta:
        model = Annotation
        fields = ["article", "block", "kind", "visibility", "quote", "body", "tags", "claim", "verdict"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2}), "claim": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"quote": "Optional: the exact words of the paragraph this is about; they must occur in it."}

    def __init__(self, *args, article_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.quote_input: services.QuoteInput | None = None
        article_id = self.data.get("article") or article_id or self.initial.get("article") or self.instance.article_id
        if small_int(article_id) is not None:
            self.fields["block"].queryset = (
                Block.objects.filter(article_id=article_id, removed_at__isnull=True)
                .exclude(kind=Block.Kind.IMAGE)
                .order_by("position")
            )
        else:
            self.fields["block"].help_text = "Choose the article first: its paragraphs are listed here."

    def clean_tags(self):
        try:
            return services.check_tags(self.cleaned_data.get("tags") or [])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["tags"]) from None

    def clean(self):
        data = super().clean()
        article, block = data.get("article"), data.get("block")
        if article is None or block is None:
            return data
        quote = self._quote_input(block, data.get("quote") or "")
        try:
            self.instance.block = services.check_block(article=article, block=block)
            services.check_quote(self.instance, quote)
        except ValidationError as exc:
            add_service_errors(self, exc)
            return data
        self.quote_input = quote
        data["quote"] = self.instance.quote
        return data

    def _quote_input(self, block: Block, quote: str) -> services.QuoteInput:
        stored = self.instance
        if stored.pk is not None and stored.block_id == block.pk and stored.quote == quote and stored.quote_start:
            # unchanged: keep the stored anchor (the quote may occur more than once)
            return services.QuoteInput(exact=quote, start=stored.quote_start, end=stored.quote_end)
        return services.QuoteInput(exact=quote, prefix=stored.quote_prefix, suffix=stored.quote_suffix)

    def _post_clean(self):
        # keep the resolved offsets when the form copies cleaned data onto the instance
        start, end = self.instance.quote_start, self.instance.quote_end
        prefix, suffix = self.instance.quote_prefix, self.instance.quote_suffix
        super()._post_clean()
        self.instance.quote_start, self.instance.quote_end = start, end
        self.instance.quote_prefix, self.instance.quote_suffix = prefix, suffix


class EvidenceInlineFormSet(forms.BaseInlineFormSet):
    """Each row validated by the model's validators; the set by the services' ``check_evidence``."""

    def kept_forms(self) -> list[forms.Form]:
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        order = {f: n for n, f in enumerate(self.forms)}
        return sorted(kept, key=lambda f: (f.cleaned_data.get("position") or 0, order[f]))

    def evidence_inputs(self) -> list[services.EvidenceInput]:
        return [
            services.EvidenceInput(
                url=f.cleaned_data.get("url") or "",
                title=f.cleaned_data.get("title") or "",
                excerpt=f.cleaned_data.get("excerpt") or "",
                archived_url=f.cleaned_data.get("archived_url") or "",
            )
            for f in self.kept_forms()
        ]

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A tabular inline labels its inputs only by the column headers: give each input its own accessible
        # name (axe's "label" rule), e.g. "URL (evidence 2)", "Delete (evidence 1)".
        row = f"evidence {index + 1}" if index is not None else "new evidence"
        for name, field in form.fields.items():
            if field.widget.is_hidden:
                continue
            label = field.label or name.replace("_", " ").capitalize()
            field.widget.attrs["aria-label"] = f"{label} ({row})"

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            services.check_evidence(self.instance.kind, self.evidence_inputs())
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("evidence", exc.messages)) from None


class EvidenceInline(admin.TabularInline):
    model = Evidence
    formfield_overrides = {models.URLField: {"assume_scheme": "https", "form_class": EvidenceURLField}}
    formset = EvidenceInlineFormSet
    extra = 1
    max_num = services.MAX_EVIDENCE
    fields = ["url", "title", "excerpt", "archived_url", "position"]


class ReadOnlyInline(admin.TabularInline):
    """A record shown on the annotation's page to whoever may moderate: never added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return moderation.can_moderate(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ModerationLogInline(ReadOnlyInline):
    """The annotation's full moderation history (append-only)."""

    model = ModerationLog
    fk_name = "annotation"
    fields = ["created_at", "actor", "action", "from_status", "to_status", "reason"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    verbose_name_plural = "moderation history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class FlagInline(ReadOnlyInline):
    """Reader flags, open and resolved."""

    model = Flag
    fields = ["created_at", "reporter", "reason", "text", "resolution", "resolved_by", "resolved_at", "resolution_note"]
    readonly_fields = fields
    verbose_name_plural = "reader flags"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reporter", "resolved_by")


class WriteRefused(Exception):
    """A service refused a write the admin form had accepted (a race); the message says why."""


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    form = AnnotationAdminForm
    inlines = [EvidenceInline, FlagInline, ModerationLogInline]
    actions = [admin_moderation.bulk_approve, admin_moderation.bulk_reject, admin_moderation.bulk_hide]
    change_form_template = "admin/annotations/annotation/change_form.html"
    list_display = [
        "__str__",
        "kind",
        "verdict",
        "status",
        "visibility",
        "open_flag_count",
        "anchor_state",
        "article_title",
        "author",
        "tag_names",
        "created_at",
    ]
    list_filter = [
        "status",
        "kind",
        "verdict",
        "visibility",
        FlaggedFilter,
        admin_replies.ReplyFilter,
        admin_reanchor.AnchorStateFilter,
        TagFilter,
        ArticleFilter,
        AuthorFilter,
        "created_at",
    ]
    search_fields = ["body", "quote", "claim", "author__username", "tags__name"]
    list_select_related = ["article", "block", "author"]
    readonly_fields = [
        admin_replies.reply_to_link,
        "status",
        "moderated_by",
        "moderated_at",
        "moderation_reason",
        "quote_start",
        "quote_end",
        "created_at",
        "updated_at",
    ]
    # At 100,000+ annotations (issue 17): no second, unfiltered COUNT; the unfiltered list numbered from the
    # planner's estimate (annotations.admin.paginator); newest first, read from annotation_created_idx (the
    # model's ordering, by paragraph position, would sort every annotation on each load).
    # 25 rows: with the queries on indexes, rendering the rows is most of the page's time (about 0.45 ms a row)
    show_full_result_count = False
    list_per_page = 25
    ordering = ["-created_at", "-pk"]
    # no date_hierarchy: its two DISTINCT-date queries scan the whole table on every load
    fieldsets = [
        ("Target", {"fields": ["article", "block", "quote", ("quote_start", "quote_end")]}),
        ("Annotation", {"fields": ["kind", "visibility", "body", "tags"]}),
        (
            "Fact-check",
            {
                "fields": ["claim", "verdict"],
                "description": "For fact-checks: the verdict and at least one evidence source (below) are required.",
            },
        ),
        (
            "Moderation",
            {"fields": ["status", "moderated_by", "moderated_at", "moderation_reason", "created_at", "updated_at"]},
        ),
    ]

    class Media:
        js = ["annotations_admin/annotation_form.js"]

    def action_checkbox(self, obj):
        """The same checkbox as Django's, written directly: Django renders a form widget through the template
        engine for each row, about a sixth of the changelist's time (cProfile, 25 rows)."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("tagged_items", queryset=TaggedAnnotation.objects.select_related("tag")))
        )
        # private notes are their author's alone, in the back office too
        return queryset.exclude(Q(visibility=Annotation.Visibility.PRIVATE) & ~Q(author=request.user))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return EstimatedCountPaginator(
            queryset, per_page, orphans, allow_empty_first_page, estimate=is_unfiltered(request)
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.parent_id is None:
            return fieldsets
        # a reply: what it answers (read-only: it stays in its thread), its text and tags; no quote, kind,
        # visibility or fact-check part (a reply is a public note)
        replaced = {
            "Target": [admin_replies.reply_to_link, "article", "block"],
            "Annotation": ["body", "tags"],
        }
        return [
            (name, {**options, "fields": replaced.get(name, options["fields"])})
            for name, options in fieldsets
            if name != "Fact-check"
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.author_id != request.user.pk:
            # making someone else's note public (or private) is the author's choice
            fields.append("visibility")
        if obj is not None:
            # an annotation stays on its article (its paragraph may change)
            fields.append("article")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        article_id = request.GET.get("article")

        class Form(form_class):
            def __init__(self, *args, **kw):
                kw.setdefault("article_id", article_id)
                super().__init__(*args, **kw)

        return Form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            kwargs["queryset"] = Article.objects.order_by("title")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="article", ordering="article__title")
    def article_title(self, obj):
        return obj.article.title[:50]

    @admin.display(description="tags")
    def tag_names(self, obj):
        return ", ".join(item.tag.name for item in obj.tagged_items.all())

    def save_model(self, request, obj, form, change):
        """Nothing is written here: ``save_related`` writes the annotation with its tags and evidence."""

    def save_related(self, request, form, formsets, change):
        """One service call writes the annotation, its tags and its evidence: the public pages' write path.

        The form and the evidence formset have run the same checks; if the
        service still refuses (the paragraph changed meanwhile, say), the whole
        request is rolled back and the editor sent back to the form.
        """
        evidence = next(fs for fs in formsets if fs.model is Evidence)
        data = form.cleaned_data
        common = {
            "block_key": data["block"].key,
            "kind": data.get("kind", form.instance.kind),  # a reply's form has no kind: it stays a note
            "body": data["body"],
            "tags": data.get("tags") or [],
            "quote": form.quote_input,
            "claim": data.get("claim") or "",
            "verdict": data.get("verdict") or "",
            "evidence": evidence.evidence_inputs(),
        }
        try:
            if change:
                saved = services.correct_annotation(
                    actor=request.user, annotation=form.instance, visibility=data.get("visibility"), **common
                )
            else:
                saved = services.create_annotation(
                    author=request.user, article=data["article"], visibility=data["visibility"], **common
                )
        except (ValidationError, PermissionDenied) as exc:
            raise WriteRefused(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        form.instance.pk, form.instance._state.adding = saved.pk, False
        for formset in formsets:
            if formset is evidence:
                # what the change message reads (the service rewrote the rows)
                formset.new_objects = [f.instance for f in evidence.kept_forms() if f.instance.pk is None]
                formset.changed_objects = [
                    (f.instance, f.changed_data) for f in evidence.kept_forms() if f.instance.pk and f.has_changed()
                ]
                formset.deleted_objects = [f.instance for f in evidence.deleted_forms if f.instance.pk]
            else:
                self.save_formset(request, form, formset, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WriteRefused as exc:  # raised inside the admin's transaction, which rolled back
            self.message_user(request, f"Nothing was saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_moderate_permission(self, request) -> bool:
        return moderation.can_moderate(request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Annotations are removed by their authors; moderators hide or reject.
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)
        return actions

    def get_urls(self):
        return [
            path(
                "queue/",
                self.admin_site.admin_view(lambda r: admin_moderation.queue_view(self, r)),
                name="annotations_annotation_queue",
            ),
            path(
                "decide/",
                self.admin_site.admin_view(lambda r: admin_moderation.decide_view(self, r)),
                name="annotations_annotation_decide",
            ),
            # re-anchoring after revisions: the queue's one-click decisions, and the re-attach page
            path(
                "anchor-decide/",
                self.admin_site.admin_view(lambda r: admin_reanchor.anchor_decide_view(self, r)),
                name="annotations_annotation_anchor_decide",
            ),
            path(
                "<path:object_id>/reply/",
                self.admin_site.admin_view(lambda r, object_id: admin_replies.reply_view(self, r, object_id)),
                name="annotations_annotation_reply",
            ),
            path(
                "<path:object_id>/reanchor/",
                self.admin_site.admin_view(lambda r, object_id: admin_reanchor.reanchor_view(self, r, object_id)),
                name="annotations_annotation_reanchor",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_moderate": moderation.can_moderate(request.user)}
        return super().change_view(request, object_id, form_url, extra_context=extra_context)
