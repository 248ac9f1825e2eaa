"""Seed the benchmark database (run by bench/run.py in a subprocess).

    python bench/seed.py seed --size full|quick --out INFO.json
    python bench/seed.py count --prefix bench-writer-

The database comes from the environment (DATABASE_URL), like the site. Rows
are written with ``bulk_create`` in batches: the sample article through the
real importer, then a large article (every annotation approved, with quotes
and tags, a tenth of them fact-checks with evidence), then filler articles
carrying the bulk of the annotations the admin pages list (mixed statuses,
pending ones, flagged ones with their Flag rows and ``open_flag_count``),
and the accounts: a superuser, the writers of the write benchmark and the
authors of everything else. Every account shares one password hash, computed
once (hashing is deliberately slow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SIZES = {
    "full": {
        "large_paragraphs": 200,
        "large_annotations": 5000,  # all approved and public ...
        "large_fact_checks": 500,  # ... of which this many are fact-checks with evidence
        "admin_annotations": 100_000,
        "filler_articles": 20,
        "filler_paragraphs": 50,
        "authors": 500,
        "writers": 20,
        "write_paragraphs": 40,
    },
    "quick": {
        "large_paragraphs": 40,
        "large_annotations": 500,
        "large_fact_checks": 50,
        "admin_annotations": 5_000,
        "filler_articles": 5,
        "filler_paragraphs": 20,
        "authors": 50,
        "writers": 8,
        "write_paragraphs": 20,
    },
}

PASSWORD = "bench-password-not-secret"
ADMIN_USERNAME = "bench-admin"
WRITER_PREFIX = "bench-writer-"
AUTHOR_PREFIX = "bench-author-"
LARGE_SLUG = "bench-large"
WRITES_SLUG = "bench-writes"
FILLER_SLUG = "bench-filler-{:02d}"
BATCH = 2000

WORDS = (
    "the a of and to in that is was for on with as by at from it this be are have not but or which an they "
    "year years company model models research people work world future team new first time progress safety "
    "science compute users product launch mission believe built build building learned learn hard decisions "
    "board trust governance translation original copy source claim evidence statement report reported version "
    "machine intelligence general superintelligence agents workforce economy history quickly slowly carefully "
    "public private release released iterative deployment feedback society benefits risks important difficult "
    "founders investors partners engineers researchers customers millions billions percent growth revenue "
    "reflection reflections january december looking back forward ahead today tomorrow decade always never"
).split()
TAG_POOL = [
    "translation",
    "mistranslation",
    "context",
    "numbers",
    "dates",
    "quotes",
    "tone",
    "hedging",
    "terminology",
    "names",
    "sources",
    "omission",
    "addition",
    "style",
    "governance",
    "safety",
    "economics",
    "history",
    "products",
    "research",
    "compute",
    "agents",
    "agi",
    "board",
    "investors",
    "timeline",
    "claims",
    "statistics",
    "law",
    "policy",
    "people",
    "companies",
    "forecast",
    "opinion",
    "fact",
    "error",
    "typo",
    "formatting",
    "headline",
    "lead",
]
BODIES = [
    "The original says *something subtly different* here: compare with the source before quoting.",
    "This sentence was **added** by the republisher; it is not in the original post.",
    "Worth reading with the [original](https://blog.samaltman.com/reflections) open beside it.",
    "- the tense changed\n- a hedge was dropped\n- the subject is now plural",
    "> quoted from the original\n\nThe copy turns the quote into a paraphrase.",
    "Plain note without any markup at all, just an observation about the paragraph.",
    "The figure matches the company's own report of the same year.",
    "A term of art is translated literally here, which changes its meaning for readers.",
]
VERDICTS = ["accurate", "mostly_accurate", "missing_context", "misleading", "false", "mistranslation", "unverifiable"]


def _setup_django():
    import django

    django.setup()


def _paragraph(rng: random.Random, n_words: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n_words)]
    words[0] = words[0].capitalize()
    # a few sentence breaks so the text reads like prose
    for i in range(12, n_words - 1, rng.randint(12, 20)):
        words[i] += "."
        words[i + 1] = words[i + 1].capitalize()
    return " ".join(words) + "."


def _quote_span(rng: random.Random, text: str) -> tuple[int, int]:
    """A span of 2–12 whole words inside ``text``."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == " "]
    first = rng.randrange(0, max(1, len(starts) - 3))
    last = min(len(starts) - 1, first + rng.randint(2, 12))
    start, end = starts[first], starts[last] - 1  # up to the space before word ``last``
    return start, max(end, start + 1)


