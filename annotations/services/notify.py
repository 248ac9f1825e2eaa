"""E-mails to people about their annotations (moderation decisions). Sent after the deciding transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from annotations.models import Annotation, ModerationLog

Action = ModerationLog.Action


def notify_author(annotation: Annotation, *, action: str, reason: str) -> None:
    """E-mail the author a moderation decision on their annotation (after the decision commits; never raises)."""
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
    send_mail(
        subject=f"Your {what} {outcome.split(' and ')[0]}",
        message="\n".join(lines),
        from_email=None,
        recipient_list=[author.email],
        fail_silently=True,
    )
