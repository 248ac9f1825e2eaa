"""The accounts: a superuser, the writers of the write benchmark, the authors of everything else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seed_data import BATCH

if TYPE_CHECKING:
    from django.db.models import Model

PASSWORD = "bench-password-not-secret"
ADMIN_USERNAME = "bench-admin"
WRITER_PREFIX = "bench-writer-"
AUTHOR_PREFIX = "bench-author-"


@dataclass
class Accounts:
    """The seeded users the rest of the seed refers to (annotation authors, moderator, writers)."""

    admin: Model
    writers: list[Model]
    authors: list[Model]
    count: int


def seed_users(size: dict, password_hash: str, now: dt.datetime) -> Accounts:
    """Every account shares ``password_hash``, computed once by the caller (hashing is deliberately slow)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import ANNOTATORS, TRUSTED_ANNOTATORS, ensure_roles

    ensure_roles(Group, Permission)
    User = get_user_model()
    joined = now - dt.timedelta(days=400)  # old accounts: the "member" rate-limit tier
    rows = [
        User(
            username=ADMIN_USERNAME,
            email="admin@bench.invalid",
            password=password_hash,
            is_staff=True,
            is_superuser=True,
            date_joined=joined,
        )
    ]
    rows += [
        User(
            username=f"{WRITER_PREFIX}{i:02d}",
            email=f"writer{i}@bench.invalid",
            password=password_hash,
            date_joined=joined,
        )
        for i in range(size["writers"])
    ]
    rows += [
        User(
            username=f"{AUTHOR_PREFIX}{i:04d}",
            email=f"author{i}@bench.invalid",
            password=password_hash,
            date_joined=joined,
        )
        for i in range(size["authors"])
    ]
    User.objects.bulk_create(rows, batch_size=BATCH)
    admin = User.objects.get(username=ADMIN_USERNAME)
    writers = list(User.objects.filter(username__startswith=WRITER_PREFIX).order_by("username"))
    authors = list(User.objects.filter(username__startswith=AUTHOR_PREFIX).order_by("username"))
    groups = {g.name: g for g in Group.objects.filter(name__in=[ANNOTATORS, TRUSTED_ANNOTATORS])}
    through = User.groups.through
    links = []
    for i, user in enumerate(writers + authors):
        links.append(through(user_id=user.pk, group_id=groups[ANNOTATORS].pk))
        # half the writers are trusted: their notes publish at once (and invalidate the page cache)
        if user in writers and i % 2 == 0:
            links.append(through(user_id=user.pk, group_id=groups[TRUSTED_ANNOTATORS].pk))
    through.objects.bulk_create(links, batch_size=BATCH)
    return Accounts(admin=admin, writers=writers, authors=authors, count=len(rows))
