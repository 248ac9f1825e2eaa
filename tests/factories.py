"""factory_boy factories: the one place tests build users, articles, blocks, annotations and flags.

Each factory writes rows straight through the ORM with declarative defaults a
test overrides by keyword (``AnnotationFactory(article=a, status="pending")``).
They bypass the services on purpose, and so the moderation policy, the
moderation log and the article-version cache bump: a test chooses any status or
visibility. Tests that need those rules call ``annotations.services``.

- ``UserFactory(username=…, groups=["annotators"], staff=…, superuser=…)``;
  every user's password is ``PASSWORD``.
- ``ArticleFactory(paragraphs=3)``: a published article with a source and
  paragraphs ``k001``, ``k002``, … whose text is "Paragraph 1 text." ….
- ``BlockFactory(article=…)``: the next paragraph of an article.
- ``AnnotationFactory`` / ``FactCheckFactory``: the quote is anchored in the
  block's text with ``resolve_quote`` and the body rendered with
  ``render_body``, as the services store them; ``tags=[…]`` and
  ``evidence=[{"url": …, "title": …}]`` (a fact-check gets one source unless
  given ``evidence=[]``).
- ``FlagFactory(annotation=…, reporter=…)``: a reader's flag, with the
  annotation's ``open_flag_count`` kept in step as the services keep it.

Sequences and Faker are reset per test (``tests/conftest.py``), so generated
values are the same on every run and in every process.
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from annotations.anchoring.quotes import resolve_quote
from annotations.models import Annotation, Evidence, Flag, Tag
from annotations.rendering import render_body
from annotations.tagging import parse_tags
from articles.models import Article, Block, Source

PASSWORD = "pw-for-tests-123"
DEFAULT_EVIDENCE = ({"url": "https://example.org/source", "title": "A source"},)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    class Params:
        staff = False
        superuser = False

    username = factory.Sequence(lambda n: f"user{n + 1}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    # names are never shown by the site: any realistic value will do
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_staff = factory.LazyAttribute(lambda user: user.staff or user.superuser)
    is_superuser = factory.SelfAttribute("superuser")

    @classmethod
    def _create(cls, model_class, *args, password: str = PASSWORD, **kwargs):
        # create_user hashes the password with the test hasher (MD5) in one INSERT
        return model_class._default_manager.create_user(*args, password=password, **kwargs)

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        for name in extracted or ():
            group, _ = Group.objects.get_or_create(name=name)
            user.groups.add(group)


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    article = factory.SubFactory("tests.factories.ArticleFactory", source=None)
    publisher_name = "Test Publisher"


class ArticleFactory(DjangoModelFactory):
    """A published article with its source and ``paragraphs`` paragraphs (keys k001, k002, …)."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = "A test article"
    slug = factory.Sequence(lambda n: f"article-{n + 1}")
    status = Article.Status.PUBLISHED
    source = factory.RelatedFactory(SourceFactory, factory_related_name="article")

    @factory.post_generation
    def paragraphs(article, create, extracted, **kwargs):
        count = 3 if extracted is None else extracted
        for _ in range(count):
            BlockFactory(article=article)


class BlockFactory(DjangoModelFactory):
    """The next paragraph of ``article``: position and key follow the blocks it has."""

    class Meta:
        model = Block

    article = factory.SubFactory(ArticleFactory, paragraphs=0)
    position = factory.LazyAttribute(lambda block: block.article.blocks.count() + 1)
    key = factory.LazyAttribute(lambda block: f"k{block.position:03d}")
    kind = Block.Kind.PARAGRAPH
    text = factory.LazyAttribute(lambda block: f"Paragraph {block.position} text.")


class AnnotationFactory(DjangoModelFactory):
    """An annotation written straight to the table (no moderation policy, no log, no cache bump).

    ``block`` may be a Block, a block key, or left out (the article's first
    current block). ``quote`` is the exact text to anchor in the block.
    """

    class Meta:
        model = Annotation
        skip_postgeneration_save = True

    article = factory.SubFactory(ArticleFactory)
    block = None
    author = factory.SubFactory(UserFactory, groups=["annotators"])
    kind = Annotation.Kind.NOTE
    visibility = Annotation.Visibility.PUBLIC
    status = Annotation.Status.APPROVED
    body = "A note about this paragraph."
    body_html = factory.LazyAttribute(lambda annotation: render_body(annotation.body))
    quote = ""
    claim = ""
    verdict = factory.LazyAttribute(lambda a: "misleading" if a.kind == Annotation.Kind.FACT_CHECK else "")

    @classmethod
    def _create(cls, model_class, *args, article, block=None, quote="", claim="", **kwargs):
        if block is None:
            block = article.blocks.current().first()
        elif isinstance(block, str):
            block = article.blocks.get(key=block)
        anchor = resolve_quote(block.text, quote) if quote else None
        if anchor is not None:
            kwargs.update(
                quote=anchor.exact,
                quote_start=anchor.start,
                quote_end=anchor.end,
                quote_prefix=anchor.prefix,
                quote_suffix=anchor.suffix,
            )
        if not claim and anchor is not None and kwargs["kind"] == Annotation.Kind.FACT_CHECK:
            claim = anchor.exact  # the services' default: the claim checked is the quote
        return super()._create(model_class, *args, article=article, block=block, claim=claim, **kwargs)

    @factory.post_generation
    def tags(annotation, create, extracted, **kwargs):
        for name in parse_tags(list(extracted or ())):
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            annotation.tags.add(tag)

    @factory.post_generation
    def evidence(annotation, create, extracted, **kwargs):
        if extracted is None:
            extracted = DEFAULT_EVIDENCE if annotation.kind == Annotation.Kind.FACT_CHECK else ()
        for position, item in enumerate(extracted):
            EvidenceFactory(annotation=annotation, position=position, **item)


class FactCheckFactory(AnnotationFactory):
    """A fact-check: verdict "misleading" and one evidence source unless told otherwise."""

    kind = Annotation.Kind.FACT_CHECK


class EvidenceFactory(DjangoModelFactory):
    class Meta:
        model = Evidence

    annotation = factory.SubFactory(FactCheckFactory, evidence=[])
    url = "https://example.org/source"
    title = "A source"
    position = 0


class FlagFactory(DjangoModelFactory):
    """A reader's flag; the annotation's ``open_flag_count`` is kept in step, as the services keep it."""

    class Meta:
        model = Flag
        skip_postgeneration_save = True

    annotation = factory.SubFactory(AnnotationFactory)
    reporter = factory.SubFactory(UserFactory, groups=["annotators"])
    reason = Flag.Reason.INACCURATE
    text = factory.Faker("sentence")

    @factory.post_generation
    def open_flag_count(flag, create, extracted, **kwargs):
        annotation = flag.annotation
        annotation.open_flag_count = Flag.objects.filter(annotation=annotation, resolution=Flag.Resolution.OPEN).count()
        Annotation.objects.filter(pk=annotation.pk).update(open_flag_count=annotation.open_flag_count)
