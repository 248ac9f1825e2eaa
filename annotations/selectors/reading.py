"""Reading an article's annotated version: views, filters, counts, the fact-check summary.

One selector (``read_article``) loads the blocks and every annotation the
viewer may see in a fixed number of queries, then filters in memory, so the
summary (always about the whole article's public annotations) and the
filtered page come from the same rows.

Bounded pages: beside each paragraph the page shows at most
``PER_PARAGRAPH`` cards, and at most ``PAGE_BUDGET`` in all: the cap shrinks
to ``max(1, PAGE_BUDGET // paragraphs with annotations)``, and when even one
each is too many, the budget's cards go to the paragraphs whose first card
comes first by the same priority (the others show their count and the link).
Under each card, its first ``threads.REPLIES_SHOWN`` replies, at most ``REPLY_BUDGET`` on the page (issue #15).
So the page's size stays about the same at any number of annotations and replies; a
paragraph with more links to its own page (``read_paragraph``), which shows
all of them. Which come first: fact-checks, then notes, oldest first within
each (``_priority``); the viewer's own are shown besides the budget (up
to as many again, the newest). The cards shown keep the page's reading order. The filters' tag and
author lists are bounded too (the most used; any value still works in the URL).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.utils.http import urlencode

from accounts.text import no_control_characters
from annotations.models import Annotation
from annotations.selectors.article import (
    AnnotationRow,
    BlockView,
    article_annotation_rows,
    highlight_segments,
    load_cards,
    paragraph_annotations,
)
from annotations.selectors.threads import REPLIES_SHOWN, attach_shown, first_replies, preorder
from annotations.verdicts import SCALE, TRANSLATION_VERDICTS, Verdict
from articles.models import Article, Block

# Cards beside one paragraph on the article page, and on the whole page. A card is about 0.5 KB (a note)
# to 1 KB (a fact-check with three sources); a paragraph's own markup about 1 KB besides its text. The
# bench's large article (200 paragraphs of ~800 characters, 5,000 annotations) is ~480 KB with 100 cards.
PER_PARAGRAPH = 3
PAGE_BUDGET = 100
# Replies shown under the cards of one page (issue #15): at most REPLIES_SHOWN under each card, and this many
# in all (a reply's card is about 0.4 KB); past it, a card shows its reply count and the link to its thread.
REPLY_BUDGET = 100
# Choices in the filters' tag and author lists: the most used (a list of hundreds helps nobody).
FILTER_OPTIONS = 50

VIEW_ANNOTATED = "annotated"
VIEW_CLEAN = "clean"
VIEW_FACT_CHECKS = "fact-checks"
VIEW_COMPARE = "compare"  # beside the original (annotations.selectors.compare), annotations as in "annotated"
VIEWS = [
    (VIEW_ANNOTATED, "Annotated"),
    (VIEW_FACT_CHECKS, "Fact-checks only"),
    (VIEW_CLEAN, "Clean text"),
    (VIEW_COMPARE, "Compare with the original"),
]
TRANSLATION_TAG = "translation"


class ReadingFilterForm(forms.Form):
    """The article page's query string: ?view=&kind=&verdict=&tag=&author=."""

    view = forms.ChoiceField(choices=VIEWS, required=False)
    kind = forms.ChoiceField(choices=[("", "All kinds"), *Annotation.Kind.choices], required=False)
    verdict = forms.ChoiceField(choices=[("", "All verdicts"), *Verdict.choices], required=False)
    tag = forms.SlugField(required=False, max_length=100, allow_unicode=True)
    author = forms.CharField(required=False, max_length=150, validators=[no_control_characters])

    def active(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if v and k != "view"}


@dataclass
class VerdictCount:
    value: str
    label: str
    count: int
    annotations: list[Annotation]  # the ones linked: those the page shows (the rest: "and N more")

    @property
    def more(self) -> int:
        return self.count - len(self.annotations)


