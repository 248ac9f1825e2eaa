"""Annotations: tagged notes and fact-checks anchored to a paragraph or a quote in it.

Both kinds live in one table so an article's annotations load in one query.
The body is stored as the author wrote it (a small Markdown subset) and as
HTML rendered once on save by ``annotations.rendering.render_body``, which
sanitises it with nh3: ``body_html`` is the only annotation field templates
may mark safe.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from accounts.text import no_control_characters, normalise_url
from annotations.verdicts import Verdict
from annotations.verdicts import info as verdict_info
from articles.fulltext import SEARCH_CONFIG, PostgreSQLGinIndex  # here too: migration 0017 names it here
from articles.models import Article, ArticleRevision, Block

BODY_MAX_LENGTH = 5000
QUOTE_MAX_LENGTH = 1000
CLAIM_MAX_LENGTH = 1000
CONTEXT_LENGTH = 32  # characters of prefix/suffix kept around a quote

# its own code, so a form field's "invalid" message never replaces this one (ModelForm._update_errors)
http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// address.", code="not_http")
# an absolute IRI (RFC 3987): a scheme, a colon, then no spaces, controls or the characters IRIs exclude
absolute_iri = RegexValidator(
    r"\A[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+\Z",
    message="Enter an absolute IRI, such as urn:uuid:… or https://….",
    code="not_iri",
)


class Tag(TagBase):
    """A tag, stored in one normalised spelling (see ``annotations.tagging``)."""

    class Meta:
        verbose_name = "tag"
        verbose_name_plural = "tags"
        ordering = ["name"]

    def get_absolute_url(self) -> str:
        return reverse("annotations:tag-detail", kwargs={"slug": self.slug})


def annotation_search_vector() -> SearchVector:
    """What the site-wide search matches in an annotation: its body (weight A), quote and claim (B). The query
    (``annotations.selectors.search``) and the GIN index ``annotation_search_idx`` use this one expression, so
    PostgreSQL answers ``vector @@ query`` from the index."""
    return (
        SearchVector("body", weight="A", config=SEARCH_CONFIG)
        + SearchVector("quote", weight="B", config=SEARCH_CONFIG)
        + SearchVector("claim", weight="B", config=SEARCH_CONFIG)
    )


class TaggedAnnotation(TaggedItemBase):
    """Through model with a real foreign key (one join to load an article's tags)."""

    content_object = models.ForeignKey("Annotation", on_delete=models.CASCADE, related_name="tagged_items")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_annotations")

    # taggit's natural key (for backups with natural keys): one row per annotation and tag
    natural_key_fields = ["content_object_id", "tag_id"]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="tagged_annotation_unique"),
        ]


# Replies nest at most this deep under the annotation they discuss (issue #15): a reply to a reply at this
# depth attaches to the deepest allowed level instead (annotations.services.replies.reply_parent).
MAX_REPLY_DEPTH = 3


def _visible_parent(ref: str, levels: int) -> models.QuerySet:
    """The annotation ``ref`` names, when it is approved and public and so is every annotation above it
    (``levels`` more at most)."""
    parents = Annotation.objects.filter(
        pk=OuterRef(ref), status=Annotation.Status.APPROVED, visibility=Annotation.Visibility.PUBLIC
    )
    if levels > 1:
        parents = parents.filter(Q(parent__isnull=True) | Exists(_visible_parent("parent_id", levels - 1)))
    return parents


def thread_q(path: str = "") -> Q:
    """Every annotation above it in its thread is approved and public (a top-level annotation has none):
    a hidden or rejected annotation hides the replies under it from readers. An author's deleted annotation
    is a placeholder that stays approved, so its answers stay readable.

    Written as ``parent IS NULL OR EXISTS (parent visible AND (grandparent IS NULL OR EXISTS …))``, at most
    ``MAX_REPLY_DEPTH`` levels: each level is a primary-key lookup for the replies only. (Outer joins to the
    parents with an OR on their columns made PostgreSQL hash the whole annotation table for every article's
    collection: about 120 ms at 105k annotations; tests/annotations/test_article_scale.py.)"""
    return Q(**{f"{path}parent__isnull": True}) | Exists(_visible_parent(f"{path}parent_id", MAX_REPLY_DEPTH))


