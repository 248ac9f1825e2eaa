"""Rendering an annotation body: a small Markdown subset to sanitised HTML.

Escaping contract: the author's text is parsed by markdown-it-py with raw HTML
disabled (HTML in the body is shown as text), then the result is cleaned by
nh3 with an allow-list of tags, attributes and URL schemes (http, https,
mailto), so ``javascript:``/``data:`` links are dropped. The output is safe to
mark safe in templates; nothing else an author writes is.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False, "breaks": True}).enable(
    ["emphasis", "link", "list", "blockquote", "backticks", "newline", "escape", "autolink", "entity"]
)


def render_body(text: str) -> str:
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener ugc",
    ).strip()
