"""Atom feeds of approved, public annotations (django.contrib.syndication).

- ``/articles/<slug>/feed/``: one published article's annotations, newest first;
- ``/fact-checks/feed/``: the newest fact-checks across published articles.

Only what any reader sees on the article page appears: approved, public
annotations on the current paragraphs of a published article. A draft or
unknown article is a 404.

Escaping: titles, names and tags are plain text, escaped once by the XML
writer. Each entry's ``<content type="html">`` is an HTML string built with
``format_html`` (user text escaped) around the body's sanitised
``body_html``; the XML writer then escapes that HTML once more, as Atom's
``type="html"`` requires. Characters XML 1.0 cannot carry (control
characters) are removed rather than failing the whole feed.

Queries: the article feed makes 4 (article; annotations joined with author,
paragraph and article; their tags; their evidence), the fact-check feed 3,
whatever the number of entries (an empty feed skips the two prefetches).
"""

from __future__ import annotations

import copy
import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from annotations.caching import article_cached_response
from annotations.exports.links import absolute, absolute_links, base_url_of
from annotations.models import Annotation
from articles.models import Article

FEED_LIMIT = 100
TITLE_QUOTE_WORDS = 12

# Characters not allowed in XML 1.0 documents (Django's XML writer refuses
# the C0 controls; the rest would make the document ill-formed).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    return _XML_INVALID.sub("", str(value)) if value is not None else ""


class AtomWithContentFeed(Atom1Feed):
    """Atom 1.0 with each entry's ``<content type="html">`` (Django writes only ``<summary>``)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content") is not None:
            handler.addQuickElement("content", item["content"], {"type": "html"})


def _paragraph_label(annotation: Annotation) -> str:
    position = annotation.block.position
    return f"¶{position}" if position is not None else "a removed paragraph"


def entry_title(annotation: Annotation) -> str:
    """“Fact-check: Misleading — “the quote…”” (the claim when nothing is quoted) or “Note on ¶3”."""
    if annotation.parent_id is not None:
        return xml_text(f"Reply to annotation {annotation.parent_id} on {_paragraph_label(annotation)}")
    excerpt = " ".join((annotation.quote or annotation.claim or "").split())
    excerpt = Truncator(excerpt).words(TITLE_QUOTE_WORDS, truncate="…") if excerpt else ""
    if annotation.is_fact_check:
        label = annotation.verdict_info.label if annotation.verdict_info else annotation.verdict
        if excerpt:
            return xml_text(f"Fact-check: {label} — “{excerpt}”")
        return xml_text(f"Fact-check: {label} on {_paragraph_label(annotation)}")
    title = f"Note on {_paragraph_label(annotation)}"
    if annotation.quote:
        title += f" — “{Truncator(' '.join(annotation.quote.split())).words(TITLE_QUOTE_WORDS, truncate='…')}”"
    return xml_text(title)


def entry_content(annotation: Annotation, *, article_url: str, base_url: str = "") -> str:
    """The entry's HTML: context, quote, claim, verdict, the sanitised body, evidence."""
    article = annotation.article
    kind = annotation.get_kind_display()
    parts = [
        format_html(
            '<p><strong>{}</strong> on <a href="{}#p-{}">{} of “{}”</a></p>',
            "Reply" if annotation.parent_id is not None else kind,
            article_url,
            annotation.block.key,
            _paragraph_label(annotation),
            article.title,
        )
    ]
    if annotation.parent_id is not None:
        # a reply answers an annotation: its page shows the thread (absolute, like the paragraph's link)
        parent_url = reverse("annotations:annotation-detail", kwargs={"pk": annotation.parent_id})
        parts.append(
            format_html(
                '<p>In reply to <a href="{}">annotation {}</a>.</p>',
                absolute(base_url_of(base_url or None), parent_url),
                annotation.parent_id,
            )
        )
    if annotation.anchor_state == Annotation.AnchorState.NEEDS_REANCHORING:
        # as on the article page: never shown as if nothing happened (issue 13)
        what = "fact-check" if annotation.is_fact_check else "note"
        parts.append(
            format_html(
                "<p><strong>The text this {} refers to has changed since it was written</strong>; "
                "a moderator will look at it. It was written on: “<bdi>{}</bdi>”.</p>",
                what,
                annotation.original_quote or annotation.quote or "the whole paragraph",
            )
        )
    elif annotation.quote:
        parts.append(format_html("<blockquote><p>{}</p></blockquote>", annotation.quote))
    if annotation.is_fact_check:
        verdict = annotation.verdict_info
        if verdict is not None:
            parts.append(format_html("<p><strong>Verdict: {}</strong> — {}</p>", verdict.label, verdict.meaning))
        if annotation.claim and annotation.claim != annotation.quote:
            parts.append(format_html("<p><strong>Claim:</strong> {}</p>", annotation.claim))
    # body_html is rendered from the author's text with raw HTML disabled and
    # cleaned by nh3 (annotations.rendering): the one field safe as HTML.
    # (its links to site paths, @mentions, made absolute: a feed reader has no page to resolve them against)
    parts.append(mark_safe(absolute_links(annotation.body_html, base_url_of(base_url or None))))  # noqa: S308
    if annotation.is_fact_check:
        sources = [e for e in annotation.evidence_sources if e.url.startswith(("http://", "https://"))]
        if sources:
            items = format_html_join(
                "",
                "<li>{}</li>",
                ((_evidence_html(e),) for e in sources),
            )
            parts.append(format_html("<p><strong>Evidence:</strong></p><ul>{}</ul>", items))
    return xml_text("\n".join(parts))


