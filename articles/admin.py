from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts.text import no_control_characters
from articles.admin_original import original_summary, original_view
from articles.models import Article, ArticleRevision, Block, Source
from articles.revisions import word_diff_html
from articles.services import BlockEdit, revise_blocks

REVISIONS_SHOWN = 10  # on the article's change page; the rest are one click away


class SourceInline(admin.StackedInline):
    model = Source
    can_delete = False
    min_num = 0
    max_num = 1
    verbose_name_plural = "source details"
    # an address typed without a scheme is taken as https, as Django 6 will (and as the evidence inline does)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (
            "Original work",
            {
                "fields": [
                    "original_url",
                    "original_title",
                    "original_author",
                    "original_published_on",
                    "original_language",
                ]
            },
        ),
        (
            "The copy we store",
            {"fields": ["publisher_name", "publisher_url", "copy_url", "copy_published_on", "copy_language"]},
        ),
        ("Translation", {"fields": ["is_translation", "translated_from", "translation_notes"]}),
        (
            "Retrieval, archive and rights",
            {"fields": ["retrieved_on", "archived_url", "rights_note", "editorial_notes", "original_rights"]},
        ),
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
    verbose_name_plural = (
        "blocks (in reading order; 'Delete' removes a block from the text but keeps it for its annotations)"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(removed_at__isnull=True)

    def has_delete_permission(self, request, obj=None):
        # "Delete" only marks a block removed (the row stays for its
        # annotations), so whoever may change the article may use it.
        return request.user.has_perm("articles.change_article")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # The admin refuses to delete a row that protected objects point at
        # (annotations point at their block, on_delete=RESTRICT). "Delete"
        # here never deletes: revise_blocks marks the block removed and
        # re-anchors its annotations (orphans), so that check does not apply.
        formset.form = type(formset.form.__name__, (formset.form,), {"hand_clean_DELETE": lambda form: None})
        return formset


class ArticleAdminForm(forms.ModelForm):
    revision_note = forms.CharField(
        required=False,
        max_length=1000,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Optional: what you changed in the text and why. Shown to readers in the article's "
        "corrections note; a summary is shown when empty.",
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "dek", "status", "section", "language", "published_on"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = ["title", "status", "section", "language", "published_on", "publisher"]
    list_filter = ["status", "section", "language"]
    search_fields = [
        "title",
        "dek",
        "slug",
        "source__publisher_name",
        "source__original_title",
        "source__original_author",
    ]
    list_select_related = ["source"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "status"]}),
        ("Publication", {"fields": ["section", "language", "published_on"]}),
        ("Revisions", {"fields": ["revision_note", "revision_history"]}),
        ("The original's text", {"fields": ["original_text"]}),
    ]
    readonly_fields = ["revision_history", "original_text"]
    inlines = [SourceInline, BlockInline]

    @admin.display(description="original")
    def original_text(self, obj):
        """What of the original is stored, and the link to its page (paste, rights, alignment, corrections)."""
        if obj is None or obj.pk is None:
            return "Save the article first; then attach its original."
        return format_html(
            '{} <a href="{}">Attach or revise the original, and correct the alignment</a>',
            original_summary(obj),
            reverse("admin:articles_article_original", args=[obj.pk]),
        )

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/original/",
                self.admin_site.admin_view(partial(original_view, self)),
                name="articles_article_original",
            )
        ]
        return own + super().get_urls()

    @admin.display(description="history")
    def revision_history(self, obj):
        """The latest revisions with their counts, newest first (1 query)."""
        if obj is None or obj.pk is None:
            return "—"
        revisions = list(obj.revisions.select_related("created_by")[:REVISIONS_SHOWN])
        if not revisions:
            return "No revision recorded yet: the first change to the blocks records one."
        rows = format_html_join(
            "",
            '<li><a href="{}">Revision {}</a>, {} ({}{}): {}; annotations: {}</li>',
            (
                (
                    reverse("admin:articles_articlerevision_change", args=[r.pk]),
                    r.number,
                    r.created_at.strftime("%Y-%m-%d %H:%M"),
                    r.get_source_display().lower(),
                    f" by {r.created_by.get_username()}" if r.created_by else "",
                    r.block_summary(),
                    r.annotation_summary(),
                )
                for r in revisions
            ),
        )
        everything = reverse("admin:articles_articlerevision_changelist") + f"?article__id__exact={obj.pk}"
        return format_html('<ul>{}</ul><p><a href="{}">All revisions</a></p>', rows, everything)

    def get_deleted_objects(self, objs, request):
        """An article takes everything it owns with it: its source, blocks and revisions.

        Whoever may delete articles may delete one, unless ``deletion_refusals``
        names something that stops them (apps that attach data to articles
        register an admin that adds their rule).
        """
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if request.user.has_perm("articles.delete_article"):
            perms_needed = self.deletion_refusals(objs, request)
        return deleted, counts, perms_needed, protected

    def deletion_refusals(self, objs, request) -> set[str]:
        """What, besides the article permission, stops ``request.user`` deleting ``objs`` (nothing here)."""
        return set()

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
        result = revise_blocks(
            article=form.instance, edits=edits, actor=request.user, note=form.cleaned_data.get("revision_note", "")
        )
        # what the admin's change message reads from a saved formset
        formset.new_objects = result.created
        formset.changed_objects = [(p.block, ["text"]) for p in result.plan if p.block is not None and p.text_changed]
        formset.deleted_objects = [e.block for e in edits if e.remove and e.block is not None]
        if result.revision is not None and not result.revision.is_initial:
            self._report_revision(request, result.revision)

    def _report_revision(self, request, revision: ArticleRevision) -> None:
        level = messages.WARNING if revision.annotations_flagged or revision.annotations_orphaned else messages.SUCCESS
        self.message_user(
            request,
            format_html(
                '<a href="{}">Revision {}</a> recorded ({}). Annotations: {}.',
                reverse("admin:articles_articlerevision_change", args=[revision.pk]),
                revision.number,
                revision.block_summary(),
                revision.annotation_summary(),
            ),
            level,
        )


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
        # Blocks are only ever marked removed; a superuser deleting a whole
        # article takes its blocks with it (editors unpublish instead).
        return request.user.is_superuser


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(admin.ModelAdmin):
    """The history of every article's text: read-only, written by the revise and import services."""

    list_display = [
        "article_title",
        "number",
        "source",
        "created_at",
        "created_by",
        "paragraphs",
        "annotations_kept",
        "annotations_moved",
        "annotations_flagged",
        "annotations_orphaned",
    ]
    list_display_links = ["article_title", "number"]
    list_filter = ["source", ("article", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["article", "created_by"]
    search_fields = ["article__title", "note"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "article",
        "number",
        "source",
        "created_by",
        "created_at",
        "note",
        ("annotations_kept", "annotations_moved", "annotations_flagged", "annotations_orphaned"),
    ]
    readonly_fields = [name for row in fields for name in (row if isinstance(row, tuple) else (row,))]
    change_form_template = "admin/articles/articlerevision/change_form.html"

    @admin.display(description="article", ordering="article__title")
    def article_title(self, obj):
        return obj.article.title[:60]

    @admin.display(description="paragraphs")
    def paragraphs(self, obj):
        return obj.block_summary().removeprefix("paragraphs: ")

    def has_view_permission(self, request, obj=None):
        # editors and moderators (who see articles) follow what revisions did to annotations
        return request.user.has_perm("articles.view_article") or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # the history is never edited; it goes only with its article (superusers)
        return request.user.is_superuser and obj is None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        revision = self.get_object(request, object_id)
        extra = {}
        if revision is not None:
            extra = {
                "changes": [
                    {**change, "diff": word_diff_html(change["old_text"], change["new_text"])}
                    for change in revision.changes
                ],
                "outcomes": self.outcome_rows(revision),
            }
        return super().change_view(request, object_id, form_url, extra_context={**(extra_context or {}), **extra})

    def outcome_rows(self, revision: ArticleRevision) -> list[dict]:
        """The revision's outcome rows as the page shows them; the annotations' admin adds links to each."""
        return [{**row, "annotation_obj": None, "change_url": "", "reanchor_url": ""} for row in revision.outcomes]
