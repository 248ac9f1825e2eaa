"""Articles, where their text came from, and their ordered blocks.

A block's ``key`` is its stable address: it never changes for the life of the
paragraph, while ``position`` changes whenever text is inserted above it.
Blocks are never deleted by imports or edits; a block that disappears from a
revision is marked ``removed_at`` so annotations that point at it survive.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.text import no_control_characters, normalise_url
from articles.fulltext import PostgreSQLGinIndex, block_search_vector


class ArticleQuerySet(models.QuerySet):
    def published(self) -> ArticleQuerySet:
        return self.filter(status=Article.Status.PUBLISHED)

    def visible_to(self, user) -> ArticleQuerySet:
        """Published articles, plus drafts for staff (who may preview them)."""
        if user is not None and user.is_active and user.is_staff:
            return self.all()
        return self.published()


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=300, validators=[no_control_characters])
    slug = models.SlugField(
        max_length=120, help_text="The last part of the article's address, /articles/…/ (letters, digits, hyphens)."
    )
    dek = models.TextField(
        "dek",
        blank=True,
        validators=[no_control_characters],
        help_text="A one- or two-sentence summary shown under the headline.",
    )
    section = models.CharField(max_length=100, blank=True, validators=[no_control_characters])
    language = models.CharField(
        max_length=20,
        default="en",
        validators=[no_control_characters],
        help_text="Language of the text we store (BCP 47, e.g. en).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_on = models.DateField(null=True, blank=True, help_text="Date of the copy we store.")
    # Identifies the imported document across re-imports (the original's URL,
    # or the title when the file names none); empty for hand-made articles.
    import_identity = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="article_unique_slug"),
        ]
        indexes = [
            # the home page: published articles, newest first
            models.Index(fields=["status", "-published_on"], name="article_status_date_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:article-detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class OriginalRights(models.TextChoices):
    """Who may read the original's text stored beside a copy (``Source.original_rights``)."""

    READERS = "readers", "Readers: the full text"
    EXCERPTS = "excerpts", "Readers: only the passages published fact-checks cite"
    EDITORS = "editors", "Editors only"


class Source(models.Model):
    """Provenance of an article: the original work, the copy we store, and notes."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="source")

    # the original work
    original_url = models.URLField("original URL", max_length=500, blank=True)
    original_title = models.CharField(max_length=300, blank=True, validators=[no_control_characters])
    original_author = models.CharField(max_length=200, blank=True, validators=[no_control_characters])
    original_published_on = models.DateField("original published on", null=True, blank=True)
    original_language = models.CharField(max_length=20, blank=True, validators=[no_control_characters])

    # the copy we store
    publisher_name = models.CharField(max_length=300, blank=True, validators=[no_control_characters])
    publisher_url = models.URLField("publisher URL", max_length=500, blank=True)
    copy_url = models.URLField("copy URL", max_length=500, blank=True)
    copy_published_on = models.DateField("copy published on", null=True, blank=True)
    copy_language = models.CharField(max_length=20, blank=True, validators=[no_control_characters])

    # translation
    is_translation = models.BooleanField(default=False)
    translated_from = models.CharField(
        max_length=200,
        blank=True,
        validators=[no_control_characters],
        help_text="The language or text it was translated from, e.g. 'a Chinese translation of the English original'.",
    )
    translation_notes = models.TextField(blank=True, validators=[no_control_characters])

    # retrieval, archive, rights
    retrieved_on = models.DateField(null=True, blank=True)
    archived_url = models.URLField("archived URL", max_length=500, blank=True)
    rights_note = models.TextField(blank=True, validators=[no_control_characters])
    editorial_notes = models.TextField(blank=True, validators=[no_control_characters])
    # the original's text (OriginalText), when stored: who may read it
    original_rights = models.CharField(
        "who may read the original's text",
        max_length=10,
        choices=OriginalRights.choices,
        default=OriginalRights.EDITORS,
        help_text="Readers see the full original, or only the original passages that a published fact-check "
        "cites (in the compare view), or editors alone see it.",
    )

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "source details"
        verbose_name_plural = "source details"

    def __str__(self) -> str:
        return f"Source of {self.article}"

    URL_FIELDS = ("original_url", "publisher_url", "copy_url", "archived_url")

    def clean_fields(self, exclude=None) -> None:
        # normalised once, at input (accounts.text.normalise_url): pages and exports show the stored form
        for name in self.URL_FIELDS:
            setattr(self, name, normalise_url(getattr(self, name)))
        super().clean_fields(exclude=exclude)


class BlockQuerySet(models.QuerySet):
    def current(self) -> BlockQuerySet:
        """Blocks of the article's present text, in reading order."""
        return self.filter(removed_at__isnull=True).order_by("position")

    def readable(self) -> BlockQuerySet:
        """Blocks any reader may see: of the present text of a published article (unordered)."""
        return self.filter(removed_at__isnull=True, article__status=Article.Status.PUBLISHED)


