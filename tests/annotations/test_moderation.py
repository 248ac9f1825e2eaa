"""The moderation workflow: transitions, reasons, the log, stale decisions, who may decide,
the policy per kind and group, e-mails to authors, reader flags and what authors see."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import services
from annotations.models import Annotation, Flag, ModerationLog
from annotations.selectors.queue import moderation_queue as queue_queryset
from annotations.services import EvidenceInput, moderation
from annotations.services.moderation import ModerationError, StaleDecision

pytestmark = pytest.mark.django_db

PENDING, APPROVED, REJECTED, HIDDEN = "pending", "approved", "rejected", "hidden"
Action = ModerationLog.Action

ALLOWED = "allowed"  # a moderator may make it
AUTHOR_ONLY = "author's edit only"  # RESUBMIT: the author's edit, never a moderator
REFUSED = "refused"  # ModerationError for anyone, nothing changes, nothing logged

# Every (from, to) pair over the four states, with the rule it follows.
TRANSITION_TABLE = [
    (PENDING, PENDING, REFUSED),  # already pending: nothing to decide
    (PENDING, APPROVED, ALLOWED),  # moderator publishes
    (PENDING, REJECTED, ALLOWED),  # moderator turns it down (with a reason)
    (PENDING, HIDDEN, REFUSED),  # only published annotations are hidden; a pending one is rejected
    (APPROVED, PENDING, AUTHOR_ONLY),  # the author's edit sends it back to review; a moderator may not
    (APPROVED, APPROVED, REFUSED),  # already approved
    (APPROVED, REJECTED, REFUSED),  # a published annotation is hidden, not rejected
    (APPROVED, HIDDEN, ALLOWED),  # moderator hides a published annotation (with a reason)
    (REJECTED, PENDING, REFUSED),  # a rejection stands: not back to review
    (REJECTED, APPROVED, REFUSED),  # a rejection stands: not published later
    (REJECTED, REJECTED, REFUSED),  # already rejected
    (REJECTED, HIDDEN, REFUSED),  # it was never public
    (HIDDEN, PENDING, REFUSED),  # hidden stays hidden until a moderator restores it
    (HIDDEN, APPROVED, ALLOWED),  # moderator restores it
    (HIDDEN, REJECTED, REFUSED),  # it was published: it stays hidden, not rejected
    (HIDDEN, HIDDEN, REFUSED),  # already hidden
]


def logs(annotation):
    return list(ModerationLog.objects.filter(annotation_ref=annotation.pk).order_by("pk"))


@pytest.fixture
def trusted(make_user):
    return make_user("trusted", groups=["trusted annotators"])


@pytest.fixture
def moderator2(make_user):
    return make_user("moderator2", staff=True, groups=["moderators"])


@pytest.fixture
def readers(make_user):
    return [make_user(f"reader{i}", groups=["annotators"]) for i in range(1, 4)]


# ---------------------------------------------------------------- the transition table


def test_the_table_covers_every_pair_and_matches_the_code():
    states = {PENDING, APPROVED, REJECTED, HIDDEN}
    assert {(f, t) for f, t, _ in TRANSITION_TABLE} == {(f, t) for f in states for t in states}
    assert len(TRANSITION_TABLE) == 16
    assert set(moderation.TRANSITIONS) == {(f, t) for f, t, rule in TRANSITION_TABLE if rule != REFUSED}


@pytest.mark.parametrize(
    ("from_status", "to_status", "rule"), TRANSITION_TABLE, ids=[f"{f}->{t}" for f, t, _ in TRANSITION_TABLE]
)
def test_transition(from_status, to_status, rule, article, make_annotation, author, moderator):
    annotation = make_annotation(article=article, status=from_status)
    if rule == ALLOWED:
        result = moderation.transition(annotation=annotation, to_status=to_status, actor=moderator, reason="Because.")
        annotation.refresh_from_db()
        assert result.status == annotation.status == to_status
        [log] = logs(annotation)
        assert log.action == moderation.TRANSITIONS[(from_status, to_status)]
        assert (log.actor, log.from_status, log.to_status, log.reason) == (
            moderator,
            from_status,
            to_status,
            "Because.",
        )
        return
    if rule == AUTHOR_ONLY:
        with pytest.raises(PermissionDenied):
            moderation.transition(annotation=annotation, to_status=to_status, actor=moderator, reason="Because.")
        annotation.refresh_from_db()
        assert annotation.status == from_status
        assert logs(annotation) == []
        moderation.transition(annotation=annotation, to_status=to_status, actor=author, reason="Edited.")
        annotation.refresh_from_db()
        assert annotation.status == to_status
        [log] = logs(annotation)
        assert (log.action, log.actor, log.from_status, log.to_status) == (
            Action.RESUBMIT,
            author,
            from_status,
            to_status,
        )
        return
    for actor in (moderator, author):
        with pytest.raises(ModerationError):
            moderation.transition(annotation=annotation, to_status=to_status, actor=actor, reason="Because.")
        annotation.refresh_from_db()
        assert annotation.status == from_status
        assert annotation.moderated_by is None and annotation.moderation_reason == ""
        assert logs(annotation) == []


# ---------------------------------------------------------------- reasons, who and when, the log


@pytest.mark.parametrize(("decision", "start"), [("reject", PENDING), ("hide", APPROVED)])
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reject_and_hide_need_a_reason(decision, start, reason, article, make_annotation, moderator):
    annotation = make_annotation(article=article, status=start)
    with pytest.raises(ModerationError, match="Give a reason"):
        moderation.decide(decision=decision, annotation=annotation, actor=moderator, reason=reason)
    annotation.refresh_from_db()
    assert annotation.status == start
    assert logs(annotation) == []


@pytest.mark.parametrize(
    ("decision", "start", "end"),
    [
        ("approve", PENDING, APPROVED),
        ("reject", PENDING, REJECTED),
        ("hide", APPROVED, HIDDEN),
        ("unhide", HIDDEN, APPROVED),
    ],
)
def test_a_decision_stores_reason_moderator_time_and_a_log_row(
    decision, start, end, article, make_annotation, moderator
):
    annotation = make_annotation(article=article, status=start)
    moderation.decide(decision=decision, annotation=annotation, actor=moderator, reason="  The reason.  ")
    annotation.refresh_from_db()
    assert annotation.status == end
    assert annotation.moderation_reason == "The reason."
    assert annotation.moderated_by == moderator
    assert annotation.moderated_at is not None
    [log] = logs(annotation)
    assert (log.actor, log.action, log.from_status, log.to_status, log.reason) == (
        moderator,
        decision,
        start,
        end,
        "The reason.",
    )
    assert log.annotation == annotation


def test_every_change_is_logged_in_order(article, make_annotation, moderator):
    annotation = make_annotation(article=article, status=PENDING)
    moderation.approve(annotation=annotation, actor=moderator)
    moderation.hide(annotation=annotation, actor=moderator, reason="Abusive.")
    moderation.unhide(annotation=annotation, actor=moderator, reason="On appeal.")
    assert [(log.action, log.from_status, log.to_status, log.reason) for log in logs(annotation)] == [
        (Action.APPROVE, PENDING, APPROVED, ""),
        (Action.HIDE, APPROVED, HIDDEN, "Abusive."),
        (Action.UNHIDE, HIDDEN, APPROVED, "On appeal."),
    ]


def test_log_rows_cannot_be_updated(article, make_annotation, moderator):
    annotation = make_annotation(article=article, status=PENDING)
    moderation.reject(annotation=annotation, actor=moderator, reason="Off-topic.")
    [log] = logs(annotation)
    log.reason = "Rewritten history."
    with pytest.raises(ValueError, match="append-only"):
        log.save()
    assert ModerationLog.objects.get(pk=log.pk).reason == "Off-topic."


def test_log_rows_outlive_the_annotation(article, make_annotation, author, moderator):
    annotation = make_annotation(article=article, status=PENDING)
    moderation.approve(annotation=annotation, actor=moderator)
    pk = annotation.pk
    services.delete_annotation(actor=author, annotation=annotation)
    [log] = ModerationLog.objects.filter(annotation_ref=pk)
    assert log.annotation is None and log.action == Action.APPROVE


# ---------------------------------------------------------------- stale decisions


def test_a_stale_approval_is_refused(article, make_annotation, moderator, moderator2):
    annotation = make_annotation(article=article, status=PENDING)
    moderation.reject(annotation=annotation, actor=moderator2, reason="Unsourced.")
    before = len(logs(annotation))
    with pytest.raises(StaleDecision, match="already rejected by moderator2"):
        moderation.approve(annotation=annotation, actor=moderator, expected_status=PENDING)
    annotation.refresh_from_db()
    assert annotation.status == REJECTED
    assert annotation.moderated_by == moderator2
    assert len(logs(annotation)) == before


def test_a_stale_decision_through_decide(article, make_annotation, moderator, moderator2):
    annotation = make_annotation(article=article, status=PENDING)
    moderation.approve(annotation=annotation, actor=moderator2)
    with pytest.raises(StaleDecision):
        moderation.decide(
            decision="reject", annotation=annotation, actor=moderator, reason="No.", expected_status=PENDING
        )
    annotation.refresh_from_db()
    assert annotation.status == APPROVED
    assert len(logs(annotation)) == 1


def test_a_stale_decision_through_the_decide_view(client, article, make_annotation, moderator, moderator2):
    annotation = make_annotation(article=article, status=PENDING)
    moderation.reject(annotation=annotation, actor=moderator2, reason="Unsourced.")
    client.force_login(moderator)
    response = client.post(
        "/admin/annotations/annotation/decide/",
        {"annotation": annotation.pk, "expected_status": PENDING, "decision": "approve", "reason": ""},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("already rejected by moderator2" in m and "not applied" in m for m in messages), messages
    annotation.refresh_from_db()
    assert annotation.status == REJECTED
    assert len(logs(annotation)) == 1


def test_unknown_decision_is_refused(article, make_annotation, moderator):
    annotation = make_annotation(article=article, status=PENDING)
    with pytest.raises(ModerationError, match="Unknown decision"):
        moderation.decide(decision="publish", annotation=annotation, actor=moderator)


# ---------------------------------------------------------------- who may decide


def persona_user(request, persona):
    """A persona fixture's user; "anonymous" is AnonymousUser, "system" is None (no actor)."""
    if persona == "anonymous":
        return AnonymousUser()
    if persona == "system":
        return None
    return request.getfixturevalue(persona)


