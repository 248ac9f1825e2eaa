"""The HTML of one annotation card, rendered in Python.

An article page can carry thousands of annotations; rendering each through
a template include costs about half a millisecond, so the card is built
here with ``format_html`` (every value escaped, except ``body_html``, which
``annotations.rendering`` sanitised when it was saved). Every page that
shows annotations uses this one renderer through ``{% annotation_card %}``.

Bidirectional text: user text inlined in running text (the claim, the
earlier wording, evidence titles, tags, names, the moderator's reason) is
wrapped in ``<bdi>``, so a right-to-left override or embedding in it
(accepted at input: see ``accounts.text``) cannot reverse the quotation marks
and words around it. The quote stands alone in its ``<blockquote>``, a
paragraph of its own, which isolates it already.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from annotations.models import Annotation

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


def _e(value) -> str:
    """HTML-escape text (the same as Django's ``escape``, without its lazy-string wrapper)."""
    return escape(str(value), quote=True)


def _bdi(value) -> str:
    """User text, escaped and isolated for bidirectional layout (``<bdi>``)."""
    return f"<bdi>{escape(str(value), quote=True)}</bdi>"


def _evidence(annotation: Annotation) -> str:
    sources = annotation.evidence_sources
    if not annotation.is_fact_check or not sources:
        return ""
    items = []
    for source in sources:
        archived = (
            f' (<a href="{_e(source.archived_url)}" rel="nofollow noopener ugc">archived</a>)'
            if source.archived_url
            else ""
        )
        excerpt = (
            f'<blockquote class="evidence-excerpt">{linebreaksbr(source.excerpt, autoescape=True)}</blockquote>'
            if source.excerpt
            else ""
        )
        items.append(
            f'<li><a href="{_e(source.url)}" rel="nofollow noopener ugc">{_bdi(source.title)}</a>{archived}{excerpt}</li>'
        )
    return f'<div class="evidence"><p class="evidence-label">Evidence</p><ul>{"".join(items)}</ul></div>'


def _dates(value) -> tuple[str, str]:
    """(ISO 8601 to the second, "29 Nov 2026") in the site's time zone, as the ``date`` filter would give.

    No microseconds: HTML's ``<time datetime>`` allows at most three fraction digits.
    """
    local = timezone.localtime(value).replace(microsecond=0)
    return local.isoformat(), f"{local.day} {MONTHS_3[local.month].title()} {local.year}"


@lru_cache(maxsize=1)
def _login_url() -> str:
    return reverse("login")


def _reply_link(annotation: Annotation, user_id: int | None) -> str:
    """A "Reply" link to the reply form (a page of its own, enhanced in place by ``static/js/annotate.js``)
    on a published annotation; for readers without a session, a link to log in first. Depends only on
    whether there is a user: the cached fragments are per audience."""
    if annotation.status != Annotation.Status.APPROVED or annotation.is_private or annotation.deleted_at is not None:
        return ""
    reply_url = _url("annotations:annotation-reply", annotation.pk)
    if user_id is None:
        return f' · <a class="reply-link" href="{_e(_login_url())}?next={_e(reply_url)}" rel="nofollow">Log in to reply</a>'
    return f' · <a class="reply-link" href="{reply_url}" data-reply-to="{annotation.pk}">Reply</a>'


def _thread(annotation: Annotation, *, user) -> str:
    """The replies a page shows under ``annotation`` (``annotations.selectors.threads``: ``thread_children``),
    nested, and a link to the rest on its permalink page (which shows the whole thread)."""
    children = getattr(annotation, "thread_children", None) or []
    count = getattr(annotation, "reply_count", 0)
    if not children and not count:
        return ""
    items = "".join(f"<li>{render_card(child, user=user, in_thread=True)}</li>" for child in children)
    listing = f'<ol class="reply-list">{items}</ol>' if items else ""
    more = ""
    if getattr(annotation, "replies_hidden", 0) > 0:
        more = (
            f'<p class="all-replies"><a href="{_url("annotations:annotation-detail", annotation.pk)}#replies">'
            f"All {count} replies</a></p>"
        )
    label = f"{count} repl{'y' if count == 1 else 'ies'}"
    return (
        f'<section class="replies" aria-label="Replies to annotation {annotation.pk}">'
        f'<p class="reply-count">{label}</p>{listing}{more}</section>'
    )


def _deleted_card(annotation: Annotation, *, user) -> SafeString:
    """A deleted annotation that still has replies: no body, no author, only its place in the thread."""
    pk = annotation.pk
    what = "reply" if annotation.parent_id else "annotation"
    parts = [
        f'<p class="deleted-note">This {what} was deleted by its author.</p>',
        f'<footer class="annotation-meta"><a href="{_url("annotations:annotation-detail", pk)}">Permalink</a></footer>',
        _thread(annotation, user=user),
    ]
    return mark_safe(f'<article class="annotation annotation-deleted" id="a-{pk}">' + "\n".join(parts) + "</article>")


def render_card(annotation: Annotation, *, user, in_thread: bool = False) -> SafeString:
    """One annotation as the ``<article class="annotation">`` card readers see, with the replies under it
    (``thread_children``, when a selector attached them). A reply shown outside its thread (an author's
    page, search, tags: ``in_thread`` False) says what it answers.

    Escaping: every value goes through ``_e`` except ``body_html``, which
    ``annotations.rendering`` sanitised with nh3 when it was saved.
    Per-user parts (the Flag link, the author's Edit/Delete links and the
    moderator's reason) depend on ``user``; callers that cache the output
    must cache it per audience (see ``annotations.views.article``).
    """
    if annotation.deleted_at is not None:
        return _deleted_card(annotation, user=user)
    user_id = user.pk if user is not None and user.is_authenticated else None
    is_own = annotation.author_id is not None and annotation.author_id == user_id
    reply = annotation.parent_id is not None
    status = annotation.status
    pk = annotation.pk
    private = annotation.is_private
    fact_check = annotation.is_fact_check

    head = []
    number = getattr(annotation, "number", None)
    if number:
        head.append(f'<span class="annotation-number" aria-hidden="true">[{number}]</span>')
    head.append(f'<span class="kind-label">{"Reply" if reply else _e(annotation.get_kind_display())}</span>')
    if fact_check and annotation.verdict:
        head.append(
            f'<span class="verdict verdict-{_e(annotation.verdict)}"><span class="visually-hidden">Verdict: </span>'
            f"{_e(annotation.get_verdict_display())}</span>"
        )
    if private:
        head.append('<span class="badge badge-private">Private: only you</span>')
    if status != Annotation.Status.APPROVED:
        head.append(f'<span class="badge badge-status">{_e(annotation.get_status_display())}</span>')

    parts = [f'<header class="annotation-head">{" ".join(head)}</header>']
    if reply and not in_thread:
        parent_url = _url("annotations:annotation-detail", annotation.parent_id)
        parts.append(
            f'<p class="reply-to">In reply to <a href="{parent_url}">annotation {annotation.parent_id}</a></p>'
        )
    quote = annotation.quote
    if quote:
        parts.append(f'<blockquote class="annotation-quote"><mark>{_e(quote)}</mark></blockquote>')
    if fact_check and annotation.anchor_state == Annotation.AnchorState.NEEDS_REANCHORING:
        # never shown as if nothing happened: the verdict was given on other words (issue 13)
        checked = annotation.original_quote or quote
        words = f" It checked: “{_bdi(checked)}”." if checked else " It checked an earlier wording of the paragraph."
        parts.append(
            '<p class="earlier-wording-note fact-check-changed"><strong>The text this fact-check refers to has '
            f"changed since it was checked.</strong>{words}</p>"
        )
    elif getattr(annotation, "text_changed", False):
        original = annotation.original_quote
        if original and original != quote:
            parts.append(f'<p class="earlier-wording-note">This refers to an earlier wording: “{_bdi(original)}”.</p>')
        elif not quote:
            parts.append('<p class="earlier-wording-note">This refers to an earlier wording of the paragraph.</p>')
        else:
            parts.append('<p class="earlier-wording-note">This refers to an earlier wording.</p>')
    reviewed_at = getattr(annotation, "anchor_reviewed_at", None)
    if fact_check and reviewed_at and annotation.anchor_state == Annotation.AnchorState.ANCHORED:
        # a moderator confirmed it (or re-attached it) after the text changed (annotations.services.anchor_review)
        reviewed_iso, reviewed_day = _dates(reviewed_at)
        parts.append(
            f'<p class="rechecked-note">Re-checked on <time datetime="{reviewed_iso}">{reviewed_day}</time> '
            "after the text changed.</p>"
        )
    if fact_check and annotation.claim and annotation.claim != quote:
        parts.append(f'<p class="claim"><strong>Claim:</strong> {_bdi(annotation.claim)}</p>')
    # body_html was sanitised by nh3 when saved (annotations.rendering)
    parts.append(f'<div class="annotation-body">{annotation.body_html}</div>')
    evidence = _evidence(annotation)
    if evidence:
        parts.append(evidence)
    tags = annotation.tag_list
    if tags:
        links = "".join(
            f'<li><a class="tag" href="{_e(_tag_url(t.slug))}" rel="tag">{_bdi(t.name)}</a></li>' for t in tags
        )
        parts.append(f'<ul class="tag-list" aria-label="Tags">{links}</ul>')
    if annotation.moderation_reason and is_own and status != Annotation.Status.APPROVED:
        parts.append(
            f'<p class="moderation-reason"><strong>Moderator’s reason:</strong> {_bdi(annotation.moderation_reason)}</p>'
        )

    author = annotation.author
    if author is not None:
        name = author.get_username()
        who = f'<a href="{_e(_author_url(name))}">{_bdi(name)}</a>'
    else:
        who = "a former user"
    iso, day = _dates(annotation.created_at)
    edited = ""
    if annotation.edited_at is not None:
        edited_iso, edited_day = _dates(annotation.edited_at)
        edited = f' (<time datetime="{edited_iso}" title="edited {edited_day}">edited</time>)'
    meta = f'<span>{who}</span> · <time datetime="{iso}">{day}</time>{edited} · <a href="{_url("annotations:annotation-detail", pk)}">Permalink</a>'
    meta += _reply_link(annotation, user_id)
    if user_id is not None and not is_own and status == Annotation.Status.APPROVED and not private:
        meta += f' · <a href="{_url("annotations:annotation-flag", pk)}" rel="nofollow">Flag</a>'
    if is_own:
        meta += (
            f' · <a href="{_url("annotations:annotation-edit", pk)}">Edit</a>'
            f' · <a href="{_url("annotations:annotation-delete", pk)}">Delete</a>'
        )
    parts.append(f'<footer class="annotation-meta">{meta}</footer>')
    thread = _thread(annotation, user=user)
    if thread:
        parts.append(thread)
    kind_class = "reply" if reply else _e(annotation.kind)
    classes = f"annotation annotation-{kind_class}{' is-private' if private else ''} status-{_e(status)}"
    return mark_safe(f'<article class="{classes}" id="a-{pk}">' + "\n".join(parts) + "</article>")


def render_highlighted_text(segments) -> SafeString:
    """A paragraph's text with its quoted runs in ``<mark>`` and a ``[n]`` link after each quote.

    The marks carry a background and an underline and the numbered link
    follows, so the highlight does not rely on colour alone.
    """
    out = []
    for segment in segments:
        text = _e(segment.text)
        if segment.annotation_ids:
            ids = " ".join(str(pk) for pk in segment.annotation_ids)
            out.append(f'<mark class="quote-mark" data-annotations="{ids}">{text}</mark>')
        else:
            out.append(text)
        for a in segment.ends:
            out.append(
                f'<a class="quote-ref" href="#a-{a.pk}"><span class="visually-hidden">annotation </span>'
                f"[{getattr(a, 'number', None) or '*'}]</a>"
            )
    return mark_safe("".join(out))
