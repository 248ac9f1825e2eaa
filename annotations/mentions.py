"""``@username`` in an annotation's body: which names it mentions, and which of them are people here.

Pure text work (``mentioned_names``) plus one query (``mentionable_users``). A
name is what Django allows in a username minus ``@`` (``[\\w.+-]``); a
sentence's full stop or hyphen after a name (``thanks @ana.``) is tried
without it too, so the longest name that exists wins. Only active accounts
are mentionable: an inactive one has no page to link to and no one to tell.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model

# not after a word character or another name's characters: e-mail addresses (ana@example.org) are not mentions
MENTION_RE = re.compile(r"(?<![\w@.+-])@([\w.+-]{1,150})")
TRAILING = ".+-"
MAX_MENTIONS = 20  # per body: more names than that is a list, not a conversation; the rest stay text


def name_variants(raw: str) -> list[str]:
    """``ana.`` → ``["ana.", "ana"]``: the name as written, then without trailing punctuation."""
    variants = [raw]
    stripped = raw.rstrip(TRAILING)
    if stripped and stripped != raw:
        variants.append(stripped)
    return variants


def mentioned_names(text: str) -> list[str]:
    """Every candidate name in ``text``, in order, without duplicates (at most ``MAX_MENTIONS`` mentions)."""
    names: list[str] = []
    for match in MENTION_RE.finditer(text or ""):
        for name in name_variants(match.group(1)):
            if name not in names:
                names.append(name)
        if len(names) >= 2 * MAX_MENTIONS:
            break
    return names


def mentionable_users(names) -> dict:
    """The active users among ``names``, by username (one query; none when there are no names)."""
    names = list(names)
    if not names:
        return {}
    users = get_user_model().objects.filter(username__in=names, is_active=True)
    return {user.get_username(): user for user in users}


def resolve(raw: str, users: dict):
    """The user a written name mentions and the length of the name used, or (None, 0)."""
    for name in name_variants(raw):
        if name in users:
            return users[name], len(name)
    return None, 0
