"""Property tests: the moderators' re-anchoring pages take random and hostile input without a 500, and a decision
is applied completely or not at all (issue 18).

Two admin views accept a paragraph and words from staff: the re-attach page
(``/admin/annotations/annotation/<id>/reanchor/``, ``annotations.admin.reanchor.reanchor_view``) and the queue's
one-click decisions (``…/anchor-decide/``, ``anchor_decide_view``), both over
``annotations.services.anchor_review``. Hypothesis posts, as a moderator, values with control and bidi
characters, huge strings, non-decimal digits, negative and huge numbers, missing and repeated fields, paragraph
keys of another article or of an image, and quotes that are not in the paragraph. Django's test client raises
any exception a view lets escape (a 500 fails the test) and does not check CSRF tokens.

- refused: the re-attach form comes back (200) with its errors shown, or the decision redirects with one error
  message; the annotations' anchoring and the moderation log are exactly as before;
- applied: one log row, and the annotation stands where the moderator put it (a current, non-image paragraph
  of its own article, the quote at its offsets), or is an orphan.

Examples are the same on every run; ``FUZZ_EXAMPLES=500 FUZZ_EXPLORE=1`` explores further.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import constants as message_levels
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from annotations import services
from annotations.models import Annotation, ModerationLog
from annotations.services import EvidenceInput, QuoteInput, moderation
from articles.models import Block
from articles.services import BlockEdit, revise_blocks
from tests.security.html_safety import assert_bidi_isolated

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_EXPLORE"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

State = Annotation.AnchorState
DECIDE = reverse("admin:annotations_annotation_anchor_decide")
QUEUE = reverse("admin:annotations_annotation_queue")
BEFORE = "Unemployment fell to 4.1 percent in March, the lowest level in a decade."
AFTER = "Unemployment fell to 4.3 percent in March, the lowest level in a decade, the bureau said."
OTHER = "The city council met on Monday and again on Tuesday; on Monday it met twice."
KEYS = ["jobs", "other"]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# --------------------------------------------------------------------------- strategies

# NUL only now and then (HOSTILE): the middleware answers 400 before any view, which tells nothing of the views
any_char = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
junk = st.text(any_char, max_size=30)
CONTROL_CHARS = st.one_of(
    st.characters(min_codepoint=0x01, max_codepoint=0x08),
    st.sampled_from(["\x0b", "\x0c"]),
    st.characters(min_codepoint=0x0E, max_codepoint=0x1F),
    st.just("\x7f"),
    st.characters(min_codepoint=0x80, max_codepoint=0x9F),
)
BIDI_CHARS = st.sampled_from(list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
words = st.sampled_from(["4.3 percent", "March", "ميزانية", "תקציב", "Monday", "x"])
control_text = st.tuples(words, CONTROL_CHARS, words).map("".join)
bidi_text = st.tuples(words, BIDI_CHARS, words, st.sampled_from(["", "\u202c", "\u2069"])).map("".join)
huge = st.sampled_from(["A" * 5001, "é" * 2000, "9" * 400, "\u200b" * 3000, "<b>" * 2000, "percent " * 300])
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}", "\x00"]
hostile = st.one_of(junk, st.sampled_from(HOSTILE), huge, control_text, bidi_text, st.just(""))
# offsets: in range, out of range, negative, huge, and strings int() or str.isdigit() trip over
integerish = st.one_of(
    st.integers(0, len(AFTER) + 2).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", "abc", "1.5", "1e3", " 2", "-0", "+3", "0x10", "²", "٣", "١٢", "9" * 30, "9" * 5000]),
)


def mostly(good, bad):
    """``good`` three times in four, else what ``bad`` draws (``one_of`` with repeated branches is not weighted)."""
    good = good if isinstance(good, st.SearchStrategy) else st.just(good)
    return st.integers(0, 3).flatmap(lambda n: good if n else bad)


def quote_in(text: str):
    """Words of ``text`` with their offsets (start, end)."""
    return st.integers(0, len(text) - 1).flatmap(
        lambda start: st.integers(start + 1, len(text)).map(lambda end: (text[start:end], start, end))
    )


@st.composite
def paragraph_choice(draw, keys: dict) -> str:
    """A key of a current paragraph, of the image, of a removed paragraph, of another article, a pk, or junk."""
    wrong = st.sampled_from([keys["image"], keys["foreign"], keys["removed"], keys["foreign_pk"], "p-jobs", "JOBS"])
    return draw(mostly(st.sampled_from(KEYS), st.one_of(wrong, hostile)))


@st.composite
def words_and_offsets(draw, key: str) -> dict:
    """A quote with start and end: right, shifted, swapped, not in the paragraph, or anything."""
    text = {"jobs": AFTER, "other": OTHER}.get(key, AFTER)
    quote, start, end = draw(quote_in(text))
    how = draw(st.sampled_from(["exact", "exact", "no offsets", "shifted", "swapped", "absent", "junk"]))
    if how == "no offsets":
        return {"quote": quote, "start": "", "end": ""}
    if how == "shifted":
        return {"quote": quote, "start": str(start + 1), "end": str(end + 1)}
    if how == "swapped":
        return {"quote": quote, "start": str(end), "end": str(start)}
    if how == "absent":
        return {"quote": draw(st.sampled_from(["4.1 percent", "not in it", BEFORE])), "start": "", "end": ""}
    if how == "junk":
        return {"quote": draw(hostile), "start": draw(integerish), "end": draw(integerish)}
    return {"quote": quote, "start": str(start), "end": str(end)}


def broken(data: dict, draw) -> dict:
    """Some fields missing, sent twice, or replaced by anything; sometimes an extra field."""
    if draw(st.booleans()):
        return dict(data)  # half the examples: only the values are hostile, the form's shape is right
    out = {}
    for name, good in data.items():
        how = draw(st.sampled_from(["keep"] * 6 + ["missing", "many", "junk"]))
        if how == "keep":
            out[name] = good
        elif how == "many":
            out[name] = [good, draw(hostile)]
        elif how == "junk":
            out[name] = draw(st.one_of(hostile, integerish))
    if draw(st.booleans()):
        out[draw(st.sampled_from(["annotation_id", "block_id", "anchor_state", "quote_start"]))] = draw(hostile)
    return out


def has_nul(data: dict) -> bool:
    return any("\x00" in (v if isinstance(v, str) else "".join(v)) for v in data.values())


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def targets(make_article, author, moderator):
    """Three annotations the revision of one paragraph touched differently, and another article's paragraph.

    ``needs``: a fact-check on "4.1 percent", which the desk corrected to 4.3 (needs re-anchoring);
    ``orphan``: a note on a paragraph the desk removed; ``placed``: a note left where it was.
    """
    article = make_article(paragraphs=0)
    jobs = Block.objects.create(article=article, key="jobs", position=1, text=BEFORE)
    other = Block.objects.create(article=article, key="other", position=2, text=OTHER)
    gone = Block.objects.create(article=article, key="gone", position=3, text="A paragraph the desk will remove.")
    Block.objects.create(article=article, key="image", position=4, kind=Block.Kind.IMAGE, text="")

    def write(key, quote, kind="note"):
        extra = {"verdict": "false", "evidence": [EvidenceInput(url="https://example.org/r", title="Release")]}
        annotation = services.create_annotation(
            author=author,
            article=article,
            block_key=key,
            kind=kind,
            quote=QuoteInput(quote),
            body="Checked against the bureau's release.",
            **(extra if kind == "fact_check" else {}),
        )
        moderation.approve(annotation=annotation, actor=moderator)
        return annotation

    needs = write("jobs", "4.1 percent", kind="fact_check")
    orphan = write("gone", "desk will remove")
    placed = write("other", "city council")
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=AFTER, order=1, block=jobs),
            BlockEdit(kind="paragraph", text=OTHER, order=2, block=other),
            BlockEdit(kind="paragraph", text=gone.text, order=3, block=gone, remove=True),
            BlockEdit(kind="image", text="", order=4, block=Block.objects.get(article=article, key="image")),
        ],
    )
    annotations = {
        name: Annotation.objects.get(pk=a.pk) for name, a in [("needs", needs), ("orphan", orphan), ("placed", placed)]
    }
    assert annotations["needs"].anchor_state == State.NEEDS_REANCHORING
    assert annotations["orphan"].anchor_state == State.ORPHANED
    assert annotations["placed"].is_placed
    elsewhere = make_article("Another article", slug="another", paragraphs=0)
    foreign = Block.objects.create(article=elsewhere, key="elsewhere", position=1, text=AFTER)
    keys = {"image": "image", "removed": "gone", "foreign": foreign.key, "foreign_pk": str(foreign.pk)}
    return annotations, keys


def anchoring(pks) -> dict:
    """Every annotation's anchoring fields (and the reviewer), as stored."""
    fields = ["block_id", "quote", "quote_start", "quote_end", "quote_prefix", "quote_suffix", "anchor_state"]
    fields += ["original_quote", "text_changed", "anchor_score", "anchored_revision_id", "anchor_reviewed_by_id"]
    return {row["pk"]: row for row in Annotation.objects.filter(pk__in=pks).values("pk", *fields)}