class Block(models.Model):
    class Kind(models.TextChoices):
        PARAGRAPH = "paragraph", "Paragraph"
        HEADING = "heading", "Heading"
        IMAGE = "image", "Image placeholder"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="blocks")
    key = models.CharField(
        max_length=32, help_text="Stable address of this block (p-<key> on the page); never changes."
    )
    position = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PARAGRAPH)
    # typed in the admin or imported (the importer refuses a file holding a control character, with its line)
    text = models.TextField(blank=True, validators=[no_control_characters])
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"],
                condition=Q(removed_at__isnull=True),
                name="block_one_position_per_article",
            ),
            models.UniqueConstraint(fields=["article", "key"], name="block_unique_key_per_article"),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=False) | Q(position__isnull=False),
                name="block_current_has_position",
            ),
            models.CheckConstraint(
                condition=Q(key__regex=r"^[a-z0-9][a-z0-9-]*$"),
                name="block_key_is_url_safe",
            ),
        ]
        indexes = [
            # the site-wide search of paragraphs (annotations.selectors.search): ``block_search_vector() @@ query``
            # read from this index instead of computing every paragraph's vector (PostgreSQL only; EXPLAIN:
            # tests/annotations/test_search.py)
            PostgreSQLGinIndex(block_search_vector(), name="block_search_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        return f"{self.article.get_absolute_url()}#p-{self.key}"

    def mark_removed(self) -> None:
        self.removed_at = timezone.now()
        self.position = None


class ArticleRevision(models.Model):
    """One change to an article's blocks: who, when, what changed, and what it did to annotations.

    Written by ``articles.revisions.record_revision`` in the transaction that
    changed the blocks (admin edit or import); never edited afterwards.
    ``changes`` lists the changed blocks in reading order, each a dict with
    ``key``, ``block_kind``, ``change`` (added | edited | moved | removed |
    restored), ``old_text``, ``new_text``, ``old_position``, ``new_position``
    and ``moved`` (an edited block that also changed place). ``outcomes``
    lists what re-anchoring did to each annotation it touched (see
    ``annotations.services.reanchoring``).
    """

    class Origin(models.TextChoices):
        INITIAL = "initial", "First text"
        IMPORT = "import", "Import of a revised file"
        ADMIN = "admin", "Edit in the admin"

    class Change(models.TextChoices):
        ADDED = "added", "Added"
        EDITED = "edited", "Edited"
        MOVED = "moved", "Moved"
        REMOVED = "removed", "Removed"
        RESTORED = "restored", "Restored"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 for the first text, then 2, 3, … per article.")
    source = models.CharField(max_length=10, choices=Origin.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for imports from the command line.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(
        blank=True,
        validators=[no_control_characters],
        help_text="What changed and why, in the editor's words; shown to readers.",
    )
    changes = models.JSONField(default=list, blank=True)
    outcomes = models.JSONField(default=list, blank=True)

    blocks_added = models.PositiveIntegerField(default=0)
    blocks_edited = models.PositiveIntegerField(default=0)
    blocks_moved = models.PositiveIntegerField(default=0)
    blocks_removed = models.PositiveIntegerField(default=0)

    annotations_kept = models.PositiveIntegerField(default=0)
    annotations_moved = models.PositiveIntegerField(default=0)
    annotations_flagged = models.PositiveIntegerField("annotations needing re-anchoring", default=0)
    annotations_orphaned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["article", "-number"]
        get_latest_by = "number"
        constraints = [
            # also serves "an article's revisions, newest first" (the article page's note, the admin)
            models.UniqueConstraint(fields=["article", "number"], name="article_revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.article} — revision {self.number}"

    @property
    def is_initial(self) -> bool:
        return self.source == self.Origin.INITIAL

    def block_summary(self) -> str:
        parts = [
            (self.blocks_added, "added"),
            (self.blocks_edited, "edited"),
            (self.blocks_moved, "moved"),
            (self.blocks_removed, "removed"),
        ]
        text = ", ".join(f"{n} {what}" for n, what in parts if n)
        return f"paragraphs: {text}" if text else "no paragraph changed"

    def annotation_summary(self) -> str:
        return (
            f"{self.annotations_kept} kept, {self.annotations_moved} moved, "
            f"{self.annotations_flagged} need re-anchoring, {self.annotations_orphaned} orphaned"
        )


# ---------------------------------------------------------------- the original's text (issue 19)


class OriginalText(models.Model):
    """The original work's text, stored beside the copy (``Article``) when the desk has it.

    Its blocks have stable keys like the copy's, so editors' alignment corrections (``AlignmentCorrection``)
    name them and survive revisions of either text. ``version`` moves on with every change of the original's
    blocks or of the corrections: with the copy's revision it identifies an alignment (the compare view's
    cache). Who may read it is the source's ``original_rights``.
    """

    class Coverage(models.TextChoices):
        FULL = "full", "The full text"
        PASSAGES = "passages", "Passages only (the rest of the original is not stored)"

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="original")
    coverage = models.CharField(
        max_length=10,
        choices=Coverage.choices,
        default=Coverage.FULL,
        help_text="Passages only: copy paragraphs without a counterpart read 'original not stored', not 'added'.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "original text"
        verbose_name_plural = "original texts"

    def __str__(self) -> str:
        return f"Original of {self.article}"

    @property
    def is_complete(self) -> bool:
        return self.coverage == self.Coverage.FULL


class OriginalBlock(models.Model):
    """A block of the original's text: like ``Block`` (stable key, position, marked removed, never deleted)."""

    original = models.ForeignKey(OriginalText, on_delete=models.CASCADE, related_name="blocks")
    key = models.CharField(max_length=32)
    position = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Block.Kind.choices, default=Block.Kind.PARAGRAPH)
    text = models.TextField(blank=True, validators=[no_control_characters])
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["original", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["original", "position"],
                condition=Q(removed_at__isnull=True),
                name="original_block_one_position",
            ),
            models.UniqueConstraint(fields=["original", "key"], name="original_block_unique_key"),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=False) | Q(position__isnull=False),
                name="original_block_current_has_position",
            ),
            models.CheckConstraint(condition=Q(key__regex=r"^[a-z0-9][a-z0-9-]*$"), name="original_block_key_url_safe"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}: {self.text[:60]}"

    def mark_removed(self) -> None:
        self.removed_at = timezone.now()
        self.position = None


class OriginalRevision(models.Model):
    """One change to the original's blocks (``changes`` as in ``ArticleRevision``); never edited afterwards."""

    original = models.ForeignKey(OriginalText, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=ArticleRevision.Origin.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True, validators=[no_control_characters])
    changes = models.JSONField(default=list, blank=True)
    blocks_added = models.PositiveIntegerField(default=0)
    blocks_edited = models.PositiveIntegerField(default=0)
    blocks_moved = models.PositiveIntegerField(default=0)
    blocks_removed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["original", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["original", "number"], name="original_revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.original} — revision {self.number}"

    block_summary = ArticleRevision.block_summary


class AlignmentCorrection(models.Model):
    """An editor's fixed link between the copy's blocks and the original's, by stable keys.

    One copy block with one or more consecutive original blocks, consecutive copy blocks with one original
    block, copy blocks alone (added in this copy) or original blocks alone (left out of the copy): see
    ``articles.alignment.Correction``. A correction whose blocks are gone after a revision stays stored and
    is reported as dropped (the admin lists it), never guessed.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="alignment_corrections")
    copy_keys = models.JSONField(default=list, blank=True)
    original_keys = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "created_at", "pk"]

    def __str__(self) -> str:
        copy = ", ".join(self.copy_keys) or "nothing"
        original = ", ".join(self.original_keys) or "nothing"
        return f"copy {copy} ↔ original {original}"

    @property
    def mark(self) -> str:
        if not self.original_keys:
            return "added"
        if not self.copy_keys:
            return "omitted"
        return "linked"