@pytest.mark.parametrize("persona", ["author", "other_user", "trusted", "anonymous", "system"])
def test_non_moderators_cannot_approve(persona, request, article, make_annotation):
    actor = persona_user(request, persona)
    annotation = make_annotation(article=article, status=PENDING)
    with pytest.raises(PermissionDenied):
        moderation.approve(annotation=annotation, actor=actor)
    annotation.refresh_from_db()
    assert annotation.status == PENDING
    assert logs(annotation) == []


@pytest.mark.parametrize("persona", ["moderator", "editor", "superuser"])
def test_moderators_editors_and_superusers_can_approve(persona, request, article, make_annotation):
    actor = request.getfixturevalue(persona)
    annotation = make_annotation(article=article, status=PENDING)
    moderation.approve(annotation=annotation, actor=actor)
    annotation.refresh_from_db()
    assert annotation.status == APPROVED
    assert annotation.moderated_by == actor


def test_an_inactive_moderator_cannot_approve(article, make_annotation, moderator):
    moderator.is_active = False
    moderator.save()
    annotation = make_annotation(article=article, status=PENDING)
    with pytest.raises(PermissionDenied):
        moderation.approve(annotation=annotation, actor=moderator)


@pytest.mark.parametrize(("decision", "start"), [("approve", PENDING), ("reject", PENDING), ("hide", APPROVED)])
def test_private_annotations_are_never_moderated(decision, start, article, make_annotation, moderator):
    annotation = make_annotation(article=article, status=start, visibility="private")
    with pytest.raises(ModerationError, match="Private annotations are never moderated"):
        moderation.decide(decision=decision, annotation=annotation, actor=moderator, reason="Reason.")
    annotation.refresh_from_db()
    assert annotation.status == start
    assert logs(annotation) == []