def restore(saved: dict, log_max: int) -> None:
    """Put the annotations back as they were for the next example, and drop the log rows it wrote."""
    for pk, row in saved.items():
        Annotation.objects.filter(pk=pk).update(**{k: v for k, v in row.items() if k != "pk"}, anchor_reviewed_at=None)
    ModerationLog.objects.filter(pk__gt=log_max).delete()


def assert_placed_soundly(annotation: Annotation) -> None:
    block = annotation.block
    assert block.article_id == annotation.article_id and block.removed_at is None and block.kind != Block.Kind.IMAGE
    assert annotation.anchor_state == State.ANCHORED
    if annotation.quote:
        assert block.text[annotation.quote_start : annotation.quote_end] == annotation.quote
    else:
        assert annotation.quote_start is None and annotation.quote_end is None
    assert not CONTROL.search(annotation.quote)


# --------------------------------------------------------------------------- the re-attach page


@FUZZ
@given(data=st.data())
def test_reattach_page_never_fails_and_applies_all_or_nothing(data, moderator, targets):
    annotations, keys = targets
    client = Client()  # one per example: no message left over from the one before
    client.force_login(moderator)
    target = annotations[data.draw(st.sampled_from(["needs", "needs", "orphan", "placed"]))]
    key = data.draw(paragraph_choice(keys))
    form = {
        "block": key,
        **data.draw(words_and_offsets(key)),
        "reason": data.draw(st.one_of(st.just(""), st.just("Checked."), hostile)),
        "expected_state": data.draw(
            mostly(target.anchor_state, st.one_of(st.sampled_from([s for s, _ in State.choices]), hostile))
        ),
    }
    orphan = data.draw(st.sampled_from([False, False, False, True]))
    if orphan:
        form["orphan"] = "1"
    form = broken(form, data.draw)
    url = reverse("admin:annotations_annotation_reanchor", args=[target.pk])
    pks = [a.pk for a in annotations.values()]
    before, log_max = anchoring(pks), ModerationLog.objects.order_by("-pk").values_list("pk", flat=True).first()
    logs = ModerationLog.objects.count()

    response = client.post(url, form)

    event(f"reattach {response.status_code}")
    if has_nul(form):
        assert response.status_code == 400  # RejectNulBytesMiddleware, before the view
        assert anchoring(pks) == before and ModerationLog.objects.count() == logs
        return
    assert response.status_code in (200, 302)
    if response.status_code == 200 or response["Location"] == url:
        # refused: the form again with its errors, or a stale decision sent back to the page with a message
        if response.status_code == 200:
            errors = response.context["form"].errors
            assert errors, "the form came back without saying why"
            html = response.content.decode()
            assert "errorlist" in html
            assert_bidi_isolated(html, where="reattach page")
            event(f"reattach refused: {sorted(errors)}")
            for error in errors.get("__all__", []):
                event(f"reattach refused: {error[:50]}")
        else:
            assert [m.level for m in response.wsgi_request._messages] == [message_levels.ERROR]
            event("reattach refused: stale")
        assert anchoring(pks) == before and ModerationLog.objects.count() == logs
        return
    assert response["Location"] == reverse("admin:annotations_annotation_change", args=[target.pk])
    event("reattach applied: " + ("orphan" if orphan else "placed"))
    assert ModerationLog.objects.count() == logs + 1
    entry = ModerationLog.objects.order_by("-pk").first()
    assert entry.annotation_id == target.pk and entry.actor_id == moderator.pk
    assert not CONTROL.search(entry.reason)
    after = anchoring(pks)
    assert {pk: row for pk, row in after.items() if pk != target.pk} == {
        pk: row for pk, row in before.items() if pk != target.pk
    }
    current = Annotation.objects.select_related("block").get(pk=target.pk)
    if entry.action == ModerationLog.Action.ORPHAN_CONFIRMED:
        assert current.anchor_state == State.ORPHANED and current.block_id == before[target.pk]["block_id"]
    else:
        assert entry.action == ModerationLog.Action.REATTACHED
        assert_placed_soundly(current)
    assert current.anchor_reviewed_by_id == moderator.pk
    restore(before, log_max)


