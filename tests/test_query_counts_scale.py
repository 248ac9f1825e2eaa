"""The admin moderation queue and changelist run the same queries for 3 annotations as for 150.

Each page is requested with a little data, then again after many more
annotations (more authors, articles, tags, evidence and reader flags) were
added: the number of queries must not change. A query per row (a missing
select_related/prefetch, a per-row permission or count) would show as growth.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Evidence, Flag, Tag, TaggedAnnotation

QUEUE = "/admin/annotations/annotation/queue/"
CHANGELIST = "/admin/annotations/annotation/"
URLS = [
    QUEUE,
    CHANGELIST,
    CHANGELIST + "?status__exact=pending",
    CHANGELIST + "?flagged=open",
    CHANGELIST + "?q=note",
]

_serial = itertools.count(1)


def _add_annotations(n: int, *, make_user, make_article) -> None:
    """``n`` annotations over fresh authors and articles: every status, notes and fact-checks, tags, evidence, flags."""
    batch = next(_serial)
    authors = [make_user(f"author-{batch}-{i}", groups=["annotators"]) for i in range(max(1, n // 10))]
    reporters = [make_user(f"reader-{batch}-{i}") for i in range(3)]
    articles = [
        make_article(f"Article {batch}-{i}", slug=f"scale-{batch}-{i}", paragraphs=3) for i in range(max(1, n // 40))
    ]
    tags = [
        Tag.objects.get_or_create(name=f"tag {batch}-{i}", defaults={"slug": f"tag-{batch}-{i}"})[0] for i in range(4)
    ]
    statuses = [
        Annotation.Status.PENDING,
        Annotation.Status.APPROVED,
        Annotation.Status.REJECTED,
        Annotation.Status.HIDDEN,
    ]
    rows = []
    for i in range(n):
        article = articles[i % len(articles)]
        block = article.blocks.order_by("position")[i % 3]
        fact_check = i % 3 == 0
        quoted = i % 2 == 0
        rows.append(
            Annotation(
                article=article,
                block=block,
                author=authors[i % len(authors)],
                kind=Annotation.Kind.FACT_CHECK if fact_check else Annotation.Kind.NOTE,
                verdict="misleading" if fact_check else "",
                claim="Paragraph" if fact_check else "",
                status=statuses[i % len(statuses)],
                body=f"A note {batch}-{i}",
                body_html=f"<p>A note {batch}-{i}</p>",
                quote="Paragraph" if quoted else "",
                quote_start=0 if quoted else None,
                quote_end=9 if quoted else None,
            )
        )
    Annotation.objects.bulk_create(rows)
    TaggedAnnotation.objects.bulk_create(
        [
            TaggedAnnotation(content_object=a, tag=tags[(i + k) % len(tags)])
            for i, a in enumerate(rows)
            for k in range(1 + i % 2)
        ]
    )
    Evidence.objects.bulk_create(
        [
            Evidence(annotation=a, url=f"https://example.org/{a.pk}/{p}", title=f"Source {p}", position=p)
            for a in rows
            if a.kind == Annotation.Kind.FACT_CHECK
            for p in range(2)
        ]
    )
    flagged = [a for i, a in enumerate(rows) if i % 5 == 1]  # approved ones among them stay in the queue
    Flag.objects.bulk_create(
        [Flag(annotation=a, reporter=r, reason="spam") for a in flagged for r in reporters[: 1 + a.pk % 3]]
    )
    for a in flagged:
        a.open_flag_count = 1 + a.pk % 3
    Annotation.objects.bulk_update(flagged, ["open_flag_count"])


def _queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("as_user", ["superuser", "moderator"])
@pytest.mark.parametrize("url", URLS)
def test_admin_moderation_pages_do_not_query_per_row(client, url, as_user, request, make_user, make_article):
    client.force_login(request.getfixturevalue(as_user))
    _add_annotations(3, make_user=make_user, make_article=make_article)
    client.get(url)  # first request of the test: content types and the like get cached
    small, small_sql = _queries(client, url)

    _add_annotations(150, make_user=make_user, make_article=make_article)
    large, large_sql = _queries(client, url)

    assert Annotation.objects.count() == 153
    extra = [sql[:200] for sql in large_sql if sql not in small_sql][:5]
    assert large == small, f"{url}: {small} queries with 3 annotations, {large} with 153; new ones: {extra}"
