"""Writes that keep annotations anchored across article revisions.

* ``reanchor_article`` runs inside the transaction that revised the article's
  blocks (``articles.revisions.record_revision``): it places every annotation
  in the new text with the pure matcher (``annotations.anchoring.matcher``),
  under the written policy (``annotations.anchoring.policy``: a fact-check
  follows only unchanged or typography-only words; a note never follows a
  meaning-bearing change), scoring candidates against the words the author
  annotated (``original_quote``; for a whole-paragraph annotation the
  paragraph's text in the revision it was written on), writes the new
  anchors, and appends one log row per annotation whose anchor it changed.
  Nothing is ever deleted: an annotation it cannot place is marked *needs
  re-anchoring* (for a moderator) or *orphaned* (its text was removed), and
  keeps its quote, its original quote and the revision it was written on.
* ``reanchor_after_revision`` is the revision hook (``articles.hooks``) that
  calls it and records the counts on the revision.

The moderators' decisions on those annotations are in
``annotations.services.anchor_review``.

Log rows go to ``ModerationLog`` (append-only; from_status = to_status, since
re-anchoring never changes an annotation's moderation status). The anchor
fields are written without touching ``updated_at``: a revision is not an edit
by the author.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import OuterRef, Subquery

from annotations.anchoring import policy
from annotations.anchoring.matcher import DEFAULT_MIN_SCORE, AnchorInput, Method, Outcome, Paragraph, Result, reanchor
from annotations.caching import bump_article
from annotations.models import MAX_REPLY_DEPTH, Annotation, ModerationLog
from articles.models import Article, ArticleRevision, Block
from articles.revisions import BlockState, in_order, text_at

State = Annotation.AnchorState
Action = ModerationLog.Action
UPDATE_BATCH = 100
LIVE = Annotation.PLACED_STATES  # shown beside their paragraph
DETACHED = Annotation.DETACHED_STATES  # shown under "notes on earlier wording"

ANCHOR_FIELDS = [
    "block",
    "quote",
    "quote_start",
    "quote_end",
    "quote_prefix",
    "quote_suffix",
    "anchor_state",
    "original_quote",
    "text_changed",
    "anchor_score",
    "original_revision",
    "anchored_revision",
    "anchor_reviewed_by",
    "anchor_reviewed_at",
]


def min_score() -> float:
    """Below this score (0-100) a fuzzy match is never taken: the annotation goes to a moderator."""
    return float(getattr(settings, "ANNOTATIONS_REANCHOR_MIN_SCORE", DEFAULT_MIN_SCORE))


@dataclass
class ReanchorReport:
    kept: int = 0
    moved: int = 0
    flagged: int = 0
    orphaned: int = 0
    outcomes: list[dict] = field(default_factory=list)


def reanchor_article(
    *, article: Article, revision: ArticleRevision, before: Mapping[int, BlockState], after: Mapping[int, BlockState]
) -> ReanchorReport:
    """Re-anchor every annotation of ``article`` after its blocks went from ``before`` to ``after``.

    Must run in the revision's transaction. Counts, per annotation that was
    anchored before: kept (nothing moved), moved (new offsets or paragraph),
    flagged (needs re-anchoring), orphaned. Annotations already detached are
    looked at again only when their own paragraph was edited or restored, and
    only ever re-attached by it (counted as moved), never moved further away.
    Queries: the annotations (1), the earlier revisions (1), the revision
    each was written on (1 per revision, once), the earlier revisions'
    changes when a whole-paragraph annotation's paragraph changed (1), a bulk
    update of the annotations it re-anchored (1 per 100) and a bulk insert of
    their log rows.
    """
    # replies are about their annotation, not the text: they follow it (_replies_follow), never re-anchored
    annotations = list(
        Annotation.objects.select_for_update().filter(article=article, parent__isnull=True).order_by("pk")
    )
    report = ReanchorReport()
    bump_article(article.pk)
    if not annotations:
        return report

    states = {**before, **after}
    pk_of_key = {s.key: pk for pk, s in after.items()}
    old = [_paragraph(s) for s in in_order(before) if s.kind != Block.Kind.IMAGE]
    new = [_paragraph(s) for s in in_order(after) if s.kind != Block.Kind.IMAGE]
    earlier = {s.key: s.text for s in before.values() if not s.current}
    headings = {p.key for p in new if p.heading}

    def own_paragraph_changed(a: Annotation) -> bool:
        was, now = before.get(a.block_id), after.get(a.block_id)
        return was is not None and now is not None and now.current and (not was.current or was.text != now.text)

    earlier_revisions = list(
        ArticleRevision.objects.filter(article=article, number__lt=revision.number)
        .order_by("number")
        .values_list("pk", "number", "created_at")
    )
    _set_original_revisions(article, annotations, earlier_revisions)
    todo = [a for a in annotations if a.anchor_state in LIVE or own_paragraph_changed(a)]
    paragraph_then = _paragraph_texts_then(
        article, revision, [a for a in todo if not a.quote and own_paragraph_changed(a)], states
    )
    results = reanchor(
        old=old,
        new=new,
        anchors=[
            AnchorInput(
                a.pk,
                states[a.block_id].key,
                a.quote,
                a.quote_start,
                a.quote_end,
                a.quote_prefix,
                a.quote_suffix,
                kind=a.kind,
                original=_reference_quote(a),
                original_paragraph=paragraph_then.get(a.pk),
            )
            for a in todo
        ],
        min_score=min_score(),
        earlier=earlier,
    )

    changed: dict[int, Annotation] = {}
    logs: list[ModerationLog] = []
    for a, r in zip(todo, results, strict=True):
        was = {
            "from_key": states[a.block_id].key,
            "old_quote": a.quote,
            "old_start": a.quote_start,
            "old_end": a.quote_end,
        }
        modified, action = _apply(a, r, revision=revision, pk_of_key=pk_of_key, headings=headings, report=report)
        if not modified:
            continue
        changed[a.pk] = a
        report.outcomes.append(_outcome_row(a, r, was, action))
        if action:
            logs.append(anchor_log(a, action=action, actor=None, reason=f"Revision {revision.number}: {r.detail}."))
    if changed:
        # in batches: bulk_update writes one CASE per field per batch, whose cost grows with its square
        Annotation.objects.bulk_update(list(changed.values()), ANCHOR_FIELDS, batch_size=UPDATE_BATCH)
        _replies_follow(article)
    ModerationLog.objects.bulk_create(logs)
    return report


def _replies_follow(article: Article) -> None:
    """Replies stay on their annotation's paragraph when a revision moves it (one UPDATE per level of depth)."""
    parent_block = Annotation.objects.filter(pk=OuterRef("parent_id")).values("block_id")[:1]
    for _ in range(MAX_REPLY_DEPTH):
        Annotation.objects.filter(article=article, parent__isnull=False).exclude(
            block_id=Subquery(parent_block)
        ).update(block_id=Subquery(parent_block))


