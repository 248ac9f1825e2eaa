"""W3C Web Annotation JSON-LD for approved, public annotations (pure presenters).

The functions here turn loaded rows into plain dicts ready for ``json.dumps``;
they run no queries when the caller has loaded what they read: the
annotation's ``author``, ``block`` and ``article`` (``select_related``, or set
by hand) and its ``tags`` and ``evidence`` (``prefetch_related``). Deciding
*which* annotations may be exported (approved, public, published article) is
the views' job (``annotations.views.w3c``); nothing here checks it.

How our rows map onto the Web Annotation Data Model
(https://www.w3.org/TR/annotation-model/):

* ``motivation`` is ``commenting`` for a note and ``assessing`` for a
  fact-check. A reply (issue #15) is ``replying``, its text a ``TextualBody``
  with purpose ``replying``, and its ``target`` the IRI of the annotation it
  answers (``/articles/<slug>/annotations/<id>``), as in the model's examples.
* The annotation's text is one ``TextualBody`` (purpose ``commenting``,
  ``format`` ``text/markdown``: the text as its author wrote it, in the small
  Markdown subset of ``annotations.rendering``), in the article's language.
  The other textual bodies (verdict, claim, tags) are ``text/plain``. The rendered HTML is *not*
  added as a second body: every body of an annotation applies to its target,
  so a sibling HTML body would read as a second, identical comment, and a
  ``Choice`` of the two would hide the text from clients that look for a
  ``TextualBody``. The HTML is on the annotation's permalink
  (``Link: rel="alternate"`` on the JSON-LD response).
* Each tag is a ``TextualBody`` with purpose ``tagging``.
* A fact-check adds a ``TextualBody`` with purpose ``assessing`` whose value
  is the verdict's label on the published scale (``annotations.verdicts``, in
  the site's language), and the claim checked as a ``TextualBody`` with
  purpose ``describing`` (it says what the target states).
* Each evidence source is a ``SpecificResource`` body with purpose
  ``linking`` ("a resource related to the target"). The model forbids a
  ``purpose`` on a bare external resource, hence the ``SpecificResource``
  wrapper; its ``source`` is the evidence URL with the title as ``label``
  (``rdfs:label`` in the annotation context, which has no ``title``). A quoted
  excerpt becomes a ``TextQuoteSelector`` on that source, and an archived copy
  a ``TimeState`` whose ``cached`` is the archive URL and whose
  ``sourceDate`` is the annotation's creation: the source as the fact-checker
  cited it (the model requires a date on every ``TimeState``).
* The target is a ``SpecificResource`` on the article's page: a
  ``FragmentSelector`` for the paragraph (``p-<key>``, an HTML id, so
  ``conformsTo`` RFC 3987) refined, when there is a quote, by a
  ``TextQuoteSelector`` (exact, prefix, suffix) and a ``TextPositionSelector``
  (start, end: code points within the paragraph's text). A quote is also given
  as a second, top-level ``TextQuoteSelector`` (the target's selectors are
  alternatives describing the same words), so a client that does not
  implement ``refinedBy`` can still anchor it.
* The target's ``state`` is a ``TimeState``: the revision of the article's
  text the selectors refer to, its date as ``sourceDate`` and its public page
  (``/articles/<slug>/revisions/<n>/``) as ``cached``; for an article never
  revised, the annotation's ``created_at``. An annotation whose words changed
  or went since it was written (re-anchored onto other words, waiting for a
  moderator, orphaned) is exported too, targeting the revision it was written
  on with the words its author annotated (``_target``), never offsets into a
  text that no longer holds them.
* ``creator`` is a ``Person`` whose ``id`` is the author's page on this site
  and ``nickname`` the username (no real name, no e-mail); an annotation whose
  author account was deleted has no ``creator``.

Collections follow the Web Annotation Protocol
(https://www.w3.org/TR/annotation-protocol/): the collection is also an LDP
``BasicContainer`` (``/articles/<slug>/annotations/``), each annotation's
``id`` its IRI inside that container (``/articles/<slug>/annotations/<id>``,
``annotations.views.protocol``); its pages are ``?page=0`` .. ``?page=n-1``, and the
``?iris=1`` variant lists annotation IRIs instead of full descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from annotations.exports.links import absolute
from annotations.models import Annotation, Evidence
from annotations.verdicts import info as verdict_info
from articles.models import Article, ArticleRevision

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
HTML_ID_FRAGMENTS = "http://tools.ietf.org/rfc/rfc3987"  # FragmentSelector conformsTo for HTML ids

# Annotations per AnnotationPage; tests and deployments may override it with
# the ANNOTATIONS_W3C_PAGE_SIZE setting (see ``page_size``).
PAGE_SIZE = 50

MOTIVATIONS = {Annotation.Kind.NOTE: "commenting", Annotation.Kind.FACT_CHECK: "assessing"}

JSON = dict[str, Any]


def page_size() -> int:
    return int(getattr(settings, "ANNOTATIONS_W3C_PAGE_SIZE", PAGE_SIZE))


def page_count(total: int, size: int) -> int:
    """Number of pages holding ``total`` annotations (0 when there are none)."""
    return (total + size - 1) // size


def iso_datetime(value: datetime) -> str:
    """xsd:dateTime in UTC with an explicit ``Z``, e.g. ``2025-01-06T09:30:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def language_tag(value: str) -> str | None:
    """A BCP 47 tag as the model wants it (``en``, ``zh-Hans``), or None if unusable."""
    parts = [p for p in (value or "").strip().replace("_", "-").split("-") if p]
    if not parts or not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        return None
    return "-".join([parts[0].lower(), *parts[1:]])


