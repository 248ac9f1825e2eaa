from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import path

from annotations import services
from annotations.admin import moderation as admin_moderation
from annotations.admin import reanchor as admin_reanchor
from annotations.admin.filters import ArticleFilter, AuthorFilter, FlaggedFilter, TagFilter
from annotations.anchoring.quotes import AnchorError, resolve_quote
from annotations.forms import small_int
from annotations.models import Annotation, Evidence, Flag, ModerationLog, TaggedAnnotation
from annotations.services import moderation
from annotations.tagging import parse_tags
from articles.models import Article, Block


class ParagraphChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Block) -> str:
        return f"{obj.position}. [{obj.key}] {obj.text[:90]}"


class AnnotationAdminForm(forms.ModelForm):
    block = ParagraphChoiceField(queryset=Block.objects.none(), label="Paragraph")

    class Meta:
        model = Annotation
        fields = ["article", "block", "kind", "visibility", "quote", "body", "tags", "claim", "verdict"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2}), "claim": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"quote": "Optional: the exact words of the paragraph this is about; they must occur in it."}

    def __init__(self, *args, article_id=None, **kwargs):
        super().__init__(*args, **kwargs)
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
            return parse_tags(self.cleaned_data.get("tags") or [])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self):
        data = super().clean()
        block, quote = data.get("block"), data.get("quote") or ""
        if block is not None and data.get("article") is not None and block.article_id != data["article"].pk:
            self.add_error("block", "That paragraph belongs to another article.")
            return data
        if block is not None:
            unchanged = (
                self.instance.pk is not None
                and self.instance.block_id == block.pk
                and self.instance.quote == quote
                and self.instance.quote_start is not None
            )
            try:
                if unchanged:
                    # keep the stored anchor (the quote may occur more than once)
                    anchor = resolve_quote(
                        block.text, quote, start=self.instance.quote_start, end=self.instance.quote_end
                    )
                else:
                    anchor = resolve_quote(
                        block.text, quote, prefix=self.instance.quote_prefix, suffix=self.instance.quote_suffix
                    )
            except AnchorError as exc:
                self.add_error("quote", str(exc))
            else:
                self.instance.quote = anchor.exact if anchor else ""
                self.instance.quote_start = anchor.start if anchor else None
                self.instance.quote_end = anchor.end if anchor else None
                self.instance.quote_prefix = anchor.prefix if anchor else ""
                self.instance.quote_suffix = anchor.suffix if anchor else ""
                data["quote"] = self.instance.quote
        return data

    def _post_clean(self):
        # keep the resolved offsets when the form copies cleaned data onto the instance
        start, end = self.instance.quote_start, self.instance.quote_end
        prefix, suffix = self.instance.quote_prefix, self.instance.quote_suffix
        super()._post_clean()
        self.instance.quote_start, self.instance.quote_end = start, end
        self.instance.quote_prefix, self.instance.quote_suffix = prefix, suffix


class EvidenceInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if self.instance.kind == Annotation.Kind.FACT_CHECK and not kept:
            raise ValidationError("A fact-check needs at least one evidence source (a URL and a title).")
        if self.instance.kind == Annotation.Kind.NOTE and kept:
            raise ValidationError("Only fact-checks have evidence sources; remove them or make this a fact-check.")
        if len(kept) > services.MAX_EVIDENCE:
            raise ValidationError(f"Give at most {services.MAX_EVIDENCE} evidence sources.")


class EvidenceInline(admin.TabularInline):
    model = Evidence
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    formset = EvidenceInlineFormSet
    extra = 1
    max_num = services.MAX_EVIDENCE
    fields = ["url", "title", "excerpt", "archived_url", "position"]


class ModerationLogInline(admin.TabularInline):
    """The annotation's full moderation history (append-only, read-only)."""

    model = ModerationLog
    fk_name = "annotation"
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "from_status", "to_status", "reason"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    verbose_name_plural = "moderation history"

    def has_view_permission(self, request, obj=None):
        # whoever may moderate sees the history and the flags (read-only)
        return moderation.can_moderate(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class FlagInline(admin.TabularInline):
    """Reader flags, open and resolved."""

    model = Flag
    extra = 0
    can_delete = False
    fields = ["created_at", "reporter", "reason", "text", "resolution", "resolved_by", "resolved_at", "resolution_note"]
    readonly_fields = fields
    verbose_name_plural = "reader flags"

    def has_view_permission(self, request, obj=None):
        # whoever may moderate sees the history and the flags (read-only)
        return moderation.can_moderate(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reporter", "resolved_by")


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
        admin_reanchor.AnchorStateFilter,
        TagFilter,
        ArticleFilter,
        AuthorFilter,
        "created_at",
    ]
    search_fields = ["body", "quote", "claim", "author__username", "tags__name"]
    list_select_related = ["article", "block", "author"]
    readonly_fields = [
        "status",
        "moderated_by",
        "moderated_at",
        "moderation_reason",
        "quote_start",
        "quote_end",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    list_per_page = 50
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

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("tagged_items", queryset=TaggedAnnotation.objects.select_related("tag")))
        )
        # private notes are their author's alone, in the back office too
        return queryset.exclude(Q(visibility=Annotation.Visibility.PRIVATE) & ~Q(author=request.user))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.author_id != request.user.pk:
            # making someone else's note public (or private) is the author's choice
            fields.append("visibility")
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
        services.save_from_admin(annotation=obj, actor=request.user, is_new=not change)

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
            # re-anchoring after revisions: re-attach an annotation or confirm it orphaned (admin_reanchor.py)
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