# ---------------------------------------------------------------- the policy per kind and group


def create(author, article, kind, visibility="public"):
    extra = (
        {
            "claim": "The claim.",
            "verdict": "misleading",
            "evidence": [EvidenceInput(url="https://example.org/s", title="Source")],
        }
        if kind == "fact_check"
        else {}
    )
    return services.create_annotation(
        author=author,
        article=article,
        block_key="k001",
        kind=kind,
        body="My annotation.",
        visibility=visibility,
        **extra,
    )


@pytest.mark.parametrize(
    ("persona", "kind", "status"),
    [
        ("author", "fact_check", PENDING),  # fact-checks always wait for a moderator
        ("trusted", "fact_check", PENDING),  # even a trusted annotator's
        ("moderator", "fact_check", PENDING),  # even a moderator's
        ("author", "note", PENDING),  # an annotator's note waits
        ("trusted", "note", APPROVED),  # a trusted annotator's note publishes at once
        ("moderator", "note", APPROVED),  # so does a moderator's
        ("editor", "note", APPROVED),  # and an editor's (they may moderate)
    ],
)
def test_initial_status_by_kind_and_group(persona, kind, status, request, article):
    user = request.getfixturevalue(persona)
    annotation = create(user, article, kind)
    assert annotation.status == status
    [log] = logs(annotation)
    assert (log.action, log.actor, log.from_status, log.to_status) == (Action.CREATE, user, "", status)


