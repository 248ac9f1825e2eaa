"""Article revisions and re-anchoring through the database: import, admin edits, moderators, readers.

The matcher itself is tested without a database in tests/annotations/test_reanchoring.py.
"""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from annotations.admin.reanchor import AnchorStateFilter
from annotations.anchoring.quotes import anchor_at
from annotations.models import Annotation, ModerationLog
from annotations.rendering import render_body
from annotations.selectors.article import article_annotations
from annotations.selectors.revisions import revision_notes
from annotations.services import anchor_review
from annotations.services import reanchoring as services_revisions
from annotations.services.moderation import ModerationError, StaleDecision
from articles.demo import SAMPLE_PATH
from articles.models import Article, ArticleRevision, Block
from articles.services import BlockEdit, revise_blocks
from tests.articles.helpers import (
    DELETED,
    EDITED_NEW,
    EDITED_OLD,
    INSERTED,
    block_field,
    change_url,
    revised_sample,
    write,
)
from tests.helpers import change_form_data

pytestmark = pytest.mark.django_db

State = Annotation.AnchorState
Action = ModerationLog.Action
GROWN = "OpenAI has grown from about 100 million weekly active users to more than 300 million."
GROWN_REWORDED = "By the end of the year, weekly users of ChatGPT had tripled, to over 300 million."
FOCUS = "I'm very proud of our focus since then"


def earlier_wording(article, user):
    """What the article page lists under "Notes on earlier wording" for ``user``."""
    return article_annotations(article=article, user=user)[1]


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_article", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def annotate(
    article, text_or_block, quote="", *, kind="note", author=None, status="approved", visibility="public", occurrence=0
):
    """An annotation written straight through the ORM, anchored as the annotate service anchors it."""
    block = (
        text_or_block
        if isinstance(text_or_block, Block)
        else article.blocks.current().get(text__contains=text_or_block)
    )
    anchor = None
    if quote:
        start = -1
        for _ in range(occurrence + 1):
            start = block.text.index(quote, start + 1)
        anchor = anchor_at(block.text, start, start + len(quote))
    body = f"About “{quote or block.key}”."
    return Annotation.objects.create(
        article=article,
        block=block,
        author=author,
        kind=kind,
        status=status,
        visibility=visibility,
        body=body,
        body_html=render_body(body),
        quote=anchor.exact if anchor else "",
        quote_start=anchor.start if anchor else None,
        quote_end=anchor.end if anchor else None,
        quote_prefix=anchor.prefix if anchor else "",
        quote_suffix=anchor.suffix if anchor else "",
        claim=quote if kind == "fact_check" else "",
        verdict="misleading" if kind == "fact_check" else "",
    )


def fresh(annotation) -> Annotation:
    return Annotation.objects.select_related("block").get(pk=annotation.pk)


def assert_consistent(article) -> None:
    """Every anchored annotation's quote is its paragraph's text at its offsets, on a current paragraph."""
    for a in Annotation.objects.filter(article=article).select_related("block"):
        if a.anchor_state in (State.ANCHORED, State.MOVED):
            assert a.block.removed_at is None, a
            if a.quote:
                assert a.block.text[a.quote_start : a.quote_end] == a.quote, a


def edits_of(article, **changes) -> list[BlockEdit]:
    """BlockEdits leaving every current block as it is, except ``changes``: key -> new text, or None to remove."""
    return [
        BlockEdit(
            kind=b.kind,
            text=changes.get(b.key, b.text) or b.text,
            order=b.position,
            block=b,
            remove=b.key in changes and changes[b.key] is None,
        )
        for b in article.blocks.current()
    ]


@pytest.fixture
def sample():
    run(SAMPLE_PATH)
    return Article.objects.get()


# ---------------------------------------------------------------- revisions recorded by imports


def test_first_import_records_revision_one(sample):
    revision = sample.revisions.get()
    assert (revision.number, revision.source, revision.created_by) == (1, ArticleRevision.Origin.INITIAL, None)
    assert revision.blocks_added == 39 and len(revision.changes) == 39
    assert {c["change"] for c in revision.changes} == {"added"}
    assert revision_notes(article=sample) == []  # readers' note lists changes after the first text


def test_reimporting_the_same_file_records_nothing(sample):
    out = run(SAMPLE_PATH)
    assert "up to date" in out
    assert sample.revisions.count() == 1