# --- IRIs ---------------------------------------------------------------


def annotation_iri(annotation: Annotation | int, *, base_url: str, article: Article | None = None) -> str:
    """The annotation's canonical IRI, inside its article's container (a primary key needs ``article``)."""
    if isinstance(annotation, int):
        pk, slug = annotation, article.slug
    else:
        pk, slug = annotation.pk, (article or annotation.article).slug
    return absolute(base_url, reverse("annotations:article-annotation", kwargs={"slug": slug, "pk": pk}))


def article_iri(article: Article, *, base_url: str) -> str:
    return absolute(base_url, article.get_absolute_url())


def collection_iri(article: Article, *, base_url: str, iris: bool = False) -> str:
    path = reverse("annotations:article-annotations-collection", kwargs={"slug": article.slug})
    return absolute(base_url, path) + ("?iris=1" if iris else "")


def page_iri(article: Article, page: int, *, base_url: str, iris: bool = False) -> str:
    path = reverse("annotations:article-annotations-collection", kwargs={"slug": article.slug})
    return absolute(base_url, path) + ("?iris=1&" if iris else "?") + f"page={page}"


def creator_iri(username: str, *, base_url: str) -> str | None:
    try:
        return absolute(base_url, reverse("annotations:author-detail", kwargs={"username": username}))
    except NoReverseMatch:  # a username the URL pattern cannot carry (never one made through the site)
        return None


# --- one annotation -------------------------------------------------------


def _text_body(value: str, *, purpose: str, language: str | None, media_type: str = "text/plain") -> JSON:
    body: JSON = {"type": "TextualBody", "purpose": purpose, "value": value, "format": media_type}
    if language:
        body["language"] = language
    return body


def _evidence_body(evidence: Evidence, *, annotation: Annotation) -> JSON:
    source: JSON = {"id": evidence.url}
    if evidence.title:
        source["label"] = evidence.title
    body: JSON = {"type": "SpecificResource", "purpose": "linking", "source": source}
    if evidence.excerpt:
        body["selector"] = {"type": "TextQuoteSelector", "exact": evidence.excerpt}
    if evidence.archived_url:
        body["state"] = {
            "type": "TimeState",
            "sourceDate": iso_datetime(annotation.created_at),
            "cached": evidence.archived_url,
        }
    return body


def _creator(annotation: Annotation, *, base_url: str) -> JSON | None:
    author = annotation.author
    if author is None:
        return None
    username = author.get_username()
    creator: JSON = {}
    iri = creator_iri(username, base_url=base_url)
    if iri:
        creator["id"] = iri
    creator["type"] = "Person"
    creator["nickname"] = username
    return creator


