"""A surface about one article reads that article's rows, not the site's (issue 17: flat in the size of the site).

Every query the large article's own surfaces make (the page rendered cold, the W3C collection and a page of it,
the Atom feed, the Markdown export, the paragraph page, the Hypothesis client's search for the article) is planned
with ``EXPLAIN (ANALYZE, FORMAT JSON)`` on a site where the article holds ``OURS`` annotations among ``OTHERS``
on another article, tagged and with evidence like them; no plan may read a tag or evidence table sequentially,
nor read more rows of any annotation table than a few times the article's. The first failures this caught (at
1M annotations, ``bench/article_scale.py``): the article's tags and evidence read as a join, which PostgreSQL
planned as a sequential scan of every tag (260 ms) and a merge join along every annotation's primary key
(870 ms); ``annotations.selectors.article.of_annotations`` reads them through their index (20 and
11 ms, flat).

PostgreSQL only (the plans are PostgreSQL's; CI runs the suite on PostgreSQL too). One ``INSERT … SELECT`` per
table copies a template note and fact-check, then ANALYZE: the planner sees the other article's rows as the bulk
of each table, as on a real site. The readers' thread rule (``thread_q``) once joined every reply's parents,
which PostgreSQL hashed by reading the whole table (about 120 ms at 105k); it is an EXISTS per level now, and
no exception is made for it.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Evidence, TaggedAnnotation
from tests.query_plans import reads_too_much

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="query plans are PostgreSQL's (CI runs the suite on PostgreSQL too)",
)

OURS = 300
OTHERS = 20_000
GROWING = {
    Annotation._meta.db_table,
    TaggedAnnotation._meta.db_table,
    Evidence._meta.db_table,
}
NEVER_SEQUENTIAL = {TaggedAnnotation._meta.db_table, Evidence._meta.db_table}


def _copy(cursor, table: str, n: int, source_where: str, overrides: dict[str, str], params: list) -> None:
    columns = [c.name for c in connection.introspection.get_table_description(cursor, table) if c.name != "id"]
    picked = ", ".join(overrides.get(c, c) for c in columns)
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked} FROM {table}, generate_series(1, %s) AS g "
        f"WHERE {source_where}",
        [n, *params],
    )


@pytest.fixture
def site(make_article, make_annotation):
    """Our article with OURS annotations (a tenth fact-checks with evidence, all tagged) and another with OTHERS,
    then ANALYZE. Rolled back to a savepoint and ANALYZEd again after, as tests/annotations/test_admin_scale.py
    does, so the next tests plan for an empty table."""
    ours = make_article("Ours", slug="ours", paragraphs=4)
    others = make_article("Others", slug="others", paragraphs=4)
    note = make_annotation(article=ours, status="approved", tags=["alpha", "beta"], quote="")
    check = make_annotation(article=ours, status="approved", kind="fact_check", tags=["gamma"], quote="")
    savepoint = transaction.savepoint()
    table = Annotation._meta.db_table
    tagged, evidence = TaggedAnnotation._meta.db_table, Evidence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")
        (last,) = cursor.fetchone()
        times = {"created_at": "now() - g * interval '1 minute'", "updated_at": "now() - g * interval '1 minute'"}
        for article, n in ((ours, OURS), (others, OTHERS)):
            block = article.blocks.order_by("position").first()
            placed = {"article_id": str(int(article.pk)), "block_id": str(int(block.pk)), **times}
            checks = n // 10 if article is ours else n // 2  # the other article's evidence is most of the table
            _copy(cursor, table, checks, "id = %s", placed, [check.pk])
            _copy(cursor, table, n - checks, "id = %s", placed, [note.pk])
        # the copies keep their template's tags and evidence
        cursor.execute(
            f"INSERT INTO {tagged} (content_object_id, tag_id) SELECT a.id, t.tag_id FROM {table} a "
            f"JOIN {tagged} t ON t.content_object_id = CASE WHEN a.kind = 'note' THEN %s ELSE %s END WHERE a.id > %s",
            [note.pk, check.pk, last],
        )
        columns = [c.name for c in connection.introspection.get_table_description(cursor, evidence) if c.name != "id"]
        picked = ", ".join("a.id" if c == "annotation_id" else f"e.{c}" for c in columns)
        cursor.execute(
            f"INSERT INTO {evidence} ({', '.join(columns)}) SELECT {picked} FROM {table} a "
            f"JOIN {evidence} e ON e.annotation_id = %s WHERE a.id > %s AND a.kind = 'fact_check'",
            [check.pk, last],
        )
        for name in GROWING:
            cursor.execute(f"ANALYZE {name}")
    yield ours
    transaction.savepoint_rollback(savepoint)
    with connection.cursor() as cursor:
        for name in GROWING:
            cursor.execute(f"ANALYZE {name}")


def beyond_the_article(sql: str, limit: int) -> list[str]:
    """The nodes of the query's plan that read beyond the article (see the module docstring)."""
    return reads_too_much(sql, tables=GROWING, limit=limit, never_sequential=NEVER_SEQUENTIAL)


def surfaces(article) -> dict[str, str]:
    path = f"/articles/{article.slug}/"
    key = article.blocks.order_by("position").first().key
    return {
        "page": path,
        "collection": f"{path}annotations/",
        "collection page": f"{path}annotations/?page=1",
        "feed": f"{path}feed/",
        "export": f"{path}export.md",
        "paragraph": f"{path}p/{key}/",
        "search": f"/hypothesis/api/search?uri=http://testserver{path}&limit=20&sort=created&offset=40",
    }


@postgresql_only
def test_every_surface_of_an_article_reads_only_that_article(client, site):
    limit = 3 * OURS
    offending = {}
    for name, path in surfaces(site).items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        for query in captured.captured_queries:
            if query["sql"].startswith("SELECT"):
                found = beyond_the_article(query["sql"], limit)
                if found:
                    offending.setdefault(name, []).append((found, query["sql"][:300]))
    assert not offending, json.dumps(offending, indent=1)


@postgresql_only
def test_the_check_sees_a_join_that_reads_every_tag(site):
    """The old shape of the article's tags (a join on the annotations' article) is caught by the same check."""
    sql = str(TaggedAnnotation.objects.filter(content_object__article=site).values_list("tag_id").query)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")  # the plan PostgreSQL picks at 1M (a hash join)
    try:
        found = beyond_the_article(sql, 3 * OURS)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_nestloop")
    assert any("Seq Scan on annotations_taggedannotation" in line for line in found), found
