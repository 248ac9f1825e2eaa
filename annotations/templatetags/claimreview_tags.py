"""``{% claim_reviews_jsonld annotations article %}``: schema.org ClaimReview as JSON-LD.

Writes ``<script type="application/ld+json">…</script>`` for the approved,
public fact-checks among ``annotations`` (an annotation, a list of them, or a
list of the selector's block views), or nothing at all when there are none.
The JSON is escaped by ``annotations.exports.claimreview.script_safe_json`` (no
``<``, ``>`` or ``&`` in it) before being marked safe.

The element is data, not script: browsers never execute it, so the site's
``script-src 'self'`` Content-Security-Policy needs no change for it.

URLs are made absolute with the request's scheme and host (as the pages'
canonical links are), or ``settings.SITE_URL`` without a request.

Example::

    {% load claimreview_tags %}
    {% claim_reviews_jsonld block_views article %}
    {% claim_reviews_jsonld annotation article %}
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from annotations.exports.claimreview import claim_reviews_script
from annotations.exports.links import base_url_of
from annotations.models import Annotation

register = template.Library()


def _flatten(items) -> list[Annotation]:
    if items is None or items == "":
        return []
    if isinstance(items, Annotation):
        return [items]
    annotations: list[Annotation] = []
    for item in items:
        if isinstance(item, Annotation):
            annotations.append(item)
        elif hasattr(item, "annotations"):  # a BlockView from annotations.selectors.article
            annotations.extend(a for a in item.annotations if isinstance(a, Annotation))
    return annotations


@register.simple_tag(takes_context=True)
def claim_reviews_jsonld(context, annotations, article):
    if article is None or article == "":
        return ""
    data = claim_reviews_script(_flatten(annotations), article=article, base_url=base_url_of(context.get("request")))
    if not data:
        return ""
    # Safe: script_safe_json leaves no "<", ">" or "&" in ``data``.
    return mark_safe(f'<script type="application/ld+json">{data}</script>')  # noqa: S308
