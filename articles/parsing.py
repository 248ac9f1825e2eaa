"""Pure parsing of article files into plain data (no ORM, no database).

Two formats are understood:

* the **house format** of scraped republished pages: a headline line, an
  optional ``#Section ·YYYY-MM-DD`` line, one paragraph per line, image
  placeholders such as ``图片``, short heading lines, an optional
  ``Blog link: URL`` line naming the original, then page furniture (``TAGS:``,
  bullet lists of contact details, the company and ICP licence line,
  ``friend link``) that is dropped except for the publisher's name;
* **Markdown**: ``# Title``, paragraphs separated by blank lines, ``##``
  headings and ``![alt](src)`` images.

``read_document`` turns a path into text, refusing what is not a readable
UTF-8 text file; ``parse_document`` turns text into a ``ParsedArticle``.
Both raise ``DocumentError`` with a one-line message meant for people.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

PARAGRAPH = "paragraph"
HEADING = "heading"
IMAGE = "image"

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}


class DocumentError(ValueError):
    """The file cannot be imported; the message says why, in one line."""


@dataclass(frozen=True)
class ParsedBlock:
    kind: str
    text: str


@dataclass
class ParsedSource:
    original_url: str = ""
    publisher_name: str = ""
    copy_published_on: dt.date | None = None


@dataclass
class ParsedArticle:
    title: str
    format: str
    section: str = ""
    published_on: dt.date | None = None
    language: str = "en"
    blocks: list[ParsedBlock] = field(default_factory=list)
    source: ParsedSource = field(default_factory=ParsedSource)
    dropped: list[str] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[ParsedBlock]:
        return [b for b in self.blocks if b.kind == PARAGRAPH]

    @property
    def headings(self) -> list[ParsedBlock]:
        return [b for b in self.blocks if b.kind == HEADING]


# ---------------------------------------------------------------- reading


def read_document(path: str | Path, *, max_bytes: int) -> str:
    """Read a UTF-8 text file, refusing missing, empty, binary or oversized files."""
    p = Path(path)
    if not p.exists():
        raise DocumentError(f"no such file: {p}")
    if not p.is_file():
        raise DocumentError(f"not a regular file: {p}")
    size = p.stat().st_size
    if size == 0:
        raise DocumentError(f"the file is empty: {p}")
    if size > max_bytes:
        raise DocumentError(f"the file is {size:,} bytes, over the {max_bytes:,}-byte limit: {p}")
    raw = p.read_bytes()
    return decode_document(raw, name=str(p))


def decode_document(raw: bytes, *, name: str = "the file") -> str:
    if b"\x00" in raw:
        raise DocumentError(f"{name} looks binary (it contains NUL bytes), not a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{name} is not valid UTF-8 (bad byte at offset {exc.start}); save it as UTF-8") from None
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise DocumentError(f"{name} looks binary (too many control characters), not a text file")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{name} holds only white space")
    return text


# The one input-cleaning rule for text (``accounts.text``, which this pure module may not import: it imports
# Django): control characters other than tab, line feed and carriage return are refused, never stripped, so
# that what is stored is what the file says. ``tests/articles/test_parsing.py`` checks both sets agree.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_control_characters(text: str) -> None:
    """Raise ``DocumentError`` naming the first control character (other than tab and line breaks) and its line."""
    found = CONTROL_RE.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    raise DocumentError(
        f"line {line}, column {column}: remove the invisible control character U+{ord(found.group()):04X} "
        "(text may contain line breaks and tabs, but no other control characters); nothing was imported"
    )


# ---------------------------------------------------------------- parsing

SECTION_DATE_RE = re.compile(r"^#\s*(?P<section>[^#·•|]*?)\s*[·•|]\s*(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s*$")
IMAGE_PLACEHOLDER_RE = re.compile(
    r"^[\[【(（]?\s*(图片|圖片|图像|圖像|image|picture|photo|img)\s*[\]】)）]?$", re.IGNORECASE
)
SOURCE_LINK_RE = re.compile(
    r"^(?:blog|original|source|original\s+article|原文)\s*(?:link|url|链接|地址)?\s*[:：]\s*<?(?P<url>https?://[^\s<>]+?)>?\s*$",
    re.IGNORECASE,
)
TAGS_RE = re.compile(r"^(tags?|标签)\s*[:：]", re.IGNORECASE)
FRIEND_LINK_RE = re.compile(r"^(friend(ly)?\s+links?|友情链接)\s*[:：]?\s*$", re.IGNORECASE)
ICP_RE = re.compile(r"\bICP\b|ICP备|ICP證|ICP证")
BULLET_RE = re.compile(r"^\s*[•●▪◦·∙]\s*")
COMPANY_RE = re.compile(
    r"(?P<name>[^\n]*?\b(?:Co\.,?\s*Ltd\.?|Ltd\.?|Limited|Inc\.?|LLC|GmbH|Corporation|Corp\.?))(?=\s|$|[,;:])"
)
COPYRIGHT_RE = re.compile(
    r"^(?:copyright\s*)?(?:©|\(c\))\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(?P<name>.+?)\.?\s*$", re.IGNORECASE
)
SENTENCE_END = tuple(".!?。！？:;,，；：…\"”’')")
HEADING_MAX_CHARS = 80
HEADING_MAX_WORDS = 10
TITLE_MAX_CHARS = 300


def parse_document(text: str, *, filename: str = "") -> ParsedArticle:
    """Parse text in the house format or Markdown into a ``ParsedArticle``.

    Refuses text holding a control character other than tab and line breaks (``check_control_characters``).
    """
    check_control_characters(text)
    suffix = Path(filename).suffix.lower() if filename else ""
    first = _first_nonblank(text)
    if suffix in MARKDOWN_SUFFIXES or (first.startswith("# ") and not SECTION_DATE_RE.match(first)):
        article = _parse_markdown(text)
    else:
        article = _parse_house(text)
    if not article.blocks:
        raise DocumentError("the file has a title but no text to import")
    article.language = guess_language(" ".join(b.text for b in article.blocks))
    return article


def _first_nonblank(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def _parse_date(value: str) -> dt.date:
    parts = re.split(r"[-/.]", value)
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except (ValueError, IndexError):
        raise DocumentError(f"'{value}' is not a valid date (expected YYYY-MM-DD)") from None


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise DocumentError("the file has no title (its first line should be the headline)")
    if SECTION_DATE_RE.match(title) or IMAGE_PLACEHOLDER_RE.match(title) or SOURCE_LINK_RE.match(title):
        raise DocumentError("the file has no title: its first line is not a headline")
    if len(title) > TITLE_MAX_CHARS:
        raise DocumentError(
            f"the file has no title: its first line is {len(title)} characters long (a headline has at most {TITLE_MAX_CHARS})"
        )
    return title


def _is_heading(line: str) -> bool:
    return (
        len(line) <= HEADING_MAX_CHARS
        and len(line.split()) <= HEADING_MAX_WORDS
        and not line.endswith(SENTENCE_END)
        and not BULLET_RE.match(line)
    )


def _publisher_from_furniture(lines: list[str]) -> str:
    """The publisher's name from the furniture's company / licence / copyright line."""
    for line in lines:
        stripped = BULLET_RE.sub("", line).strip()
        if ICP_RE.search(stripped):
            head = re.split(r"\s*(?:ICP|[A-Za-z]*ICP备|沪ICP|京ICP)", stripped, maxsplit=1)[0]
            head = head.strip(" :：,-–|")
            if head:
                return head
        m = COMPANY_RE.search(stripped)
        if m and "@" not in stripped:
            return m.group("name").strip(" :：,-–|")
    for line in lines:
        m = COPYRIGHT_RE.match(line.strip())
        if m:
            return m.group("name").strip()
    return ""


def _is_furniture_start(line: str) -> bool:
    return bool(TAGS_RE.match(line) or FRIEND_LINK_RE.match(line) or ICP_RE.search(line) or BULLET_RE.match(line))


def _parse_house(text: str) -> ParsedArticle:
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    title = _check_title(lines[0])
    article = ParsedArticle(title=title, format="house")
    rest = lines[1:]
    if rest:
        m = SECTION_DATE_RE.match(rest[0])
        if m:
            article.section = m.group("section").strip()
            article.published_on = _parse_date(m.group("date"))
            article.source.copy_published_on = article.published_on
            rest = rest[1:]
    body_end = len(rest)
    for i, line in enumerate(rest):
        link = SOURCE_LINK_RE.match(line)
        if link:
            article.source.original_url = link.group("url")
            body_end = i
            break
        if _is_furniture_start(line):
            body_end = i
            break
    furniture = [line for line in rest[body_end:] if not SOURCE_LINK_RE.match(line)]
    article.dropped = furniture
    article.source.publisher_name = _publisher_from_furniture(furniture)
    for line in rest[:body_end]:
        if IMAGE_PLACEHOLDER_RE.match(line):
            article.blocks.append(ParsedBlock(IMAGE, ""))
        elif _is_heading(line):
            article.blocks.append(ParsedBlock(HEADING, line))
        else:
            article.blocks.append(ParsedBlock(PARAGRAPH, " ".join(line.split())))
    return article


MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MD_IMAGE_RE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)[^)]*\)$")
MD_LINK_RE = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
MD_EMPHASIS_RE = re.compile(r"(\*\*|__|\*)(?=\S)(.+?)(?<=\S)\1")
MD_FRONT_MATTER_RE = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def _md_inline_to_text(text: str) -> str:
    text = MD_LINK_RE.sub(r"\1", text)
    text = MD_EMPHASIS_RE.sub(r"\2", text)
    text = text.replace("`", "")
    return " ".join(text.split())


def _parse_markdown(text: str) -> ParsedArticle:
    text = MD_FRONT_MATTER_RE.sub("", text)
    groups: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            if current:
                groups.append(current)
                current = []
            continue
        # a heading line ends the paragraph before it and stands alone
        if MD_HEADING_RE.match(line):
            if current:
                groups.append(current)
            groups.append([line])
            current = []
            continue
        current.append(line)
    if current:
        groups.append(current)

    title = ""
    article: ParsedArticle | None = None
    blocks: list[ParsedBlock] = []
    source_url = ""
    for group in groups:
        joined = " ".join(group)
        heading = MD_HEADING_RE.match(joined) if len(group) == 1 else None
        if heading and len(heading.group(1)) == 1 and not title:
            title = _check_title(_md_inline_to_text(heading.group(2)))
            continue
        if not title:
            raise DocumentError("the Markdown file has no title (its first line should be '# Title')")
        if heading:
            blocks.append(ParsedBlock(HEADING, _md_inline_to_text(heading.group(2))))
            continue
        if len(group) == 1 and MD_IMAGE_RE.match(joined):
            blocks.append(ParsedBlock(IMAGE, MD_IMAGE_RE.match(joined).group("alt").strip()))
            continue
        link = SOURCE_LINK_RE.match(_md_inline_link_to_url(joined))
        if link:
            source_url = link.group("url")
            continue
        blocks.append(ParsedBlock(PARAGRAPH, _md_inline_to_text(joined)))
    if not title:
        raise DocumentError("the Markdown file has no title (its first line should be '# Title')")
    article = ParsedArticle(title=title, format="markdown", blocks=blocks)
    article.source.original_url = source_url
    return article


def _md_inline_link_to_url(text: str) -> str:
    """'Original: [text](url)' reads as 'Original: url' for source-link detection."""
    return MD_LINK_RE.sub(r"\2", text)


CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def guess_language(text: str) -> str:
    """'zh', 'ja', 'ko' for text mostly in those scripts, else 'en' (editors correct it)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    cjk = CJK_RE.findall(text)
    if len(cjk) / len(letters) < 0.3:
        return "en"
    kana = sum(1 for ch in cjk if "\u3040" <= ch <= "\u30ff")
    hangul = sum(1 for ch in cjk if "\uac00" <= ch <= "\ud7af")
    if kana > len(cjk) * 0.1:
        return "ja"
    if hangul > len(cjk) * 0.5:
        return "ko"
    return "zh"


