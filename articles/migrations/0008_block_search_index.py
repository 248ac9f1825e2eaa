"""The site-wide search of paragraphs reads its matches from a GIN index (issue 17): before, it computed every
paragraph's vector on each search. PostgreSQL only; on SQLite the index class executes nothing
(``articles.fulltext.PostgreSQLGinIndex``). A plain CREATE INDEX, which blocks writes to the paragraphs while it
is built (seconds for a site of 100,000 paragraphs)."""

import django.contrib.postgres.search
from django.db import migrations

import articles.fulltext


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_original_text"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="block",
            index=articles.fulltext.PostgreSQLGinIndex(
                django.contrib.postgres.search.SearchVector("text", config="english"), name="block_search_idx"
            ),
        ),
    ]
