"""Shared fixtures: personas and the factories of ``tests/factories.py`` as fixtures.

``make_user``, ``make_article`` and ``make_annotation`` are thin fixtures over
the factories (they keep the keyword arguments the tests have always used);
the personas are users in the site's groups. Test modules never import each
other: what they share lives here, in ``tests/factories.py`` or in
``tests/helpers.py``.
"""

import factory.random
import pytest

from articles.models import Block
from tests import factories
from tests.helpers import annotation_row_counts


@pytest.fixture(autouse=True)
def _repeatable_factories():
    """Sequences restart and Faker draws the same values in every test (whatever ran before, in any process)."""
    for factory_class in (factories.UserFactory, factories.ArticleFactory):
        factory_class.reset_sequence(0)
    factory.random.reseed_random("annotations-tests")


@pytest.fixture
def make_user(db):
    """``make_user("name", staff=False, superuser=False, groups=(), password=…, **fields)``."""

    def make(username="user", *, staff=False, superuser=False, groups=(), password=factories.PASSWORD, **extra):
        return factories.UserFactory(
            username=username, staff=staff, superuser=superuser, groups=list(groups), password=password, **extra
        )

    return make


@pytest.fixture
def author(make_user):
    return make_user("author", groups=["annotators"])


@pytest.fixture
def other_user(make_user):
    return make_user("other", groups=["annotators"])


@pytest.fixture
def moderator(make_user):
    return make_user("moderator", staff=True, groups=["moderators"])


@pytest.fixture
def editor(make_user):
    return make_user("editor", staff=True, groups=["editors"])


@pytest.fixture
def superuser(make_user):
    return make_user("root", superuser=True)


@pytest.fixture
def make_article(db):
    """``make_article("Title", slug=…, status="published", paragraphs=3, **fields)``: with a source and paragraphs."""

    def make(title="A test article", *, slug=None, paragraphs=3, **fields):
        if slug is not None:
            fields["slug"] = slug
        return factories.ArticleFactory(title=title, paragraphs=paragraphs, **fields)

    return make


@pytest.fixture
def article(make_article):
    return make_article()


@pytest.fixture
def make_annotation(db, author):
    """``make_annotation(article=…, block=None|key|Block, author=author, kind="note", quote="", tags=(), evidence=…)``.

    Rows written straight through the ORM (tests/factories.py): no moderation
    policy, no log, no cache bump; the caller chooses status and visibility.
    Create rows before the first request of a test, or the article page may
    serve a fragment cached before them.
    """

    def make(*, article, author=author, **fields):
        fields = {name: value for name, value in fields.items() if value is not None}
        return factories.AnnotationFactory(article=article, author=author, **fields)

    return make


@pytest.fixture
def make_reply(make_annotation, other_user):
    """``make_reply(parent, body="A reply.", author=other_user, **fields)``: a reply row (issue #15) on its
    parent's paragraph, written like ``make_annotation``'s rows."""

    def make(parent, body="A reply.", author=other_user, **fields):
        return make_annotation(
            article=parent.article, block=parent.block, parent=parent, author=author, body=body, **fields
        )

    return make


@pytest.fixture
def set_text(db):
    """Give a block of an article a new text: ``set_text(article, "k001", "…")``."""

    def set_(article, key, text):
        block = Block.objects.get(article=article, key=key)
        block.text = text
        block.save()
        return block

    return set_


@pytest.fixture
def counts(db):
    """Row counts of everything an annotation write touches (to assert nothing was written)."""
    return annotation_row_counts


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate-limit counters, page versions)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