def test_post_moderation_publishes_every_note_but_not_fact_checks(settings, article, author):
    settings.ANNOTATIONS_NOTES_POST_MODERATION = True
    assert create(author, article, "note").status == APPROVED
    assert create(author, article, "fact_check").status == PENDING


@pytest.mark.parametrize("kind", ["note", "fact_check"])
def test_private_annotations_skip_the_queue_and_are_never_public(kind, article, author, other_user):
    annotation = create(author, article, kind, visibility="private")
    assert annotation.status == APPROVED  # nothing to decide
    assert annotation not in queue_queryset()
    assert not Annotation.objects.public().filter(pk=annotation.pk).exists()
    assert not Annotation.objects.visible_to(other_user).filter(pk=annotation.pk).exists()
    assert not Annotation.objects.visible_to(AnonymousUser()).filter(pk=annotation.pk).exists()
    assert Annotation.objects.visible_to(author).filter(pk=annotation.pk).exists()


def test_pending_public_annotations_are_in_the_queue(article, author):
    annotation = create(author, article, "fact_check")
    assert annotation in queue_queryset()


def edit(annotation, actor, **fields):
    extra = {"claim": "The claim, edited.", "verdict": "false"} if annotation.is_fact_check else {}
    return services.update_annotation(actor=actor, annotation=annotation, body="Edited body.", **{**extra, **fields})


def test_authors_edit_of_an_approved_fact_check_goes_back_to_review(article, make_annotation, author):
    annotation = make_annotation(article=article, author=author, kind="fact_check", status=APPROVED)
    result = edit(annotation, author)
    annotation.refresh_from_db()
    assert result.status == annotation.status == PENDING
    assert annotation.body == "Edited body."
    [log] = logs(annotation)
    assert (log.action, log.actor, log.from_status, log.to_status) == (Action.RESUBMIT, author, APPROVED, PENDING)
    assert annotation in queue_queryset()


def test_authors_edit_of_an_approved_note_by_an_annotator_goes_back_to_review(article, make_annotation, author):
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    assert edit(annotation, author).status == PENDING
    assert [log.action for log in logs(annotation)] == [Action.RESUBMIT]


def test_authors_edit_of_an_approved_note_by_a_trusted_annotator_stays_approved(article, make_annotation, trusted):
    annotation = make_annotation(article=article, author=trusted, status=APPROVED)
    assert edit(annotation, trusted).status == APPROVED
    annotation.refresh_from_db()
    assert annotation.status == APPROVED and annotation.body == "Edited body."
    assert logs(annotation) == []


@pytest.mark.parametrize("status", [REJECTED, HIDDEN, PENDING])
def test_authors_edit_keeps_a_moderators_decision(status, article, make_annotation, author):
    annotation = make_annotation(article=article, author=author, kind="fact_check", status=status)
    assert edit(annotation, author).status == status
    assert logs(annotation) == []