@dataclass
class FactCheckSummary:
    total: int
    by_verdict: list[VerdictCount]
    translation_related: int
    is_translation: bool


@dataclass
class ArticleReading:
    article: Article
    view: str
    filters: dict[str, str]
    block_views: list[BlockView]
    shown: int  # cards beside the paragraphs
    total_public: int
    summary: FactCheckSummary
    # the public fact-checks the unfiltered page shows (its ClaimReview JSON-LD; the rest are on the
    # paragraph pages and each fact-check's permalink)
    fact_checks: list[Annotation] = field(default_factory=list)
    matching: int = 0  # annotations beside the paragraphs in this view and filters, shown or not
    earlier: list[Annotation] = field(default_factory=list)  # notes on earlier wording, filtered like the rest
    tag_options: list[tuple[str, str, int]] = field(default_factory=list)  # slug, name, count
    author_options: list[tuple[str, int]] = field(default_factory=list)  # username, count

    @property
    def query(self) -> str:
        """The view and filters as a query string ("?…", or ""), for links to the paragraph pages."""
        params = {"view": self.view} if self.view != VIEW_ANNOTATED else {}
        params.update(self.filters)
        return f"?{urlencode(params)}" if params else ""


def _matches(annotation: Annotation, view: str, filters: dict[str, str]) -> bool:
    if view == VIEW_FACT_CHECKS and annotation.kind != Annotation.Kind.FACT_CHECK:
        return False
    if filters.get("kind") and annotation.kind != filters["kind"]:
        return False
    if filters.get("verdict") and annotation.verdict != filters["verdict"]:
        return False
    if filters.get("tag") and filters["tag"] not in {t.slug for t in annotation.tag_list}:
        return False
    if filters.get("author") and _username(annotation) != filters["author"]:
        return False
    return True


def _username(annotation: Annotation | AnnotationRow) -> str | None:
    if isinstance(annotation, AnnotationRow):
        return annotation.username
    return annotation.author.get_username() if annotation.author is not None else None


def concerns_translation(annotation: Annotation) -> bool:
    return annotation.verdict in TRANSLATION_VERDICTS or any(t.name == TRANSLATION_TAG for t in annotation.tag_list)


def summarise(
    annotations: list[Annotation], *, is_translation: bool, linked: set[int] | None = None
) -> FactCheckSummary:
    """The fact-check counts; each verdict's row links to the fact-checks in ``linked`` (all when None): on the
    article page, those it shows (so at most ``PAGE_BUDGET`` and the viewer's own)."""
    checks = [a for a in annotations if a.kind == Annotation.Kind.FACT_CHECK and a.is_public_and_approved]
    grouped: dict[str, list[Annotation]] = {}
    for a in checks:
        grouped.setdefault(a.verdict, []).append(a)
    by_verdict = [
        VerdictCount(
            value,
            info.label,
            len(grouped[value]),
            [a for a in grouped[value] if linked is None or a.pk in linked],
        )
        for value, info in SCALE.items()
        if value in grouped
    ]
    return FactCheckSummary(
        total=len(checks),
        by_verdict=by_verdict,
        translation_related=sum(1 for a in checks if concerns_translation(a)),
        is_translation=is_translation,
    )


def _priority(annotation: Annotation):
    """Sort key of the annotations a paragraph shows first: fact-checks, then notes, oldest first within each."""
    return (annotation.kind != Annotation.Kind.FACT_CHECK, annotation.created_at, annotation.pk)


