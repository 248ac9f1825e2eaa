"""The site-wide search's GIN index (issue 17): ``annotation_search_vector()`` of every annotation, so
``annotations.selectors.search`` reads its matches from the index instead of computing and ranking every
annotation's vector (about 4 s a search at 105k annotations before). PostgreSQL only: on SQLite the index
class executes nothing (``PostgreSQLGinIndex``). Built with a plain CREATE INDEX, which blocks writes to the
table while it runs (about a second per 100,000 annotations)."""

import django.contrib.postgres.search
from django.db import migrations

import annotations.models.annotation


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0016_protocol_iri_db_defaults_and_article_created_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="annotation",
            index=annotations.models.annotation.PostgreSQLGinIndex(
                django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.SearchVector("body", config="english", weight="A"),
                        "||",
                        django.contrib.postgres.search.SearchVector("quote", config="english", weight="B"),
                        django.contrib.postgres.search.SearchConfig("english"),
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector("claim", config="english", weight="B"),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                name="annotation_search_idx",
            ),
        ),
    ]
