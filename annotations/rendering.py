"""Rendering an annotation body: a small Markdown subset to sanitised HTML.

Escaping contract: the author's text is parsed by markdown-it-py with raw HTML
disabled (HTML in the body is shown as text), then the result is cleaned by
nh3 with an allow-list of tags, attributes and URL schemes (http, https,
mailto), so ``javascript:``/``data:`` links are dropped. The output is safe to
mark safe in templates; nothing else an author writes is.

Mentions: ``@username`` in plain text (not in code, not inside a link) of a
user who exists and is active becomes a link to their page, made here from
the parse tokens (the href is ours, from ``reverse``; the text is the name as
written) and cleaned by nh3 like every other link; an unknown ``@name`` stays
text. Rendered at write time, like the rest: the body's mentions are those of
the moment it was written.
"""

from __future__ import annotations

import nh3
from django.urls import reverse
from markdown_it import MarkdownIt
from markdown_it.token import Token

from annotations.mentions import MAX_MENTIONS, MENTION_RE, mentionable_users, mentioned_names, resolve

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_CLASSES = {"a": {"mention"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False, "breaks": True}).enable(
    ["emphasis", "link", "list", "blockquote", "backticks", "newline", "escape", "autolink", "entity"]
)


def render_body(text: str) -> str:
    html, _ = render_body_and_mentions(text)
    return html


def mentioned_users(text: str) -> list:
    """The users ``text`` mentions: exactly those its rendering links to (in order; at most one query)."""
    _, users = render_body_and_mentions(text)
    return users


def render_body_and_mentions(text: str) -> tuple[str, list]:
    """The sanitised HTML of ``text`` and the users it links to as mentions."""
    env: dict = {}
    tokens = _markdown.parse(text, env)
    names = mentioned_names(text)
    linked: list = []
    if names:
        users = mentionable_users(names)  # one query, only for a body with an @name in it
        if users:
            linked = _link_mentions(tokens, users)
    html = _markdown.renderer.render(tokens, _markdown.options, env)
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener ugc",
    ).strip()
    return html, linked


def _link_mentions(tokens: list[Token], users: dict) -> list:
    """Replace each ``@name`` of an existing user in the inline text tokens (outside links) by a link to them.

    Returns the users linked, each once, in order of first mention (at most ``MAX_MENTIONS`` links).
    """
    linked: list = []
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
                continue
            children.extend(_split(token.content, users, linked))
        block.children = children
    return list(dict.fromkeys(linked))


def _split(content: str, users: dict, linked: list) -> list[Token]:
    pieces: list[Token] = []
    position = 0
    for match in MENTION_RE.finditer(content):
        if len(linked) >= MAX_MENTIONS:
            break
        user, length = resolve(match.group(1), users)
        if user is None:
            continue
        start, end = match.start(), match.start(1) + length
        if start > position:
            pieces.append(_text(content[position:start]))
        link = Token("link_open", "a", 1)
        link.attrs = {"href": reverse("annotations:author-detail", args=[user.get_username()]), "class": "mention"}
        pieces += [link, _text(content[start:end]), Token("link_close", "a", -1)]
        position = end
        linked.append(user)
    if position < len(content):
        pieces.append(_text(content[position:]))
    return pieces


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