def _paragraph(state: BlockState) -> Paragraph:
    return Paragraph(state.key, state.text, heading=state.kind == Block.Kind.HEADING)


def _reference_quote(a: Annotation) -> str:
    """The words candidates are scored against: the author's (``original_quote``), or a moderator's last re-attachment.

    A moderator who re-attached the annotation vouched for its current quote;
    an automatic move with visible changes since then clears that review
    (``_apply``), so the author's words are the reference again.
    """
    if a.anchor_reviewed_at is not None and a.anchor_state in LIVE:
        return a.quote
    return a.original_quote or a.quote


def _set_original_revisions(article: Article, annotations: list[Annotation], earlier_revisions: list) -> None:
    """The revision each annotation was written on: the latest recorded before it (else the first).

    One UPDATE per revision, not a row-by-row write of every annotation.
    """
    written_on: set[int] = set()
    for a in annotations:
        if a.original_revision_id is None and earlier_revisions:
            a.original_revision_id = next(
                (pk for pk, _, at in reversed(earlier_revisions) if at <= a.created_at), earlier_revisions[0][0]
            )
            written_on.add(a.original_revision_id)
    for i, (revision_pk, _, at) in enumerate(earlier_revisions):
        if revision_pk in written_on:
            rows = Annotation.objects.filter(article=article, original_revision__isnull=True)
            if i > 0:
                rows = rows.filter(created_at__gte=at)
            if i + 1 < len(earlier_revisions):
                rows = rows.filter(created_at__lt=earlier_revisions[i + 1][2])
            rows.update(original_revision_id=revision_pk)


def _paragraph_texts_then(
    article: Article, revision: ArticleRevision, annotations: list[Annotation], states: Mapping[int, BlockState]
) -> dict[int, str]:
    """For whole-paragraph annotations: their paragraph's text in the revision they were written on.

    That revision is the one a moderator last re-attached it on, else the one
    it was written on. Replays the recorded changes of the article's
    revisions (``articles.revisions.text_at``; 1 query, only when there are
    such annotations). An annotation whose paragraph is not in that text gets no
    entry (the matcher then uses the text before this revision).
    """
    wanted: dict[int, int] = {}  # annotation pk -> revision pk
    for a in annotations:
        pk = a.anchored_revision_id if a.anchor_reviewed_at is not None else a.original_revision_id
        if pk is not None:
            wanted[a.pk] = pk
    if not wanted:
        return {}
    earlier = list(ArticleRevision.objects.filter(article=article, number__lt=revision.number).order_by("number"))
    needed = set(wanted.values())
    at = {
        r.pk: {block.key: block.text for block in text_at(earlier[: i + 1])}
        for i, r in enumerate(earlier)
        if r.pk in needed
    }
    out = {}
    for a in annotations:
        key = states[a.block_id].key
        then = at.get(wanted.get(a.pk), {})
        if key in then:
            out[a.pk] = then[key]
    return out


