"""The copy beside its original (issue 19): the compare view's rows, the drift summary, and what a viewer may
read of the original.

``compare_article`` takes the article page's block views (their annotations already chosen by
``read_article``, so annotations keep their place on the copy's side) and aligns the copy with the stored
original (``articles.selectors.align_blocks``: pure, cached under both texts and the corrections).

Who reads what of the original is the source's ``original_rights``:

* ``readers``: everyone, the full text;
* ``excerpts``: editors everything; anyone else only the original's blocks that a published, public
  fact-check on this article cites (an evidence excerpt found in the block, or the block in the excerpt);
* ``editors``: editors only (the ``articles.change_article`` permission).

A withheld block's row keeps its kind and drift figure (how much the copy drifts is not the original's
text), never its words.

Queries (with an original): its blocks, the corrections, and for a reader of an ``excerpts`` original the
published fact-checks' excerpts: 2 or 3 whatever the number of paragraphs. Without one: none (the
original's row comes with the article, ``article_for_reading``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from annotations.models import Annotation, Evidence
from annotations.selectors.article import BlockView
from annotations.verdicts import Verdict
from articles import alignment
from articles.models import Article, OriginalBlock, OriginalRights, OriginalText
from articles.revisions import word_diff_html
from articles.selectors import align_blocks

# the kind of a copy row without a counterpart when only passages of the original are stored
NOT_STORED = "not_stored"
LABELS = {
    alignment.SAME: "Unchanged",
    alignment.REWORDED: "Reworded",
    alignment.SPLIT: "Split",
    alignment.MERGED: "Merged",
    alignment.ADDED: "Added in this copy",
    alignment.OMITTED: "Left out of this copy",
    alignment.MOVED: "Moved",
    NOT_STORED: "Original not stored",
}
# rows whose words differ from the original's: a "fact-check this drift" link and a place in the summary
DRIFTING = {alignment.REWORDED, alignment.SPLIT, alignment.MERGED, alignment.MOVED}
LARGEST_DRIFTS = 5
# at most this many rows for a run of consecutive paragraphs left out of the copy (the last one counts the rest)
OMITTED_RUN_SHOWN = 3
# the annotate form's limits (a quote up to 1000 characters is prefilled; an evidence excerpt up to 2000)
QUOTE_MAX = 1000
EXCERPT_MAX = 2000
# a prefilled link stays under the request line that servers accept (gunicorn: 4,094 bytes by default)
URL_MAX = 3500
SHORT_QUOTE = 300


@dataclass
class CompareRow:
    kind: str
    copy: list[BlockView]
    original: list[OriginalBlock]  # the original's blocks the viewer may read
    withheld: int = 0  # the original's blocks of this row the viewer may not read
    drift: float | None = None  # 0-1; None for a row with one side only
    confidence: float = 1.0
    fixed: bool = False  # an editor's correction
    changes: SafeString | None = None  # the word-level differences, <del>/<ins>
    fact_check_url: str = ""  # the annotate form, prefilled (for signed-in readers)
    original_key: str = ""  # the first of the original's blocks of this row (withheld or not)
    more_omitted: int = 0  # a row standing for this many more left-out paragraphs (``_bounded``)

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def anchor(self) -> str:
        return f"c-{self.copy[0].block.key}" if self.copy else f"omitted-{self.original_key}"

    @property
    def drift_percent(self) -> int | None:
        return None if self.drift is None else round(self.drift * 100)

    @property
    def has_original_side(self) -> bool:
        return self.kind not in (alignment.ADDED, NOT_STORED)


@dataclass
class DriftSummary:
    unchanged: int = 0
    reworded: int = 0  # reworded, split, merged and moved rows
    added: int = 0
    omitted: int = 0
    not_stored: int = 0
    largest: list[CompareRow] = field(default_factory=list)


@dataclass
class Comparison:
    original: OriginalText
    rights: str
    complete: bool
    readable: bool  # the viewer may read some of the original
    rows: list[CompareRow]
    summary: DriftSummary
    withheld: int  # the original's blocks the viewer may not read, in all


def _normal(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())


def is_editor(user) -> bool:
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm("articles.change_article"))


def cited_excerpts(article: Article) -> list[str]:
    """The evidence excerpts of the article's published, public fact-checks (1 query)."""
    return [
        e
        for e in Evidence.objects.filter(
            annotation__in=Annotation.objects.readable().filter(article=article, kind=Annotation.Kind.FACT_CHECK)
        ).values_list("excerpt", flat=True)
        if e.strip()
    ]