def test_reimport_of_a_revised_file_records_a_revision_and_reanchors(sample, tmp_path):
    edited = sample.blocks.get(text=EDITED_OLD)
    moved_exact = annotate(sample, edited, "few people paid attention to us")
    moved_fuzzy = annotate(sample, edited, "they didn't think we had a chance")
    on_deleted = annotate(sample, DELETED, "The road is not easy")
    whole_deleted = annotate(sample, DELETED)
    untouched = annotate(sample, GROWN, "more than 300 million")

    out = run(write(tmp_path, revised_sample()))

    revision = sample.revisions.get(number=2)
    assert revision.source == ArticleRevision.Origin.IMPORT
    assert (revision.blocks_added, revision.blocks_edited, revision.blocks_removed) == (1, 1, 1)
    assert {(c["change"], c["new_text"] or c["old_text"]) for c in revision.changes} == {
        ("added", INSERTED),
        ("edited", EDITED_NEW),
        ("removed", DELETED),
    }
    assert (
        revision.annotations_kept,
        revision.annotations_moved,
        revision.annotations_flagged,
        revision.annotations_orphaned,
    ) == (1, 2, 0, 2)
    assert "revision 2, annotations: 1 kept, 2 moved, 0 need re-anchoring, 2 orphaned" in out

    a = fresh(moved_exact)
    assert (a.anchor_state, a.quote, a.text_changed) == (State.MOVED, "few people paid attention to us", False)
    assert a.quote_start == EDITED_NEW.index("few people")
    b = fresh(moved_fuzzy)
    assert (b.anchor_state, b.quote, b.original_quote, b.text_changed) == (
        State.MOVED,
        "they did not think we had a chance",
        "they didn't think we had a chance",
        True,
    )
    assert b.anchor_score >= services_revisions.min_score()
    assert b.anchored_revision == revision and b.original_revision.number == 1
    for orphan in (fresh(on_deleted), fresh(whole_deleted)):
        assert orphan.anchor_state == State.ORPHANED
        assert orphan.block.removed_at is not None and orphan.block.text == DELETED
    assert fresh(on_deleted).quote == fresh(on_deleted).original_quote == "The road is not easy"
    assert fresh(untouched).anchor_state == State.ANCHORED and fresh(untouched).anchored_revision is None
    assert Annotation.objects.count() == 5
    assert_consistent(sample)
    # one history line per annotation whose anchor changed
    assert sorted(ModerationLog.objects.values_list("action", flat=True)) == sorted(
        [Action.REANCHORED, Action.REANCHORED, Action.ORPHANED, Action.ORPHANED]
    )
    log = ModerationLog.objects.get(annotation=moved_fuzzy)
    assert log.actor is None and log.from_status == log.to_status == "approved"
    assert log.reason.startswith("Revision 2: quote found in p-")


def test_reimporting_the_revised_file_again_changes_nothing(sample, tmp_path):
    annotate(sample, EDITED_OLD, "they didn't think we had a chance")
    annotate(sample, DELETED)
    path = write(tmp_path, revised_sample())
    run(path)
    rows = list(Annotation.objects.order_by("pk").values())
    logs, revisions = ModerationLog.objects.count(), ArticleRevision.objects.count()

    assert "up to date" in run(path)

    assert list(Annotation.objects.order_by("pk").values()) == rows
    assert (ModerationLog.objects.count(), ArticleRevision.objects.count()) == (logs, revisions)


def test_restoring_a_deleted_paragraph_reattaches_its_orphans(sample, tmp_path):
    orphan = annotate(sample, DELETED, "there is no obvious right choice")
    run(write(tmp_path, revised_sample()))
    assert fresh(orphan).anchor_state == State.ORPHANED

    run(SAMPLE_PATH)  # the original file brings the paragraph back, on its old row and key

    restored = fresh(orphan)
    assert restored.anchor_state == State.ANCHORED
    assert restored.block.removed_at is None
    assert restored.block.text[restored.quote_start : restored.quote_end] == "there is no obvious right choice"
    assert sample.revisions.latest().annotations_moved == 1
    assert ModerationLog.objects.filter(annotation=orphan).latest("pk").action == Action.REANCHORED


def test_dry_run_records_no_revision(sample, tmp_path):
    annotate(sample, DELETED)
    run(write(tmp_path, revised_sample()), "--dry-run")
    assert sample.revisions.count() == 1
    assert Annotation.objects.get().anchor_state == State.ANCHORED


# ---------------------------------------------------------------- revisions recorded by editors' edits


def test_first_edit_of_a_hand_made_article_records_a_baseline_then_the_edit(article, editor):
    note = annotate(article, "Paragraph 2", "Paragraph 2")

    result = revise_blocks(
        article=article, edits=edits_of(article, k002="Paragraph 2 text, corrected."), actor=editor, note="Typo."
    )

    baseline, revision = article.revisions.order_by("number")
    assert (baseline.number, baseline.source, baseline.created_at) == (1, "initial", article.created_at)
    assert [c["new_text"] for c in baseline.changes] == ["Paragraph 1 text.", "Paragraph 2 text.", "Paragraph 3 text."]
    assert result.revision == revision
    assert (revision.number, revision.source, revision.created_by, revision.note) == (2, "admin", editor, "Typo.")
    assert revision.changes == [
        {
            "key": "k002",
            "block_kind": "paragraph",
            "change": "edited",
            "old_text": "Paragraph 2 text.",
            "new_text": "Paragraph 2 text, corrected.",
            "old_position": 2,
            "new_position": 2,
            "moved": False,
        }
    ]
    a = fresh(note)
    assert (a.anchor_state, a.quote_start, a.original_revision) == (State.ANCHORED, 0, baseline)
    assert a.quote_suffix == " text, corrected."  # context refreshed, nothing moved
    assert (revision.annotations_kept, revision.annotations_moved) == (1, 0)


def test_an_edit_that_changes_nothing_records_nothing(article, editor):
    result = revise_blocks(article=article, edits=edits_of(article), actor=editor)
    assert result.revision is None
    assert not ArticleRevision.objects.exists()