# --------------------------------------------------------------------------- the queue's one-click decisions


@FUZZ
@given(data=st.data())
def test_anchor_decisions_never_fail_and_apply_all_or_nothing(data, moderator, targets):
    annotations, keys = targets
    client = Client()  # one per example: no message left over from the one before
    client.force_login(moderator)
    target = annotations[data.draw(st.sampled_from(["needs", "needs", "orphan", "placed"]))]
    key = data.draw(paragraph_choice(keys))
    quote = data.draw(words_and_offsets(key))
    form = {
        "annotation": data.draw(mostly(str(target.pk), st.one_of(integerish, st.sampled_from(["²", "-1", "1.0"])))),
        "decision": data.draw(mostly(st.sampled_from(["confirm", "confirm", "detach"]), hostile)),
        "block": key,
        "start": quote["start"],
        "end": quote["end"],
        "words": data.draw(mostly(st.sampled_from([quote["quote"], AFTER]), hostile)),
        "reason": data.draw(st.one_of(st.just(""), st.just("Checked."), hostile)),
        "expected_state": data.draw(mostly(target.anchor_state, hostile)),
        "next": data.draw(st.one_of(st.just(QUEUE), st.sampled_from(["https://evil.example/", "//evil", "x"]), junk)),
    }
    form = broken(form, data.draw)
    pks = [a.pk for a in annotations.values()]
    before, log_max = anchoring(pks), ModerationLog.objects.order_by("-pk").values_list("pk", flat=True).first()
    logs = ModerationLog.objects.count()

    response = client.post(DECIDE, form)

    if has_nul(form):
        event("decide 400 (NUL)")
        assert response.status_code == 400
        assert anchoring(pks) == before and ModerationLog.objects.count() == logs
        return
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert not location.scheme and not location.netloc  # never sent off the site
    sent = list(response.wsgi_request._messages)
    assert len(sent) == 1 and str(sent[0]).strip(), "one clear message per decision"
    if sent[0].level == message_levels.ERROR:
        event(f"decide refused: {str(sent[0]).split(': ', 1)[-1][:40]}")
        assert anchoring(pks) == before and ModerationLog.objects.count() == logs
        return
    event(f"decide applied: {form.get('decision')}")
    assert sent[0].level == message_levels.SUCCESS
    assert ModerationLog.objects.count() == logs + 1
    entry = ModerationLog.objects.order_by("-pk").first()
    assert entry.actor_id == moderator.pk and not CONTROL.search(entry.reason)
    current = Annotation.objects.select_related("block").get(pk=entry.annotation_id)
    if entry.action == ModerationLog.Action.ORPHAN_CONFIRMED:
        assert current.anchor_state == State.ORPHANED
    else:
        assert entry.action == ModerationLog.Action.ANCHOR_CONFIRMED
        assert_placed_soundly(current)
    restore(before, log_max)


