from django import template

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
        "pending": Annotation.objects.pending().count(),
        "flagged": Annotation.objects.flagged().count(),
        "anchoring": Annotation.objects.needs_anchor_review().count(),
    }