def test_moving_a_paragraph_is_recorded_as_moved_and_keeps_annotations(article, editor):
    a = annotate(article, "Paragraph 1", "Paragraph 1")
    b1, b2, b3 = article.blocks.current()
    revision = revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind=b1.kind, text=b1.text, order=3, block=b1),
            BlockEdit(kind=b2.kind, text=b2.text, order=1, block=b2),
            BlockEdit(kind=b3.kind, text=b3.text, order=2, block=b3),
        ],
        actor=editor,
    ).revision
    assert [(c["key"], c["change"]) for c in revision.changes] == [("k001", "moved")]
    assert revision.blocks_moved == 1
    assert (revision.annotations_kept, revision.annotations_moved) == (1, 0)
    assert fresh(a).anchor_state == State.ANCHORED and fresh(a).quote_start == 0


def test_reanchoring_runs_in_the_revisions_transaction(article, editor, monkeypatch):
    annotate(article, "Paragraph 2", "Paragraph 2")

    def broken(**kwargs):
        raise RuntimeError("re-anchoring failed")

    monkeypatch.setattr(services_revisions, "reanchor_article", broken)
    with pytest.raises(RuntimeError):
        revise_blocks(article=article, edits=edits_of(article, k002="Something else."), actor=editor)

    assert article.blocks.get(key="k002").text == "Paragraph 2 text."
    assert not ArticleRevision.objects.exists()


# The outcomes through the service, one row per kind of edit of the sample article.
#   (edit, quote in the annotated paragraph or "" for the whole paragraph, expected state,
#    expected text_changed, expected log action or None, where the quote must now be)
CASES = [
    # a typo fixed inside the quote: found by a fuzzy match, offsets updated, original kept
    (
        "typo",
        'our thinking on security and benefit-sharing."',
        State.MOVED,
        True,
        Action.REANCHORED,
        "our thinking on security and benefit-sharing.",
    ),
    # words inserted before the quote: the same words, new offsets
    ("words_before", "more than 300 million", State.MOVED, False, Action.REANCHORED, "more than 300 million"),
    # a paragraph inserted above: nothing moves
    ("paragraph_above", "more than 300 million", State.ANCHORED, False, None, "more than 300 million"),
    # the paragraph moved: nothing moves
    ("paragraph_moved", "more than 300 million", State.ANCHORED, False, None, "more than 300 million"),
    # split: a quote in the second half goes to the new paragraph
    ("split", "Most importantly", State.MOVED, False, Action.REANCHORED, "Most importantly"),
    # merged into the paragraph above: its quotes follow
    ("merged", "more than 300 million", State.MOVED, False, Action.REANCHORED, "more than 300 million"),
    # reworded beyond recognition: never guessed
    ("reworded", GROWN.rstrip("."), State.NEEDS_REANCHORING, True, Action.NEEDS_REANCHOR, None),
    # deleted: an orphan, with its quote
    ("deleted", "more than 300 million", State.ORPHANED, True, Action.ORPHANED, None),
    # whole-paragraph note, paragraph edited: follows its key, refers to an earlier wording
    ("words_before", "", State.ANCHORED, True, Action.REANCHORED, None),
    # whole-paragraph note, paragraph deleted: an orphan
    ("deleted", "", State.ORPHANED, True, Action.ORPHANED, None),
]


@pytest.mark.parametrize(("edit", "quote", "state", "text_changed", "action", "now"), CASES)
def test_reanchoring_outcomes(sample, editor, edit, quote, state, text_changed, action, now):
    needle = "benefit-sharing" if edit == "typo" else GROWN
    target = sample.blocks.current().get(text__contains=needle)
    a = annotate(sample, target, quote)
    blocks = list(sample.blocks.current())
    i = blocks.index(target)
    edits = [BlockEdit(kind=b.kind, text=b.text, order=b.position, block=b) for b in blocks]
    if edit == "typo":
        edits[i].text = target.text.replace('benefit-sharing."', "benefit-sharing.")
    elif edit == "words_before":
        edits[i].text = "Then, " + target.text
    elif edit == "paragraph_above":
        edits.append(BlockEdit(kind="paragraph", text="An editor's new paragraph.", order=target.position))
    elif edit == "paragraph_moved":
        edits[i].order = 1
        edits[i].block.position = 0  # ties: before the first paragraph
    elif edit == "split":
        cut = target.text.index(" Most importantly")
        edits[i].text = target.text[:cut]
        edits.append(BlockEdit(kind="paragraph", text=target.text[cut + 1 :], order=target.position + 1))
    elif edit == "merged":
        edits[i - 1].text = blocks[i - 1].text + " " + target.text
        edits[i].remove = True
    elif edit == "reworded":
        edits[i].text = target.text.replace(GROWN, GROWN_REWORDED)
    elif edit == "deleted":
        edits[i].remove = True

    revise_blocks(article=sample, edits=edits, actor=editor)

    a2 = fresh(a)
    assert (a2.anchor_state, a2.text_changed) == (state, text_changed)
    assert Annotation.objects.filter(pk=a.pk).exists()
    if now is not None:
        assert a2.block.text[a2.quote_start : a2.quote_end] == a2.quote == now
    if state in (State.NEEDS_REANCHORING, State.ORPHANED):
        assert (a2.block_id, a2.quote, a2.quote_start) == (target.pk, quote, a.quote_start)
    if quote and a2.quote != quote:
        assert a2.original_quote == quote
    logs = list(ModerationLog.objects.filter(annotation=a).values_list("action", flat=True))
    assert logs == ([action] if action else [])
    assert_consistent(sample)


# ---------------------------------------------------------------- moderators' decisions


