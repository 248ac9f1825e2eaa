"""Replies (issue #15): the services (create through the annotations' path, depth, refusals, edit, delete with a
placeholder), the readers' rule for threads, and re-anchoring leaving replies with their annotation."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.deletion import RestrictedError

from annotations import services
from annotations.caching import article_version
from annotations.models import MAX_REPLY_DEPTH, Annotation, ModerationLog, Tag
from annotations.services import moderation
from annotations.services.replies import depth

pytestmark = pytest.mark.django_db

Status = Annotation.Status


@pytest.fixture
def trusted(make_user):
    return make_user("trusted", groups=["annotators", "trusted annotators"])


@pytest.fixture
def fact_check(article, make_annotation, make_user):
    return make_annotation(
        article=article, author=make_user("checker", groups=["annotators"]), kind="fact_check", quote=""
    )


def reply(author, parent, body="I disagree.", **kwargs):
    return services.create_reply(author=author, parent=parent, body=body, **kwargs)


# ---------------------------------------------------------------- create


def test_reply_goes_through_the_create_path(author, fact_check, django_capture_on_commit_callbacks):
    before = article_version(fact_check.article_id)
    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(author, fact_check, body="Is *that* so? <script>alert(1)</script>", tags="budget, Doubt")
    answer.refresh_from_db()
    assert answer.parent_id == fact_check.pk
    assert (answer.article_id, answer.block_id) == (fact_check.article_id, fact_check.block_id)
    assert answer.kind == Annotation.Kind.NOTE and answer.verdict == "" and answer.quote == ""
    assert answer.visibility == Annotation.Visibility.PUBLIC
    # an ordinary annotator's note waits for a moderator (the policy of notes)
    assert answer.status == Status.PENDING
    # the same Markdown subset and sanitising
    assert "<em>that</em>" in answer.body_html and "<script" not in answer.body_html
    assert sorted(t.name for t in answer.tags.all()) == ["budget", "doubt"]
    # logged and the article's pages invalidated
    assert ModerationLog.objects.filter(annotation=answer, action="create").exists()
    assert article_version(fact_check.article_id) != before


def test_trusted_users_reply_at_once(trusted, fact_check):
    assert reply(trusted, fact_check).status == Status.APPROVED


def test_moderators_approve_a_reply_like_any_note(author, moderator, fact_check):
    answer = reply(author, fact_check)
    approved = moderation.approve(annotation=answer, actor=moderator)
    assert approved.status == Status.APPROVED
    assert ModerationLog.objects.filter(annotation=answer, action="approve").exists()


def test_reply_size_limit_and_empty_body(author, fact_check):
    with pytest.raises(ValidationError) as err:
        reply(author, fact_check, body="x" * 5001)
    assert "body" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        reply(author, fact_check, body="   ")
    assert "body" in err.value.message_dict
    assert not Annotation.objects.filter(parent=fact_check).exists()


def test_anonymous_cannot_reply(fact_check):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        reply(AnonymousUser(), fact_check)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"status": Status.PENDING}, id="pending"),
        pytest.param({"status": Status.REJECTED}, id="rejected"),
        pytest.param({"status": Status.HIDDEN}, id="hidden"),
        pytest.param({"visibility": "private"}, id="private"),
    ],
)
def test_no_reply_to_an_annotation_readers_cannot_see(author, fact_check, change):
    Annotation.objects.filter(pk=fact_check.pk).update(**change)
    with pytest.raises(ValidationError) as err:
        reply(author, fact_check)
    assert err.value.message_dict == {"parent": ["You can only reply to a published annotation."]}
    assert not Annotation.objects.filter(parent=fact_check).exists()


def test_no_reply_to_a_missing_or_deleted_annotation_or_on_a_draft(author, trusted, fact_check, article):
    with pytest.raises(ValidationError):
        reply(author, 987654)
    answer = reply(trusted, fact_check)
    services.delete_annotation(actor=fact_check.author, annotation=fact_check)  # a placeholder now
    with pytest.raises(ValidationError):
        reply(author, fact_check.pk)
    assert reply(author, answer).parent_id == answer.pk  # its answers may still be answered
    article.status = "draft"
    article.save()
    with pytest.raises(ValidationError):
        reply(author, answer.pk)


def test_no_reply_inside_a_hidden_thread(author, trusted, moderator, fact_check):
    answer = reply(trusted, fact_check)
    moderation.hide(annotation=fact_check, actor=moderator, reason="Off topic.")
    with pytest.raises(ValidationError):
        reply(author, answer)


def test_depth_limit_attaches_to_the_deepest_allowed_level(trusted, fact_check):
    node = fact_check
    chain = []
    for _ in range(MAX_REPLY_DEPTH):
        node = reply(trusted, node)
        chain.append(node)
    deepest = chain[-1]
    assert depth(Annotation.objects.select_related("parent__parent__parent").get(pk=deepest.pk)) == MAX_REPLY_DEPTH
    beyond = reply(trusted, deepest, body="One more.")
    # beside the deepest reply, under its parent: never deeper than the limit
    assert beyond.parent_id == chain[-2].pk
    assert depth(Annotation.objects.select_related("parent__parent__parent").get(pk=beyond.pk)) == MAX_REPLY_DEPTH


def test_reply_must_be_a_public_note_without_a_quote(author, trusted, fact_check):
    answer = reply(trusted, fact_check)
    with pytest.raises(ValidationError) as err:
        services.update_annotation(actor=trusted, annotation=answer, body="Now private.", visibility="private")
    assert "visibility" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.create_annotation(
            author=author,
            article=fact_check.article,
            block_key=fact_check.block.key,
            kind="fact_check",
            body="x",
            verdict="false",
            parent=fact_check,
        )
    assert "kind" in err.value.message_dict


def test_reply_on_another_article_is_refused(author, fact_check, make_article):
    other = make_article("Another", slug="another")
    with pytest.raises(ValidationError) as err:
        services.create_annotation(
            author=author, article=other, block_key="k001", kind="note", body="x", parent=fact_check
        )
    assert "parent" in err.value.message_dict


# ---------------------------------------------------------------- edit and delete


def test_author_edits_a_reply_and_it_goes_back_to_review(author, moderator, fact_check):
    answer = moderation.approve(annotation=reply(author, fact_check), actor=moderator)
    edited = services.update_annotation(actor=author, annotation=answer, body="On reflection, **yes**.", tags="x")
    assert edited.status == Status.PENDING and edited.edited_at is not None
    assert "<strong>yes</strong>" in edited.body_html
    with pytest.raises(PermissionDenied):
        services.update_annotation(actor=moderator, annotation=answer, body="Not mine.")


def test_deleting_an_unanswered_reply_removes_it(author, trusted, fact_check):
    answer = reply(author, fact_check)
    with pytest.raises(PermissionDenied):
        services.delete_annotation(actor=trusted, annotation=answer)
    services.delete_annotation(actor=author, annotation=answer)
    assert not Annotation.objects.filter(pk=answer.pk).exists()
    assert Annotation.objects.filter(pk=fact_check.pk).exists()


def test_deleting_an_answered_annotation_keeps_a_placeholder(author, trusted, fact_check):
    fact_check.tags.add(Tag.objects.create(name="budget"))
    answer = reply(trusted, fact_check)
    deeper = reply(author, answer)
    services.delete_annotation(actor=fact_check.author, annotation=fact_check)
    placeholder = Annotation.objects.get(pk=fact_check.pk)
    assert placeholder.deleted_at is not None
    assert (placeholder.body, placeholder.body_html, placeholder.author_id, placeholder.claim) == ("", "", None, "")
    assert placeholder.kind == "note" and placeholder.verdict == "" and not placeholder.tags.exists()
    assert not placeholder.evidence.exists()
    assert set(Annotation.objects.filter(parent__isnull=False).values_list("pk", flat=True)) == {answer.pk, deeper.pk}
    # the placeholder is left out of what readers list; its answers are not
    assert not Annotation.objects.readable().filter(pk=placeholder.pk).exists()
    assert Annotation.objects.readable().filter(pk=answer.pk).exists()
    # the last answers gone, the placeholders above them go too
    services.delete_annotation(actor=author, annotation=deeper)
    services.delete_annotation(actor=trusted, annotation=answer)
    assert not Annotation.objects.filter(pk__in=[fact_check.pk, answer.pk, deeper.pk]).exists()


def test_an_answered_annotation_is_never_deleted_alone(trusted, fact_check):
    reply(trusted, fact_check)
    with pytest.raises(RestrictedError):
        Annotation.objects.filter(pk=fact_check.pk).delete()


# ---------------------------------------------------------------- the readers' rule


@pytest.mark.parametrize("status", [Status.HIDDEN, Status.REJECTED, Status.PENDING])
def test_a_hidden_parent_hides_its_whole_thread(trusted, fact_check, status):
    answer = reply(trusted, fact_check)
    deeper = reply(trusted, answer)
    deepest = reply(trusted, deeper)
    readable = set(Annotation.objects.readable().values_list("pk", flat=True))
    assert {fact_check.pk, answer.pk, deeper.pk, deepest.pk} <= readable
    # a level in the middle hidden: everything under it goes, what is above stays
    Annotation.objects.filter(pk=answer.pk).update(status=status)
    readable = set(Annotation.objects.readable().values_list("pk", flat=True))
    assert fact_check.pk in readable and not {answer.pk, deeper.pk, deepest.pk} & readable
    Annotation.objects.filter(pk=answer.pk).update(status=Status.APPROVED)
    Annotation.objects.filter(pk=fact_check.pk).update(status=status)
    readable = set(Annotation.objects.readable().values_list("pk", flat=True))
    assert not {fact_check.pk, answer.pk, deeper.pk, deepest.pk} & readable


def test_top_level_leaves_replies_out(trusted, fact_check):
    answer = reply(trusted, fact_check)
    assert list(Annotation.objects.top_level().values_list("pk", flat=True)) == [fact_check.pk]
    assert list(Annotation.objects.replies().values_list("pk", flat=True)) == [answer.pk]


# ---------------------------------------------------------------- re-anchoring


def test_replies_follow_their_annotation_through_a_revision(trusted, article, make_annotation, set_text):
    from articles.services import BlockEdit, revise_blocks

    moved = "the harbour bridge reopened after nine months of repairs"
    set_text(article, "k002", f"In other news, {moved}, officials said.")
    set_text(article, "k003", "Traffic was light.")
    note = make_annotation(article=article, block="k002", quote=moved)
    answer = reply(trusted, note)
    deeper = reply(trusted, answer)
    blocks = {b.key: b for b in article.blocks.all()}
    # the paragraph is removed and its words now stand in the next one
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=blocks["k001"].text, order=1, block=blocks["k001"]),
            BlockEdit(kind="paragraph", text="", order=2, block=blocks["k002"], remove=True),
            BlockEdit(
                kind="paragraph", text=f"Traffic was light; {moved}, officials said.", order=3, block=blocks["k003"]
            ),
        ],
    )
    note.refresh_from_db()
    assert note.block.key == "k003"
    for r in (answer, deeper):
        r.refresh_from_db()
        # with their annotation, and never re-anchored themselves
        assert r.block_id == note.block_id and r.anchor_state == Annotation.AnchorState.ANCHORED and r.quote == ""
