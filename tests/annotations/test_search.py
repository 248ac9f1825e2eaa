"""The site-wide search (/search/, annotations.selectors.search): what it finds on either database, its pages,
its queries, and on PostgreSQL that it reads the matches through the indexes, not the whole table (issue 17).

The same matches on SQLite and PostgreSQL for plain words (no stemming differences: the words are searched as
written), two words (both must occur), a tag's name, a word of a reply; never a private or pending annotation.
The scale test seeds ``ROWS`` annotations with one ``INSERT … SELECT`` (as tests/annotations/test_admin_scale.py
does), tags most of them, runs ANALYZE, and EXPLAINs every query of a search page: no sequential scan of the
annotation or tag tables, and no node reads more than a few times the matches.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Tag, TaggedAnnotation
from annotations.selectors import search as search_module
from annotations.selectors.search import search
from articles.models import Block
from tests.query_plans import plan_of, reads_too_much

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="query plans are PostgreSQL's (CI runs the suite on PostgreSQL too)",
)


@pytest.fixture
def corpus(make_article, make_annotation):
    article = make_article("Harbour news", slug="harbour", paragraphs=3)
    bridge = make_annotation(article=article, body="The harbour bridge opened in spring.", tags=["infrastructure"])
    check = make_annotation(
        article=article, kind="fact_check", claim="Ferries carry millions of riders.", body="Ridership doubled."
    )
    tagged = make_annotation(article=article, body="Unrelated words entirely.", tags=["zeppelin"])
    reply = make_annotation(article=article, body="Nonsense, the lighthouse came first.", parent=bridge)
    make_annotation(article=article, body="The lighthouse secretive plan.", visibility="private")
    make_annotation(article=article, body="A lighthouse pending remark.", status="pending")
    draft = make_article("Draft", slug="draft", paragraphs=1, status="draft")
    make_annotation(article=draft, body="The lighthouse in a draft.")
    return {"bridge": bridge, "check": check, "tagged": tagged, "reply": reply}


@pytest.mark.parametrize(
    "query, found",
    [
        ("bridge", {"bridge"}),
        ("harbour bridge", {"bridge"}),  # two words, both in one annotation
        ("bridge ferries", set()),  # two words in two annotations: no annotation has both
        ("ferries millions", {"check"}),  # a fact-check's claim
        ("zeppelin", {"tagged"}),  # a tag's name
        ("Zeppelin", {"tagged"}),
        ("lighthouse", {"reply"}),  # a reply; not the private, pending or draft article's
        ("secretive", set()),
        ("pending remark", set()),
        ("nothingmatcheshere", set()),
    ],
)
def test_search_finds_the_same_on_either_database(corpus, query, found):
    results = search(query)
    assert {a.pk for a in results.annotations} == {corpus[name].pk for name in found}
    assert results.engine == ("postgresql" if connection.vendor == "postgresql" else "simple")


def test_a_reply_found_is_marked_as_one(client, corpus):
    html = client.get("/search/", {"q": "lighthouse"}).content.decode()
    assert "In reply to" in html and "Nonsense, the lighthouse came first." in html
    assert "secretive" not in html.split("</form>")[1] and "pending remark" not in html


def test_results_come_a_page_at_a_time_with_a_link_to_the_next(client, corpus, make_annotation, monkeypatch):
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    article = corpus["bridge"].article
    for n in range(3):
        make_annotation(article=article, body=f"Bridge number {n}.")
    first = client.get("/search/", {"q": "bridge"}).content.decode()
    assert first.count('class="context-link"') == 2
    assert 'href="?q=bridge&amp;page=2" rel="next">More results</a>' in first
    second = client.get("/search/", {"q": "bridge", "page": "2"}).content.decode()
    assert second.count('class="context-link"') == 2 and 'rel="prev"' in second and 'rel="next"' not in second
    seen = {a.pk for page in (1, 2) for a in search("bridge", page=page).annotations}
    assert len(seen) == 4
    # a page out of range or not a number is a page within range, never an error
    assert client.get("/search/", {"q": "bridge", "page": "x"}).status_code == 200
    assert search("bridge", page=10_000).page == search_module.MAX_PAGE


@pytest.mark.parametrize("page", ["1", "2"])
def test_search_page_queries(client, corpus, make_annotation, django_assert_num_queries, monkeypatch, page):
    monkeypatch.setattr(search_module, "PAGE_SIZE", 1)
    make_annotation(article=corpus["bridge"].article, body="A bridge again.", tags=["zeppelin"])
    # 1 paragraphs; 2 annotations (text and tag matches, with article, block, author); 3 tags; 4 evidence
    with django_assert_num_queries(4):
        response = client.get("/search/", {"q": "zeppelin", "page": page})
    assert response.content.decode().count('class="context-link"') == 1


# ---------------------------------------------------------------- PostgreSQL: the plans at 20,000 annotations

ROWS = 20_000
NEEDLES = 30  # annotations with the rare word, among ROWS
TAGS = 200  # topics, each on ROWS / TAGS annotations
GROWING = {Annotation._meta.db_table, TaggedAnnotation._meta.db_table}


@pytest.fixture
def many(make_article, make_annotation, author):
    """ROWS notes on one article ('Filler note <n>'), every NEEDLES-th of the first NEEDLES² with the rare word
    'quokka', each tagged with one of TAGS topics and a few 'zeppelin' too; then ANALYZE. Rolled back to a savepoint and ANALYZEd
    again after, as tests/annotations/test_admin_scale.py does, so the next tests plan for an empty table."""
    article = make_article("Scale", slug="scale", paragraphs=2)
    block = article.blocks.order_by("position").first()
    common = Tag.objects.bulk_create(Tag(name=f"topic{n}", slug=f"topic{n}") for n in range(TAGS))
    rare, _ = Tag.objects.get_or_create(name="zeppelin", slug="zeppelin")
    table, tagged = Annotation._meta.db_table, TaggedAnnotation._meta.db_table
    savepoint = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        (last,) = cursor.fetchone()
        cursor.execute(
            f"""
            INSERT INTO {table} (
                article_id, block_id, author_id, kind, visibility, body, body_html, quote, quote_prefix,
                quote_suffix, claim, verdict, status, moderation_reason, open_flag_count, anchor_state,
                original_quote, text_changed, created_at, updated_at
            )
            SELECT %s, %s, %s, 'note', 'public',
                CASE WHEN g %% %s = 0 AND g <= %s THEN 'A quokka sighting ' ELSE 'Filler note ' END || g, '',
                '', '', '', '', '', 'approved', '', 0, 'anchored', '', false,
                now() - g * interval '1 minute', now() - g * interval '1 minute'
            FROM generate_series(1, %s) AS g
            """,
            [article.pk, block.pk, author.pk, NEEDLES, NEEDLES * NEEDLES, ROWS],
        )
        cursor.execute(
            f"INSERT INTO {tagged} (content_object_id, tag_id) SELECT id, (%s::bigint[])[1 + id %% %s] FROM {table} "
            "WHERE id > %s",
            [[tag.pk for tag in common], TAGS, last],
        )
        cursor.execute(
            f"INSERT INTO {tagged} (content_object_id, tag_id) SELECT id, %s FROM {table} WHERE id > %s AND id %% 1000 = 0",
            [rare.pk, last],
        )
        for name in (*GROWING, Tag._meta.db_table):
            cursor.execute(f"ANALYZE {name}")
    yield article
    transaction.savepoint_rollback(savepoint)
    with connection.cursor() as cursor:
        for name in (*GROWING, Tag._meta.db_table):
            cursor.execute(f"ANALYZE {name}")


def too_much(sql: str, limit: int) -> list[str]:
    """The nodes of the query's plan that scan a growing table or read more than ``limit`` of its rows."""
    return reads_too_much(sql, tables=GROWING, limit=limit, never_sequential=GROWING)