def _cap(lists: list[list[Annotation]]) -> int:
    annotated = sum(1 for annotations in lists if annotations)
    return min(PER_PARAGRAPH, max(1, PAGE_BUDGET // annotated)) if annotated else PER_PARAGRAPH


def _first_few(lists: list[list[Annotation]], user_id: int | None = None) -> list[list[Annotation]]:
    """For each paragraph's annotations (in reading order), the few it shows, in reading order: at most
    ``_cap`` each by ``_priority``, at most ``PAGE_BUDGET`` in all; and besides them the viewer's own
    (``user_id``; the newest ``PAGE_BUDGET`` of them), so an author lands on what they wrote.
    """
    mine = sorted(
        (a for annotations in lists for a in annotations if user_id is not None and a.author_id == user_id),
        key=lambda a: (a.created_at, a.pk),
    )
    own_shown = {a.pk for a in mine[-PAGE_BUDGET:]}
    own_pks = {a.pk for a in mine}

    def own(annotation: Annotation) -> bool:
        return annotation.pk in own_shown

    others = [[a for a in annotations if a.pk not in own_pks] for annotations in lists]
    cap = _cap(others)
    firsts = [sorted(annotations, key=_priority)[:cap] for annotations in others]
    if sum(len(f) for f in firsts) > PAGE_BUDGET:  # more annotated paragraphs than the budget: the best go first
        keep = {a.pk for a in sorted((f[0] for f in firsts if f), key=_priority)[:PAGE_BUDGET]}
        firsts = [[a for a in f if a.pk in keep] for f in firsts]
    chosen = [{a.pk for a in f} for f in firsts]
    return [[a for a in annotations if a.pk in c or own(a)] for annotations, c in zip(lists, chosen, strict=True)]


def _options(
    public: list[Annotation], filters: dict[str, str]
) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
    """The tags and authors of ``public`` with their counts, most used first: at most ``FILTER_OPTIONS`` each,
    and the one the filters name."""
    tag_counts: Counter = Counter()
    names: dict[str, str] = {}
    author_counts: Counter = Counter()
    for a in public:
        for t in a.tag_list:
            tag_counts[t.slug] += 1
            names[t.slug] = t.name
        name = _username(a)
        if name is not None:
            author_counts[name] += 1
    tags = sorted(((slug, names[slug], n) for slug, n in tag_counts.items()), key=lambda x: (-x[2], x[1]))
    authors = sorted(author_counts.items(), key=lambda x: (-x[1], x[0]))
    return (
        [t for i, t in enumerate(tags) if i < FILTER_OPTIONS or t[0] == filters.get("tag")],
        [a for i, a in enumerate(authors) if i < FILTER_OPTIONS or a[0] == filters.get("author")],
    )


def read_article(*, article: Article, user, view: str = "", filters: dict[str, str] | None = None) -> ArticleReading:
    """The article as ``user`` may read it, in ``view`` with ``filters``, each paragraph with its first few
    annotations (see the module's docstring).

    Queries: blocks, the rows of every visible annotation and reply (with its
    author's name), their tags, then the annotations the page shows and the
    first few replies under each (``threads.REPLIES_SHOWN``) with their author
    and revision, and their evidence — the same five whatever the number of
    paragraphs, annotations, replies, tags or evidence (three when it shows none).
    The rows and tags of all of them are still read, in memory as small
    tuples: the filters' counts, the summary and the per-paragraph totals are
    about all of them.
    """
    filters = filters or {}
    block_views, earlier = article_annotation_rows(article=article, user=user)
    everything = [a for v in block_views for a in v.annotations] + earlier
    public = [a for a in everything if a.is_public_and_approved]
    source = getattr(article, "source", None)
    user_id = user.pk if user is not None and user.is_authenticated else None

    # what the unfiltered page shows of the public fact-checks: its ClaimReview, whatever the view or filters
    public_by_block = [[a for a in v.annotations if a.is_public_and_approved] for v in block_views]
    unfiltered = [a for few in _first_few(public_by_block) for a in few]
    reviewed = [a for a in unfiltered if a.kind == Annotation.Kind.FACT_CHECK]

    tag_options, author_options = _options(public, filters)

    view = view or (VIEW_ANNOTATED if everything else VIEW_CLEAN)
    matching = [
        [] if view == VIEW_CLEAN else [a for a in v.annotations if _matches(a, view, filters)] for v in block_views
    ]
    chosen = _first_few(matching, user_id)
    earlier_shown = [] if view == VIEW_CLEAN else [a for a in earlier if _matches(a, view, filters)]
    rows = {a.pk: a for a in [*(a for few in chosen for a in few), *earlier_shown, *reviewed]}
    # under each card, its first few replies (the rest on its permalink page), at most REPLY_BUDGET on the
    # page (then the count and the link alone): read with the cards
    threads = [a for few in chosen for a in few] + earlier_shown
    limits, budget = {}, REPLY_BUDGET
    for a in threads:
        limits[a.pk] = min(REPLIES_SHOWN, budget)
        budget -= len(first_replies(a, limits[a.pk]))
    replies = {r.pk: r for a in threads for r in first_replies(a, limits[a.pk])}
    cards = load_cards([*rows.values(), *replies.values()], article=article)
    for a in threads:
        attach_shown(cards[a.pk], a, cards, limits[a.pk])
    shown = 0
    for block_view, beside, few in zip(block_views, matching, chosen, strict=True):
        block_view.total = len(beside)
        block_view.annotations = [cards[a.pk] for a in few]
        shown += len(few)
        block_view.segments = highlight_segments(block_view.block.text, block_view.annotations)
    # the summary links in place to the fact-checks this page shows (the rest are a filter away)
    on_page = {a.pk for few in chosen for a in few} | {a.pk for a in earlier_shown}
    summary = summarise(everything, is_translation=bool(source and source.is_translation), linked=on_page)
    for row in summary.by_verdict:
        row.annotations = [cards[a.pk] for a in row.annotations]
    return ArticleReading(
        article=article,
        view=view,
        filters=filters,
        block_views=block_views,
        shown=shown,
        matching=sum(len(m) for m in matching),
        total_public=len(public),
        summary=summary,
        fact_checks=[cards[a.pk] for a in reviewed],
        earlier=[cards[a.pk] for a in earlier_shown],
        tag_options=tag_options,
        author_options=author_options,
    )


@dataclass
class ParagraphReading:
    article: Article
    block_view: BlockView
    view: str
    filters: dict[str, str]
    fact_checks: list[Annotation]  # every public fact-check on the paragraph (ClaimReview)
    verdict_options: list[tuple[str, str, int]]  # value, label, count
    tag_options: list[tuple[str, str, int]]
    author_options: list[tuple[str, int]]


def read_paragraph(
    *, article: Article, block: Block, user, view: str = "", filters: dict[str, str] | None = None
) -> ParagraphReading:
    """One paragraph with every annotation ``user`` may see on it, in ``view`` with ``filters``
    (the article page's rules), numbered as on the article page.

    Queries: those of ``paragraph_annotations`` (five), whatever the number of annotations.
    """
    filters = filters or {}
    block_view = paragraph_annotations(article=article, block=block, user=user)
    loaded = {r.pk: r for a in block_view.annotations for r in preorder(a)}
    for a in block_view.annotations:
        attach_shown(a, a, loaded)
    public = [a for a in block_view.annotations if a.is_public_and_approved and a.deleted_at is None]
    tag_options, author_options = _options(public, filters)
    verdicts = Counter(a.verdict for a in public if a.kind == Annotation.Kind.FACT_CHECK)
    view = view or VIEW_ANNOTATED
    if view == VIEW_CLEAN:
        block_view.annotations = []
    else:
        block_view.annotations = [a for a in block_view.annotations if _matches(a, view, filters)]
    block_view.segments = highlight_segments(block.text, block_view.annotations)
    return ParagraphReading(
        article=article,
        block_view=block_view,
        view=view,
        filters=filters,
        fact_checks=[a for a in public if a.kind == Annotation.Kind.FACT_CHECK],
        verdict_options=[(value, info.label, verdicts[value]) for value, info in SCALE.items() if verdicts[value]],
        tag_options=tag_options,
        author_options=author_options,
    )
