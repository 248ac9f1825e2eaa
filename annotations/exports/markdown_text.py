"""Text made inert for Markdown, and sanitised annotation HTML turned back into Markdown (pure).

The escaping contract of ``annotations.exports.markdown``: everything that came from people is passed
through ``clean_text``/``escape_inline``/``escape_paragraph``; links only through ``md_link`` (http(s)
and mailto destinations, percent-encoded); annotation bodies through ``body_blocks``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

# C0/C1 controls except tab and newline, plus the Unicode separators that
# some renderers treat as line breaks.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]~!])")
# Line starts that would open a block: heading, quote, list, table, rule,
# setext underline, ordered list item ("1986. …" or "1) …").
_LINE_START_PUNCT = re.compile(r"^([#>+\-=|:])")
_LINE_START_ORDERED = re.compile(r"^(\d{1,9})([.)])")
_SAFE_URL = re.compile(r"^(https?|mailto):", re.IGNORECASE)


# --------------------------------------------------------------- escaping


def clean_text(value) -> str:
    """Text without control characters, with ``\\n`` line ends."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def escape_inline(value) -> str:
    """One line of inert Markdown: whitespace collapsed, markup characters escaped."""
    text = " ".join(clean_text(value).split())
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY_START.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return text


def escape_line_start(line: str) -> str:
    """Escape what would make an (already inline-escaped) line start a block."""
    stripped = line.lstrip()
    if _LINE_START_PUNCT.match(stripped):
        return "\\" + stripped
    return _LINE_START_ORDERED.sub(r"\1\\\2", stripped)


def escape_paragraph(value) -> str:
    """A paragraph of user text as one inert Markdown line."""
    return escape_line_start(escape_inline(value))


def link_destination(url: str) -> str | None:
    """An http(s)/mailto URL made safe as a link destination, or ``None``."""
    url = clean_text(url).strip()
    if not url or not _SAFE_URL.match(url):
        return None
    # Percent-encode what could end the destination or the link: spaces,
    # parentheses, angle brackets, quotes, backslashes (and non-ASCII stays as is).
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._", encoding="utf-8")


def md_link(text, url: str) -> str:
    destination = link_destination(url)
    label = escape_inline(text) or escape_inline(url)
    if destination is None:
        return label
    return f"[{label}]({destination})"


# --------------------------------------------------------------- body HTML → text


class _BodyText(HTMLParser):
    """Sanitised body HTML (p, br, em, strong, a, ul, ol, li, blockquote, code) → Markdown lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, bool]] = []  # finished blocks, already escaped; True for list items
        self.current: list[str] = []  # inline pieces of the open block, already escaped
        self.quote_depth = 0
        self.lists: list[list] = []  # stack of [kind, counter]
        self.link: str | None = None
        self.link_text: list[str] = []

    def _flush(self) -> None:
        text = "".join(self.current).strip()
        self.current = []
        if not text:
            return
        lines = [" ".join(line.split()) for line in text.split("\n")]
        lines = [escape_line_start(line) for line in lines if line]
        if not lines:
            return
        quote_prefix = "> " * self.quote_depth
        marker = indent = ""
        if self.lists:
            widths = [len(self._marker(kind, counter)) for kind, counter in self.lists]
            indent = " " * sum(widths[:-1])  # nested lists sit under their parent item's text
            marker = self._marker(*self.lists[-1])
        first = quote_prefix + indent + marker + lines[0]
        rest = [quote_prefix + indent + (" " * len(marker)) + line for line in lines[1:]]
        self.blocks.append(("  \n".join([first, *rest]), bool(marker)))

    @staticmethod
    def _marker(kind: str, counter: int) -> str:
        return f"{max(counter, 1)}. " if kind == "ol" else "- "

    def handle_starttag(self, tag, attrs):
        if tag in {"p", "blockquote", "ul", "ol", "li"}:
            self._flush()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag in {"ul", "ol"}:
            self.lists.append([tag, 0])
        elif tag == "li" and self.lists:
            self.lists[-1][1] += 1
        elif tag == "br":
            self.current.append("\n")
        elif tag == "a":
            self.link = dict(attrs).get("href") or ""
            self.link_text = []

    def handle_endtag(self, tag):
        if tag == "a" and self.link is not None:
            text = "".join(self.link_text)
            self.current.append(md_link(text, self.link) if text.strip() else "")
            self.link = None
            return
        if tag in {"p", "li", "blockquote", "ul", "ol"}:
            self._flush()
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in {"ul", "ol"} and self.lists:
            self.lists.pop()

    def handle_data(self, data):
        if self.link is not None:
            self.link_text.append(data)
            return
        # Newlines in the HTML are only whitespace (<br> is the line break);
        # keep one space at either edge so "a <em>b</em> c" stays "a b c".
        core = escape_inline(data)
        if not core:
            self.current.append(" " if data else "")
            return
        lead = " " if data[:1].isspace() else ""
        trail = " " if data[-1:].isspace() else ""
        self.current.append(lead + core + trail)

    def result(self) -> list[str]:
        """Blocks to separate with blank lines (consecutive list items stay one tight list)."""
        self._flush()
        merged: list[str] = []
        previous_item = False
        for text, is_item in self.blocks:
            if is_item and previous_item:
                merged[-1] += "\n" + text
            else:
                merged.append(text)
            previous_item = is_item
        return merged


def body_blocks(body_html: str) -> list[str]:
    """The annotation body as inert Markdown blocks (paragraphs, list items, quotes)."""
    parser = _BodyText()
    parser.feed(body_html or "")
    parser.close()
    return parser.result()


# --------------------------------------------------------------- the document
