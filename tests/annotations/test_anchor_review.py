"""Moderators decide on annotations a revision sent to review (issue 13): the queue shows the words before and
after with their diff; one click confirms still valid (readers see "re-checked on") or detaches; all logged."""

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, ModerationLog
from annotations.services import EvidenceInput, QuoteInput, anchor_review, moderation
from articles.models import Block
from articles.services import BlockEdit, revise_blocks

QUEUE = reverse("admin:annotations_annotation_queue")
DECIDE = reverse("admin:annotations_annotation_anchor_decide")
State = Annotation.AnchorState
BEFORE = "Unemployment fell to 4.1 percent in March, the lowest level in a decade."
AFTER = "Unemployment fell to 4.3 percent in March, the lowest level in a decade."


@pytest.fixture
def flagged(make_article, author, moderator):
    """An approved fact-check on "4.1 percent"; the desk corrects the figure to 4.3: the fact-check needs review."""
    article = make_article(paragraphs=0)
    block = Block.objects.create(article=article, key="jobs", position=1, text=BEFORE)
    Block.objects.create(article=article, key="other", position=2, text="The city council met on Monday.")
    check = services.create_annotation(
        author=author,
        article=article,
        block_key="jobs",
        kind="fact_check",
        quote=QuoteInput("4.1 percent"),
        body="The bureau's own release says 4.3 percent.",
        verdict="false",
        evidence=[EvidenceInput(url="https://example.org/release", title="Bureau release")],
    )
    moderation.approve(annotation=check, actor=moderator)
    revise_blocks(article=article, edits=[BlockEdit(kind="paragraph", text=AFTER, order=1, block=block)])
    check.refresh_from_db()
    assert check.anchor_state == State.NEEDS_REANCHORING
    return check


def decide(client, annotation, **fields):
    data = {"annotation": annotation.pk, "expected_state": annotation.anchor_state, "next": QUEUE, **fields}
    return client.post(DECIDE, data)


def test_the_queue_shows_the_words_before_and_after_with_their_diff(client, moderator, flagged):
    client.force_login(moderator)
    page = client.get(QUEUE).content.decode()
    section = page.split('class="anchor-review"', 1)[1].split("</section>", 1)[0]
    assert "The text changed under 1 annotation" in page
    assert f'id="r-{flagged.pk}"' in section
    assert "<q>4.1 percent</q>" in section and "<q>4.3 percent</q>" in section
    assert "4.<del>1</del><ins>3</ins> percent" in section
    assert 'value="confirm"' in section and 'value="detach"' in section
    assert reverse("admin:annotations_annotation_reanchor", args=[flagged.pk]) in section


def test_confirm_still_valid_places_it_on_the_new_words_and_readers_see_the_recheck(client, moderator, flagged):
    client.force_login(moderator)
    item = client.get(QUEUE).context["review_items"][0]
    response = decide(
        client,
        flagged,
        decision="confirm",
        block=item.candidate.key,
        start=item.candidate.start,
        end=item.candidate.end,
        words=item.after,
        reason="The verdict is about the 4.1 figure the copy printed; still false.",
    )
    assert response.status_code == 302
    a = Annotation.objects.get(pk=flagged.pk)
    assert a.anchor_state == State.ANCHORED
    assert (a.quote, a.original_quote) == ("4.3 percent", "4.1 percent")
    assert a.anchor_reviewed_by == moderator and a.anchor_reviewed_at is not None
    log = ModerationLog.objects.filter(annotation=a).order_by("-pk").first()
    assert log.action == ModerationLog.Action.ANCHOR_CONFIRMED and log.actor == moderator
    assert "“4.1 percent”" in log.reason and "still false" in log.reason
    assert not Annotation.objects.needs_anchor_review().exists()

    client.logout()
    page = client.get(a.article.get_absolute_url()).content.decode()
    card = page.split(f'id="a-{a.pk}"', 1)[1]
    assert "Re-checked on <time" in card.split("</article>", 1)[0]


