"""A changelist paginator that does not count a large table on every load.

Django's changelist calls ``paginator.count`` on each page: an exact ``COUNT(*)``
reads every row (31 ms at 105,000 annotations, ten times that at 1M, on
PostgreSQL). For the unfiltered list the planner's own estimate of the table's
rows (``pg_class.reltuples``, kept by ANALYZE and autovacuum) is enough to
number the pages; a filtered or searched list is counted exactly, since its
count is what the moderator asked for. Small tables, an estimate not yet made
(``reltuples`` is -1 before the first ANALYZE) and other databases are counted
exactly too.
"""

from __future__ import annotations

from django.contrib.admin.views.main import ERROR_FLAG, ORDER_VAR, PAGE_VAR
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# below this many rows (the planner's estimate) an exact count is cheap: count exactly
ESTIMATE_ABOVE = 10_000
# query parameters that neither filter nor search: with only these, the list is the whole table
UNFILTERED_PARAMS = frozenset({PAGE_VAR, ORDER_VAR, ERROR_FLAG})


def is_unfiltered(request) -> bool:
    """True when the changelist shows every row its queryset allows (no filter, no search)."""
    return all(name in UNFILTERED_PARAMS for name in request.GET)


class EstimatedCountPaginator(Paginator):
    """Counts with the planner's estimate when ``estimate`` is set and the table is large; exactly otherwise.

    One query either way: on PostgreSQL the estimate and, for a small table,
    the exact count are one statement (the count is a sub-select PostgreSQL
    runs only when the CASE needs it). The estimate includes rows the queryset
    leaves out (another author's private notes): the page numbers are
    approximate, the rows on each page exact; a page past the real end is
    empty, not an error.
    """

    def __init__(self, *args, estimate: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimate = estimate

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if not self.estimate or connection.vendor != "postgresql":
            return super().count
        rows_sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint "
                f"ELSE (SELECT count(*) FROM ({rows_sql}) AS counted) END "
                "FROM pg_class c WHERE c.oid = %s::regclass",
                [ESTIMATE_ABOVE, *params, queryset.model._meta.db_table],
            )
            return int(cursor.fetchone()[0])
