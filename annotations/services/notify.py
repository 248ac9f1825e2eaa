"""E-mails to people about their annotations: moderation decisions, replies, mentions.

Written in the transaction of their cause (``notifications.notices.notify_user``:
the outbox, or the daily digest, as the person chose for the kind, or nothing
if they turned it off): the cause and its e-mail commit together, the e-mail
is delivered by the job queue after the commit and retried while the mail
server is down, and each cause (a moderation log row, a reply, an annotation
and a mentioned user) is told at most once.
"""

from __future__ import annotations

from django.conf import settings

from annotations.mentions import mentioned_names
from annotations.models import MAX_REPLY_DEPTH, Annotation, ModerationLog
from annotations.rendering import mentioned_users
from notifications.models import Kind
from notifications.notices import notify_user

Action = ModerationLog.Action


def notify_author(annotation: Annotation, *, action: str, reason: str, decision: ModerationLog) -> None:
    """Queue the notice telling the author a moderation decision on their annotation (in its transaction)."""
    author = annotation.author
    if author is None or not author.email:
        return
    what = annotation.get_kind_display().lower()
    title = annotation.article.title
    outcome = {
        Action.APPROVE: "was approved and is now public",
        Action.REJECT: "was not approved",
        Action.HIDE: "was hidden by a moderator",
        Action.FLAG_HIDE: "was hidden after several readers flagged it, until a moderator decides",
        Action.FLAGS_HIDDEN: "was hidden by a moderator after readers flagged it",
    }[action]
    url = f"{settings.SITE_URL.rstrip('/')}{annotation.get_absolute_url()}"
    lines = [f"Your {what} on “{title}” {outcome}."]
    if reason:
        lines += ["", f"Reason: {reason}"]
    lines += [
        "",
        f"Your {what}: {url}",
        f"All your annotations: {settings.SITE_URL.rstrip('/')}/accounts/annotations/",
    ]
    notify_user(
        user=author,
        kind=Kind.MODERATION,
        key=f"moderation-log:{decision.pk}",
        subject=f"Your {what} {outcome.split(' and ')[0]}",
        text="\n".join(lines),
    )


# --- replies and mentions (issue #15) ------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _reachable(user) -> bool:
    return user is not None and user.is_active and bool(user.email)


def _thread_readable(annotation: Annotation) -> bool:
    """Readers can see it: public, approved, on a published article, and so is every annotation it answers
    (a thread is on one article; its ancestors are loaded with it, ``THREAD``)."""
    if not annotation.article.is_published or annotation.deleted_at is not None:
        return False
    node, seen = annotation, 0
    while node is not None:  # a deleted annotation above keeps its thread readable ("deleted" placeholder)
        if not node.is_public_and_approved:
            return False
        seen += 1
        if seen > MAX_REPLY_DEPTH + 1:  # deeper than a thread can be: never loop on bad data
            return False
        node = node.parent
    return True


# the annotation a reply answers, up to the depth limit, and its author (whom the reply notice goes to)
THREAD = ["parent__author", "__".join(["parent"] * MAX_REPLY_DEPTH)]


def on_published(annotation: Annotation) -> None:
    """Tell people about an annotation that readers can now see (in its transaction).

    Called where an annotation becomes (or stays) public and approved: created
    by someone whose notes publish at once, approved or unhidden by a
    moderator, edited by its author. Does nothing for private, pending,
    rejected or hidden content, or for a reply in a thread readers cannot see.
    The author of the annotation a reply answers is told of the reply, and
    each user ``@mentioned`` in the body is told of the mention; never the
    writer themself, never an inactive account or one without an address.
    Each (reply) and each (annotation, mentioned user) is told at most once:
    an edit that adds a mention tells only the newly mentioned.
    """
    if not annotation.is_public_and_approved:
        return
    if annotation.parent_id is None and not mentioned_names(annotation.body):
        return  # nobody to tell (most annotations): not even the query below, a seven-table join
    annotation = Annotation.objects.select_related("author", "article", *THREAD).get(pk=annotation.pk)
    if not _thread_readable(annotation):
        return
    writer = annotation.author
    writer_name = writer.get_username() if writer is not None else "Someone"
    title = annotation.article.title
    told = set()
    parent = annotation.parent
    if parent is not None and _reachable(parent.author) and parent.author_id != annotation.author_id:
        told.add(parent.author_id)
        what = parent.get_kind_display().lower()
        _tell(
            parent.author,
            kind=Kind.REPLY,
            key=f"reply:{annotation.pk}",
            subject=f"{writer_name} replied to your {what} on “{title}”",
            lines=[
                f"{writer_name} replied to your {what} on “{title}”:",
                "",
                *_quoted(annotation.body),
                "",
                f"Read it in place: {_absolute(annotation.get_in_place_url())}",
                f"The reply on its own: {_absolute(annotation.get_absolute_url())}",
            ],
        )
    for user in mentioned_users(annotation.body):
        if user.pk == annotation.author_id or user.pk in told or not _reachable(user):
            continue
        told.add(user.pk)
        what = "a reply" if parent is not None else f"a {annotation.get_kind_display().lower()}"
        _tell(
            user,
            kind=Kind.MENTION,
            key=f"mention:{annotation.pk}:{user.pk}",
            subject=f"{writer_name} mentioned you on “{title}”",
            lines=[
                f"{writer_name} mentioned you in {what} on “{title}”:",
                "",
                *_quoted(annotation.body),
                "",
                f"Read it in place: {_absolute(annotation.get_in_place_url())}",
                f"The {what.split()[-1]} on its own: {_absolute(annotation.get_absolute_url())}",
            ],
        )


MAX_QUOTED = 1200


def _quoted(body: str) -> list[str]:
    """The body as the e-mail quotes it (plain text, shortened): an e-mail is text, nothing in it is markup."""
    text = body if len(body) <= MAX_QUOTED else body[: MAX_QUOTED - 1].rstrip() + "…"
    return [f"> {line}" if line else ">" for line in text.splitlines()]


def _tell(user, *, kind: str, key: str, subject: str, lines: list[str]) -> None:
    notify_user(user=user, kind=kind, key=key, subject=subject, text="\n".join(lines))