@pytest.fixture
def flagged(sample, editor):
    target = sample.blocks.current().get(text__contains=GROWN)
    a = annotate(sample, target, GROWN.rstrip("."), kind="fact_check")
    revise_blocks(
        article=sample, edits=edits_of(sample, **{target.key: target.text.replace(GROWN, GROWN_REWORDED)}), actor=editor
    )
    a = fresh(a)
    assert a.anchor_state == State.NEEDS_REANCHORING
    return a


def test_moderator_reattaches_to_a_paragraph_and_quote(flagged, moderator):
    quote = "weekly users of ChatGPT had tripled, to over 300 million"

    a = anchor_review.reattach_annotation(
        annotation=flagged,
        actor=moderator,
        block_key=flagged.block.key,
        quote=quote,
        reason="Same claim, new words.",
        expected_state=State.NEEDS_REANCHORING,
    )

    a = fresh(a)
    assert (a.anchor_state, a.quote, a.original_quote, a.text_changed) == (
        State.ANCHORED,
        quote,
        GROWN.rstrip("."),
        True,
    )
    assert a.block.text[a.quote_start : a.quote_end] == quote
    assert (a.anchor_reviewed_by, a.anchored_revision) == (moderator, a.article.revisions.latest())
    assert a.claim == GROWN.rstrip(".")  # the claim checked stays what it was
    log = ModerationLog.objects.filter(annotation=a).latest("pk")
    assert (log.action, log.actor) == (Action.REATTACHED, moderator)
    assert quote in log.reason and "Same claim, new words." in log.reason
    assert a.updated_at == flagged.updated_at  # not an edit by its author


def test_moderator_confirms_an_orphan(flagged, moderator):
    a = anchor_review.confirm_orphan(annotation=flagged, actor=moderator, reason="The figure is gone.")
    a = fresh(a)
    assert (a.anchor_state, a.anchor_reviewed_by) == (State.ORPHANED, moderator)
    assert ModerationLog.objects.filter(annotation=a).latest("pk").action == Action.ORPHAN_CONFIRMED


def test_reattach_refuses_a_quote_not_in_the_paragraph(flagged, moderator):
    with pytest.raises(ValidationError) as exc:
        anchor_review.reattach_annotation(
            annotation=flagged, actor=moderator, block_key=flagged.block.key, quote="not in it"
        )
    assert "quote" in exc.value.message_dict
    assert fresh(flagged).anchor_state == State.NEEDS_REANCHORING


def test_reattach_refuses_a_removed_paragraph(flagged, moderator):
    removed = Block.objects.create(
        article=flagged.article, key="gone", position=None, text="Gone.", removed_at=flagged.created_at
    )
    with pytest.raises(ValidationError):
        anchor_review.reattach_annotation(annotation=flagged, actor=moderator, block_key=removed.key, quote="Gone")


def test_a_stale_decision_is_refused(flagged, moderator):
    anchor_review.confirm_orphan(annotation=flagged, actor=moderator)
    with pytest.raises(StaleDecision):
        anchor_review.reattach_annotation(
            annotation=flagged, actor=moderator, block_key=flagged.block.key, expected_state=State.NEEDS_REANCHORING
        )


def test_an_anchored_annotation_cannot_be_confirmed_orphan(sample, moderator):
    a = annotate(sample, GROWN, "more than 300 million")
    with pytest.raises(ModerationError):
        anchor_review.confirm_orphan(annotation=a, actor=moderator)


@pytest.mark.parametrize("who", ["author", "editor_without_groups"])
def test_only_moderators_decide(flagged, who, author, make_user):
    user = author if who == "author" else make_user("staffer", staff=True)
    with pytest.raises(PermissionDenied):
        anchor_review.confirm_orphan(annotation=flagged, actor=user)
    assert fresh(flagged).anchor_state == State.NEEDS_REANCHORING


# ---------------------------------------------------------------- readers


def test_orphans_and_flagged_are_listed_for_readers_not_beside_paragraphs(
    sample, editor, django_assert_max_num_queries
):
    deleted = annotate(sample, DELETED, "The road is not easy")
    reworded = annotate(sample, GROWN, GROWN.rstrip("."))
    kept = annotate(sample, GROWN, "Most importantly")
    private_orphan = annotate(sample, DELETED, "It won't be easy", visibility="private", author=editor)
    target = sample.blocks.get(text__contains=GROWN)
    revise_blocks(
        article=sample,
        edits=edits_of(
            sample,
            **{sample.blocks.get(text=DELETED).key: None, target.key: target.text.replace(GROWN, GROWN_REWORDED)},
        ),
        actor=editor,
    )

    # the article page's selector: blocks, annotations with their revision, authors, tags, evidence
    with django_assert_max_num_queries(5):
        listed = earlier_wording(sample, None)
    assert [a.pk for a in listed] == [deleted.pk, reworded.pk]
    assert [a.pk for a in earlier_wording(sample, editor)] == [
        deleted.pk,
        reworded.pk,
        private_orphan.pk,
    ]
    beside = {a.pk for view in article_annotations(article=sample, user=None)[0] for a in view.annotations}
    assert kept.pk in beside and deleted.pk not in beside


def test_an_annotation_needing_reanchoring_is_not_shown_beside_its_paragraph(flagged):
    beside = {a.pk for view in article_annotations(article=flagged.article, user=None)[0] for a in view.annotations}
    assert flagged.pk not in beside