# --------------------------------------------------------------------------- inputs that failed once


@pytest.mark.parametrize("offset", ["abc", "²", "-1", "9" * 5000])
def test_reattach_with_unusable_hidden_offsets_places_the_quote_by_its_words(offset, client, moderator, targets):
    """The hidden start/end were integer fields: a value they refused brought the form back with its error on a
    hidden field, which the page never shows (a refusal without a message). They are hints now: the quote is
    found in the paragraph instead."""
    annotations, _ = targets
    needs = annotations["needs"]
    client.force_login(moderator)
    url = reverse("admin:annotations_annotation_reanchor", args=[needs.pk])
    form = {"block": "jobs", "quote": "4.3 percent", "start": offset, "end": "32", "expected_state": needs.anchor_state}
    response = client.post(url, form)
    assert response.status_code == 302 and response["Location"].endswith(f"/{needs.pk}/change/")
    needs.refresh_from_db()
    assert (needs.quote, needs.quote_start, needs.quote_end) == ("4.3 percent", 21, 32)


@pytest.mark.parametrize(
    "quote, message",
    [
        ("4.3\x1bpercent", "Remove the invisible control character U+001B"),
        ("A" * 1001, "Ensure this value has at most 1000 characters"),
        ("4.1 percent", "The quote does not occur in this paragraph"),
    ],
)
def test_reattach_refuses_a_bad_quote_with_a_visible_message(quote, message, client, moderator, targets):
    annotations, _ = targets
    needs = annotations["needs"]
    client.force_login(moderator)
    before = anchoring([needs.pk])
    url = reverse("admin:annotations_annotation_reanchor", args=[needs.pk])
    response = client.post(url, {"block": "jobs", "quote": quote, "expected_state": needs.anchor_state})
    assert response.status_code == 200
    section = response.content.decode().split('id="reanchor-form"', 1)[1]
    assert message in section.split("</form>", 1)[0]
    assert anchoring([needs.pk]) == before
