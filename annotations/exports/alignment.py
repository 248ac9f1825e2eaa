"""The alignment of a copy with its original as W3C Web Annotations (issue 19): one ``linking`` annotation
per aligned pair, from the copy's paragraph(s) (the target: the article page, a ``FragmentSelector`` on the
paragraph's ``p-<key>`` id) to the original's passage(s) (the body: the original's URL, a
``TextQuoteSelector`` with the passage's text), plus a ``describing`` body saying what happened
("Reworded, drift 23%"), in an ``AnnotationCollection`` of its own (``/articles/<slug>/alignment/``) so other
tools can reuse the alignment. Presenters only: the rows come from ``annotations.selectors.compare`` as an
anonymous reader may read them (the source's rights: a withheld passage is never published, and its pair
is left out).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from annotations.exports.links import absolute
from annotations.exports.w3c import ANNO_CONTEXT, HTML_ID_FRAGMENTS, article_iri, language_tag
from annotations.selectors.compare import CompareRow, Comparison
from articles.models import Article

JSON = dict[str, Any]


def alignment_iri(article: Article, *, base_url: str, page: int | None = None) -> str:
    path = reverse("annotations:article-alignment", kwargs={"slug": article.slug})
    return absolute(base_url, path + (f"?page={page}" if page else ""))


def published_rows(comparison: Comparison | None) -> list[CompareRow]:
    """The pairs published as links: both sides present, nothing of the original withheld."""
    if comparison is None:
        return []
    return [r for r in comparison.rows if r.copy and r.original and not r.withheld]


def _original_source(article: Article, row: CompareRow, *, base_url: str) -> str:
    source = getattr(article, "source", None)
    if source is not None and source.original_url:
        return source.original_url
    # no address for the original: its passage on this site's compare view
    return absolute(base_url, f"{article.get_absolute_url()}?view=compare#o-{row.original[0].key}")


def link_annotation(article: Article, row: CompareRow, *, base_url: str) -> JSON:
    source = getattr(article, "source", None)
    language = language_tag(source.original_language) if source is not None and source.original_language else None
    bodies: list[JSON] = []
    for block in row.original:
        body: JSON = {
            "type": "SpecificResource",
            "source": _original_source(article, row, base_url=base_url),
            "purpose": "linking",
            "selector": {"type": "TextQuoteSelector", "exact": block.text},
        }
        if language:
            body["language"] = language
        bodies.append(body)
    what = row.label if row.drift_percent is None else f"{row.label}, drift {row.drift_percent}%"
    if row.fixed:
        what += " (aligned by an editor)"
    bodies.append(
        {"type": "TextualBody", "value": what, "purpose": "describing", "format": "text/plain", "language": "en"}
    )
    targets = [
        {
            "type": "SpecificResource",
            "source": article_iri(article, base_url=base_url),
            "selector": {"type": "FragmentSelector", "conformsTo": HTML_ID_FRAGMENTS, "value": f"p-{view.block.key}"},
        }
        for view in row.copy
    ]
    return {
        "id": f"{alignment_iri(article, base_url=base_url)}#{row.anchor}",
        "type": "Annotation",
        "motivation": "linking",
        "body": bodies,
        "target": targets[0] if len(targets) == 1 else targets,
    }


def _label(article: Article) -> str:
    return f"The paragraphs of “{article.title}” linked to its original’s"


def collection_to_jsonld(article: Article, comparison: Comparison | None, *, base_url: str) -> JSON:
    rows = published_rows(comparison)
    data: JSON = {
        "@context": ANNO_CONTEXT,
        "id": alignment_iri(article, base_url=base_url),
        "type": "AnnotationCollection",
        "label": _label(article),
        "total": len(rows),
    }
    if rows:
        # one page: a pair per paragraph at most, so the collection stays the size of the article
        data["first"] = page_to_jsonld(article, comparison, base_url=base_url, context=False)
        data["last"] = alignment_iri(article, base_url=base_url, page=1)
    return data


def page_to_jsonld(article: Article, comparison: Comparison | None, *, base_url: str, context: bool = True) -> JSON:
    rows = published_rows(comparison)
    data: JSON = {"@context": ANNO_CONTEXT} if context else {}
    data.update(
        {
            "id": alignment_iri(article, base_url=base_url, page=1),
            "type": "AnnotationPage",
            "partOf": {
                "id": alignment_iri(article, base_url=base_url),
                "label": _label(article),
                "total": len(rows),
            },
            "startIndex": 0,
            "items": [link_annotation(article, row, base_url=base_url) for row in rows],
        }
    )
    return data
