"""An HTML safety scanner for the security tests (a helper module: no fixtures, no tests).

``scan_html`` parses a page with Python's ``html.parser`` (no browser needed)
and lists what would let a script run: a ``<script>`` element that is not the
site's own (a ``src`` under ``/static/``, or a JSON data block), an ``on*``
event-handler attribute, a ``javascript:``/``data:``/``vbscript:`` URL in a
URL-carrying attribute, or an element that can run or frame content
(``<svg>``, ``<iframe>``, ``<object>``, ``<base>`` …).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "cite",
    "data",
    "srcset",
    "lowsrc",
    "dynsrc",
    "ping",
    "manifest",
    "codebase",
    "longdesc",
    "usemap",
    "icon",
    "profile",
    "archive",
}
# Elements no page of this site writes and that can run, embed or re-base content.
FORBIDDEN_ELEMENTS = {
    "svg",
    "math",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "portal",
    "isindex",
    "xmp",
    "plaintext",
    "noembed",
    "listing",
}
DANGEROUS_SCHEME = re.compile(r"^(?:javascript|vbscript|data|livescript|mocha):", re.IGNORECASE)
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
# Where the site's own scripts come from (static files, and the admin's JavaScript catalogue).
SITE_SCRIPT_PATHS = ("/static/", "/admin/jsi18n/")


def normalise_url(value: str) -> str:
    """A URL as a browser reads its scheme: leading controls/spaces dropped, tabs and newlines removed."""
    value = re.sub(r"[\t\n\r]", "", value or "")
    return re.sub(r"^[\x00-\x20]+", "", value)


@dataclass
class PageScan:
    problems: list[str] = field(default_factory=list)
    text: str = ""  # the page's text (outside script elements), entities decoded
    scripts: list[tuple[dict, str]] = field(default_factory=list)  # (attributes, content)
    elements: list[tuple[str, dict]] = field(default_factory=list)

    def json_data_blocks(self, kind: str = "application/ld+json") -> list[str]:
        return [content for attrs, content in self.scripts if (attrs.get("type") or "").lower() == kind]


# The admin draws its theme-switch icons with inline SVG (no script, no event handlers).
ADMIN_SVG = {"svg", "use", "symbol", "path", "g", "title", "defs", "circle", "rect", "polygon", "line"}


class _Scanner(HTMLParser):
    def __init__(self, *, admin: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.admin = admin
        self.result = PageScan()
        self._text: list[str] = []
        self._script: tuple[dict, list[str]] | None = None

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        values = {name.lower(): (value or "") for name, value in attrs}
        self.result.elements.append((tag, values))
        problems = self.result.problems
        if tag in FORBIDDEN_ELEMENTS and not (self.admin and tag in ADMIN_SVG):
            problems.append(f"<{tag}> element: {values}")
        for name, value in values.items():
            if name.startswith("on"):
                problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and DANGEROUS_SCHEME.match(normalise_url(value)):
                problems.append(f"dangerous URL {name}={value!r} on <{tag}>")
            if name == "srcdoc":
                problems.append(f"srcdoc on <{tag}>")
            if name == "style" and re.search(
                r"expression\s*\(|javascript:|url\s*\(\s*['\"]?\s*javascript", value, re.I
            ):
                problems.append(f"scripting style {value!r} on <{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            problems.append(f"meta refresh {values}")
        if tag == "img" and not values.get("src", "").startswith("/static/"):
            problems.append(f"<img> not from /static/: {values}")
        if tag == "script":
            kind = values.get("type", "").lower()
            src = values.get("src")
            if src is not None and src.startswith(SITE_SCRIPT_PATHS) and kind in ("", "text/javascript", "module"):
                pass
            elif src is None and kind in DATA_SCRIPT_TYPES:
                pass
            else:
                problems.append(f"foreign <script> {values}")

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)
        if tag.lower() == "script":
            self._script = ({name.lower(): (value or "") for name, value in attrs}, [])

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        if tag.lower() == "script" and self._script is not None:
            attrs, parts = self._script
            self.result.scripts.append((attrs, "".join(parts)))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)
        else:
            self._text.append(data)

    def close(self):
        super().close()
        self.result.text = "".join(self._text)


def scan_html(html: str, *, admin: bool = False) -> PageScan:
    """``admin``: a Django admin page, whose own inline SVG icons are allowed (their attributes are still checked)."""
    scanner = _Scanner(admin=admin)
    scanner.feed(html)
    scanner.close()
    result = scanner.result
    for attrs, content in result.scripts:
        kind = (attrs.get("type") or "").lower()
        if kind in DATA_SCRIPT_TYPES:
            lowered = content.lower()
            if "<!--" in lowered or "<script" in lowered or "</script" in lowered:
                result.problems.append(f"markup inside a {kind} block: {content[:200]!r}")
            if kind == "application/ld+json":
                try:
                    json.loads(content)
                except ValueError as exc:
                    result.problems.append(f"invalid JSON-LD ({exc}): {content[:200]!r}")
    return result


def squash(text: str) -> str:
    """White space collapsed (as the page's text and the payload are compared)."""
    return " ".join(text.split())


def assert_page_is_safe(html: str, *, where: str = "", admin: bool = False) -> PageScan:
    scan = scan_html(html, admin=admin)
    assert not scan.problems, f"{where}: " + "\n".join(scan.problems[:20])
    return scan


# --------------------------------------------------------------------------- bidirectional isolation

# Embeddings, overrides and isolates that stay open until closed or the paragraph ends (the marks U+200E/F
# are single strong characters and reorder nothing around them).
BIDI_OPENERS = re.compile("[\u202a-\u202e\u2066-\u2068]")
# Elements that end a bidi paragraph or isolate their content from the text around them.
BIDI_BOUNDARIES = {
    *("address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt"),
    *("fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
    *("html", "legend", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody"),
    *("td", "tfoot", "th", "thead", "tr", "ul", "bdi", "output", "option", "select"),
}
# The article's own paragraph text (the newsroom's, not user text): on the article page, the permalink's context,
# the moderation queue's context.
ARTICLE_TEXT = {"block-text", "paragraph-context", "context"}
UNRENDERED = {"script", "style", "template", "title", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _BidiScanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[list] = []  # [tag, isolates, tainted_by, inside the article's own text]
        self.leaks: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        isolates = tag in BIDI_BOUNDARIES or any(name == "dir" for name, _ in attrs)
        classes = set((dict(attrs).get("class") or "").split())
        article_text = bool(classes & ARTICLE_TEXT) or any(entry[3] for entry in self.stack)
        self.stack.append([tag, isolates, None, article_text])

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if any(entry[0] in UNRENDERED for entry in self.stack):
            return
        # text after an unclosed run, in the same isolating container: pulled into the run
        for entry in self.stack:
            if entry[2] is not None and data.strip():
                self.leaks.append((entry[2], data))
                entry[2] = None
        if BIDI_OPENERS.search(data) and not (self.stack and self.stack[-1][3]):
            container = next((e for e in reversed(self.stack) if e[1]), None)
            if container is not None and not _closed(data):
                container[2] = data


def _closed(text: str) -> bool:
    """Every embedding/override is closed by a U+202C and every isolate by a U+2069, in order, in ``text``."""
    depth = 0
    for char in text:
        if char in "\u202c\u2069":
            depth = max(depth - 1, 0)
        elif "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2068":
            depth += 1
    return depth == 0


def bidi_leaks(html: str) -> list[tuple[str, str]]:
    """(user text with an unclosed bidi control, the page text after it that it would reorder), for every
    such run not isolated by ``<bdi>``, an element with ``dir``, or a block of its own."""
    scanner = _BidiScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.leaks


def assert_bidi_isolated(html: str, *, where: str) -> None:
    leaks = bidi_leaks(html)
    assert not leaks, f"{where}: a bidi control's run is not isolated: {leaks[:3]!r}"