def test_earlier_wording_partial(sample, editor):
    a = annotate(sample, DELETED, "The road is not easy")
    whole = annotate(sample, DELETED)
    revise_blocks(article=sample, edits=edits_of(sample, **{sample.blocks.get(text=DELETED).key: None}), actor=editor)

    html = render_to_string(
        "annotations/_earlier_wording.html",
        {"earlier": earlier_wording(sample, None), "article": sample},
    )

    assert 'id="earlier-wording"' in html and "Notes on earlier wording" in html
    assert f'id="a-{a.pk}"' in html and f'id="a-{whole.pk}"' in html
    assert "The paragraph it refers to was removed" in html
    assert "The road is not easy" in html
    assert DELETED.replace("'", "&#x27;") in html  # the whole-paragraph note shows the old paragraph
    assert "This refers to an earlier wording" in html
    assert render_to_string("annotations/_earlier_wording.html", {"earlier": []}).strip() == ""


def test_annotation_partial_says_when_it_refers_to_an_earlier_wording(sample, editor):
    a = annotate(sample, EDITED_OLD, "they didn't think we had a chance")
    revise_blocks(
        article=sample, edits=edits_of(sample, **{sample.blocks.get(text=EDITED_OLD).key: EDITED_NEW}), actor=editor
    )
    a = fresh(a)
    from django.contrib.auth.models import AnonymousUser

    from annotations.cards import render_card

    html = render_card(a, user=AnonymousUser())
    assert "This refers to an earlier wording: “<bdi>they didn&#x27;t think we had a chance</bdi>”" in html
    assert "<mark>they did not think we had a chance</mark>" in html


def test_revisions_note_partial_escapes_and_dates(article, editor):
    revise_blocks(
        article=article, edits=edits_of(article, k001="New."), actor=editor, note="<script>alert(1)</script> fixed"
    )
    revise_blocks(article=article, edits=edits_of(article, k002=None), actor=editor)

    html = render_to_string("articles/_revisions_note.html", {"revisions": revision_notes(article=article)})

    assert "Corrections and revisions" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fixed" in html and "<script>" not in html
    assert "Paragraphs: 1 removed." in html
    assert html.index('id="revision-3"') < html.index('id="revision-2"')
    assert 'id="revision-1"' not in html
    assert html.count("<time") == 2


# ---------------------------------------------------------------- admin


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


def test_revision_admin_shows_the_diff_and_the_counts(sample, editor, moderator_client):
    annotate(sample, DELETED)
    key = sample.blocks.get(text=EDITED_OLD).key
    revision = revise_blocks(
        article=sample,
        edits=edits_of(sample, **{key: EDITED_NEW + " <b>bold</b>", sample.blocks.get(text=DELETED).key: None}),
        actor=editor,
    ).revision

    changelist = moderator_client.get("/admin/articles/articlerevision/")
    page = moderator_client.get(f"/admin/articles/articlerevision/{revision.pk}/change/")

    assert changelist.status_code == 200 and "need re-anchoring" not in changelist.content.decode()
    html = page.content.decode()
    assert page.status_code == 200
    assert "At that time,<ins> very</ins> few people" in html
    assert "<del>didn&#x27;t</del><ins>did not</ins>" in html
    assert "<ins> &lt;b&gt;bold&lt;/b&gt;</ins>" in html and "<b>bold</b>" not in html
    assert "0 kept, 0 moved, 0 need re-anchoring, 1 orphaned" in html
    assert 'id="outcome-' in html
    assert moderator_client.post(f"/admin/articles/articlerevision/{revision.pk}/change/", {}).status_code == 403


def test_revision_admin_is_for_staff_only(sample, client, author):
    client.force_login(author)
    assert client.get("/admin/articles/articlerevision/").status_code == 302


def test_article_admin_records_who_and_the_note_and_reports_the_counts(client, editor, article):
    client.force_login(editor)
    annotate(article, "Paragraph 2", "Paragraph 2 text")
    data = change_form_data(client.get(change_url(article)))
    data[block_field(data, article.blocks.get(key="k002"), "text")] = "Something entirely different now."
    data["revision_note"] = "Replaced the second paragraph."

    response = client.post(change_url(article), data, follow=True)

    revision = article.revisions.latest()
    assert (revision.source, revision.created_by, revision.note) == ("admin", editor, "Replaced the second paragraph.")
    messages = [str(m) for m in response.context["messages"]]
    assert any("Revision 2</a> recorded" in m and "1 need re-anchoring" in m for m in messages)
    page = client.get(change_url(article)).content.decode()
    assert "Revision 2" in page and "1 need re-anchoring" in page