# ---------------------------------------------------------------- e-mails to the author


@pytest.mark.parametrize(
    ("decision", "start", "phrase"),
    [
        ("approve", PENDING, "was approved and is now public"),
        ("reject", PENDING, "was not approved"),
        ("hide", APPROVED, "was hidden by a moderator"),
    ],
)
def test_decisions_email_the_author_with_reason_and_permalink(
    decision, start, phrase, settings, article, make_annotation, author, moderator, django_capture_on_commit_callbacks
):
    annotation = make_annotation(article=article, author=author, status=start)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.decide(decision=decision, annotation=annotation, actor=moderator, reason="Reason for the author.")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [author.email]
    assert phrase in message.body
    assert "Reason: Reason for the author." in message.body
    assert f"{settings.SITE_URL.rstrip('/')}/annotations/{annotation.pk}/" in message.body


def test_no_email_before_the_transaction_commits(
    article, make_annotation, moderator, django_capture_on_commit_callbacks
):
    annotation = make_annotation(article=article, status=PENDING)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        moderation.approve(annotation=annotation, actor=moderator)
    assert mail.outbox == []
    assert callbacks  # sent on commit


def test_no_email_to_an_author_without_an_address(
    article, make_annotation, author, moderator, django_capture_on_commit_callbacks
):
    author.email = ""
    author.save()
    annotation = make_annotation(article=article, author=author, status=PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.reject(annotation=annotation, actor=moderator, reason="Off-topic.")
    annotation.refresh_from_db()
    assert annotation.status == REJECTED
    assert mail.outbox == []


def test_no_email_for_unhide_or_the_authors_own_edit(
    article, make_annotation, author, moderator, django_capture_on_commit_callbacks
):
    hidden = make_annotation(article=article, author=author, status=HIDDEN)
    check = make_annotation(article=article, author=author, kind="fact_check", status=APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.unhide(annotation=hidden, actor=moderator)
        edit(check, author)
    assert mail.outbox == []


# ---------------------------------------------------------------- flags


def flag(annotation, reporter, reason="inaccurate", text=""):
    return moderation.flag_annotation(annotation=annotation, reporter=reporter, reason=reason, text=text)


def test_a_reader_flags_once(article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    created = flag(annotation, other_user, text="The figure is wrong.")
    assert (created.reporter, created.reason, created.text, created.resolution) == (
        other_user,
        "inaccurate",
        "The figure is wrong.",
        Flag.Resolution.OPEN,
    )
    with pytest.raises(ModerationError, match="already flagged"):
        flag(annotation, other_user, reason="spam")
    assert Flag.objects.filter(annotation=annotation).count() == 1
    annotation.refresh_from_db()
    assert annotation.open_flag_count == 1


def test_own_annotation_cannot_be_flagged(article, make_annotation, author):
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    with pytest.raises(ModerationError, match="your own annotation"):
        flag(annotation, author)
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("status", "visibility"), [(PENDING, "public"), (REJECTED, "public"), (APPROVED, "private"), (PENDING, "private")]
)
def test_unpublished_annotations_cannot_be_flagged(status, visibility, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=status, visibility=visibility)
    with pytest.raises(ModerationError, match="Only published annotations"):
        flag(annotation, other_user)
    annotation.refresh_from_db()
    assert annotation.open_flag_count == 0
    assert not Flag.objects.exists()


def test_anonymous_cannot_flag(article, make_annotation):
    annotation = make_annotation(article=article, status=APPROVED)
    for reporter in (None, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            flag(annotation, reporter)


def test_reason_other_needs_text(article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    with pytest.raises(ModerationError) as excinfo:
        flag(annotation, other_user, reason="other", text="   ")
    assert "text" in excinfo.value.message_dict
    assert not Flag.objects.exists()
    flag(annotation, other_user, reason="other", text="Copied from elsewhere.")
    assert Flag.objects.get().text == "Copied from elsewhere."


def test_an_unknown_reason_is_refused(article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    with pytest.raises(ValidationError):
        flag(annotation, other_user, reason="boring")
    assert not Flag.objects.exists()


def test_enough_flags_hide_an_annotation_automatically(
    settings, article, make_annotation, author, other_user, readers, django_capture_on_commit_callbacks
):
    settings.ANNOTATIONS_FLAG_HIDE_THRESHOLD = 2
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        flag(annotation, other_user)
    annotation.refresh_from_db()
    assert (annotation.status, annotation.open_flag_count) == (APPROVED, 1)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        flag(annotation, readers[0], reason="abuse")
    annotation.refresh_from_db()
    assert (annotation.status, annotation.open_flag_count) == (HIDDEN, 2)
    assert annotation.moderated_by is None
    assert "2 reader flags" in annotation.moderation_reason
    [log] = logs(annotation)
    assert (log.action, log.actor, log.from_status, log.to_status) == (Action.FLAG_HIDE, None, APPROVED, HIDDEN)
    assert [m.to for m in mail.outbox] == [[author.email]]
    assert "after several readers flagged it" in mail.outbox[0].body
    assert annotation in queue_queryset()  # open flags: waiting for a moderator
    # a third reader can still flag it while hidden; it does not hide it again
    flag(annotation, readers[1], reason="spam")
    annotation.refresh_from_db()
    assert (annotation.status, annotation.open_flag_count) == (HIDDEN, 3)
    assert len(logs(annotation)) == 1


def test_only_reader_flags_hide_automatically(article, make_annotation, moderator):
    annotation = make_annotation(article=article, status=APPROVED)
    with pytest.raises(PermissionDenied):
        moderation.transition(
            annotation=annotation, to_status=HIDDEN, actor=moderator, action=Action.FLAG_HIDE, reason="x"
        )


@pytest.fixture
def flag_hidden(settings, article, make_annotation, author, other_user, readers):
    """An annotation hidden by two reader flags (threshold 2)."""
    settings.ANNOTATIONS_FLAG_HIDE_THRESHOLD = 2
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    flag(annotation, other_user)
    flag(annotation, readers[0], reason="spam")
    annotation.refresh_from_db()
    assert annotation.status == HIDDEN
    return annotation


def test_resolve_keep_restores_a_flag_hidden_annotation(flag_hidden, moderator):
    result = moderation.resolve_flags(
        annotation=flag_hidden, actor=moderator, decision="keep", note="Checked: it is accurate."
    )
    flag_hidden.refresh_from_db()
    assert result.status == flag_hidden.status == APPROVED
    assert flag_hidden.open_flag_count == 0
    flags = list(Flag.objects.filter(annotation=flag_hidden))
    assert len(flags) == 2  # still present: history
    for f in flags:
        assert (f.resolution, f.resolved_by, f.resolution_note) == (
            Flag.Resolution.KEPT,
            moderator,
            "Checked: it is accurate.",
        )
        assert f.resolved_at is not None
    last = logs(flag_hidden)[-1]
    assert (last.action, last.actor, last.from_status, last.to_status) == (
        Action.FLAGS_KEPT,
        moderator,
        HIDDEN,
        APPROVED,
    )
    assert flag_hidden not in queue_queryset()


def test_resolve_keep_of_an_approved_annotation_logs_and_keeps_it(article, make_annotation, other_user, moderator):
    annotation = make_annotation(article=article, status=APPROVED)
    flag(annotation, other_user)
    moderation.resolve_flags(annotation=annotation, actor=moderator, decision="keep")
    annotation.refresh_from_db()
    assert (annotation.status, annotation.open_flag_count) == (APPROVED, 0)
    [log] = logs(annotation)
    assert (log.action, log.from_status, log.to_status) == (Action.FLAGS_KEPT, APPROVED, APPROVED)


def test_resolve_hide_hides_an_approved_annotation_with_the_reason(
    article, make_annotation, author, other_user, moderator, django_capture_on_commit_callbacks
):
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    flag(annotation, other_user, reason="abuse")
    with pytest.raises(ModerationError, match="Give a reason"):
        moderation.resolve_flags(annotation=annotation, actor=moderator, decision="hide", note=" ")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.resolve_flags(annotation=annotation, actor=moderator, decision="hide", note="Personal attack.")
    annotation.refresh_from_db()
    assert (annotation.status, annotation.moderation_reason, annotation.moderated_by) == (
        HIDDEN,
        "Personal attack.",
        moderator,
    )
    assert annotation.open_flag_count == 0
    f = Flag.objects.get(annotation=annotation)
    assert (f.resolution, f.resolved_by, f.resolution_note) == (Flag.Resolution.HIDDEN, moderator, "Personal attack.")
    [log] = logs(annotation)
    assert (log.action, log.from_status, log.to_status, log.reason) == (
        Action.FLAGS_HIDDEN,
        APPROVED,
        HIDDEN,
        "Personal attack.",
    )
    assert len(mail.outbox) == 1 and "Reason: Personal attack." in mail.outbox[0].body


def test_resolve_hide_confirms_a_flag_hidden_annotation(flag_hidden, moderator):
    moderation.resolve_flags(annotation=flag_hidden, actor=moderator, decision="hide", note="Spam link.")
    flag_hidden.refresh_from_db()
    assert (flag_hidden.status, flag_hidden.moderation_reason, flag_hidden.moderated_by) == (
        HIDDEN,
        "Spam link.",
        moderator,
    )
    assert flag_hidden.open_flag_count == 0
    last = logs(flag_hidden)[-1]
    assert (last.action, last.from_status, last.to_status) == (Action.FLAGS_HIDDEN, HIDDEN, HIDDEN)


def test_resolving_without_open_flags_is_stale(flag_hidden, moderator, moderator2):
    moderation.resolve_flags(annotation=flag_hidden, actor=moderator2, decision="keep")
    before = len(logs(flag_hidden))
    with pytest.raises(StaleDecision, match="no open flags"):
        moderation.resolve_flags(annotation=flag_hidden, actor=moderator, decision="hide", note="Too late.")
    flag_hidden.refresh_from_db()
    assert flag_hidden.status == APPROVED
    assert len(logs(flag_hidden)) == before
    assert set(Flag.objects.values_list("resolution", flat=True)) == {Flag.Resolution.KEPT}


@pytest.mark.parametrize("persona", ["author", "other_user", "trusted", "system"])
def test_only_moderators_resolve_flags(persona, request, flag_hidden):
    actor = persona_user(request, persona)
    with pytest.raises(PermissionDenied):
        moderation.resolve_flags(annotation=flag_hidden, actor=actor, decision="keep")
    flag_hidden.refresh_from_db()
    assert (flag_hidden.status, flag_hidden.open_flag_count) == (HIDDEN, 2)


def test_resolve_needs_keep_or_hide(flag_hidden, moderator):
    with pytest.raises(ModerationError):
        moderation.resolve_flags(annotation=flag_hidden, actor=moderator, decision="delete")


# ---------------------------------------------------------------- the public flag view


def flag_url(annotation):
    return f"/annotations/{annotation.pk}/flag/"


def test_flag_form_for_a_logged_in_reader(client, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    client.force_login(other_user)
    response = client.get(flag_url(annotation))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Flag this note" in page
    assert 'name="reason"' in page and 'value="spam"' in page


def test_anonymous_is_sent_to_login(client, article, make_annotation):
    annotation = make_annotation(article=article, status=APPROVED)
    for method in (client.get, client.post):
        response = method(flag_url(annotation))
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={flag_url(annotation)}"
    assert not Flag.objects.exists()


def test_flagging_through_the_page(client, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    client.force_login(other_user)
    response = client.post(flag_url(annotation), {"reason": "inaccurate", "text": "The date is wrong."})
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#a-{annotation.pk}"
    created = Flag.objects.get()
    assert (created.annotation, created.reporter, created.reason, created.text) == (
        annotation,
        other_user,
        "inaccurate",
        "The date is wrong.",
    )
    response = client.post(flag_url(annotation), {"reason": "spam"})
    assert response.status_code == 400
    assert "You have already flagged this annotation." in response.content.decode()
    assert Flag.objects.count() == 1


def test_flag_form_errors(client, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    client.force_login(other_user)
    response = client.post(flag_url(annotation), {"reason": "other", "text": ""})
    assert response.status_code == 400
    assert "Say what is wrong" in response.content.decode()
    response = client.post(flag_url(annotation), {"reason": "bogus"})
    assert response.status_code == 400
    assert not Flag.objects.exists()


def test_flagging_own_annotation_through_the_page(client, article, make_annotation, author):
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    client.force_login(author)
    response = client.post(flag_url(annotation), {"reason": "spam"})
    assert response.status_code == 400
    assert "You cannot flag your own annotation" in response.content.decode()
    assert not Flag.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_flag_view_refuses_other_methods(method, client, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=APPROVED)
    client.force_login(other_user)
    response = getattr(client, method)(flag_url(annotation))
    assert response.status_code == 405
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("status", "visibility"), [(PENDING, "public"), (REJECTED, "public"), (HIDDEN, "public"), (APPROVED, "private")]
)
def test_flag_view_404s_for_unpublished_annotations(status, visibility, client, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=status, visibility=visibility)
    client.force_login(other_user)
    assert client.get(flag_url(annotation)).status_code == 404
    assert client.post(flag_url(annotation), {"reason": "spam"}).status_code == 404
    assert not Flag.objects.exists()


def test_flag_view_404s_on_an_unpublished_article(client, make_article, make_annotation, other_user):
    draft = make_article("A draft", status="draft")
    annotation = make_annotation(article=draft, status=APPROVED)
    client.force_login(other_user)
    assert client.get(flag_url(annotation)).status_code == 404


# ---------------------------------------------------------------- what authors see on the article page


@pytest.mark.parametrize(
    ("status", "badge", "reason"),
    [
        (PENDING, "Pending review", ""),
        (REJECTED, "Rejected", "Not about this paragraph."),
        (HIDDEN, "Hidden", "Personal attack on the writer."),
    ],
)
def test_authors_see_their_unpublished_annotations_marked(
    status, badge, reason, client, article, make_annotation, author, other_user
):
    annotation = make_annotation(article=article, author=author, status=status, body="My zebra remark.")
    Annotation.objects.filter(pk=annotation.pk).update(moderation_reason=reason)
    client.force_login(author)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "My zebra remark." in page
    assert f'<span class="badge badge-status">{badge}</span>' in page
    if reason:
        assert "Moderator’s reason:" in page and reason in page
    for viewer in (other_user, None):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        page = client.get(article.get_absolute_url()).content.decode()
        assert "My zebra remark." not in page
        assert "badge-status" not in page
        assert not reason or reason not in page


def test_approved_annotations_carry_no_status_badge(client, article, make_annotation, author):
    make_annotation(article=article, author=author, status=APPROVED, body="Published remark.")
    client.force_login(author)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Published remark." in page
    assert "badge-status" not in page


def test_a_moderation_decision_refreshes_the_cached_page(
    client, article, make_annotation, author, moderator, django_capture_on_commit_callbacks
):
    annotation = make_annotation(article=article, author=author, status=PENDING, body="Awaiting zebra.")
    assert (
        "Awaiting zebra." not in client.get(article.get_absolute_url()).content.decode()
    )  # cached for anonymous readers
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=annotation, actor=moderator)
    assert "Awaiting zebra." in client.get(article.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.hide(annotation=annotation, actor=moderator, reason="Spam.")
    assert "Awaiting zebra." not in client.get(article.get_absolute_url()).content.decode()


# ---------------------------------------------------------------- private annotations and flags (known bugs)


def test_a_private_hidden_annotation_cannot_be_flagged(article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=HIDDEN, visibility="private")
    with pytest.raises(ModerationError):
        flag(annotation, other_user)
    assert not Flag.objects.exists()


def test_a_flagged_annotation_made_private_leaves_the_queue(article, make_annotation, author, other_user):
    annotation = make_annotation(article=article, author=author, status=APPROVED)
    flag(annotation, other_user)
    assert annotation in queue_queryset()
    edited = services.update_annotation(
        actor=author, annotation=annotation, body="Now just for me.", visibility="private"
    )
    assert edited.is_private and edited.status == APPROVED
    assert annotation not in queue_queryset()
