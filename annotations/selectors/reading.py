"""Reading an article's annotated version: views, filters, counts, the fact-check summary.

One selector (``read_article``) loads the blocks and every annotation the
viewer may see in a fixed number of queries, then filters in memory, so the
summary (always about the whole article's public annotations) and the
filtered page come from the same rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django import forms

from accounts.text import no_control_characters
from annotations.models import Annotation
from annotations.selectors.article import BlockView, article_annotations, highlight_segments
from annotations.verdicts import SCALE, TRANSLATION_VERDICTS, Verdict
from articles.models import Article

VIEW_ANNOTATED = "annotated"
VIEW_CLEAN = "clean"
VIEW_FACT_CHECKS = "fact-checks"
VIEWS = [(VIEW_ANNOTATED, "Annotated"), (VIEW_FACT_CHECKS, "Fact-checks only"), (VIEW_CLEAN, "Clean text")]
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
    annotations: list[Annotation]


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
    shown: int
    total_public: int
    summary: FactCheckSummary
    fact_checks: list[Annotation] = field(default_factory=list)  # every public fact-check (ClaimReview)
    earlier: list[Annotation] = field(default_factory=list)  # notes on earlier wording, filtered like the rest
    tag_options: list[tuple[str, str, int]] = field(default_factory=list)  # slug, name, count
    author_options: list[tuple[str, int]] = field(default_factory=list)  # username, count


def _matches(annotation: Annotation, view: str, filters: dict[str, str]) -> bool:
    if view == VIEW_FACT_CHECKS and annotation.kind != Annotation.Kind.FACT_CHECK:
        return False
    if filters.get("kind") and annotation.kind != filters["kind"]:
        return False
    if filters.get("verdict") and annotation.verdict != filters["verdict"]:
        return False
    if filters.get("tag") and filters["tag"] not in {t.slug for t in annotation.tag_list}:
        return False
    if filters.get("author") and (annotation.author is None or annotation.author.get_username() != filters["author"]):
        return False
    return True


def concerns_translation(annotation: Annotation) -> bool:
    return annotation.verdict in TRANSLATION_VERDICTS or any(t.name == TRANSLATION_TAG for t in annotation.tag_list)


def summarise(annotations: list[Annotation], *, is_translation: bool) -> FactCheckSummary:
    checks = [a for a in annotations if a.kind == Annotation.Kind.FACT_CHECK and a.is_public_and_approved]
    grouped: dict[str, list[Annotation]] = {}
    for a in checks:
        grouped.setdefault(a.verdict, []).append(a)
    by_verdict = [
        VerdictCount(value, info.label, len(grouped[value]), grouped[value])
        for value, info in SCALE.items()
        if value in grouped
    ]
    return FactCheckSummary(
        total=len(checks),
        by_verdict=by_verdict,
        translation_related=sum(1 for a in checks if concerns_translation(a)),
        is_translation=is_translation,
    )


def read_article(*, article: Article, user, view: str = "", filters: dict[str, str] | None = None) -> ArticleReading:
    """The article as ``user`` may read it, in ``view`` with ``filters``.

    Queries: blocks, annotations (with author, paragraph, revision), tags,
    evidence — the same four whatever the number of paragraphs, annotations,
    tags or evidence.
    """
    filters = filters or {}
    block_views, earlier = article_annotations(article=article, user=user)
    everything = [a for v in block_views for a in v.annotations] + earlier
    public = [a for a in everything if a.is_public_and_approved]
    source = getattr(article, "source", None)
    summary = summarise(everything, is_translation=bool(source and source.is_translation))

    tag_counts: Counter = Counter()
    names: dict[str, str] = {}
    author_counts: Counter = Counter()
    for a in public:
        for t in a.tag_list:
            tag_counts[t.slug] += 1
            names[t.slug] = t.name
        if a.author is not None:
            author_counts[a.author.get_username()] += 1

    view = view or (VIEW_ANNOTATED if everything else VIEW_CLEAN)
    shown = 0
    for block_view in block_views:
        if view == VIEW_CLEAN:
            block_view.annotations = []
        else:
            block_view.annotations = [a for a in block_view.annotations if _matches(a, view, filters)]
        shown += len(block_view.annotations)
        block_view.segments = highlight_segments(block_view.block.text, block_view.annotations)
    return ArticleReading(
        article=article,
        view=view,
        filters=filters,
        block_views=block_views,
        shown=shown,
        total_public=len(public),
        summary=summary,
        fact_checks=[a for a in public if a.kind == Annotation.Kind.FACT_CHECK],
        earlier=[] if view == VIEW_CLEAN else [a for a in earlier if _matches(a, view, filters)],
        tag_options=sorted(((slug, names[slug], n) for slug, n in tag_counts.items()), key=lambda x: (-x[2], x[1])),
        author_options=sorted(author_counts.items(), key=lambda x: (-x[1], x[0])),
    )
