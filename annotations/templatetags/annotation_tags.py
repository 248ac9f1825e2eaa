from django import template

from ..cards import render_card

register = template.Library()


@register.simple_tag(takes_context=True)
def annotation_card(context, annotation):
    """``{% annotation_card annotation %}``: the card, for the user in the context."""
    return render_card(annotation, user=context.get("user"))