def readable_q(path: str = "") -> Q:
    """The readers' rule, for a query that reaches annotations through ``path`` (``"tagged_annotations__content_object__"``):
    approved, public, not a deleted placeholder, on a published article, in a thread readers may see
    (``thread_q``). ``AnnotationQuerySet.readable`` is the same rule."""
    return Q(
        **{
            f"{path}status": Annotation.Status.APPROVED,
            f"{path}visibility": Annotation.Visibility.PUBLIC,
            f"{path}article__status": Article.Status.PUBLISHED,
            f"{path}deleted_at__isnull": True,
        }
    ) & thread_q(path)


class AnnotationQuerySet(models.QuerySet):
    """The domain's reads, each rule written once (the article page applies ``placed`` in memory: ``is_placed``)."""

    def public(self) -> AnnotationQuerySet:
        """Approved and public (whatever the article's status: callers that have the article checked it)."""
        return self.filter(status=Annotation.Status.APPROVED, visibility=Annotation.Visibility.PUBLIC)

    def readable(self) -> AnnotationQuerySet:
        """What any reader may see anywhere: approved, public, on a published article."""
        return self.filter(readable_q())

    def top_level(self) -> AnnotationQuerySet:
        """Annotations of the text, not replies: what lists of annotations, counts and summaries are about."""
        return self.filter(parent__isnull=True)

    def replies(self) -> AnnotationQuerySet:
        return self.filter(parent__isnull=False)

    def in_readable_thread(self) -> AnnotationQuerySet:
        """Leaves out replies under a hidden, rejected, pending or private annotation (``thread_q``)."""
        return self.filter(thread_q())

    def on_published_articles(self) -> AnnotationQuerySet:
        return self.filter(article__status=Article.Status.PUBLISHED)

    def visible_to(self, user) -> AnnotationQuerySet:
        """Public approved annotations, plus the user's own in any state."""
        if user is not None and user.is_authenticated:
            return self.filter(
                Q(status=Annotation.Status.APPROVED, visibility=Annotation.Visibility.PUBLIC) | Q(author=user)
            )
        return self.public()

    def placed(self) -> AnnotationQuerySet:
        """Anchored in the article's current text: shown beside their paragraph."""
        return self.filter(placed_q())

    def detached(self) -> AnnotationQuerySet:
        """Lost their place in the text (a revision): shown under "Notes on earlier wording"."""
        return self.exclude(placed_q())

    def in_queue(self) -> AnnotationQuerySet:
        """The moderation queue: public annotations waiting for a decision or with open reader flags."""
        return self.filter(
            Q(status=Annotation.Status.PENDING) | Q(open_flag_count__gt=0), visibility=Annotation.Visibility.PUBLIC
        )

    def pending(self) -> AnnotationQuerySet:
        return self.filter(status=Annotation.Status.PENDING, visibility=Annotation.Visibility.PUBLIC)

    def flagged(self) -> AnnotationQuerySet:
        return self.filter(open_flag_count__gt=0, visibility=Annotation.Visibility.PUBLIC)

    def needs_anchor_review(self) -> AnnotationQuerySet:
        """Detached by a revision and not yet decided by a moderator: needs re-anchoring, or orphaned unconfirmed."""
        return self.filter(
            Q(anchor_state=Annotation.AnchorState.NEEDS_REANCHORING)
            | Q(anchor_state=Annotation.AnchorState.ORPHANED, anchor_reviewed_at__isnull=True)
        )


def placed_q() -> Q:
    return Q(anchor_state__in=Annotation.PLACED_STATES, block__removed_at__isnull=True)