def _cited(block: OriginalBlock, excerpts: list[str]) -> bool:
    text = _normal(block.text)
    return bool(text) and any(e in text or text in e for e in excerpts)


def diff_html(old: str, new: str) -> SafeString:
    """The word-level change from ``old`` (the original) to ``new`` (the copy): ``word_diff_html``'s <del> and
    <ins>, each with words for screen readers ("deleted", "inserted"), so the change is never colour only.

    Escaping: ``word_diff_html`` escapes every piece of text (a "<del>" typed in a text arrives as &lt;del&gt;),
    so its only tags are its own, which these replacements extend."""
    html = str(word_diff_html(old, new))
    html = html.replace("<del>", '<del><span class="visually-hidden">deleted: </span>').replace(
        "</del>", '<span class="visually-hidden"> (end of deletion)</span></del>'
    )
    html = html.replace("<ins>", '<ins><span class="visually-hidden">inserted: </span>').replace(
        "</ins>", '<span class="visually-hidden"> (end of insertion)</span></ins>'
    )
    return mark_safe(html)  # noqa: S308 - escaped by word_diff_html, our own tags only (above)


def _quote(copy_text: str, original_text: str) -> str:
    """The copy's words to fact-check: its longest passage not in the original (whole words, in the copy as
    is), or the whole paragraph when short enough; empty (the whole paragraph) otherwise."""
    html = str(word_diff_html(original_text, copy_text))
    inserted = [m.group(1) for m in re.finditer(r"<ins>(.*?)</ins>", html, re.DOTALL)]
    candidates = [unescape(i).strip() for i in inserted]
    candidates = [c for c in candidates if len(c.split()) >= 2 and c in copy_text]
    if candidates:
        return max(candidates, key=len)[:QUOTE_MAX]
    return copy_text if len(copy_text) <= QUOTE_MAX else ""


def _fact_check_url(article: Article, row: CompareRow, source) -> str:
    copy_block = row.copy[0].block
    copy_text = " ".join(v.block.text for v in row.copy)
    original_text = "\n\n".join(b.text for b in row.original)
    quote = _quote(copy_block.text, original_text) if len(row.copy) == 1 else copy_block.text[:QUOTE_MAX]
    if quote and quote not in copy_block.text:
        quote = ""
    params = {
        "kind": Annotation.Kind.FACT_CHECK,
        "verdict": Verdict.MISTRANSLATION,
        "quote": quote,
        "claim": quote or copy_text[:300],
        # a first draft of the explanation, for the annotator to check and complete
        "body": "This copy drifts from the original here: compare with the original's passage (the evidence below).",
        "tags": "translation",
        "evidence_excerpt": original_text[:EXCERPT_MAX],
        "evidence_url": source.original_url if source else "",
        "evidence_title": (source.original_title or "The original") if source else "The original",
    }
    url = reverse("annotations:annotation-create", kwargs={"slug": article.slug, "key": copy_block.key})
    return _fitted(url, params)