@postgresql_only
@pytest.mark.parametrize(
    "query, expected",
    [("quokka", NEEDLES), ("quokka sighting", NEEDLES), ('"quokka sighting"', NEEDLES), ("zeppelin", ROWS // 1000)],
)
def test_search_reads_the_matches_through_the_indexes(client, many, query, expected):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert response.content.decode().count('class="context-link"') == expected
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    offending = {sql[:400]: found for sql in selects if (found := too_much(sql, 5 * NEEDLES))}
    assert not offending, json.dumps(offending, indent=1)
    main = next(sql for sql in selects if "annotations_annotation" in sql.split("FROM", 1)[1][:60])
    plan = plan_of(main)
    assert "annotation_search_idx" in plan, plan


PARAGRAPHS = 5_000
WOMBATS = 10  # paragraphs with the rare word, among PARAGRAPHS


@pytest.fixture
def long_article(make_article):
    """An article of PARAGRAPHS paragraphs ('Filler paragraph <n>'), every PARAGRAPHS / WOMBATS-th with 'wombat';
    rolled back and ANALYZEd again after, as ``many`` does."""
    article = make_article("Long", slug="long", paragraphs=2)
    table = Block._meta.db_table
    savepoint = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (article_id, key, position, kind, text, created_at, updated_at)
            SELECT %s, 'g-' || g, 100 + g, 'paragraph',
                CASE WHEN g %% %s = 0 THEN 'A wombat crossing ' ELSE 'Filler paragraph ' END || g, now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [article.pk, PARAGRAPHS // WOMBATS, PARAGRAPHS],
        )
        cursor.execute(f"ANALYZE {table}")
    yield article
    transaction.savepoint_rollback(savepoint)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


@postgresql_only
def test_the_paragraphs_search_reads_its_matches_through_block_search_idx(client, long_article):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", {"q": "wombat"})
    assert response.status_code == 200
    assert response.content.decode().count("A wombat crossing") == WOMBATS
    paragraphs = next(
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split("FROM", 1)[1].lstrip().startswith('"articles_block"')
    )
    plan = plan_of(paragraphs)
    assert "block_search_idx" in plan and "Seq Scan on articles_block" not in plan, plan
