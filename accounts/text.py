"""The one input-cleaning rule for text people type (annotations, evidence, flags, tags, usernames).

Control characters other than tab, line feed and carriage return are
**refused** with a message on the field, never stripped silently: a writer
who pasted one sees where, and nothing differs between what they sent and
what is stored. U+0000–U+001F (except ``\\t \\n \\r``), U+007F and the C1
controls U+0080–U+009F are forbidden in HTML and meaningless in prose.

Bidirectional controls (U+200E/F marks, U+202A–U+202E embeddings and
overrides, U+2066–U+2069 isolates) are accepted: people writing Arabic or
Hebrew use them. Pages isolate user text instead (``<bdi>`` where it is
inlined in running text; see ``annotations.cards``), so an override cannot
reverse the words around it.

It lives in ``accounts``, the lowest of the apps, so that every app can use it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_message(char: str) -> str:
    return (
        f"Remove the invisible control character U+{ord(char):04X}: text may contain line breaks and tabs, "
        "but no other control characters."
    )


@deconstructible
class NoControlCharacters:
    """Field validator: refuses text holding a control character other than tab, line feed, carriage return."""

    code = "control_character"

    def __call__(self, value) -> None:
        found = _CONTROL.search(str(value))
        if found:
            raise ValidationError(control_character_message(found.group()), code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, NoControlCharacters)

    def __hash__(self) -> int:
        return hash(self.code)


no_control_characters = NoControlCharacters()


def without_control_characters(text: str) -> str:
    """``text`` with every control character the rule refuses removed (tab, line feed, carriage return stay).

    Only for rows stored before the rule (the data migrations of issue 18): input is refused, never stripped.
    """
    return _CONTROL.sub("", text)


def visible_control_characters(text: str) -> str:
    """``text`` with each control character written as ``U+XXXX``: for a page that echoes a refused value
    (a bad filter, a search) without writing a code point HTML forbids."""
    return _CONTROL.sub(lambda found: f"U+{ord(found.group()):04X}", text)


# What may stay as is in each part of a URI (RFC 3986 unreserved and sub-delims, plus the part's own
# delimiters); "%" stays when it starts an escape. Everything else is percent-encoded as UTF-8.
_PATH_SAFE = "-._~!$&'()*+,;=:@/%"
_QUERY_SAFE = _PATH_SAFE + "?"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def normalise_url(value: str) -> str:
    """``value`` as a valid URI, the form every page, feed and export then uses as stored.

    Percent-encodes what a URI may not hold (``"``, ``<``, ``>``, spaces, backslashes, non-ASCII …) in the
    path, query and fragment, and writes a non-ASCII host name in its IDNA (punycode) form. Idempotent: a
    valid URI comes back unchanged. It does not judge the scheme: the field's validator refuses what is not
    http(s), with one message.
    """
    value = (value or "").strip()
    if not value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "Invalid IPv6 URL": left as typed, for the URL validator to refuse
        return value
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = quote(host, safe="")  # not a host name: the URL validator refuses it
        netloc = f"{quote(userinfo, safe=_PATH_SAFE)}{at}{host}{colon}{port}"

    def encode(part: str, safe: str) -> str:
        return quote(_LONE_PERCENT.sub("%25", part), safe=safe)

    return urlunsplit(
        (
            parts.scheme,
            netloc,
            encode(parts.path, _PATH_SAFE),
            encode(parts.query, _QUERY_SAFE),
            encode(parts.fragment, _QUERY_SAFE),
        )
    )


class NormalisedURLField(forms.URLField):
    """A form's URL field that normalises (``normalise_url``) before validating, so a space or a ``"``
    is percent-encoded rather than refused; what is left invalid gets the validators' one message."""

    def to_python(self, value):
        return normalise_url(super().to_python(value))