def test_a_stale_confirmation_changes_nothing(client, moderator, flagged):
    client.force_login(moderator)
    item = client.get(QUEUE).context["review_items"][0]
    # the words shown are no longer there (the text changed again)
    response = decide(
        client, flagged, decision="confirm", block=item.candidate.key, start=0, end=5, words="4.3 percent"
    )
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("changed again since you looked" in m for m in messages)
    # another moderator decided first
    anchor_review.confirm_orphan(annotation=flagged, actor=moderator)
    response = decide(
        client,
        flagged,
        decision="confirm",
        block=item.candidate.key,
        start=item.candidate.start,
        end=item.candidate.end,
        words=item.after,
    )
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("your decision was not applied" in m for m in messages)
    assert Annotation.objects.get(pk=flagged.pk).anchor_state == State.ORPHANED


def test_detach_keeps_it_under_earlier_wording(client, moderator, flagged):
    client.force_login(moderator)
    decide(client, flagged, decision="detach")
    a = Annotation.objects.get(pk=flagged.pk)
    assert a.anchor_state == State.ORPHANED and a.anchor_reviewed_by == moderator
    assert ModerationLog.objects.filter(annotation=a, action=ModerationLog.Action.ORPHAN_CONFIRMED).exists()
    assert client.get(QUEUE).context["review_items"] == []


def test_a_whole_paragraph_note_is_confirmed_on_its_paragraph(client, make_article, author, moderator):
    article = make_article(paragraphs=0)
    block = Block.objects.create(article=article, key="p1", position=1, text=BEFORE)
    note = services.create_annotation(author=author, article=article, block_key="p1", kind="note", body="Source?")
    moderation.approve(annotation=note, actor=moderator)
    rewritten = "Jobless claims rose for a third week as factories in the north cut shifts."
    revise_blocks(article=article, edits=[BlockEdit(kind="paragraph", text=rewritten, order=1, block=block)])
    note.refresh_from_db()
    assert note.anchor_state == State.NEEDS_REANCHORING  # not recognisably the same paragraph
    client.force_login(moderator)
    item = client.get(QUEUE).context["review_items"][0]
    assert item.whole_paragraph and (item.before, item.after) == (BEFORE, rewritten)
    decide(client, note, decision="confirm", block="p1", words=rewritten)
    note.refresh_from_db()
    assert note.anchor_state == State.ANCHORED and note.quote == "" and note.anchor_reviewed_by == moderator


@pytest.mark.parametrize(
    "data, message",
    [
        ({"annotation": "abc", "decision": "detach"}, "That annotation no longer exists."),
        ({"annotation": "999999", "decision": "detach"}, "That annotation no longer exists."),
        ({"decision": "approve"}, "Choose “confirm still valid” or “detach”."),
        ({"decision": "confirm", "block": "nope", "start": "0", "end": "3"}, "current text"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, moderator, flagged, data, message):
    client.force_login(moderator)
    payload = {"annotation": flagged.pk, "expected_state": flagged.anchor_state, "next": QUEUE, **data}
    response = client.post(DECIDE, payload)
    assert response.status_code == 302
    assert any(message in str(m) for m in response.wsgi_request._messages)
    assert Annotation.objects.get(pk=flagged.pk).anchor_state == State.NEEDS_REANCHORING


def test_only_moderators_decide_and_only_by_post(client, make_user, author, moderator, flagged):
    assert client.post(DECIDE, {"annotation": flagged.pk, "decision": "detach"}).status_code == 302  # to log in
    client.force_login(author)
    assert client.post(DECIDE, {"annotation": flagged.pk, "decision": "detach"}).status_code == 302  # not staff
    client.force_login(make_user("intern", staff=True))
    assert client.post(DECIDE, {"annotation": flagged.pk, "decision": "detach"}).status_code == 403
    client.force_login(moderator)
    assert client.get(DECIDE).status_code == 405
    assert Annotation.objects.get(pk=flagged.pk).anchor_state == State.NEEDS_REANCHORING
