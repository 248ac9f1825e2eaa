"""The annotated article as Markdown for people (pure presenter, no database).

Input is what ``annotations.selectors.article.article_annotations`` returns for an
anonymous reader (approved, public annotations only, numbered in reading
order, each with its thread of replies, nested as lists in its footnote);
output is CommonMark with footnotes (``[^n]``, as GitHub, pandoc and most
editors read them).

Everything that came from people (article text, source details, quotes,
claims, bodies, tags, evidence, user names) is made inert: control
characters are dropped; ``<`` and ``>`` become ``&lt;``/``&gt;`` and an
``&`` that would start an entity becomes ``&amp;`` (no raw HTML, no
autolinks, no entities); ``\\ ` * _ [ ] ~`` are backslash-escaped (no links,
images, footnote references, code or emphasis of their own); a line that
would start a heading, list, quote, table or rule is escaped at its start.
The only links are the ones this module writes, to http(s) addresses, with
their destinations percent-encoded.

Annotation bodies are exported as text: the sanitised ``body_html`` is
converted back to paragraphs, list items and quotes, and its (already
http/https/mailto-only) links are kept as Markdown links.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from django.utils import timezone
from django.utils.dateformat import format as date_format

from annotations.exports.links import absolute, absolute_links
from annotations.exports.markdown_text import (
    body_blocks,
    escape_inline,
    escape_paragraph,
    link_destination,
    md_link,
)
from annotations.models import Annotation
from annotations.selectors.article import BlockView
from annotations.verdicts import SCALE, TRANSLATION_VERDICTS
from articles.models import Article, Block

IMAGE_PLACEHOLDER = "*[image not reproduced]*"
INDENT = "    "  # continuation lines of a footnote


def _date(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "j F Y")


def _paragraph_label(block: Block) -> str:
    return f"¶{block.position}" if block.position is not None else "a removed paragraph"


def _provenance(article: Article) -> list[str]:
    source = getattr(article, "source", None)  # None when the article has no source row
    if source is None:
        return []
    items: list[str] = []
    if source.original_url or source.original_title:
        text = ""
        if source.original_author:
            text += escape_inline(source.original_author) + ", "
        if source.original_url:
            text += md_link(source.original_title or source.original_url, source.original_url)
        else:
            text += f"“{escape_inline(source.original_title)}”"
        if source.original_published_on:
            text += f", published {_date(source.original_published_on)}"
        if source.original_language:
            text += f" ({escape_inline(source.original_language)})"
        items.append(f"**Original:** {text}")
    if source.publisher_name or source.copy_url:
        text = ""
        if source.publisher_name:
            name = (
                md_link(source.publisher_name, source.publisher_url)
                if source.publisher_url
                else escape_inline(source.publisher_name)
            )
            text += f"published by {name}"
        if source.copy_published_on:
            text += f" on {_date(source.copy_published_on)}"
        if article.section:
            text += f", in “{escape_inline(article.section)}”"
        if source.copy_language:
            text += f" ({escape_inline(source.copy_language)})"
        if source.copy_url:
            text += f"{' — ' if text else ''}{md_link(source.copy_url, source.copy_url)}"
        items.append(f"**This copy:** {text.strip()}")
    if source.is_translation:
        text = "**This is a translation**"
        if source.translated_from:
            text += f", from {escape_inline(source.translated_from)}"
        text += "."
        if source.translation_notes:
            text += " " + escape_inline(source.translation_notes)
        items.append(f"**Translation:** {text}")
    if source.retrieved_on or source.archived_url:
        parts = []
        if source.retrieved_on:
            parts.append(_date(source.retrieved_on))
        if source.archived_url:
            parts.append(md_link("archived copy", source.archived_url))
        items.append(f"**Retrieved:** {' · '.join(parts)}")
    if source.rights_note:
        items.append(f"**Rights:** {escape_inline(source.rights_note)}")
    if source.editorial_notes:
        items.append(f"**Editor’s note:** {escape_inline(source.editorial_notes)}")
    if not items:
        return []
    return ["## Where this text comes from", "\n".join(f"- {item}" for item in items)]


def _summary(annotations: list[Annotation], *, is_translation: bool) -> list[str]:
    checks = [a for a in annotations if a.is_fact_check]
    notes = len(annotations) - len(checks)
    lines = []
    if checks:
        counts = Counter(a.verdict for a in checks)
        lines.append(f"- **{len(checks)} fact-check{'s' if len(checks) != 1 else ''}**")
        lines.extend(f"  - {info.label}: {counts[value]}" for value, info in SCALE.items() if counts[value])
        translation = sum(1 for a in checks if a.verdict in TRANSLATION_VERDICTS)
        if is_translation and translation:
            lines.append(f"  - concerning the translation: {translation}")
    else:
        lines.append("- No fact-checks.")
    lines.append(f"- **{notes} note{'s' if notes != 1 else ''}**")
    return ["## Fact-check summary", "\n".join(lines)]


def _heading_text(value) -> str:
    # "#" escaped so that a trailing "#" is not read as closing the heading
    return escape_inline(value).replace("#", "\\#")


def _with_refs(text: str, annotations: Iterable[Annotation]) -> str:
    # escape_inline has already escaped every "!", so "![^1]" cannot open an image
    return text + "".join(f"[^{a.number}]" for a in annotations)


def _block(view: BlockView) -> str:
    block = view.block
    if block.kind == Block.Kind.IMAGE:
        caption = escape_inline(block.text)
        placeholder = f"*[image not reproduced: {caption}]*" if caption else IMAGE_PLACEHOLDER
        return _with_refs(placeholder, view.annotations)
    if block.kind == Block.Kind.HEADING:
        return "## " + _with_refs(_heading_text(block.text), view.annotations)
    return _with_refs(escape_paragraph(block.text), view.annotations)


def _earlier_wording(annotation: Annotation) -> str | None:
    """What readers are told about an annotation whose words changed or went (the article page says the same)."""
    original = annotation.original_quote or annotation.quote
    if annotation.anchor_state == Annotation.AnchorState.ORPHANED or annotation.block.removed_at is not None:
        state = "**Orphaned:** the words it refers to were removed from the article."
    elif annotation.anchor_state == Annotation.AnchorState.NEEDS_REANCHORING:
        what = "fact-check" if annotation.is_fact_check else "note"
        state = f"**Needs review:** the text this {what} refers to has changed since it was written; a moderator will look at it."
    elif annotation.text_changed:
        state = "**Refers to an earlier wording.**"
    else:
        return None
    if original:
        state += f" Earlier wording: “{escape_inline(original)}”"
    return state


def _annotation_blocks(annotation: Annotation, *, base_url: str) -> list[str]:
    blocks: list[str] = []
    earlier = _earlier_wording(annotation)
    if earlier:
        blocks.append(earlier)
    if annotation.quote and annotation.is_placed and not annotation.text_changed:
        blocks.append(f"> “{escape_inline(annotation.quote)}”")
    elif annotation.quote and annotation.is_placed:
        blocks.append(f"> now: “{escape_inline(annotation.quote)}”")
    if annotation.is_fact_check and annotation.claim and annotation.claim != annotation.quote:
        blocks.append(f"**Claim:** {escape_inline(annotation.claim)}")
    blocks.extend(body_blocks(absolute_links(annotation.body_html, base_url)))
    if annotation.is_fact_check:
        evidence = []
        for item in annotation.evidence_sources:
            line = "- " + md_link(item.title or item.url, item.url)
            if item.archived_url and link_destination(item.archived_url):
                line += f" ({md_link('archived', item.archived_url)})"
            if item.excerpt:
                line += f": “{escape_inline(item.excerpt)}”"
            evidence.append(line)
        if evidence:
            blocks.append("**Evidence:**\n" + "\n".join(evidence))
    tags = [escape_inline(tag.name) for tag in annotation.tag_list]
    if tags:
        blocks.append(f"**Tags:** {', '.join(tags)}")
    who = (
        escape_inline(annotation.author.get_username())
        if annotation.author_id and annotation.author
        else "a former user"
    )
    when = _date(annotation.moderated_at or annotation.created_at)
    permalink = absolute(base_url, annotation.get_absolute_url())
    blocks.append(f"— {who}, {when} · [Permalink]({link_destination(permalink) or permalink})")
    blocks.extend(_replies(annotation, base_url=base_url))
    return blocks


def _item(lines: list[str]) -> str:
    """A list item holding ``lines`` (blocks separated by blank lines), its continuation lines indented."""
    text = "\n\n".join(lines)
    return "- " + "\n".join(("  " + line if line else "") if n else line for n, line in enumerate(text.split("\n")))


def _replies(annotation: Annotation, *, base_url: str) -> list[str]:
    """The replies under ``annotation`` (``thread_children``, from the selector), nested as lists (issue #15)."""
    children = getattr(annotation, "thread_children", None) or []
    if not children:
        return []
    items = []
    for reply in children:
        if reply.deleted_at is not None:
            lines = ["*A reply deleted by its author.*"]
        else:
            who = escape_inline(reply.author.get_username()) if reply.author_id and reply.author else "a former user"
            permalink = absolute(base_url, reply.get_absolute_url())
            lines = [
                f"**Reply** — {who}, {_date(reply.moderated_at or reply.created_at)} · "
                f"[Permalink]({link_destination(permalink) or permalink})",
                *body_blocks(absolute_links(reply.body_html, base_url)),
            ]
            tags = [escape_inline(tag.name) for tag in reply.tag_list]
            if tags:
                lines.append(f"**Tags:** {', '.join(tags)}")
        lines.extend(_replies(reply, base_url=base_url))
        items.append(_item(lines))
    count = annotation.reply_count
    return [f"**{count} repl{'y' if count == 1 else 'ies'}:**", "\n".join(items)]


def _head(annotation: Annotation) -> str:
    verdict = annotation.verdict_info
    head = f"**{annotation.get_kind_display()}**"
    if annotation.is_fact_check and verdict is not None:
        head += f" — verdict: **{verdict.label}**"
    return head


def _footnote(annotation: Annotation, *, base_url: str) -> str:
    if annotation.deleted_at is not None:  # kept for its replies
        head = f"*An annotation deleted by its author* (on {_paragraph_label(annotation.block)})"
        body = "\n\n".join(_replies(annotation, base_url=base_url))
        indented = "\n".join(INDENT + line if line else "" for line in body.split("\n"))
        return f"[^{annotation.number}]: {head}\n\n{indented}"
    head = _head(annotation) + f" (on {_paragraph_label(annotation.block)})"
    body = "\n\n".join(_annotation_blocks(annotation, base_url=base_url))
    indented = "\n".join(INDENT + line if line else "" for line in body.split("\n"))
    return f"[^{annotation.number}]: {head}\n\n{indented}"


def _detached(annotation: Annotation, *, base_url: str) -> str:
    """An annotation that lost its place in the text: a list item, not a footnote (nothing in the text refers to it)."""
    if annotation.deleted_at is not None:
        return _item(["*An annotation deleted by its author*", *_replies(annotation, base_url=base_url)])
    body = "\n\n".join([_head(annotation), *_annotation_blocks(annotation, base_url=base_url)])
    return "- " + "\n".join(("  " + line if line else "") if n else line for n, line in enumerate(body.split("\n")))


def article_markdown(
    *, article: Article, block_views: list[BlockView], base_url: str, earlier: Sequence[Annotation] = ()
) -> str:
    """The annotated article as one Markdown document (``block_views`` and ``earlier`` from the selector).

    ``earlier`` are the annotations that lost their place in the text (orphaned, or waiting for a
    moderator after a revision): listed, marked as such, under "Notes on earlier wording".
    """
    annotations = [a for view in block_views for a in view.annotations]
    source = getattr(article, "source", None)
    article_url = absolute(base_url, article.get_absolute_url())

    parts: list[str] = ["# " + _heading_text(article.title)]
    if article.dek:
        parts.append(f"*{escape_inline(article.dek)}*")
    meta = []
    if article.published_on:
        meta.append(_date(article.published_on))
    meta.append(f"Annotated version: <{link_destination(article_url) or article_url}>")
    parts.append("  \n".join(meta))
    counted = [a for a in [*annotations, *earlier] if a.deleted_at is None]  # placeholders hold replies only
    parts.extend(_summary(counted, is_translation=bool(source and source.is_translation)))
    parts.extend(_provenance(article))
    parts.append("## Text")
    parts.extend(_block(view) for view in block_views)
    if annotations:
        parts.append("## Annotations")
        parts.extend(_footnote(a, base_url=base_url) for a in annotations)
    if earlier:
        parts.append("## Notes on earlier wording")
        parts.append(
            "These annotations refer to words the article no longer has, or that changed since they were "
            "written; they are kept, and marked, rather than shown beside text they were not about."
        )
        parts.append("\n\n".join(_detached(a, base_url=base_url) for a in earlier))
    return "\n\n".join(parts) + "\n"
