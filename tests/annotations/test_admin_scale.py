"""The admin at 100,000+ annotations (issue 17): the plans of the moderation queue's and the changelist's main
queries read the index made for them, and the unfiltered changelist is not counted row by row.

PostgreSQL only: the plans are PostgreSQL's, and so is the estimated count (``pg_class.reltuples``). The
test seeds 20,000 annotations with one ``INSERT … SELECT generate_series`` and runs ANALYZE, enough for the
planner to prefer the indexes on its own (no ``enable_seqscan = off``). Measured timings are in
``bench/admin_pages.py``'s output; this pins the shapes that make them flat in the table's size.
"""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotations.admin.annotation import AnnotationAdmin
from annotations.admin.moderation import QUEUE_PAGE_SIZE as PAGE
from annotations.admin.paginator import ESTIMATE_ABOVE
from annotations.models import Annotation
from tests.query_plans import plan_of

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="query plans and pg_class.reltuples are PostgreSQL's (CI runs the suite on PostgreSQL too)",
)

QUEUE = "/admin/annotations/annotation/queue/"
CHANGELIST = "/admin/annotations/annotation/"
ROWS = 20_000
TABLE = Annotation._meta.db_table


@pytest.fixture
def many(article, author):
    """ROWS annotations on one paragraph, one a minute back in time: 1 in 50 pending, 1 in 97 flagged, 1 in 20
    private, the rest approved; then ANALYZE, as autovacuum would after such a load."""
    block = article.blocks.order_by("position").first()
    # ANALYZE writes pg_class.reltuples in place, outside the test's transaction: its rollback would leave
    # 20,000 for the next tests. Rolled back to this savepoint, the rows count as dead for the ANALYZE
    # below, which sets it back (a DELETE would do too, but its deferred foreign-key checks take seconds).
    savepoint = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TABLE} (
                article_id, block_id, author_id, kind, visibility, body, body_html, quote, quote_prefix,
                quote_suffix, claim, verdict, status, moderation_reason, open_flag_count, anchor_state,
                original_quote, text_changed, created_at, updated_at
            )
            SELECT %s, %s, %s, 'note', CASE WHEN g %% 20 = 0 THEN 'private' ELSE 'public' END,
                'Note ' || g, '<p>Note ' || g || '</p>', '', '', '', '', '',
                CASE WHEN g %% 50 = 0 THEN 'pending' ELSE 'approved' END, '',
                CASE WHEN g %% 97 = 0 THEN 1 ELSE 0 END, 'anchored', '', false,
                now() - g * interval '1 minute', now() - g * interval '1 minute'
            FROM generate_series(1, %s) AS g
            """,
            [article.pk, block.pk, author.pk, ROWS],
        )
        cursor.execute(f"ANALYZE {TABLE}")
    yield ROWS
    transaction.savepoint_rollback(savepoint)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")


def main_query(captured, limit: int) -> str:
    """The page's query of annotations: SELECT annotation rows … LIMIT the page size (+1 for the queue's "more")."""
    (sql,) = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(f'SELECT "{TABLE}"."id"') and re.search(rf"LIMIT {limit}$", q["sql"])
    ]
    return sql


@postgresql_only
def test_queue_pages_read_the_partial_queue_index(client, moderator, many):
    client.force_login(moderator)
    with CaptureQueriesContext(connection) as captured:
        first = client.get(QUEUE)
    plan = plan_of(main_query(captured, PAGE + 1))
    # e.g.  Limit -> Nested Loop ... -> Index Scan using annotation_in_queue_idx on annotations_annotation
    assert "Index Scan using annotation_in_queue_idx on annotations_annotation" in plan, plan
    assert "Seq Scan on annotations_annotation" not in plan, plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan  # the index gives the order: no sort of the queue

    # a later page (keyset): the same index, entered at the 'after' row (an Index Cond on created_at)
    with CaptureQueriesContext(connection) as captured:
        second = client.get(f"{QUEUE}?after={first.context['next_after']}")
    plan = plan_of(main_query(captured, PAGE + 1))
    assert "Index Scan using annotation_in_queue_idx on annotations_annotation" in plan, plan
    assert "Index Cond: (created_at >=" in plan, plan
    assert "Seq Scan on annotations_annotation" not in plan, plan
    pages = first.context["annotations"] + second.context["annotations"]
    assert [a.pk for a in pages] == list(
        Annotation.objects.in_queue().order_by("created_at", "pk").values_list("pk", flat=True)[: 2 * PAGE]
    )


@postgresql_only
def test_changelist_reads_its_order_from_the_created_index_and_estimates_its_count(client, moderator, many):
    client.force_login(moderator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CHANGELIST)
    plan = plan_of(main_query(captured, AnnotationAdmin.list_per_page))
    # newest first: the index read backwards, one page of rows and no sort of the table
    assert "Index Scan Backward using annotation_created_idx on annotations_annotation" in plan, plan
    assert "Seq Scan on annotations_annotation" not in plan, plan
    # no COUNT over the table: the planner's estimate (ANALYZE counted ROWS rows; the exact count, without
    # another author's private notes, would be 19,000); Django's own COUNT query is not run ...
    assert response.context["cl"].result_count == ROWS >= ESTIMATE_ABOVE
    assert not any('AS "__count"' in q["sql"] for q in captured.captured_queries)
    # ... and the paginator's one query holds its exact count for small tables as a sub-select PostgreSQL
    # does not run when the estimate is large (InitPlan ... never executed)
    (estimate_sql,) = [q["sql"] for q in captured.captured_queries if "reltuples" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {estimate_sql}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert re.search(r"InitPlan.*\n.*\(never executed\)", plan), plan
    newest = Annotation.objects.exclude(visibility="private").order_by("-created_at", "-pk")
    assert [a.pk for a in response.context["cl"].result_list] == list(
        newest.values_list("pk", flat=True)[: AnnotationAdmin.list_per_page]
    )


@postgresql_only
def test_filtered_changelist_is_counted_exactly_through_an_index(client, moderator, many):
    client.force_login(moderator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{CHANGELIST}?status__exact=pending")
    pending = Annotation.objects.filter(status="pending").exclude(visibility="private").count()
    assert response.context["cl"].result_count == pending  # exact: what the moderator asked for
    (count_sql,) = [q["sql"] for q in captured.captured_queries if 'AS "__count"' in q["sql"]]
    plan = plan_of(count_sql)
    # status = 'pending': (status, created_at) including visibility and author, for the private-notes condition
    assert "annotation_status_idx" in plan, plan
    assert "Seq Scan on annotations_annotation" not in plan, plan


def test_small_tables_are_counted_exactly(client, moderator, article, make_annotation):
    """Before the first ANALYZE (reltuples -1) or below ESTIMATE_ABOVE rows: the exact count, in the same query
    (on PostgreSQL; other databases always count exactly)."""
    make_annotation(article=article, status="approved")
    make_annotation(article=article, status="pending")
    client.force_login(moderator)
    response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 2
