"""The HTML of one annotation card, rendered in Python.

An article page can carry thousands of annotations; rendering each through
a template include costs about half a millisecond, so the card is built
here with ``format_html`` (every value escaped, except ``body_html``, which
``annotations.rendering`` sanitised when it was saved). Every page that
shows annotations uses this one renderer through ``{% annotation_card %}``.
"""

from __future__ import annotations

from functools import lru_cache

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from .models import Annotation

_PLACEHOLDER = 987654321


@lru_cache(maxsize=16)
def _route(name: str) -> tuple[str, str]:
    """(prefix, suffix) of a URL taking one ``pk``, so building it costs a string join."""
    url = reverse(name, kwargs={"pk": _PLACEHOLDER})
    prefix, suffix = url.split(str(_PLACEHOLDER))
    return prefix, suffix


def _url(name: str, pk: int) -> str:
    prefix, suffix = _route(name)
    return f"{prefix}{pk}{suffix}"


@lru_cache(maxsize=4096)
def _author_url(username: str) -> str:
    return reverse("annotations:author-detail", kwargs={"username": username})


@lru_cache(maxsize=4096)
def _tag_url(slug: str) -> str:
    return reverse("annotations:tag-detail", kwargs={"slug": slug})


def _evidence(annotation: Annotation) -> SafeString:
    sources = annotation.evidence_sources
    if not annotation.is_fact_check or not sources:
        return SafeString("")
    items = []
    for source in sources:
        archived = (
            format_html(' (<a href="{}" rel="nofollow noopener ugc">archived</a>)', source.archived_url)
            if source.archived_url
            else ""
        )
        excerpt = (
            format_html('<blockquote class="evidence-excerpt">{}</blockquote>', linebreaksbr(source.excerpt, autoescape=True))
            if source.excerpt
            else ""
        )
        items.append(format_html('<li><a href="{}" rel="nofollow noopener ugc">{}</a>{}{}</li>', source.url, source.title, archived, excerpt))
    return format_html(
        '<div class="evidence"><p class="evidence-label">Evidence</p><ul>{}</ul></div>', mark_safe("".join(items))
    )


def render_card(annotation: Annotation, *, user) -> SafeString:
    """One annotation as the ``<article class="annotation">`` card readers see.

    Per-user parts (the Flag link, the author's Edit/Delete links and the
    moderator's reason) depend on ``user``; callers that cache the output
    must cache it per audience (see ``annotations.views.article``).
    """
    user_id = user.pk if user is not None and user.is_authenticated else None
    is_own = annotation.author_id is not None and annotation.author_id == user_id
    status = annotation.status
    classes = f"annotation annotation-{annotation.kind}{' is-private' if annotation.is_private else ''} status-{status}"

    head = []
    number = getattr(annotation, "number", None)
    if number:
        head.append(format_html('<span class="annotation-number" aria-hidden="true">[{}]</span>', number))
    head.append(format_html('<span class="kind-label">{}</span>', annotation.get_kind_display()))
    if annotation.is_fact_check and annotation.verdict:
        head.append(
            format_html(
                '<span class="verdict verdict-{}"><span class="visually-hidden">Verdict: </span>{}</span>',
                annotation.verdict,
                annotation.get_verdict_display(),
            )
        )
    if annotation.is_private:
        head.append(mark_safe('<span class="badge badge-private">Private: only you</span>'))
    if status != Annotation.Status.APPROVED:
        head.append(format_html('<span class="badge badge-status">{}</span>', annotation.get_status_display()))

    parts = [format_html('<header class="annotation-head">{}</header>', mark_safe(" ".join(head)))]
    if annotation.quote:
        parts.append(format_html('<blockquote class="annotation-quote"><mark>{}</mark></blockquote>', annotation.quote))
    if getattr(annotation, "text_changed", False):
        if annotation.original_quote and annotation.original_quote != annotation.quote:
            parts.append(format_html('<p class="earlier-wording-note">This refers to an earlier wording: “{}”.</p>', annotation.original_quote))
        elif not annotation.quote:
            parts.append(mark_safe('<p class="earlier-wording-note">This refers to an earlier wording of the paragraph.</p>'))
        else:
            parts.append(mark_safe('<p class="earlier-wording-note">This refers to an earlier wording.</p>'))
    if annotation.is_fact_check and annotation.claim and annotation.claim != annotation.quote:
        parts.append(format_html('<p class="claim"><strong>Claim:</strong> {}</p>', annotation.claim))
    # body_html was sanitised by nh3 when saved (annotations.rendering)
    parts.append(format_html('<div class="annotation-body">{}</div>', mark_safe(annotation.body_html)))
    parts.append(_evidence(annotation))
    tags = annotation.tag_list
    if tags:
        parts.append(
            format_html(
                '<ul class="tag-list" aria-label="Tags">{}</ul>',
                format_html_join("", '<li><a class="tag" href="{}" rel="tag">{}</a></li>', ((_tag_url(t.slug), t.name) for t in tags)),
            )
        )
    if annotation.moderation_reason and is_own and status != Annotation.Status.APPROVED:
        parts.append(
            format_html('<p class="moderation-reason"><strong>Moderator’s reason:</strong> {}</p>', annotation.moderation_reason)
        )

    author = annotation.author
    who = (
        format_html('<a href="{}">{}</a>', _author_url(author.get_username()), author.get_username())
        if author is not None
        else "a former user"
    )
    edited = " (edited)" if int(annotation.updated_at.timestamp()) != int(annotation.created_at.timestamp()) else ""
    meta = [
        format_html(
            '<span>{}</span> · <time datetime="{}">{}</time>{} · <a href="{}">Permalink</a>',
            who,
            date_filter(annotation.created_at, "c"),
            date_filter(annotation.created_at, "j M Y"),
            edited,
            _url("annotations:annotation-detail", annotation.pk),
        )
    ]
    if user_id is not None and not is_own and status == Annotation.Status.APPROVED and not annotation.is_private:
        meta.append(format_html(' · <a href="{}" rel="nofollow">Flag</a>', _url("annotations:annotation-flag", annotation.pk)))
    if is_own:
        meta.append(
            format_html(
                ' · <a href="{}">Edit</a> · <a href="{}">Delete</a>',
                _url("annotations:annotation-edit", annotation.pk),
                _url("annotations:annotation-delete", annotation.pk),
            )
        )
    parts.append(format_html('<footer class="annotation-meta">{}</footer>', mark_safe("".join(meta))))
    return format_html(
        '<article class="{}" id="a-{}">{}</article>', classes, annotation.pk, mark_safe("\n".join(str(p) for p in parts if p))
    )
