"""Replies and mentions tell people (annotations.services.notify.on_published), through the outbox.

E-mail is captured as it really leaves: queued in the transaction, delivered after the commit by the
(eager) job queue into ``mail.outbox``. Never for private, pending, rejected or hidden content; never the
writer themself; each reply and each (annotation, mentioned user) at most once.
"""

from __future__ import annotations

import pytest
from django.core import mail

from annotations.models import Annotation
from annotations.services import annotations as annotation_services
from annotations.services import moderation
from notifications.models import OutgoingEmail

pytestmark = pytest.mark.django_db

Status = Annotation.Status


@pytest.fixture
def trusted(make_user):
    return make_user("trusted", groups=["trusted annotators"])


@pytest.fixture
def ana(make_user):
    return make_user("ana", groups=["annotators"])


def create(author, article, body, **fields):
    return annotation_services.create_annotation(
        author=author, article=article, block_key=article.blocks.first().key, kind="note", body=body, **fields
    )


def sent_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_a_trusted_users_mention_tells_the_mentioned_once(
    django_capture_on_commit_callbacks, article, trusted, ana, settings
):
    settings.SITE_URL = "https://fact.example"
    with django_capture_on_commit_callbacks(execute=True):
        note = create(trusted, article, "Ask @ana about this, and @ana again.")
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    assert "trusted mentioned you" in message.subject
    assert f"https://fact.example{article.get_absolute_url()}#a-{note.pk}" in message.body
    assert "> Ask @ana about this" in message.body
    assert OutgoingEmail.objects.get().key == f"mention:{note.pk}:{ana.pk}"


def test_a_pending_mention_waits_for_the_moderators_approval(
    django_capture_on_commit_callbacks, article, author, ana, moderator
):
    with django_capture_on_commit_callbacks(execute=True):
        note = create(author, article, "Hello @ana")
    assert note.status == Status.PENDING and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=note, actor=moderator)
    assert len(sent_to("ana@example.com")) == 1
    assert len(sent_to(author.email)) == 1  # the author's approval notice, as before


def test_private_content_never_notifies(django_capture_on_commit_callbacks, article, trusted, ana):
    with django_capture_on_commit_callbacks(execute=True):
        create(trusted, article, "Note to self: ask @ana", visibility=Annotation.Visibility.PRIVATE)
    assert mail.outbox == [] and OutgoingEmail.objects.count() == 0


def test_a_rejected_mention_never_notifies(django_capture_on_commit_callbacks, article, author, ana, moderator):
    with django_capture_on_commit_callbacks(execute=True):
        note = create(author, article, "Hello @ana")
        moderation.reject(annotation=note, actor=moderator, reason="Off topic.")
    assert sent_to("ana@example.com") == []


def test_mentioning_oneself_an_unknown_or_inactive_user_tells_no_one(
    django_capture_on_commit_callbacks, article, trusted, make_user
):
    make_user("gone", is_active=False)
    make_user("mute", email="")
    with django_capture_on_commit_callbacks(execute=True):
        create(trusted, article, "@trusted @nobody @gone @mute")
    assert mail.outbox == []


def test_an_edit_tells_only_the_newly_mentioned(django_capture_on_commit_callbacks, article, trusted, ana, make_user):
    make_user("bo")
    with django_capture_on_commit_callbacks(execute=True):
        note = create(trusted, article, "Hello @ana")
    with django_capture_on_commit_callbacks(execute=True):
        annotation_services.update_annotation(actor=trusted, annotation=note, body="Hello @ana and @bo")
    assert [m.to for m in mail.outbox] == [["ana@example.com"], ["bo@example.com"]]


def test_hide_and_unhide_does_not_tell_twice(django_capture_on_commit_callbacks, article, trusted, ana, moderator):
    with django_capture_on_commit_callbacks(execute=True):
        note = create(trusted, article, "Hello @ana")
        moderation.hide(annotation=note, actor=moderator, reason="Checking.")
        moderation.transition(annotation=note, to_status=Status.APPROVED, actor=moderator)
    assert len(sent_to("ana@example.com")) == 1