def _evidence_html(evidence) -> str:
    # the title is isolated (<bdi>) as on the pages: a bidi override in it cannot reorder " (archived)" after it
    html = format_html(
        '<a href="{}" rel="nofollow noopener ugc"><bdi>{}</bdi></a>', evidence.url, evidence.title or evidence.url
    )
    if evidence.archived_url.startswith(("http://", "https://")):
        html += format_html(' (<a href="{}" rel="nofollow noopener ugc">archived</a>)', evidence.archived_url)
    if evidence.excerpt:
        html += format_html("<blockquote>{}</blockquote>", evidence.excerpt)
    return html


def _newest_first(queryset):
    return (
        queryset.readable()
        .filter(block__removed_at__isnull=True)
        .select_related("author", "block", "article")
        .prefetch_related("tags", "evidence")
        .annotate(published=Coalesce(F("moderated_at"), F("created_at")))
        .order_by("-published", "-pk")
    )


class AnnotationFeed(Feed):
    """Shared item presentation; subclasses choose the object and the items."""

    feed_type = AtomWithContentFeed
    base_url = ""  # "https://host" of the current request, set on a per-request copy

    def __call__(self, request, *args, **kwargs):
        # The instance in the URLconf is shared by all requests: work on a
        # copy that knows this request's scheme and host (for absolute links
        # inside entry content, as Django makes the entries' own links).
        feed = copy.copy(self)
        feed.base_url = base_url_of(request)
        return Feed.__call__(feed, request, *args, **kwargs)

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        # The feed's own address identifies it (the alternate link of the
        # site-wide feed is the home page, which is not unique to it).
        feed.feed["id"] = feed.feed["feed_url"]
        return feed

    def author_name(self, obj):
        return xml_text(settings.SITE_ORGANIZATION)

    def item_title(self, item: Annotation) -> str:
        return entry_title(item)

    def item_description(self, item: Annotation):
        return None  # the full entry is in <content>; no <summary>

    def item_link(self, item: Annotation) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Annotation) -> str:
        return xml_text(item.author.get_username() if item.author_id and item.author else "a former user")

    def item_pubdate(self, item: Annotation):
        return item.moderated_at or item.created_at

    def item_updateddate(self, item: Annotation):
        published = item.moderated_at or item.created_at
        return max(published, item.updated_at)

    def item_categories(self, item: Annotation) -> list[str]:
        return [xml_text(tag.name) for tag in item.tag_list]

    def item_extra_kwargs(self, item: Annotation) -> dict:
        article_url = absolute(self.base_url, item.article.get_absolute_url())
        return {"content": entry_content(item, article_url=article_url, base_url=self.base_url)}


class ArticleAnnotationsFeed(AnnotationFeed):
    """``/articles/<slug>/feed/``: a published article's approved, public annotations.

    The same for every reader, so the whole feed is kept in the cache under the article's version
    (``annotations.caching.article_cached_response``): a warm request is one query (the article's id).
    """

    def __call__(self, request, *args, **kwargs):
        article_id = Article.objects.published().filter(slug=kwargs.get("slug")).values_list("pk", flat=True).first()
        if article_id is None:
            raise Http404("No such article.")
        return article_cached_response(
            request,
            kind="atom",
            article_id=article_id,
            render=lambda: AnnotationFeed.__call__(self, request, *args, **kwargs),
        )

    def get_object(self, request, slug: str) -> Article:
        article = Article.objects.published().filter(slug=slug).first()
        if article is None:
            raise Http404("No such article.")
        return article

    def title(self, obj: Article) -> str:
        return xml_text(f"Annotations on “{obj.title}” · {settings.SITE_NAME}")

    def subtitle(self, obj: Article) -> str | None:
        return xml_text(obj.dek) if obj.dek else None

    def link(self, obj: Article) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Article) -> str:
        return reverse("annotations:article-feed", kwargs={"slug": obj.slug})

    def items(self, obj: Article):
        queryset = Annotation.objects.filter(article=obj)
        items = list(_newest_first(queryset)[:FEED_LIMIT])
        for item in items:
            item.article = obj  # the same object: no second copy of the article per entry
        return items


class FactCheckFeed(AnnotationFeed):
    """``/fact-checks/feed/``: the newest approved, public fact-checks across published articles."""

    def title(self) -> str:
        return xml_text(f"Fact-checks · {settings.SITE_NAME}")

    def subtitle(self) -> str:
        return xml_text(f"The newest fact-checks published by {settings.SITE_ORGANIZATION}.")

    def link(self) -> str:
        return reverse("articles:article-list")

    def feed_url(self) -> str:
        return reverse("annotations:fact-check-feed")

    def items(self):
        queryset = Annotation.objects.filter(kind=Annotation.Kind.FACT_CHECK)
        return list(_newest_first(queryset)[:FEED_LIMIT])