def reanchor_after_revision(
    *, article: Article, revision: ArticleRevision, before: Mapping[int, BlockState], after: Mapping[int, BlockState]
) -> None:
    """The revision hook (``articles.hooks``, registered in ``AnnotationsConfig.ready``).

    Re-anchors the article's annotations and records on the revision what it
    did to them (counts and one outcome row per annotation it touched). A
    first text has nothing to re-anchor.
    """
    if not before:
        return
    report = reanchor_article(article=article, revision=revision, before=before, after=after)
    revision.annotations_kept = report.kept
    revision.annotations_moved = report.moved
    revision.annotations_flagged = report.flagged
    revision.annotations_orphaned = report.orphaned
    revision.outcomes = report.outcomes
    revision.save(
        update_fields=[
            "annotations_kept",
            "annotations_moved",
            "annotations_flagged",
            "annotations_orphaned",
            "outcomes",
        ]
    )


def _apply(
    a: Annotation,
    r: Result,
    *,
    revision: ArticleRevision,
    pk_of_key: dict[str, int],
    headings: set[str],
    report: ReanchorReport,
) -> tuple[bool, str | None]:
    """Write the outcome onto ``a`` and count it.

    Returns whether ``a`` changed, and the log action (None: nothing worth a
    line in its history, such as fresher prefix/suffix context).
    """
    live = a.anchor_state in LIVE
    if r.placed:
        if live and r.method is Method.UNCHANGED:
            report.kept += 1
            return False, None
        original = a.original_quote or a.quote
        if a.quote:
            a.original_quote = original
            a.quote, a.quote_start, a.quote_end = r.quote, r.start, r.end
            a.quote_prefix, a.quote_suffix = r.prefix, r.suffix
            # readers see "This refers to an earlier wording" only for changes they can see
            a.text_changed = policy.compare(original, r.quote, heading=r.key in headings).change.visible
        else:
            a.text_changed = r.change is not None and r.change.visible
        if r.change is not None and r.change.visible and a.anchor_reviewed_at is not None and live:
            # the moderator vouched for other words: the author's words are the reference again
            a.anchor_reviewed_by, a.anchor_reviewed_at = None, None
        a.block_id = pk_of_key[r.key]
        a.anchor_score = r.score
        a.anchored_revision = revision
        if not live:  # found again: its paragraph came back, or was edited back
            a.anchor_state = State.ANCHORED if r.outcome is Outcome.KEPT else State.MOVED
            a.anchor_reviewed_by, a.anchor_reviewed_at = None, None
            report.moved += 1
            return True, Action.REANCHORED
        if r.outcome is Outcome.MOVED:
            a.anchor_state = State.MOVED
            report.moved += 1
            return True, Action.REANCHORED
        # its paragraph was edited, but its words still stand where they stood (or it has no quote)
        report.kept += 1
        return True, (Action.REANCHORED if r.method is Method.FOLLOWS_PARAGRAPH else None)
    if not live:
        return False, None  # still detached: the moderators' list already has it
    a.original_quote = a.original_quote or a.quote
    a.text_changed = True
    a.anchor_score = r.score
    a.anchor_reviewed_by, a.anchor_reviewed_at = None, None
    if a.anchored_revision_id is None:
        a.anchored_revision_id = a.original_revision_id
    if r.outcome is Outcome.FLAGGED:
        a.anchor_state = State.NEEDS_REANCHORING
        report.flagged += 1
        return True, Action.NEEDS_REANCHOR
    a.anchor_state = State.ORPHANED
    report.orphaned += 1
    return True, Action.ORPHANED


def _outcome_row(a: Annotation, r: Result, was: dict, action: str | None) -> dict:
    best = r.best
    return {
        "annotation": a.pk,
        "outcome": str(r.outcome),
        "method": str(r.method),
        "logged": action or "",
        **was,
        "to_key": r.key if r.placed else None,
        "new_quote": a.quote if r.placed else None,
        "new_start": a.quote_start if r.placed else None,
        "new_end": a.quote_end if r.placed else None,
        "score": r.score,
        "best": {"key": best.key, "start": best.start, "end": best.end, "text": best.text, "score": best.score}
        if best
        else None,
        "detail": r.detail,
    }


def anchor_log(a: Annotation, *, action: str, actor, reason: str) -> ModerationLog:
    """An (unsaved) log row for a change of anchoring: the moderation status stays as it is."""
    return ModerationLog(
        annotation=a,
        annotation_ref=a.pk,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=a.status,
        to_status=a.status,
        reason=reason,
    )
