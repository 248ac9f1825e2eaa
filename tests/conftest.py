"""Shared fixtures: personas and small factories for articles."""

import pytest
from django.contrib.auth import get_user_model

from articles.models import Article, Block, Source


@pytest.fixture
def make_user(db):
    def make(username="user", *, staff=False, superuser=False, groups=(), password="pw-for-tests-123", **extra):
        from django.contrib.auth.models import Group

        User = get_user_model()
        user = User.objects.create_user(
            username=username, email=f"{username}@example.com", password=password, is_staff=staff or superuser, **extra
        )
        if superuser:
            user.is_superuser = True
            user.save()
        for name in groups:
            group, _ = Group.objects.get_or_create(name=name)
            user.groups.add(group)
        return user

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
    def make(title="A test article", *, slug=None, status=Article.Status.PUBLISHED, paragraphs=3, **fields):
        article = Article.objects.create(
            title=title, slug=slug or f"article-{Article.objects.count() + 1}", status=status, **fields
        )
        Source.objects.create(article=article, publisher_name="Test Publisher")
        for i in range(paragraphs):
            Block.objects.create(
                article=article,
                key=f"k{i + 1:03d}",
                position=i + 1,
                kind=Block.Kind.PARAGRAPH,
                text=f"Paragraph {i + 1} text.",
            )
        return article

    return make


@pytest.fixture
def article(make_article):
    return make_article()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate-limit counters, page versions)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