def _selector(annotation: Annotation) -> JSON | list[JSON]:
    """The paragraph's ``FragmentSelector`` (refined by the quote and its offsets), and for a quote the same
    ``TextQuoteSelector`` again at the top level: alternatives for clients without ``refinedBy``."""
    selector: JSON = {"type": "FragmentSelector", "conformsTo": HTML_ID_FRAGMENTS, "value": f"p-{annotation.block.key}"}
    if annotation.quote and annotation.quote_start is not None and annotation.quote_end is not None:
        quote: JSON = {"type": "TextQuoteSelector", "exact": annotation.quote}
        if annotation.quote_prefix:
            quote["prefix"] = annotation.quote_prefix
        if annotation.quote_suffix:
            quote["suffix"] = annotation.quote_suffix
        position = {"type": "TextPositionSelector", "start": annotation.quote_start, "end": annotation.quote_end}
        selector["refinedBy"] = [quote, position]
        return [selector, dict(quote)]
    return selector


def _revision_state(revision: ArticleRevision, article: Article, *, base_url: str) -> JSON:
    """The article as it read in ``revision``: its date, and its text's public page as the cached copy."""
    url = reverse("articles:article-revision", kwargs={"slug": article.slug, "number": revision.number})
    return {"type": "TimeState", "sourceDate": iso_datetime(revision.created_at), "cached": absolute(base_url, url)}


def _target(annotation: Annotation, *, base_url: str) -> JSON:
    """Where the annotation points, in the text its words are in.

    Placed annotations whose words are unchanged target the current text:
    the paragraph, the quote and its offsets, dated by the revision those
    offsets refer to. An annotation whose words changed or went (re-anchored
    onto other words, waiting for a moderator, orphaned) targets the text it
    was written on instead: that revision's date and page, and the words the
    author annotated (a ``TextQuoteSelector``; no offsets into a text that no
    longer holds them).
    """
    article = annotation.article
    target: JSON = {"type": "SpecificResource", "source": article_iri(article, base_url=base_url)}
    written_on = annotation.original_revision
    if (annotation.text_changed or not annotation.is_placed) and written_on is not None:
        original = annotation.original_quote or annotation.quote
        if original:
            target["selector"] = {"type": "TextQuoteSelector", "exact": original}
        target["state"] = _revision_state(written_on, article, base_url=base_url)
        return target
    target["selector"] = _selector(annotation)
    revision = annotation.anchored_revision or written_on
    if revision is not None:
        target["state"] = _revision_state(revision, article, base_url=base_url)
    else:  # an article never revised: the text as it read when the annotation was written
        target["state"] = {"type": "TimeState", "sourceDate": iso_datetime(annotation.created_at)}
    return target


def annotation_to_jsonld(annotation: Annotation, *, base_url: str, context: bool = True) -> JSON:
    """One annotation as a W3C Web Annotation (a dict; ``@context`` first).

    ``base_url`` is the scheme and host the IRIs are made absolute with
    (``"https://example.org"``). ``context=False`` leaves out ``@context``
    (for an annotation embedded where a context already applies; the views
    always keep it so every item stands on its own).
    """
    article = annotation.article
    text_language = language_tag(article.language)
    site_language = language_tag(settings.LANGUAGE_CODE)

    reply = annotation.parent_id is not None
    bodies: list[JSON] = [
        _text_body(
            annotation.body,
            purpose="replying" if reply else "commenting",
            language=text_language,
            media_type="text/markdown",
        )
    ]
    if annotation.is_fact_check:
        verdict = verdict_info(annotation.verdict)
        label = verdict.label if verdict else annotation.get_verdict_display()
        bodies.append(_text_body(label, purpose="assessing", language=site_language))
        if annotation.claim_text:
            bodies.append(_text_body(annotation.claim_text, purpose="describing", language=text_language))
    tags = sorted(annotation.tag_list, key=lambda tag: tag.name)  # a stable order keeps the ETag stable
    bodies.extend({"type": "TextualBody", "purpose": "tagging", "value": tag.name} for tag in tags)
    if annotation.is_fact_check:
        bodies.extend(_evidence_body(e, annotation=annotation) for e in annotation.evidence_sources)

    data: JSON = {"@context": ANNO_CONTEXT} if context else {}
    data["id"] = annotation_iri(annotation, base_url=base_url)
    data["type"] = "Annotation"
    # the IRIs a protocol client gave (annotations.services.w3c_input): kept and emitted unchanged
    if annotation.canonical:
        data["canonical"] = annotation.canonical
    if annotation.via:
        data["via"] = annotation.via
    data["motivation"] = "replying" if reply else MOTIVATIONS.get(annotation.kind, "commenting")
    creator = _creator(annotation, base_url=base_url)
    if creator:
        data["creator"] = creator
    data["created"] = iso_datetime(annotation.created_at)
    data["modified"] = iso_datetime(annotation.updated_at)
    data["generator"] = {"id": absolute(base_url, "/"), "type": "Software", "name": settings.SITE_NAME}
    data["body"] = bodies
    # a reply's target is the annotation it answers, by its IRI (the model's "replying" examples)
    data["target"] = (
        annotation_iri(annotation.parent_id, base_url=base_url, article=article)
        if reply
        else _target(annotation, base_url=base_url)
    )
    return data