class Annotation(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        FACT_CHECK = "fact_check", "Fact-check"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        PRIVATE = "private", "Private (only you)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        HIDDEN = "hidden", "Hidden"

    class AnchorState(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        MOVED = "moved", "Re-anchored automatically"
        NEEDS_REANCHORING = "needs_reanchoring", "Needs re-anchoring"
        ORPHANED = "orphaned", "Orphaned (its text was removed)"

    # anchored in the current text (beside their paragraph) vs detached (notes on earlier wording)
    PLACED_STATES = frozenset({AnchorState.ANCHORED, AnchorState.MOVED})
    DETACHED_STATES = frozenset({AnchorState.NEEDS_REANCHORING, AnchorState.ORPHANED})

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="annotations")
    # RESTRICT: a paragraph with annotations is never deleted on its own
    # (blocks are only ever marked removed), but deleting the whole article
    # takes its annotations with it.
    block = models.ForeignKey(Block, on_delete=models.RESTRICT, related_name="annotations", verbose_name="paragraph")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="annotations"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NOTE)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)

    body = models.TextField(
        validators=[MaxLengthValidator(BODY_MAX_LENGTH), no_control_characters],
        help_text="Plain text with a little Markdown: *emphasis*, **strong**, [links](https://…), lists, > quotes.",
    )
    body_html = models.TextField(editable=False, blank=True)

    # target: an exact quote inside the paragraph (optional), offsets in code points
    quote = models.TextField(blank=True, validators=[MaxLengthValidator(QUOTE_MAX_LENGTH), no_control_characters])
    quote_prefix = models.CharField(max_length=64, blank=True)
    quote_suffix = models.CharField(max_length=64, blank=True)
    quote_start = models.PositiveIntegerField(null=True, blank=True)
    quote_end = models.PositiveIntegerField(null=True, blank=True)

    # fact-check part (the body is the explanation)
    claim = models.TextField(blank=True, validators=[MaxLengthValidator(CLAIM_MAX_LENGTH), no_control_characters])
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)

    # moderation
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_reason = models.TextField(blank=True, help_text="Shown to the author.")
    # Kept in step by annotations.services.moderation (flag, resolve): lets the queue
    # and changelist filter "flagged" without a join or a COUNT per row.
    open_flag_count = models.PositiveIntegerField(default=0, editable=False)

    # re-anchoring after article revisions (annotations.services.reanchoring)
    anchor_state = models.CharField(
        max_length=20, choices=AnchorState.choices, default=AnchorState.ANCHORED, editable=False
    )
    original_quote = models.TextField(
        blank=True, editable=False, help_text="The quote as first written; empty until a revision re-anchors it."
    )
    text_changed = models.BooleanField(
        default=False, editable=False, help_text="The words it refers to have changed since it was written."
    )
    anchor_score = models.FloatField(
        null=True, blank=True, editable=False, help_text="Confidence (0-100) of the last automatic re-anchoring."
    )
    original_revision = models.ForeignKey(
        ArticleRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The article revision it was written on.",
    )
    anchored_revision = models.ForeignKey(
        ArticleRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The revision whose text its quote offsets refer to (empty: the one it was written on).",
    )
    anchor_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    anchor_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What readers see as "(edited)": a change to what the annotation says, by its author (or by an editor
    # in the admin). Moderation, flags and re-anchoring move updated_at, never this.
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Deleted by its author while it had replies: kept as a "deleted" placeholder (no body, no author) so its
    # thread stays readable (annotations.services.annotations.delete_annotation). Lists, feeds and exports
    # leave placeholders out; the article page and the permalink show them above their replies.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # discussion: a reply answers another annotation (issue #15). RESTRICT: an annotation with answers is never
    # deleted on its own (its author's delete keeps the thread readable), but deleting the article takes the
    # whole thread with it.
    parent = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="replies", verbose_name="reply to"
    )

    # W3C Web Annotation Protocol (annotations.services.w3c_input): the IRI a client gave as the annotation's
    # canonical identity, and the IRI it was copied from, kept and emitted back unchanged
    # (any absolute IRI: a canonical is often a urn:uuid:)
    # (db_default: rows written by SQL outside the ORM, bulk copies and restores, need no value)
    canonical = models.CharField(
        max_length=1000, blank=True, default="", db_default="", editable=False, validators=[absolute_iri]
    )
    via = models.CharField(
        max_length=1000, blank=True, default="", db_default="", editable=False, validators=[absolute_iri]
    )

    tags = TaggableManager(through=TaggedAnnotation, blank=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["block__position", "quote_start", "created_at"]
        permissions = [
            ("moderate_annotation", "Can approve, reject and hide annotations"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind="note") | ~Q(verdict=""), name="annotation_fact_check_has_verdict"),
            models.CheckConstraint(
                condition=(Q(quote="") & Q(quote_start__isnull=True) & Q(quote_end__isnull=True))
                | (~Q(quote="") & Q(quote_start__isnull=False) & Q(quote_end__gt=models.F("quote_start"))),
                name="annotation_quote_has_offsets",
            ),
            # a deleted placeholder has no body (annotations.services.annotations.delete_annotation)
            models.CheckConstraint(
                condition=~Q(body="") | Q(deleted_at__isnull=False), name="annotation_body_not_empty"
            ),
            # a reply is a note about its parent annotation: no quote, no verdict (issue #15)
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | (Q(kind="note") & Q(quote="")), name="annotation_reply_is_a_note"
            ),
        ]
        indexes = [
            # the article page: an article's visible annotations
            models.Index(fields=["article", "status", "visibility"], name="annotation_reading_idx"),
            # the admin index's pending count and the changelist's status filter, its page and its exact count:
            # with visibility and author included, the count (which leaves out others' private notes) is an
            # Index Only Scan (PostgreSQL; at 1M annotations, status=pending: 194 ms -> 62 ms)
            models.Index(
                fields=["status", "created_at"], include=["visibility", "author"], name="annotation_status_idx"
            ),
            # the moderation queue's page (in_queue, oldest first, keyset on created_at and id): only the rows
            # the queue can show, in its order, so a page reads one page of index entries whatever the table's size
            # (EXPLAIN: tests/annotations/test_admin_scale.py)
            models.Index(
                fields=["created_at", "id"],
                condition=Q(visibility="public") & (Q(status="pending") | Q(open_flag_count__gt=0)),
                name="annotation_in_queue_idx",
            ),
            # the annotation changelist's order (newest first, -created_at, -id): a page is read from the
            # index instead of sorting every annotation (EXPLAIN: tests/annotations/test_admin_scale.py)
            models.Index(fields=["created_at", "id"], name="annotation_created_idx"),
            # the moderation queue: annotations with open flags
            models.Index(fields=["created_at"], condition=Q(open_flag_count__gt=0), name="annotation_flagged_idx"),
            # an article's annotations newest first (the Hypothesis API's search by uri, feeds): reads only
            # that article's rows at any size of the site (at 105k, 13,395 rows through annotation_status_idx)
            models.Index(fields=["article", "created_at", "id"], name="annotation_article_created_idx"),
            # the site-wide search (annotations.selectors.search): ``annotation_search_vector() @@ query`` read
            # from this index instead of computing every annotation's vector (PostgreSQL only; at 105k annotations
            # about 4 s a search before; EXPLAIN: tests/annotations/test_search_scale.py)
            PostgreSQLGinIndex(annotation_search_vector(), name="annotation_search_idx"),
            # an author's own annotations
            models.Index(fields=["author", "-created_at"], name="annotation_author_idx"),
            # the moderation queue's "text changed" section and the admin index's count (needs_anchor_review):
            # a few rows among all annotations
            models.Index(
                fields=["created_at"],
                condition=Q(anchor_state__in=["needs_reanchoring", "orphaned"]),
                name="annotation_anchor_review_idx",
            ),
        ]

    def __str__(self) -> str:
        what = self.get_kind_display()
        return f"{what} #{self.pk} on {self.block.key if self.block_id else '?'}"

    def get_absolute_url(self) -> str:
        return reverse("annotations:annotation-detail", kwargs={"pk": self.pk})

    def get_in_place_url(self) -> str:
        return f"{self.article.get_absolute_url()}#a-{self.pk}"

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_fact_check(self) -> bool:
        return self.kind == self.Kind.FACT_CHECK

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE

    @property
    def is_placed(self) -> bool:
        """In memory, the rule of ``AnnotationQuerySet.placed`` (its block must be loaded)."""
        return self.anchor_state in self.PLACED_STATES and self.block.removed_at is None

    @property
    def is_public_and_approved(self) -> bool:
        return self.status == self.Status.APPROVED and not self.is_private

    @property
    def verdict_info(self):
        return verdict_info(self.verdict)

    @property
    def tag_list(self) -> list:
        """The tags, as a selector attached them when it did (no taggit manager per row)."""
        attached = getattr(self, "tag_objects", None)  # annotations.selectors.article.article_annotations
        if attached is not None:
            return attached
        return list(self.tags.all())

    @property
    def evidence_sources(self) -> list:
        """The evidence, from the ``evidence_list`` prefetch when a selector made it."""
        sources = getattr(self, "evidence_list", None)
        return sources if sources is not None else list(self.evidence.all())

    @property
    def claim_text(self) -> str:
        return self.claim or self.quote

    def clean(self) -> None:
        """The annotation's rules, the table's check constraints among them (``Meta.constraints``: the services
        validate without asking the database, ``tests/annotations/test_model_rules.py`` keeps them in step)."""
        errors: dict[str, list[str]] = {}
        if self.block_id and self.article_id and self.block.article_id != self.article_id:
            errors.setdefault("block", []).append("That paragraph belongs to another article.")
        # a reply follows its annotation, even one a revision left on removed text
        if self.block_id and self.block.removed_at is not None and self._state.adding and not self.parent_id:
            errors.setdefault("block", []).append("That paragraph is no longer part of the article.")
        if self.block_id and self.block.kind == Block.Kind.IMAGE:
            errors.setdefault("block", []).append("Image placeholders cannot be annotated; choose a paragraph.")
        if self.kind == self.Kind.FACT_CHECK and not self.verdict:
            errors.setdefault("verdict", []).append("A fact-check needs a verdict.")
        if self.kind == self.Kind.NOTE and self.verdict:
            errors.setdefault("verdict", []).append("Only fact-checks have a verdict.")
        if self.parent_id is not None:
            self._clean_reply(errors)
        offsets = (self.quote_start, self.quote_end)
        if self.quote and self.block_id and None not in offsets:
            if self.block.text[self.quote_start : self.quote_end] != self.quote:
                errors.setdefault("quote", []).append("The quote is not in the paragraph at those offsets.")
        # annotation_quote_has_offsets: a quote has its offsets (end after start), no quote has none (not said
        # when the paragraph itself was refused: the quote was never placed in it)
        if "block" not in errors and (
            (self.quote and (None in offsets or self.quote_end <= self.quote_start))
            or (not self.quote and offsets != (None, None))
        ):
            errors.setdefault("quote", []).append("A quote needs its start and end in the paragraph, and only a quote.")
        if errors:
            raise ValidationError(errors)

    def _clean_reply(self, errors: dict[str, list[str]]) -> None:
        """A reply is a public note on its parent's paragraph, without a quote (issue #15)."""
        if self.parent_id == self.pk and self.pk is not None:
            errors.setdefault("parent", []).append("An annotation cannot reply to itself.")
            return
        if self.kind != self.Kind.NOTE:
            errors.setdefault("kind", []).append("A reply is a note: it has no verdict.")
        if self.quote:
            errors.setdefault("quote", []).append("A reply answers an annotation: it quotes no text.")
        if self.is_private:
            errors.setdefault("visibility", []).append("Replies are public, like the discussion they join.")
        parent = self.parent
        if parent.article_id != self.article_id or parent.block_id != self.block_id:
            errors.setdefault("block", []).append("A reply stays on the paragraph of the annotation it answers.")


class Evidence(models.Model):
    """A source supporting a fact-check's verdict."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField("URL", max_length=1000, validators=[http_url])
    title = models.CharField(max_length=300, validators=[no_control_characters])
    excerpt = models.TextField(
        "quoted excerpt", blank=True, validators=[MaxLengthValidator(2000), no_control_characters]
    )
    archived_url = models.URLField("archived copy URL", max_length=1000, blank=True, validators=[http_url])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["annotation", "position", "pk"]
        verbose_name = "evidence source"
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title

    def clean_fields(self, exclude=None) -> None:
        # normalised once, at input (the services' check_evidence and the admin both validate through here);
        # every page, feed and export then shows the stored form
        self.url, self.archived_url = normalise_url(self.url), normalise_url(self.archived_url)
        super().clean_fields(exclude=exclude)
