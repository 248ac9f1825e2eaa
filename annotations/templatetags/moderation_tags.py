from django import template

from ..models import Annotation
from ..moderation import can_moderate

register = template.Library()


@register.simple_tag(takes_context=True)
def moderation_counts(context):
    """Pending and flagged counts for the admin index (two indexed counts), for moderators only."""
    request = context.get("request")
    if request is None or not can_moderate(request.user):
        return None
    return {
        "pending": Annotation.objects.filter(status=Annotation.Status.PENDING, visibility=Annotation.Visibility.PUBLIC).count(),
        "flagged": Annotation.objects.filter(open_flag_count__gt=0, visibility=Annotation.Visibility.PUBLIC).count(),
    }