def test_reanchor_page_and_reattach(flagged, moderator_client):
    url = f"/admin/annotations/annotation/{flagged.pk}/reanchor/"
    page = moderator_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Needs re-anchoring" in html and GROWN.rstrip(".") in html  # its words as first written
    assert "Best matches in the current text" in html and "Use this" in html
    suggestion = page.context["suggestions"][0]["match"]
    assert suggestion.key == flagged.block.key
    # where it was: the paragraph's earlier text (from the revision), its quote marked
    assert page.context["was"]["quote_stands"]
    assert f"<mark>{GROWN.rstrip('.')}</mark>" in html

    response = moderator_client.post(
        url,
        {
            "block": flagged.block.key,
            "quote": "weekly users of ChatGPT had tripled",
            "reason": "",
            "expected_state": State.NEEDS_REANCHORING,
            "reattach": "Re-attach",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/annotations/annotation/{flagged.pk}/change/"
    a = fresh(flagged)
    assert (a.anchor_state, a.quote) == (State.ANCHORED, "weekly users of ChatGPT had tripled")
    assert ModerationLog.objects.filter(annotation=a, action=Action.REATTACHED).exists()


def test_reanchor_page_for_a_whole_paragraph_orphan(sample, editor, moderator_client):
    orphan = annotate(sample, DELETED)
    revise_blocks(article=sample, edits=edits_of(sample, **{orphan.block.key: None}), actor=editor)

    page = moderator_client.get(f"/admin/annotations/annotation/{orphan.pk}/reanchor/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "(removed from the text)" in html and DELETED.replace("'", "&#x27;") in html
    assert "This annotation is about a whole paragraph." in html
    assert "Confirm as orphaned" in html
    assert page.context["form"].initial["block"] == ""  # nothing suggested: the moderator chooses


def test_reanchor_with_a_suggestion_uses_its_offsets(sample, editor, moderator_client):
    """The phrase occurs twice in the paragraph: the suggestion's offsets say which one."""
    target = sample.blocks.get(text__contains="tipping point")
    a = annotate(sample, target, "that tipping point")
    revise_blocks(article=sample, edits=edits_of(sample, **{target.key: None}), actor=editor)
    twice = sample.blocks.current().filter(kind="paragraph")[3]
    revise_blocks(
        article=sample,
        edits=edits_of(sample, **{twice.key: twice.text + " It was that tipping point. Then came that tipping point."}),
        actor=editor,
    )
    text = Block.objects.get(pk=twice.pk).text
    second = text.rindex("that tipping point")

    response = moderator_client.post(
        f"/admin/annotations/annotation/{a.pk}/reanchor/",
        {
            "block": twice.key,
            "quote": "that tipping point",
            "start": second,
            "end": second + 18,
            "expected_state": State.ORPHANED,
            "reattach": "1",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    assert (fresh(a).block_id, fresh(a).quote_start) == (twice.pk, second)


def test_reanchor_page_bad_quote_shows_the_error(flagged, moderator_client):
    response = moderator_client.post(
        f"/admin/annotations/annotation/{flagged.pk}/reanchor/",
        {
            "block": flagged.block.key,
            "quote": "words nowhere",
            "expected_state": State.NEEDS_REANCHORING,
            "reattach": "1",
        },
    )
    assert response.status_code == 200
    assert "does not occur in this paragraph" in response.content.decode()
    assert fresh(flagged).anchor_state == State.NEEDS_REANCHORING


def test_reanchor_page_confirm_orphan_and_stale(flagged, moderator_client):
    url = f"/admin/annotations/annotation/{flagged.pk}/reanchor/"
    response = moderator_client.post(url, {"expected_state": State.NEEDS_REANCHORING, "orphan": "1"})
    assert response.status_code == 302
    assert fresh(flagged).anchor_state == State.ORPHANED

    again = moderator_client.post(url, {"expected_state": State.NEEDS_REANCHORING, "orphan": "1"}, follow=True)
    assert "your decision was not applied" in again.content.decode()
    assert ModerationLog.objects.filter(annotation=flagged, action=Action.ORPHAN_CONFIRMED).count() == 1


def test_reanchor_page_refuses_non_moderators(flagged, client, make_user, author):
    client.force_login(make_user("staffer", staff=True))
    assert client.get(f"/admin/annotations/annotation/{flagged.pk}/reanchor/").status_code == 403
    client.force_login(author)
    assert client.get(f"/admin/annotations/annotation/{flagged.pk}/reanchor/").status_code == 302  # to the admin login
    assert client.get("/admin/annotations/annotation/999999/reanchor/").status_code == 302


def test_anchor_state_filter(flagged, sample, moderator):
    kept = annotate(sample, EDITED_OLD, "few people")
    request = RequestFactory().get("/")
    request.user = moderator

    def pks(value):
        f = AnchorStateFilter(request, {"anchoring": [value]}, Annotation, site._registry[Annotation])
        return set(f.queryset(request, Annotation.objects.all()).values_list("pk", flat=True))

    assert pks("attention") == {flagged.pk}
    assert pks(State.NEEDS_REANCHORING) == {flagged.pk}
    assert pks("text_changed") == {flagged.pk}
    assert kept.pk not in pks("attention")
    anchor_review.confirm_orphan(annotation=flagged, actor=moderator)
    assert pks(State.ORPHANED) == {flagged.pk}
    assert pks("attention") == set()  # reviewed


# ---------------------------------------------------------------- done when


def test_editing_the_sample_in_the_admin_leaves_every_annotation_placed_or_visibly_flagged(
    sample, editor, moderator, client
):
    """Reword a fact-checked sentence, insert a paragraph above it, delete another: nothing is lost."""
    grown = sample.blocks.get(text__contains=GROWN)
    deleted = sample.blocks.get(text=DELETED)
    fact_check = annotate(sample, grown, GROWN.rstrip("."), kind="fact_check")
    same_paragraph = annotate(sample, grown, FOCUS, kind="fact_check")
    whole = annotate(sample, grown)
    on_deleted = annotate(sample, deleted, "no obvious right choice")
    elsewhere = annotate(sample, EDITED_OLD, "few people paid attention")
    client.force_login(editor)
    data = change_form_data(client.get(change_url(sample)))
    total = int(data["blocks-TOTAL_FORMS"])
    data[block_field(data, grown, "text")] = grown.text.replace(GROWN, GROWN_REWORDED)
    data[block_field(data, deleted, "DELETE")] = "on"
    data["blocks-TOTAL_FORMS"] = str(total + 1)
    data.update(
        {
            f"blocks-{total}-position": str(grown.position),
            f"blocks-{total}-kind": "paragraph",
            f"blocks-{total}-text": INSERTED,
        }
    )
    data["revision_note"] = "Corrected the user figures; removed a repeated sentence."

    response = client.post(change_url(sample), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    revision = sample.revisions.latest()
    assert (revision.number, revision.created_by) == (2, editor)
    assert (revision.blocks_added, revision.blocks_edited, revision.blocks_removed) == (1, 1, 1)
    assert Annotation.objects.count() == 5
    assert fresh(fact_check).anchor_state == State.NEEDS_REANCHORING
    assert fresh(same_paragraph).anchor_state == State.ANCHORED  # words unchanged, same offsets
    # a whole-paragraph note does not follow a paragraph whose figures and names changed (issue 13)
    assert (fresh(whole).anchor_state, fresh(whole).text_changed) == (State.NEEDS_REANCHORING, True)
    assert fresh(on_deleted).anchor_state == State.ORPHANED
    assert fresh(elsewhere).anchor_state == State.ANCHORED
    assert (
        revision.annotations_kept,
        revision.annotations_moved,
        revision.annotations_flagged,
        revision.annotations_orphaned,
    ) == (2, 0, 2, 1)
    assert_consistent(sample)
    assert sample.blocks.current().get(text=INSERTED).position == Block.objects.get(pk=grown.pk).position - 1
    # the history of what happened, and the numbers, in the admin
    page = client.get(f"/admin/articles/articlerevision/{revision.pk}/change/").content.decode()
    assert "2 kept, 0 moved, 2 need re-anchoring, 1 orphaned" in page
    assert "Corrected the user figures" in page
    assert {a for a in ModerationLog.objects.values_list("annotation_id", "action")} == {
        (fact_check.pk, Action.NEEDS_REANCHOR),
        (whole.pk, Action.NEEDS_REANCHOR),
        (on_deleted.pk, Action.ORPHANED),
    }
    # readers: the orphan and the flagged fact-check under "notes on earlier wording"
    assert {a.pk for a in earlier_wording(sample, None)} == {fact_check.pk, whole.pk, on_deleted.pk}
    # a moderator re-attaches the fact-check
    client.force_login(moderator)
    client.post(
        f"/admin/annotations/annotation/{fact_check.pk}/reanchor/",
        {
            "block": grown.key,
            "quote": "weekly users of ChatGPT had tripled, to over 300 million",
            "expected_state": State.NEEDS_REANCHORING,
            "reattach": "1",
        },
    )
    assert fresh(fact_check).anchor_state == State.ANCHORED
    assert_consistent(sample)
    # saving the unchanged form afterwards records nothing
    client.force_login(editor)
    client.post(change_url(sample), change_form_data(client.get(change_url(sample))))
    assert sample.revisions.count() == 2


# ---------------------------------------------------------------- properties under random admin edits


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo".split()


@override_settings(ANNOTATIONS_REANCHOR_MIN_SCORE=85)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), rounds=st.integers(min_value=1, max_value=4))
def test_random_admin_edits_never_lose_or_misplace_an_annotation(make_article, editor, seed, rounds):
    rng = random.Random(seed)
    with transaction.atomic():
        article = make_article(paragraphs=0)
        for i in range(rng.randint(2, 5)):
            text = " ".join(rng.choice(WORDS) + str(rng.randint(0, 99)) for _ in range(rng.randint(6, 16))) + "."
            Block.objects.create(article=article, key=f"b{i}", position=i + 1, text=text)
        for block in article.blocks.current():
            tokens = block.text.rstrip(".").split()
            j = rng.randrange(len(tokens) - 1)
            annotate(article, block, " ".join(tokens[j : j + rng.randint(2, 3)]) if rng.random() < 0.8 else "")
        ids = set(Annotation.objects.filter(article=article).values_list("pk", flat=True))

        for _ in range(rounds):
            before = {a.pk: (a.anchor_state, a.quote) for a in Annotation.objects.filter(article=article)}
            edits = [BlockEdit(kind=b.kind, text=b.text, order=b.position, block=b) for b in article.blocks.current()]
            for edit in rng.sample(edits, k=rng.randint(1, len(edits))):
                what = rng.choice(["typo", "insert", "delete_words", "reword", "remove", "move"])
                words = edit.text.rstrip(".").split()
                if what == "typo":
                    j = rng.randrange(len(words))
                    words[j] = words[j][:-1] + rng.choice("xyz")
                elif what == "insert":
                    words.insert(rng.randint(0, len(words)), rng.choice(WORDS))
                elif what == "delete_words" and len(words) > 3:
                    del words[rng.randrange(len(words))]
                elif what == "reword":
                    words = [rng.choice(WORDS) + "zz" for _ in words]
                elif what == "remove" and len([e for e in edits if not e.remove]) > 1:
                    edit.remove = True
                elif what == "move":
                    edit.order = rng.randint(0, len(edits) + 1)
                edit.text = " ".join(words) + "."
            if rng.random() < 0.3:
                edits.append(
                    BlockEdit(
                        kind="paragraph",
                        text=" ".join(rng.sample(WORDS, 6)) + ".",
                        order=rng.randint(0, len(edits) + 1),
                    )
                )

            revision = revise_blocks(article=article, edits=edits, actor=editor).revision

            # no annotation is ever deleted by a revision
            assert set(Annotation.objects.filter(article=article).values_list("pk", flat=True)) == ids
            # every anchored quote equals the paragraph text at its offsets
            assert_consistent(article)
            for a in Annotation.objects.filter(article=article):
                state, quote = before[a.pk]
                # every low-confidence case is flagged rather than moved
                if a.anchor_state == State.MOVED and a.quote != quote and state in (State.ANCHORED, State.MOVED):
                    assert fuzz.ratio(quote, a.quote) >= 85
                    assert a.anchor_score >= 85
                # once detached, only a moderator or the text coming back places it again
                if state in (State.NEEDS_REANCHORING, State.ORPHANED) and a.anchor_state in (
                    State.ANCHORED,
                    State.MOVED,
                ):
                    assert a.anchored_revision == revision
            if revision is not None:
                for row in revision.outcomes:
                    if row["outcome"] == "moved" and row["method"] == "fuzzy":
                        assert row["score"] >= 85
        transaction.set_rollback(True)


# ---------------------------------------------------------------- the policy through the service (issue 13)


def test_a_typography_only_change_keeps_a_fact_check_without_an_earlier_wording_note(sample, editor):
    from django.contrib.auth.models import AnonymousUser

    from annotations.cards import render_card

    target = sample.blocks.get(text__contains="It won't be easy")
    a = annotate(sample, target, "It won't be easy", kind="fact_check")
    revise_blocks(
        article=sample,
        edits=edits_of(sample, **{target.key: "Honestly, " + target.text.replace("won't", "won\u2019t")}),
        actor=editor,
    )
    a = fresh(a)
    assert (a.anchor_state, a.quote, a.text_changed) == (State.MOVED, "It won\u2019t be easy", False)
    assert a.original_quote == "It won't be easy"
    assert "earlier wording" not in render_card(a, user=AnonymousUser())


def test_a_fact_check_on_changed_words_is_flagged_and_says_so_to_readers(sample, editor):
    from django.contrib.auth.models import AnonymousUser

    from annotations.cards import render_card

    target = sample.blocks.get(text__contains=GROWN)
    a = annotate(sample, target, "more than 300 million", kind="fact_check")
    revise_blocks(
        article=sample,
        edits=edits_of(sample, **{target.key: target.text.replace("300 million", "30 million")}),
        actor=editor,
    )
    a = fresh(a)
    assert (a.anchor_state, a.quote, a.text_changed) == (State.NEEDS_REANCHORING, "more than 300 million", True)
    log = ModerationLog.objects.get(annotation=a)
    assert log.action == Action.NEEDS_REANCHOR
    assert "best candidate p-" in log.reason and "“more than 30 million”" in log.reason
    assert "a number changed (“300” → “30”)" in log.reason
    card = render_card(a, user=AnonymousUser())
    assert "The text this fact-check refers to has changed since it was checked." in card
    assert "It checked: “<bdi>more than 300 million</bdi>”" in card
    html = render_to_string("annotations/_earlier_wording.html", {"earlier": earlier_wording(sample, None)})
    assert f'id="a-{a.pk}"' in html and "a moderator will re-check it" in html


def test_a_whole_paragraph_note_does_not_follow_an_unrelated_replacement_heading(sample, editor):
    heading = sample.blocks.get(text="reflection")
    note = annotate(sample, heading)
    revise_blocks(article=sample, edits=edits_of(sample, **{heading.key: "collection days"}), actor=editor)
    note = fresh(note)
    assert note.anchor_state == State.NEEDS_REANCHORING
    assert "not recognisably the same paragraph" in ModerationLog.objects.get(annotation=note).reason
    html = render_to_string("annotations/_earlier_wording.html", {"earlier": earlier_wording(sample, None)})
    assert "was rewritten" in html and "collection days" not in html  # never the new text as the earlier wording


def test_drift_over_small_edits_is_measured_against_the_authors_words(sample, editor):
    """Three small edits, each close to the last, walk a quote away from what was annotated: flagged."""
    target = sample.blocks.get(text__contains=EDITED_OLD[:40])
    quote = "mainly because they didn't think we had a chance to succeed"
    a = annotate(sample, target, quote)
    steps = [
        "mainly because they did not think we had a chance to succeed",
        "mostly because they did not think we had a chance at success",
        "mostly since they did not believe we had a shot at success",
    ]
    states = []
    for step in steps:
        text = Block.objects.get(pk=target.pk).text
        current = fresh(a).quote if fresh(a).anchor_state in (State.ANCHORED, State.MOVED) else None
        assert current is not None
        revise_blocks(article=sample, edits=edits_of(sample, **{target.key: text.replace(current, step)}), actor=editor)
        states.append(fresh(a).anchor_state)
        if states[-1] == State.NEEDS_REANCHORING:
            break
    assert states[0] == State.MOVED
    assert states[-1] == State.NEEDS_REANCHORING
    assert fresh(a).original_quote == quote
