"""Tag names: one spelling per tag (trimmed, single-spaced, lower case)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from accounts.text import no_control_characters

MAX_TAGS = 10
TAG_MAX_LENGTH = 40
# starts with a letter or digit (a tag of only "_" or punctuation would have an empty slug)
_TAG_RE = re.compile(r"^[^\W_][\w .'&+-]*$")


def normalise_tag(name: str) -> str:
    return " ".join(name.strip().lstrip("#").split()).lower()


def parse_tags(value: str | list[str]) -> list[str]:
    """Split a comma-separated string (or list) into normalised, unique tag names.

    Raises ``ValidationError`` for a control character, too many tags, a tag that is too long, or
    characters outside letters, digits, spaces and . ' & + -.
    """
    raw = value.split(",") if isinstance(value, str) else list(value)
    for item in raw:
        # refused before normalising: str.split() would turn some of them (U+000B, U+001C…) into spaces
        no_control_characters(item)
    names: list[str] = []
    for item in raw:
        name = normalise_tag(str(item))
        if not name or name in names:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise ValidationError(
                f"Tags have at most {TAG_MAX_LENGTH} characters: “{name[:TAG_MAX_LENGTH]}…” is longer."
            )
        if not _TAG_RE.match(name):
            raise ValidationError(f"“{name}” is not a valid tag: use letters, digits, spaces and . ' & + -")
        names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError(f"Use at most {MAX_TAGS} tags (you gave {len(names)}).")
    return names