class Seeder:
    def __init__(self, size: str, rng_seed: int = 20250106):
        from django.contrib.auth.hashers import make_password

        self.size = SIZES[size]
        self.rng = random.Random(rng_seed)
        self.now = dt.datetime.now(dt.UTC)
        self.password_hash = make_password(PASSWORD)
        self._rendered: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    # --- helpers -------------------------------------------------------------

    def body_html(self, body: str) -> str:
        from annotations.rendering import render_body

        if body not in self._rendered:
            self._rendered[body] = render_body(body)
        return self._rendered[body]

    def _freeze_timestamps(self):
        """Let bulk_create keep the created_at/updated_at we set (spread over a year)."""
        from annotations.models import Annotation, Flag

        for model, names in ((Annotation, ("created_at", "updated_at")), (Flag, ("created_at",))):
            for name in names:
                field = model._meta.get_field(name)
                field.auto_now = False
                field.auto_now_add = False

    def _past(self, max_days: int = 365) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.rng.randint(60, max_days * 86400))

    # --- accounts --------------------------------------------------------------

    def users(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission

        from annotations.roles import ANNOTATORS, TRUSTED_ANNOTATORS, ensure_roles

        ensure_roles(Group, Permission)
        User = get_user_model()
        joined = self.now - dt.timedelta(days=400)  # old accounts: the "member" rate-limit tier
        rows = [
            User(
                username=ADMIN_USERNAME,
                email="admin@bench.invalid",
                password=self.password_hash,
                is_staff=True,
                is_superuser=True,
                date_joined=joined,
            )
        ]
        rows += [
            User(
                username=f"{WRITER_PREFIX}{i:02d}",
                email=f"writer{i}@bench.invalid",
                password=self.password_hash,
                date_joined=joined,
            )
            for i in range(self.size["writers"])
        ]
        rows += [
            User(
                username=f"{AUTHOR_PREFIX}{i:04d}",
                email=f"author{i}@bench.invalid",
                password=self.password_hash,
                date_joined=joined,
            )
            for i in range(self.size["authors"])
        ]
        User.objects.bulk_create(rows, batch_size=BATCH)
        self.admin = User.objects.get(username=ADMIN_USERNAME)
        self.writers = list(User.objects.filter(username__startswith=WRITER_PREFIX).order_by("username"))
        self.authors = list(User.objects.filter(username__startswith=AUTHOR_PREFIX).order_by("username"))
        groups = {g.name: g for g in Group.objects.filter(name__in=[ANNOTATORS, TRUSTED_ANNOTATORS])}
        through = User.groups.through
        links = []
        for i, user in enumerate(self.writers + self.authors):
            links.append(through(user_id=user.pk, group_id=groups[ANNOTATORS].pk))
            # half the writers are trusted: their notes publish at once (and invalidate the page cache)
            if user in self.writers and i % 2 == 0:
                links.append(through(user_id=user.pk, group_id=groups[TRUSTED_ANNOTATORS].pk))
        through.objects.bulk_create(links, batch_size=BATCH)
        self.counts["users"] = len(rows)

    def tags(self):
        from django.utils.text import slugify

        from annotations.models import Tag

        Tag.objects.bulk_create([Tag(name=name, slug=slugify(name)) for name in TAG_POOL], ignore_conflicts=True)
        self.tag_ids = list(Tag.objects.filter(name__in=TAG_POOL).values_list("pk", flat=True))

    # --- articles ----------------------------------------------------------------

    def sample_article(self):
        """The sample, imported as setup_demo does, with a few approved annotations."""
        from django.conf import settings

        from articles.demo import SAMPLE_DEK, SAMPLE_PATH, SAMPLE_SLUG, SAMPLE_SOURCE
        from articles.models import Block, Source
        from articles.parsing import parse_document, read_document
        from articles.services import import_article

        parsed = parse_document(
            read_document(SAMPLE_PATH, max_bytes=settings.IMPORT_MAX_BYTES), filename=SAMPLE_PATH.name
        )
        article = import_article(parsed=parsed, slug=SAMPLE_SLUG).article
        article.dek = SAMPLE_DEK
        article.save(update_fields=["dek", "updated_at"])
        source, _ = Source.objects.get_or_create(article=article)
        for name, value in SAMPLE_SOURCE.items():
            setattr(source, name, value)
        source.save()
        blocks = list(article.blocks.current().filter(kind=Block.Kind.PARAGRAPH).exclude(text=""))
        chosen = [blocks[i * len(blocks) // 10] for i in range(10)]
        self._annotate(article, chosen, total=10, fact_checks=2, statuses=None, quote_share=0.8)
        self.sample = {"slug": article.slug, "id": article.pk, "paragraphs": len(blocks)}

    def _make_article(self, slug: str, title: str, paragraphs: int, *, translation: bool = False, words=(60, 110)):
        from articles.models import Article, Block, Source

        article = Article.objects.create(
            title=title,
            slug=slug,
            status=Article.Status.PUBLISHED,
            published_on=self.now.date(),
            dek="A generated article for the benchmark.",
            import_identity=f"bench:{slug}",
        )
        Source.objects.create(
            article=article,
            publisher_name="Benchmark Press",
            original_url="https://example.org/original",
            original_author="A. Writer",
            is_translation=translation,
            translated_from="a generated text" if translation else "",
        )
        Block.objects.bulk_create(
            [
                Block(
                    article=article,
                    key=f"{slug[:12]}-{i:04d}",
                    position=i + 1,
                    kind=Block.Kind.PARAGRAPH,
                    text=_paragraph(self.rng, self.rng.randint(*words)),
                )
                for i in range(paragraphs)
            ],
            batch_size=BATCH,
        )
        return article, list(article.blocks.current())

    def _annotate(
        self,
        article,
        blocks,
        *,
        total: int,
        fact_checks: int,
        statuses,
        quote_share: float,
        tag_share: float = 1.0,
        flagged_share: float = 0.0,
    ):
        """bulk_create ``total`` annotations on ``blocks``; ``statuses`` None means all approved and public."""
        from annotations.models import Annotation, Evidence, Flag, TaggedAnnotation

        rng = self.rng
        fact_check_every = max(1, total // fact_checks) if fact_checks else 0
        made = 0
        while made < total:
            n = min(BATCH, total - made)
            rows = []
            for i in range(made, made + n):
                block = blocks[i % len(blocks)]
                is_fc = bool(fact_check_every) and i % fact_check_every == 0
                status, visibility = Annotation.Status.APPROVED, Annotation.Visibility.PUBLIC
                if statuses:
                    status, visibility = rng.choices([s for s, _ in statuses], weights=[w for _, w in statuses])[0]
                if is_fc and visibility == Annotation.Visibility.PRIVATE:
                    visibility = Annotation.Visibility.PUBLIC
                body = rng.choice(BODIES)
                when = self._past()
                row = Annotation(
                    article=article,
                    block=block,
                    author=rng.choice(self.authors),
                    kind=Annotation.Kind.FACT_CHECK if is_fc else Annotation.Kind.NOTE,
                    visibility=visibility,
                    status=status,
                    body=body,
                    body_html=self.body_html(body),
                    verdict=rng.choice(VERDICTS) if is_fc else "",
                    created_at=when,
                    updated_at=when,
                )
                if rng.random() < quote_share:
                    start, end = _quote_span(rng, block.text)
                    row.quote, row.quote_start, row.quote_end = block.text[start:end], start, end
                    row.quote_prefix, row.quote_suffix = (
                        block.text[max(0, start - 32) : start],
                        block.text[end : end + 32],
                    )
                if is_fc:
                    row.claim = row.quote or "The whole paragraph."
                if status != Annotation.Status.PENDING and statuses:
                    row.moderated_by, row.moderated_at = self.admin, when
                rows.append(row)
            Annotation.objects.bulk_create(rows, batch_size=BATCH)
            tagged, evidence, flags = [], [], []
            for row in rows:
                if rng.random() < tag_share:
                    for tag_id in rng.sample(self.tag_ids, rng.randint(1, 3)):
                        tagged.append(TaggedAnnotation(content_object_id=row.pk, tag_id=tag_id))
                if row.kind == Annotation.Kind.FACT_CHECK:
                    for p in range(rng.randint(1, 3)):
                        evidence.append(
                            Evidence(
                                annotation_id=row.pk,
                                url=f"https://example.org/evidence/{row.pk}/{p}",
                                title=f"Evidence {p + 1} for claim {row.pk}",
                                position=p,
                                excerpt="An excerpt of the source that supports the verdict." if p == 0 else "",
                                archived_url=f"https://web.archive.org/web/2025/https://example.org/evidence/{row.pk}/{p}"
                                if p == 0
                                else "",
                            )
                        )
                if flagged_share and row.visibility == Annotation.Visibility.PUBLIC and rng.random() < flagged_share:
                    reporters = rng.sample(self.authors, rng.randint(1, 4))
                    open_count = 0
                    for r, reporter in enumerate(reporters):
                        resolved = r == 0 and len(reporters) > 1 and rng.random() < 0.3
                        flags.append(
                            Flag(
                                annotation_id=row.pk,
                                reporter=reporter,
                                reason=rng.choice(["spam", "inaccurate", "off_topic", "abuse"]),
                                text="Generated flag.",
                                created_at=row.created_at + dt.timedelta(hours=r + 1),
                                resolution=Flag.Resolution.KEPT if resolved else Flag.Resolution.OPEN,
                                resolved_by=self.admin if resolved else None,
                                resolved_at=row.created_at + dt.timedelta(days=1) if resolved else None,
                            )
                        )
                        open_count += 0 if resolved else 1
                    row.open_flag_count = open_count
            TaggedAnnotation.objects.bulk_create(tagged, batch_size=BATCH)
            Evidence.objects.bulk_create(evidence, batch_size=BATCH)
            if flags:
                Flag.objects.bulk_create(flags, batch_size=BATCH)
                Annotation.objects.bulk_update(
                    [r for r in rows if r.open_flag_count], ["open_flag_count"], batch_size=BATCH
                )
            for key, value in (
                ("annotations", n),
                ("tagged", len(tagged)),
                ("evidence", len(evidence)),
                ("flags", len(flags)),
            ):
                self.counts[key] = self.counts.get(key, 0) + value
            made += n

    def large_article(self):
        size = self.size
        article, blocks = self._make_article(
            LARGE_SLUG, "A very long annotated article (benchmark)", size["large_paragraphs"], translation=True
        )
        self._annotate(
            article,
            blocks,
            total=size["large_annotations"],
            fact_checks=size["large_fact_checks"],
            statuses=None,
            quote_share=0.9,
        )
        self.large = {
            "slug": article.slug,
            "id": article.pk,
            "paragraphs": len(blocks),
            "annotations": size["large_annotations"],
            "fact_checks": size["large_fact_checks"],
        }

    def filler(self):
        from annotations.models import Annotation

        S, V = Annotation.Status, Annotation.Visibility
        statuses = [
            ((S.APPROVED, V.PUBLIC), 70),
            ((S.PENDING, V.PUBLIC), 15),
            ((S.REJECTED, V.PUBLIC), 5),
            ((S.HIDDEN, V.PUBLIC), 4),
            ((S.APPROVED, V.PRIVATE), 6),
        ]
        size = self.size
        per_article = size["admin_annotations"] // size["filler_articles"]
        for a in range(size["filler_articles"]):
            article, blocks = self._make_article(
                FILLER_SLUG.format(a), f"Filler article {a + 1}", size["filler_paragraphs"], words=(40, 80)
            )
            total = per_article if a < size["filler_articles"] - 1 else size["admin_annotations"] - per_article * a
            self._annotate(
                article,
                blocks,
                total=total,
                fact_checks=total // 10,
                statuses=statuses,
                quote_share=0.5,
                tag_share=0.4,
                flagged_share=0.012,
            )

    def writes_article(self):
        article, blocks = self._make_article(
            WRITES_SLUG, "The article the write benchmark annotates", self.size["write_paragraphs"]
        )
        self.writes = {
            "slug": article.slug,
            "id": article.pk,
            "paragraphs": [{"key": b.key, "text": b.text} for b in blocks],
        }

    def run(self) -> dict:
        from django.db import transaction

        started = time.monotonic()
        self._freeze_timestamps()
        with transaction.atomic():
            self.users()
            self.tags()
        steps = [
            ("sample", self.sample_article),
            ("large", self.large_article),
            ("filler", self.filler),
            ("writes", self.writes_article),
        ]
        timings = {}
        for name, step in steps:
            t0 = time.monotonic()
            with transaction.atomic():
                step()
            timings[name] = round(time.monotonic() - t0, 2)
        return {
            "password": PASSWORD,
            "admin": ADMIN_USERNAME,
            "writers": [u.username for u in self.writers],
            "writer_prefix": WRITER_PREFIX,
            "sample": self.sample,
            "large": self.large,
            "writes": self.writes,
            "counts": self.counts,
            "timings": timings,
            "seconds": round(time.monotonic() - started, 1),
        }


def count_annotations(prefix: str) -> int:
    from annotations.models import Annotation

    return Annotation.objects.filter(author__username__startswith=prefix).count()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed")
    seed.add_argument("--size", choices=sorted(SIZES), default="full")
    seed.add_argument("--out", required=True)
    count = sub.add_parser("count")
    count.add_argument("--prefix", default=WRITER_PREFIX)
    args = parser.parse_args(argv)
    _setup_django()
    if args.command == "seed":
        info = Seeder(args.size).run()
        info["size"] = args.size
        Path(args.out).write_text(json.dumps(info, indent=1))
        print(json.dumps({"counts": info["counts"], "timings": info["timings"], "seconds": info["seconds"]}))
    else:
        print(json.dumps({"annotations": count_annotations(args.prefix)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
