from django import template

from annotations.cards import render_card, render_highlighted_text

register = template.Library()


@register.simple_tag(takes_context=True)
def annotation_card(context, annotation):
    """``{% annotation_card annotation %}``: the card, for the user in the context."""
    return render_card(annotation, user=context.get("user"))


@register.simple_tag
def highlighted_text(segments):
    """``{% highlighted_text view.segments %}``: the paragraph text with its quotes marked."""
    return render_highlighted_text(segments)
