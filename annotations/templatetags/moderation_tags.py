from django import template
from django.db.models import Q

from annotations.models import Annotation
from annotations.services.moderation import can_moderate

register = template.Library()


@register.simple_tag(takes_context=True)
def moderation_counts(context):
    """Pending and flagged counts for the admin index (two indexed counts), for moderators only."""
    request = context.get("request")
    if request is None or not can_moderate(request.user):
        return None
    return {
        "pending": Annotation.objects.filter(
            status=Annotation.Status.PENDING, visibility=Annotation.Visibility.PUBLIC
        ).count(),
        "flagged": Annotation.objects.filter(open_flag_count__gt=0, visibility=Annotation.Visibility.PUBLIC).count(),
        # needs re-anchoring, or orphaned and not yet confirmed by a moderator
        "anchoring": Annotation.objects.filter(
            Q(anchor_state=Annotation.AnchorState.NEEDS_REANCHORING)
            | Q(anchor_state=Annotation.AnchorState.ORPHANED, anchor_reviewed_at__isnull=True)
        ).count(),
    }
