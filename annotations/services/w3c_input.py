"""W3C Web Annotations as sent to the protocol's containers, read into what ``create_annotation`` takes.

The inverse of ``annotations.exports.w3c``: whatever that presenter emits is
accepted back unchanged (round trip). ``parse_annotation`` reads the JSON
(no database); ``resolve_target`` finds the paragraph and quote in the
article's current text (one query). Both raise ``ProtocolError`` with a
status and a message for people: 400 for JSON that is not a Web Annotation,
409 for a quote found in several paragraphs, 422 for a well-formed
annotation this site cannot store (an unsupported motivation or body, a
target on another site). What the services then refuse (sizes, tags,
evidence, control characters) is theirs to say, with the forms' messages.

What is read (and what each part becomes):

* ``motivation``: ``commenting`` → a note, ``assessing`` → a fact-check
  (also when absent and a body has purpose ``assessing``); ``tagging`` may
  accompany either; ``replying`` → a reply, whose one target is the IRI of the
  annotation it answers (``create_reply``). Any other of the model's motivations: 422.
* ``body``: a ``TextualBody`` with purpose ``commenting`` (or none) → the
  text (``text/plain`` or ``text/markdown``); ``tagging`` → a tag;
  ``assessing`` → the verdict (its value, ``misleading``, its label,
  ``Misleading``, or its IRI on the published scale, ``…/verdicts/#misleading``,
  also as the ``source`` of a ``SpecificResource`` with purpose ``assessing``);
  ``describing`` → the claim; a ``SpecificResource`` with
  purpose ``linking`` → an evidence source (``source.id`` the URL,
  ``source.label`` the title, a ``TextQuoteSelector`` the excerpt, a
  ``TimeState``'s ``cached`` the archived copy).
* ``target``: one ``SpecificResource`` (or an IRI) whose ``source`` is this
  article's page in any form (http or https, with a query or a fragment;
  ``#p-<key>`` names a paragraph). Selectors are alternatives, tried in this
  order: a ``FragmentSelector`` ``p-<key>`` (refined by a
  ``TextQuoteSelector`` and/or a ``TextPositionSelector`` within the
  paragraph), a ``TextQuoteSelector`` (the paragraph is found), a
  ``TextPositionSelector`` over the article's text (its current paragraphs
  joined by blank lines). ``state`` is ignored: the server dates the target.
* ``canonical`` (any absolute IRI, often a ``urn:uuid:``) is kept without
  change and emitted back, as §5.1 requires; a PUT may not change it.
* ``id``: the server assigns the annotation's IRI; an IRI the client sent as
  ``id`` is kept as ``via`` (§5.1), or ``via`` as sent when there is no ``id``.
* ``created``, ``modified``, ``creator``, ``generator`` are the server's:
  ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve, reverse

from annotations.anchoring.quotes import occurrences
from annotations.models import Annotation
from annotations.models.annotation import absolute_iri
from annotations.services.annotations import EvidenceInput, QuoteInput
from annotations.verdicts import SCALE
from articles.models import Article, Block

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# the motivations (and purposes) the Web Annotation model defines
MODEL_MOTIVATIONS = frozenset(
    "assessing bookmarking classifying commenting describing editing highlighting identifying linking "
    "moderating questioning replying tagging".split()
)
MAX_BODIES = 50
MAX_OFFSET = 10**9
BLOCK_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
TEXT_FORMATS = {"text/plain", "text/markdown"}
# the separator between paragraphs in "the article's text" that top-level TextPositionSelectors count in
ARTICLE_TEXT_SEPARATOR = "\n\n"
# the published verdict scale (annotations.views.verdicts): a verdict's IRI is this path with its value as fragment
VERDICT_SCALE_PATH = "/verdicts/"
MAX_IRI_LENGTH = 1000


class ProtocolError(Exception):
    """Input the protocol refuses: ``status`` (4xx), a short ``title`` and a ``detail`` for people."""

    def __init__(self, status: int, detail: str, *, title: str = "", extra: dict | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or {400: "Bad Request", 409: "Conflict", 422: "Unprocessable Content"}.get(status, "Error")
        self.extra = extra or {}


def _bad(detail: str) -> ProtocolError:
    return ProtocolError(400, detail)


def _unprocessable(detail: str) -> ProtocolError:
    return ProtocolError(422, detail)


@dataclass(frozen=True)
class TargetInput:
    """Where the annotation points, as sent (before looking at the article's text)."""

    article_slug: str
    block_key: str | None = None
    # within the paragraph (refinedBy), or, without a paragraph, a quote to find in the article
    exact: str | None = None
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    # offsets over the whole article's text (a top-level TextPositionSelector)
    article_start: int | None = None
    article_end: int | None = None
    # a reply (motivation replying): the annotation of this site it answers, by its IRI (issue #15)
    reply_to: int | None = None


@dataclass(frozen=True)
class AnnotationInput:
    kind: str
    body: str
    target: TargetInput
    tags: list[str] = field(default_factory=list)
    claim: str = ""
    verdict: str = ""
    evidence: list[EvidenceInput] = field(default_factory=list)
    id: str | None = None
    canonical: str = ""
    via: str = ""


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _bad(f"{what} must be a string.")
    return value


def _offset(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_OFFSET:
        raise _bad(f"{what} must be a whole number from 0.")
    return value


def _types(node: dict) -> list[str]:
    return [t for t in _list(node.get("type")) if isinstance(t, str)]


def _purpose(body: dict) -> str | None:
    purposes = _list(body.get("purpose"))
    if len(purposes) > 1:
        raise _unprocessable("Give each body one purpose.")
    if purposes and not isinstance(purposes[0], str):
        raise _bad("A body's purpose must be a string.")
    return purposes[0] if purposes else None


# --- the annotation ----------------------------------------------------------------------------------


def parse_annotation(data: Any, *, article_of_url) -> AnnotationInput:
    """Read a Web Annotation (decoded JSON). ``article_of_url(url)`` gives the article slug an URL of this
    site names, or None for any other URL. Raises ProtocolError."""
    if not isinstance(data, dict):
        raise _bad("The request body must be a JSON object: one Web Annotation.")
    context = data.get("@context")
    if ANNO_CONTEXT not in _list(context):
        raise _bad(f'The annotation\'s "@context" must be "{ANNO_CONTEXT}" (or a list holding it).')
    if "Annotation" not in _types(data):
        raise _bad('The annotation\'s "type" must be "Annotation".')
    if "id" in data and not isinstance(data["id"], str):
        raise _bad("'id' must be an IRI (a string).")
    canonical = _iri(data["canonical"], "'canonical'") if "canonical" in data else ""
    via = data["id"] if "id" in data else data.get("via", "")
    via = _iri(via, "'id'" if "id" in data else "'via'") if via else ""

    motivations = [_string(m, "'motivation'") for m in _list(data.get("motivation"))]
    for motivation in motivations:
        if motivation not in MODEL_MOTIVATIONS:
            raise _bad(f"Unknown motivation '{motivation}': the model's are {', '.join(sorted(MODEL_MOTIVATIONS))}.")
        if motivation not in ("commenting", "assessing", "tagging", "replying"):
            raise _unprocessable(
                f"Motivation '{motivation}' is not supported here: use 'commenting' for a note or 'assessing' "
                "for a fact-check (with 'tagging' bodies for tags)."
            )

    parts = _bodies(data.get("body"))
    if "replying" in motivations:
        return _reply(data, parts, motivations, article_of_url=article_of_url, canonical=canonical, via=via)
    if "assessing" in motivations or (not motivations and parts["verdict"]):
        kind = Annotation.Kind.FACT_CHECK
    else:
        kind = Annotation.Kind.NOTE
    if kind == Annotation.Kind.NOTE and (parts["verdict"] or parts["claim"]):
        raise _unprocessable(
            "A body with purpose 'assessing' or 'describing' makes a fact-check: give the motivation 'assessing'."
        )
    if kind == Annotation.Kind.FACT_CHECK and not parts["verdict"]:
        raise _unprocessable(
            "A fact-check needs a body with purpose 'assessing' whose value is a verdict: " + ", ".join(SCALE) + "."
        )
    return AnnotationInput(
        kind=kind,
        body=parts["text"],
        target=_target(data.get("target"), article_of_url=article_of_url),
        tags=parts["tags"],
        claim=parts["claim"],
        verdict=parts["verdict"],
        evidence=parts["evidence"],
        id=data.get("id"),
        canonical=canonical,
        via=via,
    )


def _reply(data: dict, parts: dict, motivations: list[str], *, article_of_url, canonical: str, via: str):
    """A reply (motivation ``replying``, with ``tagging`` bodies for tags): a text body and one target, the IRI of
    the annotation of this site it answers (``/articles/<slug>/annotations/<id>``)."""
    if set(motivations) - {"replying", "tagging"}:
        raise _unprocessable("A reply's motivation is 'replying' alone (with 'tagging' bodies for tags).")
    if parts["verdict"] or parts["claim"] or parts["evidence"]:
        raise _unprocessable("A reply is a note: no verdict, claim or evidence.")
    targets = _list(data.get("target"))
    if len(targets) != 1:
        raise _unprocessable("A reply has exactly one target: the IRI of the annotation it answers.")
    target = targets[0]
    if isinstance(target, dict):
        target = target.get("id", target.get("source"))
    iri = _string(target, "A reply's target (the IRI of an annotation)")
    found = _annotation_of_iri(iri, article_of_url=article_of_url)
    if found is None:
        raise _unprocessable(
            f"The target {iri!r} is not an annotation of this site (/articles/<slug>/annotations/<id>)."
        )
    slug, pk = found
    return AnnotationInput(
        kind=Annotation.Kind.NOTE,
        body=parts["text"],
        target=TargetInput(article_slug=slug, reply_to=pk),
        tags=parts["tags"],
        id=data.get("id"),
        canonical=canonical,
        via=via,
    )


def _annotation_of_iri(iri: str, *, article_of_url) -> tuple[str, int] | None:
    """(article slug, annotation id) of an annotation IRI of this site; its host is checked by
    ``article_of_url`` on the article's own address."""
    try:
        parts = urlsplit(iri)
        match = resolve(parts.path)
    except (ValueError, Resolver404):
        return None
    if match.view_name != "annotations:article-annotation":
        return None
    slug, pk = match.kwargs["slug"], match.kwargs["pk"]
    article_url = f"{parts.scheme}://{parts.netloc}{reverse('articles:article-detail', kwargs={'slug': slug})}"
    return (slug, pk) if article_of_url(article_url) == slug else None


def _iri(value: Any, what: str) -> str:
    value = _string(value, what)
    if len(value) > MAX_IRI_LENGTH:
        raise _unprocessable(f"{what} is longer than {MAX_IRI_LENGTH} characters.")
    try:
        absolute_iri(value)
    except ValidationError:
        raise _bad(f"{what} must be an absolute IRI (such as urn:uuid:… or https://…), not {value!r}.") from None
    return value


def _verdict(value: str) -> str:
    """A verdict by its value, its label or its IRI on the published scale (any host: behind a proxy the
    scheme and host a client saw may differ from the request's)."""
    parts = urlsplit(value.strip())
    if parts.scheme in ("http", "https") and parts.path == VERDICT_SCALE_PATH and parts.fragment:
        if parts.fragment in SCALE:
            return parts.fragment
        raise _unprocessable(
            f"Unknown verdict IRI '{value}': the scale's are {VERDICT_SCALE_PATH}#<verdict>, one of {', '.join(SCALE)}."
        )
    wanted = value.strip().casefold()
    for info in SCALE.values():
        if wanted in (str(info.value), info.label.casefold()):
            return str(info.value)
    raise _unprocessable(f"Unknown verdict '{value}': use one of {', '.join(SCALE)} (or their labels).")


def _bodies(value: Any) -> dict:
    bodies = _list(value)
    if not bodies:
        raise _unprocessable("An annotation here needs a body: a TextualBody with the note or the explanation.")
    if len(bodies) > MAX_BODIES:
        raise _unprocessable(f"Give at most {MAX_BODIES} bodies.")
    parts: dict[str, Any] = {"text": None, "tags": [], "claim": "", "verdict": "", "evidence": []}
    for body in bodies:
        if not isinstance(body, dict):
            raise _unprocessable(
                "Bodies must be embedded objects (a TextualBody, or a SpecificResource with purpose 'linking')."
            )
        purpose = _purpose(body)
        types = _types(body)
        if "SpecificResource" in types or "source" in body:
            if purpose == "assessing":  # the verdict by its IRI on the published scale
                if parts["verdict"]:
                    raise _unprocessable("Give one verdict (one body with purpose 'assessing').")
                source = body.get("source")
                source = source.get("id") if isinstance(source, dict) else source
                parts["verdict"] = _verdict(_string(source, "An assessing body's 'source' (a verdict IRI)"))
                continue
            if purpose != "linking":
                raise _unprocessable(
                    "A SpecificResource body must have purpose 'linking' (an evidence source) or 'assessing' "
                    "(a verdict IRI)."
                )
            parts["evidence"].append(_evidence(body))
            continue
        if "value" not in body or (types and "TextualBody" not in types):
            raise _unprocessable(
                "Unsupported body: use a TextualBody (with a 'value') or a SpecificResource with purpose 'linking'."
            )
        text = _string(body["value"], "A TextualBody's 'value'")
        media_type = body.get("format")
        if media_type is not None and media_type not in TEXT_FORMATS:
            raise _unprocessable(f"A TextualBody's format must be text/plain or text/markdown, not {media_type!r}.")
        if purpose in (None, "commenting", "replying"):  # replying: a reply's text (issue #15)
            if parts["text"] is not None:
                raise _unprocessable("Give one commenting body (the note, or the fact-check's explanation).")
            parts["text"] = text
        elif purpose == "tagging":
            parts["tags"].append(text)
        elif purpose == "assessing":
            if parts["verdict"]:
                raise _unprocessable("Give one verdict (one body with purpose 'assessing').")
            parts["verdict"] = _verdict(text)
        elif purpose == "describing":
            if parts["claim"]:
                raise _unprocessable("Give one claim (one body with purpose 'describing').")
            parts["claim"] = text
        else:
            raise _unprocessable(
                f"A body with purpose '{purpose}' is not supported: use commenting, tagging, assessing, "
                "describing or linking."
            )
    if parts["text"] is None:
        raise _unprocessable("An annotation here needs a commenting TextualBody: the note or the explanation.")
    return parts


def _evidence(body: dict) -> EvidenceInput:
    source = body.get("source")
    if isinstance(source, list):
        raise _unprocessable("An evidence source has one 'source'.")
    if isinstance(source, str):
        url, title = source, ""
    elif isinstance(source, dict):
        url = _string(source.get("id", ""), "An evidence source's 'id'")
        title = _string(source.get("label", ""), "An evidence source's 'label'")
    else:
        raise _unprocessable("An evidence body needs a 'source': its URL, or {id: URL, label: title}.")
    if not title.strip():
        raise _unprocessable(f"Evidence {url!r} needs a title: give it as the source's 'label'.")
    excerpt = ""
    for selector in _list(body.get("selector")):
        if isinstance(selector, dict) and selector.get("type") == "TextQuoteSelector":
            excerpt = _string(selector.get("exact", ""), "An evidence excerpt's 'exact'")
    archived = ""
    for state in _list(body.get("state")):
        if isinstance(state, dict) and "cached" in state:
            cached = _list(state["cached"])
            archived = _string(cached[0], "An evidence state's 'cached'") if cached else ""
    return EvidenceInput(url=url, title=title, excerpt=excerpt, archived_url=archived)


# --- the target -----------------------------------------------------------------------------------------


def _target(value: Any, *, article_of_url) -> TargetInput:
    targets = _list(value)
    if len(targets) != 1:
        raise _unprocessable("Give exactly one target: this article's page, with a selector.")
    target = targets[0]
    if isinstance(target, str):
        target = {"source": target}
    if not isinstance(target, dict):
        raise _bad("The target must be an IRI or a SpecificResource.")
    source = target.get("source", target.get("id"))
    if isinstance(source, dict):
        source = source.get("id")
    source = _string(source, "The target's 'source'")
    slug = article_of_url(source)
    if slug is None:
        raise _unprocessable(f"The target {source!r} is not an article of this site.")
    fragment = urlsplit(source).fragment
    source_key = fragment[2:] if fragment.startswith("p-") else None

    selectors = [s for s in _list(target.get("selector")) if isinstance(s, dict)]
    by_type: dict[str, dict] = {}
    for selector in selectors:
        by_type.setdefault(selector.get("type"), selector)
    if "FragmentSelector" in by_type:
        return _in_paragraph(slug, _fragment_key(by_type["FragmentSelector"]), by_type["FragmentSelector"])
    if "TextQuoteSelector" in by_type:
        quote = by_type["TextQuoteSelector"]
        return TargetInput(
            article_slug=slug,
            block_key=_checked_key(source_key) if source_key else None,
            exact=_string(quote.get("exact"), "A TextQuoteSelector's 'exact'"),
            prefix=_string(quote.get("prefix", ""), "A TextQuoteSelector's 'prefix'"),
            suffix=_string(quote.get("suffix", ""), "A TextQuoteSelector's 'suffix'"),
        )
    if "TextPositionSelector" in by_type:
        position = by_type["TextPositionSelector"]
        if source_key:
            return _in_paragraph(slug, _checked_key(source_key), {"refinedBy": position})
        start = _offset(position.get("start"), "A TextPositionSelector's 'start'")
        end = _offset(position.get("end"), "A TextPositionSelector's 'end'")
        return TargetInput(article_slug=slug, article_start=start, article_end=end)
    if selectors:
        names = ", ".join(sorted(str(t) for t in by_type))
        raise _unprocessable(
            f"Unsupported selector ({names}): use a FragmentSelector 'p-<key>', a TextQuoteSelector or a "
            "TextPositionSelector."
        )
    if source_key:
        return TargetInput(article_slug=slug, block_key=_checked_key(source_key))
    raise _unprocessable("The target needs a paragraph: a FragmentSelector 'p-<key>' or a TextQuoteSelector.")


def _checked_key(key: str) -> str:
    if not BLOCK_KEY.fullmatch(key):
        raise _unprocessable(f"'p-{key}' is not a paragraph address of this site.")
    return key


def _fragment_key(selector: dict) -> str:
    value = _string(selector.get("value"), "A FragmentSelector's 'value'").removeprefix("#")
    if not value.startswith("p-"):
        raise _unprocessable(f"FragmentSelector {value!r}: paragraphs are addressed as 'p-<key>'.")
    return _checked_key(value[2:])


def _in_paragraph(slug: str, key: str, selector: dict) -> TargetInput:
    exact, prefix, suffix, start, end = None, "", "", None, None
    for refinement in _list(selector.get("refinedBy")):
        if not isinstance(refinement, dict):
            continue
        if refinement.get("type") == "TextQuoteSelector" and exact is None:
            exact = _string(refinement.get("exact"), "A TextQuoteSelector's 'exact'")
            prefix = _string(refinement.get("prefix", ""), "A TextQuoteSelector's 'prefix'")
            suffix = _string(refinement.get("suffix", ""), "A TextQuoteSelector's 'suffix'")
        elif refinement.get("type") == "TextPositionSelector" and start is None:
            start = _offset(refinement.get("start"), "A TextPositionSelector's 'start'")
            end = _offset(refinement.get("end"), "A TextPositionSelector's 'end'")
        elif refinement.get("type") not in ("TextQuoteSelector", "TextPositionSelector"):
            raise _unprocessable("A paragraph may be refined by a TextQuoteSelector or a TextPositionSelector only.")
    return TargetInput(
        article_slug=slug, block_key=key, exact=exact, prefix=prefix, suffix=suffix, start=start, end=end
    )


def article_slug_of_url(url: str, *, hosts: set[str]) -> str | None:
    """The slug of the article an URL of this site names (``hosts``: the site's host names, with ports)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in hosts:
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "articles:article-detail":
        return None
    return match.kwargs.get("slug")


# --- finding the words in the article ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedTarget:
    block_key: str
    quote: QuoteInput


def resolve_target(article: Article, target: TargetInput) -> ResolvedTarget:
    """The paragraph and quote ``target`` names in ``article``'s current text. ProtocolError (409, 422).
    A reply's paragraph is its parent's (``create_annotation`` with ``parent``; one query)."""
    if target.reply_to is not None:
        key = Annotation.objects.filter(pk=target.reply_to, article=article).values_list("block__key", flat=True)
        if not key:
            raise _unprocessable(f"There is no annotation {target.reply_to} on this article to reply to.")
        return ResolvedTarget(block_key=key[0], quote=QuoteInput())
    if target.block_key is not None:
        quote = QuoteInput(
            exact=target.exact or "", start=target.start, end=target.end, prefix=target.prefix, suffix=target.suffix
        )
        if target.exact is None and target.start is not None:
            # offsets only: the words are the paragraph's at those offsets
            block = article.blocks.current().filter(key=target.block_key).only("text").first()
            if block is None:
                raise _unprocessable(f"There is no paragraph p-{target.block_key} in this article.")
            if not target.start < target.end <= len(block.text):
                raise _unprocessable(f"The offsets {target.start}-{target.end} are outside p-{target.block_key}.")
            quote = QuoteInput(exact=block.text[target.start : target.end], start=target.start, end=target.end)
        return ResolvedTarget(block_key=target.block_key, quote=quote)

    blocks = list(article.blocks.current().exclude(kind=Block.Kind.IMAGE).only("key", "text", "position"))
    if target.exact is not None:
        exact = target.exact
        if not exact.strip():
            raise _unprocessable("A TextQuoteSelector's 'exact' cannot be empty.")
        found = [
            block.key
            for block in blocks
            for start in occurrences(block.text, exact)
            if block.text[:start].endswith(target.prefix) and block.text[start + len(exact) :].startswith(target.suffix)
        ]
        if not found:
            raise ProtocolError(
                422,
                "The quoted words (TextQuoteSelector 'exact', with its prefix and suffix) are not in this "
                "article's current text.",
                title="Quote not found",
            )
        if len(found) > 1:
            where = ", ".join(f"p-{key}" for key in dict.fromkeys(found))
            raise ProtocolError(
                409,
                f"The quoted words occur {len(found)} times in this article ({where}); add a prefix or suffix, "
                "or a FragmentSelector naming the paragraph.",
                title="Ambiguous quote",
                extra={"paragraphs": [f"p-{key}" for key in dict.fromkeys(found)]},
            )
        return ResolvedTarget(
            block_key=found[0], quote=QuoteInput(exact=exact, prefix=target.prefix, suffix=target.suffix)
        )

    offset = 0
    for block in blocks:
        end_of_block = offset + len(block.text)
        if offset <= target.article_start and target.article_end <= end_of_block:
            start, end = target.article_start - offset, target.article_end - offset
            if start >= end:
                break
            return ResolvedTarget(
                block_key=block.key, quote=QuoteInput(exact=block.text[start:end], start=start, end=end)
            )
        offset = end_of_block + len(ARTICLE_TEXT_SEPARATOR)
    raise _unprocessable(
        "The TextPositionSelector does not fall within one paragraph of this article's text (its current "
        "paragraphs and headings in order, separated by a blank line)."
    )
