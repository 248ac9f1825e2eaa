"""Full-text search on PostgreSQL, shared by the site's search of paragraphs and of annotations.

The search (``annotations.selectors.search``) and the GIN indexes are built from the same expressions, so
PostgreSQL answers ``vector @@ query`` from an index instead of computing every row's vector (issue 17). SQLite
has neither GIN nor ``to_tsvector``: there the indexes are nothing and the search reads the table.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector

SEARCH_CONFIG = "english"


def block_search_vector() -> SearchVector:
    """What the site-wide search matches in a paragraph (its text); the GIN index ``block_search_idx`` is
    built from this one expression."""
    return SearchVector("text", config=SEARCH_CONFIG)


class PostgreSQLGinIndex(GinIndex):
    """A GIN index on PostgreSQL and nothing on other databases (SQLite has no GIN, nor ``to_tsvector``; its search
    reads the table): creating and dropping it there execute an empty statement, also when SQLite remakes the
    table for a later migration."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)
