"""The annotations, in bulk: notes and fact-checks with quotes, tags, evidence, reader flags; and the tags they use."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from seed_data import BATCH, BODIES, TAG_POOL, VERDICTS, quote_span
from seed_users import Accounts

if TYPE_CHECKING:
    from django.db.models import Model


def freeze_timestamps() -> None:
    """Let bulk_create keep the created_at/updated_at we set (spread over a year)."""
    from annotations.models import Annotation, Flag

    for model, names in ((Annotation, ("created_at", "updated_at")), (Flag, ("created_at",))):
        for name in names:
            field = model._meta.get_field(name)
            field.auto_now = False
            field.auto_now_add = False


def seed_tags() -> list[int]:
    from django.utils.text import slugify

    from annotations.models import Tag

    Tag.objects.bulk_create([Tag(name=name, slug=slugify(name)) for name in TAG_POOL], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=TAG_POOL).values_list("pk", flat=True))


class Annotator:
    """Writes annotations for the articles, counting what it wrote in ``counts``."""

    def __init__(
        self, rng: random.Random, now: dt.datetime, accounts: Accounts, tag_ids: list[int], counts: dict[str, int]
    ):
        self.rng, self.now, self.counts = rng, now, counts
        self.admin, self.authors = accounts.admin, accounts.authors
        self.tag_ids = tag_ids
        self._rendered: dict[str, str] = {}

    def body_html(self, body: str) -> str:
        from annotations.rendering import render_body

        if body not in self._rendered:
            self._rendered[body] = render_body(body)
        return self._rendered[body]

    def _past(self, max_days: int = 365) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.rng.randint(60, max_days * 86400))

    def annotate(
        self,
        article: Model,
        blocks: Sequence[Model],
        *,
        total: int,
        fact_checks: int,
        statuses: list[tuple[tuple[str, str], int]] | None,
        quote_share: float,
        tag_share: float = 1.0,
        flagged_share: float = 0.0,
    ) -> None:
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
                    start, end = quote_span(rng, block.text)
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