# ---------------------------------------------------------------- an original's text (issue 19)


@dataclass
class ParsedOriginal:
    """An original work's text: its blocks, and its title when the file names one (Markdown, house format)."""

    format: str
    blocks: list[ParsedBlock]
    title: str = ""
    original_url: str = ""


def parse_original(text: str, *, filename: str = "") -> ParsedOriginal:
    """Parse the text of an original work (pasted, or read with ``read_document``) into blocks.

    Markdown (a ``.md`` name, or a first line ``# Title``) and the house format (a headline, then a
    ``#Section ·YYYY-MM-DD`` line) are read as ``parse_document`` reads an article, their title kept apart.
    Anything else is plain text: paragraphs separated by blank lines (or one a line when the text has no
    blank line), short lines without a sentence's end as headings. Refuses empty text and control
    characters (``DocumentError``, one line for people).
    """
    check_control_characters(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError("the original's text is empty")
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    suffix = Path(filename).suffix.lower() if filename else ""
    first = lines[0]
    house = len(lines) > 1 and bool(SECTION_DATE_RE.match(lines[1]))
    if suffix in MARKDOWN_SUFFIXES or (first.startswith("# ") and not SECTION_DATE_RE.match(first)) or house:
        parsed = parse_document(text, filename=filename)
        blocks = [b for b in parsed.blocks if b.kind != IMAGE]
        if not blocks:
            raise DocumentError("the original has a title but no text")
        return ParsedOriginal(parsed.format, blocks, parsed.title, parsed.source.original_url)
    groups: list[list[str]] = []
    current: list[str] = []
    blank_separated = "\n\n" in text.strip()
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or not blank_separated:
            if current:
                groups.append(current)
            current = [line] if line else []
            continue
        current.append(line)
    if current:
        groups.append(current)
    blocks = []
    for group in groups:
        joined = " ".join(" ".join(group).split())
        if IMAGE_PLACEHOLDER_RE.match(joined):
            continue
        blocks.append(ParsedBlock(HEADING if len(group) == 1 and _is_heading(joined) else PARAGRAPH, joined))
    if not blocks:
        raise DocumentError("the original's text is empty")
    return ParsedOriginal("text", blocks)