def reply(parent, author, body, **fields):
    return annotation_services.create_annotation(
        author=author, article=parent.article, block_key=parent.block.key, kind="note", body=body, **fields
    )


@pytest.fixture
def parent_note(make_annotation, article, ana):
    return make_annotation(article=article, author=ana, body="The figure is from 2019.")


def make_reply(make_annotation, parent, author, body="Source?", **fields):
    return make_annotation(article=parent.article, author=author, parent=parent, body=body, **fields)


def test_an_approved_reply_tells_the_parents_author_once(
    django_capture_on_commit_callbacks, make_annotation, parent_note, author, moderator, settings
):
    settings.SITE_URL = "https://fact.example"
    answer = make_reply(make_annotation, parent_note, author, status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=answer, actor=moderator)
    [message] = sent_to("ana@example.com")
    assert "author replied to your note" in message.subject
    assert f"https://fact.example/annotations/{answer.pk}/" in message.body
    assert f"#a-{answer.pk}" in message.body
    assert OutgoingEmail.objects.filter(key=f"reply:{answer.pk}").count() == 1


def test_a_reply_mentioning_the_parents_author_tells_them_once(
    django_capture_on_commit_callbacks, make_annotation, parent_note, author, moderator
):
    answer = make_reply(make_annotation, parent_note, author, body="@ana where from?", status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=answer, actor=moderator)
    assert len(sent_to("ana@example.com")) == 1


@pytest.mark.parametrize(
    "case",
    [
        "own reply",  # the parent's author answers themself
        "inactive",  # the parent's author's account is closed
        "no address",  # nowhere to write to
        "parent hidden",  # the thread is hidden from readers
    ],
)
def test_reply_notices_that_are_not_sent(
    case, django_capture_on_commit_callbacks, make_annotation, parent_note, ana, author, moderator
):
    writer = ana if case == "own reply" else author
    if case == "inactive":
        ana.is_active = False
        ana.save()
    if case == "no address":
        ana.email = ""
        ana.save()
    if case == "parent hidden":
        parent_note.status = Status.HIDDEN
        parent_note.save()
    answer = make_reply(make_annotation, parent_note, writer, status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=answer, actor=moderator)
    assert OutgoingEmail.objects.filter(kind="reply").count() == 0
    assert [m.subject for m in mail.outbox if "replied" in m.subject] == []


def test_a_reply_through_create_reply_tells_the_parents_author_and_the_mentioned(
    django_capture_on_commit_callbacks, parent_note, author, moderator, make_user, settings
):
    settings.SITE_URL = "https://fact.example"
    make_user("cy")
    with django_capture_on_commit_callbacks(execute=True):
        answer = annotation_services.create_reply(author=author, parent=parent_note, body="@cy knows the source.")
    assert answer.status == Status.PENDING and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=answer, actor=moderator)
    [reply_notice] = sent_to("ana@example.com")
    [mention] = sent_to("cy@example.com")
    assert "author replied to your note" in reply_notice.subject
    assert "author mentioned you" in mention.subject and "mentioned you in a reply" in mention.body
    assert f"https://fact.example/annotations/{answer.pk}/" in mention.body
    answer.refresh_from_db()
    assert '<a href="/users/cy/" class="mention"' in answer.body_html


@pytest.mark.parametrize("depth", [1, 3])
def test_a_reply_notice_costs_the_same_queries_at_any_depth(
    depth, make_annotation, parent_note, author, django_assert_num_queries
):
    from annotations.services.notify import on_published

    reply = parent_note
    for level in range(depth):
        reply = make_reply(make_annotation, reply, author if level % 2 == 0 else parent_note.author, body="No names.")
    # the reply with its article, its author and the thread above it with the parent's author (one query); the
    # notice: already e-mailed?, already collected?, the choice, the outbox row (get_or_create: select,
    # savepoint, insert, release)
    with django_assert_num_queries(8):
        on_published(reply)
    assert OutgoingEmail.objects.filter(kind="reply").count() == 1