def _fitted(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` as its query, within ``URL_MAX`` characters: a long quote gives way to the whole
    paragraph (no quote), then the evidence excerpt is cut at a word, marked with "…"."""
    params = {k: v for k, v in params.items() if v}

    def build() -> str:
        return f"{url}?{urlencode(params)}"

    found = build()
    if len(found) > URL_MAX and params.get("quote") and len(params["quote"]) > SHORT_QUOTE:
        params.pop("quote")
        params["claim"] = params["claim"][:SHORT_QUOTE]
        found = build()
    excerpt = params.get("evidence_excerpt", "")
    while len(found) > URL_MAX and excerpt:
        excerpt = excerpt[: int(len(excerpt) * 0.8)].rsplit(" ", 1)[0]
        params["evidence_excerpt"] = excerpt + " …"
        found = build()
    return found


def _bounded(rows: list[CompareRow]) -> list[CompareRow]:
    """``rows`` with each run of more than ``OMITTED_RUN_SHOWN`` consecutive left-out rows cut to its first
    ones and a row counting the rest: a copy of a few paragraphs of a long original (an excerpt, 50 times
    shorter) stays a page about the copy, the size of the copy, not of the original."""
    out: list[CompareRow] = []
    run: list[CompareRow] = []

    def flush() -> None:
        if len(run) > OMITTED_RUN_SHOWN:
            out.extend(run[: OMITTED_RUN_SHOWN - 1])
            rest = run[OMITTED_RUN_SHOWN - 1 :]
            out.append(
                CompareRow(
                    kind=alignment.OMITTED,
                    copy=[],
                    original=[],
                    more_omitted=len(rest),
                    original_key=rest[0].original_key,
                )
            )
        else:
            out.extend(run)
        run.clear()

    for row in rows:
        if row.kind == alignment.OMITTED and not row.copy:
            run.append(row)
            continue
        flush()
        out.append(row)
    flush()
    return out


def compare_article(*, article: Article, user, block_views: list[BlockView]) -> Comparison | None:
    """The copy (``block_views``, in reading order) aligned with the article's original, as ``user`` may read
    it; None when no original is stored (see the module docstring for the rights and the queries)."""
    original = getattr(article, "original", None)
    if original is None:
        return None
    source = getattr(article, "source", None)
    rights = source.original_rights if source is not None else OriginalRights.EDITORS
    original_blocks = list(original.blocks.current())
    corrections = list(article.alignment_corrections.all())
    views = [v for v in block_views if v.block.kind != "image"]
    found = align_blocks(copy=[v.block for v in views], original=original_blocks, corrections=corrections)

    editor = is_editor(user)
    if editor or rights == OriginalRights.READERS:
        may_read = lambda block: True  # noqa: E731
    elif rights == OriginalRights.EXCERPTS:
        excerpts = [_normal(e) for e in cited_excerpts(article)]
        may_read = lambda block: _cited(block, excerpts)  # noqa: E731
    else:
        may_read = lambda block: False  # noqa: E731

    rows: list[CompareRow] = []
    summary = DriftSummary()
    withheld_total = 0
    for pair in found.alignment.pairs:
        copy = [views[i] for i in pair.copy]
        blocks = [original_blocks[j] for j in pair.original]
        readable = [b for b in blocks if may_read(b)]
        kind = pair.kind
        if kind == alignment.ADDED and not original.is_complete and not pair.fixed:
            kind = NOT_STORED
        if kind == alignment.OMITTED and not original.is_complete and not readable:
            withheld_total += len(blocks)
            continue  # a passage of a partial original that the copy lacks and the viewer may not read
        row = CompareRow(
            kind=kind,
            copy=copy,
            original=readable,
            withheld=len(blocks) - len(readable),
            drift=pair.drift if pair.copy and pair.original else None,
            confidence=pair.confidence,
            fixed=pair.fixed,
            original_key=blocks[0].key if blocks else "",
        )
        withheld_total += row.withheld
        if kind in DRIFTING and not row.withheld and row.drift:
            row.changes = diff_html("\n".join(b.text for b in blocks), " ".join(v.block.text for v in copy))
            row.fact_check_url = _fact_check_url(article, row, source)
        rows.append(row)
        if kind == alignment.SAME or (kind in DRIFTING and not pair.drift):
            summary.unchanged += 1
        elif kind in DRIFTING:
            summary.reworded += 1
        elif kind == alignment.ADDED:
            summary.added += 1
        elif kind == alignment.OMITTED:
            summary.omitted += 1
        else:
            summary.not_stored += 1
    drifting = [(k, r) for k, r in enumerate(rows) if r.kind in DRIFTING and r.drift]
    summary.largest = [r for _, r in sorted(drifting, key=lambda kr: (-kr[1].drift, kr[0]))][:LARGEST_DRIFTS]
    rows = _bounded(rows)
    return Comparison(
        original=original,
        rights=rights,
        complete=original.is_complete,
        readable=editor or rights == OriginalRights.READERS or any(r.original for r in rows),
        rows=rows,
        summary=summary,
        withheld=withheld_total,
    )