# --- collections and pages ----------------------------------------------------


def collection_label(article: Article) -> str:
    return f"Annotations on “{article.title}” ({settings.SITE_NAME})"


def _items(items: Sequence[Annotation | int], *, article: Article, base_url: str, iris: bool) -> list:
    if iris:
        return [annotation_iri(item, base_url=base_url, article=article) for item in items]
    return [annotation_to_jsonld(item, base_url=base_url) for item in items]  # type: ignore[arg-type]


def _page_links(article: Article, page: int, *, pages: int, base_url: str, iris: bool) -> JSON:
    links: JSON = {}
    if page > 0:
        links["prev"] = page_iri(article, page - 1, base_url=base_url, iris=iris)
    if page < pages - 1:
        links["next"] = page_iri(article, page + 1, base_url=base_url, iris=iris)
    return links


def collection_to_jsonld(
    *,
    article: Article,
    base_url: str,
    total: int,
    modified: datetime | None,
    size: int,
    first_items: Sequence[Annotation | int] | None = None,
    iris: bool = False,
) -> JSON:
    """An article's AnnotationCollection (also an LDP BasicContainer).

    ``total`` counts every annotation in the collection and ``modified`` is
    the latest change among them (None when empty). ``first_items``, when
    given, are the annotations of page 0 (rows, or primary keys with
    ``iris=True``), embedded as ``first``; with None, ``first`` is only the
    page's IRI (the protocol's PreferMinimalContainer). An empty collection
    has no ``first`` or ``last``.
    """
    pages = page_count(total, size)
    data: JSON = {
        "@context": [ANNO_CONTEXT, LDP_CONTEXT],
        "id": collection_iri(article, base_url=base_url, iris=iris),
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": collection_label(article),
        "total": total,
    }
    if modified is not None:
        data["modified"] = iso_datetime(modified)
    if pages:
        first_iri = page_iri(article, 0, base_url=base_url, iris=iris)
        if first_items is None:
            data["first"] = first_iri
        else:
            first: JSON = {"id": first_iri, "type": "AnnotationPage", "startIndex": 0}
            first.update(_page_links(article, 0, pages=pages, base_url=base_url, iris=iris))
            first["items"] = _items(first_items, article=article, base_url=base_url, iris=iris)
            data["first"] = first
        data["last"] = page_iri(article, pages - 1, base_url=base_url, iris=iris)
    return data


def page_to_jsonld(
    *,
    article: Article,
    base_url: str,
    page: int,
    total: int,
    modified: datetime | None,
    size: int,
    items: Sequence[Annotation | int],
    iris: bool = False,
) -> JSON:
    """Page ``page`` (from 0) of the article's collection, ``items`` being its annotations.

    ``partOf`` describes the collection (id, label, total, first, last) so a
    client landing on any page knows where it is.
    """
    pages = page_count(total, size)
    part_of: JSON = {
        "id": collection_iri(article, base_url=base_url, iris=iris),
        "type": "AnnotationCollection",
        "label": collection_label(article),
        "total": total,
    }
    if modified is not None:
        part_of["modified"] = iso_datetime(modified)
    if pages:
        part_of["first"] = page_iri(article, 0, base_url=base_url, iris=iris)
        part_of["last"] = page_iri(article, pages - 1, base_url=base_url, iris=iris)
    data: JSON = {
        "@context": ANNO_CONTEXT,
        "id": page_iri(article, page, base_url=base_url, iris=iris),
        "type": "AnnotationPage",
        "partOf": part_of,
        "startIndex": page * size,
    }
    data.update(_page_links(article, page, pages=pages, base_url=base_url, iris=iris))
    data["items"] = _items(items, article=article, base_url=base_url, iris=iris)
    return data
