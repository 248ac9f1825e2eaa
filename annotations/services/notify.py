"""E-mails to people about their annotations (moderation decisions).

Written to the outbox in the deciding transaction (``notifications``): the
decision and its e-mail commit together, the e-mail is delivered by the job
queue after the commit and retried while the mail server is down, and each
decision (its moderation log row) e-mails at most once.
"""

from __future__ import annotations

from django.conf import settings

from annotations.models import Annotation, ModerationLog
from notifications.services import queue_email

Action = ModerationLog.Action


def notify_author(annotation: Annotation, *, action: str, reason: str, decision: ModerationLog) -> None:
    """Queue the e-mail telling the author a moderation decision on their annotation (in its transaction)."""
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
    lines = [
        f"Hello {author.get_username()},",
        "",
        f"Your {what} on “{title}” {outcome}.",
    ]
    if reason:
        lines += ["", f"Reason: {reason}"]
    lines += [
        "",
        f"Your {what}: {url}",
        f"All your annotations: {settings.SITE_URL.rstrip('/')}/accounts/annotations/",
        "",
        f"— {settings.SITE_NAME}",
    ]
    queue_email(
        to=author.email,
        subject=f"Your {what} {outcome.split(' and ')[0]}",
        body="\n".join(lines),
        kind="moderation",
        key=f"moderation-log:{decision.pk}",
    )
