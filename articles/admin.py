from django import forms
from django.contrib import admin

from .models import Article, Block, Source
from .services import BlockEdit, revise_blocks


class SourceInline(admin.StackedInline):
    model = Source
    can_delete = False
    min_num = 0
    max_num = 1
    verbose_name_plural = "source details"
    fieldsets = [
        ("Original work", {"fields": ["original_url", "original_title", "original_author", "original_published_on", "original_language"]}),
        ("The copy we store", {"fields": ["publisher_name", "publisher_url", "copy_url", "copy_published_on", "copy_language"]}),
        ("Translation", {"fields": ["is_translation", "translated_from", "translation_notes"]}),
        ("Retrieval, archive and rights", {"fields": ["retrieved_on", "archived_url", "rights_note", "editorial_notes"]}),
    ]


class BlockInlineForm(forms.ModelForm):
    class Meta:
        model = Block
        fields = ["position", "kind", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 80})}

    def _get_validation_exclusions(self):
        # Positions are renumbered by the revise service after the whole
        # formset is read; checking them row by row would refuse a swap.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("position")
        return exclusions


class BlockInline(admin.TabularInline):
    model = Block
    form = BlockInlineForm
    extra = 0
    fields = ["position", "kind", "text", "key"]
    readonly_fields = ["key"]
    ordering = ["position"]
    verbose_name = "block"
    verbose_name_plural = "blocks (in reading order; 'Delete' removes a block from the text but keeps it for its annotations)"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(removed_at__isnull=True)

    def has_delete_permission(self, request, obj=None):
        # "Delete" only marks a block removed (the row stays for its
        # annotations), so whoever may change the article may use it.
        return request.user.has_perm("articles.change_article")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "section", "language", "published_on", "publisher"]
    list_filter = ["status", "section", "language"]
    search_fields = ["title", "dek", "slug", "source__publisher_name", "source__original_title", "source__original_author"]
    list_select_related = ["source"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "status"]}),
        ("Publication", {"fields": ["section", "language", "published_on"]}),
    ]
    inlines = [SourceInline, BlockInline]

    @admin.display(ordering="source__publisher_name")
    def publisher(self, obj):
        source = getattr(obj, "source", None)
        return source.publisher_name if source else ""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Block:
            return super().save_formset(request, form, formset, change)
        edits = []
        for row in formset.forms:
            instance = row.instance if row.instance.pk else None
            data = getattr(row, "cleaned_data", None)
            if not data or (instance is None and not row.has_changed()):
                continue
            edits.append(
                BlockEdit(
                    kind=data.get("kind") or Block.Kind.PARAGRAPH,
                    text=data.get("text") or "",
                    order=data.get("position") or 10**6,
                    block=instance,
                    remove=bool(data.get("DELETE")),
                )
            )
        plan, created = revise_blocks(article=form.instance, edits=edits)
        # what the admin's change message reads from a saved formset
        formset.new_objects = created
        formset.changed_objects = [(p.block, ["text"]) for p in plan if p.block is not None and p.text_changed]
        formset.deleted_objects = [e.block for e in edits if e.remove and e.block is not None]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Blocks are edited through their article; this list serves search and autocomplete."""

    list_display = ["key", "article", "position", "kind", "short_text", "removed_at"]
    list_filter = ["kind", ("removed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["article"]
    search_fields = ["key", "text", "article__title"]
    readonly_fields = ["article", "key", "position", "kind", "text", "removed_at", "created_at", "updated_at"]
    show_full_result_count = False

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:80]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
