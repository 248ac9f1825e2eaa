"""The re-anchoring corpus (tests/anchoring/corpus/*.toml) run through the real services on the test database.

``make anchoring-report`` prints the table (this test with ANCHORING_REPORT=1 and ``-s``).
"""

from __future__ import annotations

import os

import pytest
from django.db import transaction

from annotations.models import Annotation
from tests.anchoring import corpus

pytestmark = pytest.mark.django_db

SCENARIOS = corpus.load()


def test_the_corpus_is_big_enough_and_covers_every_kind_of_revision():
    assert len(SCENARIOS) >= 40
    names = {s.name for s in SCENARIOS}
    assert len(names) == len(SCENARIOS), "scenario names are unique"
    ops = {op["op"] for s in SCENARIOS for ops in s.revisions for op in ops}
    assert ops >= {"sub", "set", "remove", "insert", "split", "merge", "move", "replace_all"}
    assert {s.via for s in SCENARIOS} == {"import", "admin"}
    assert any(len(s.revisions) >= 3 for s in SCENARIOS)  # chains of small edits
    assert {s.base for s in SCENARIOS} >= {"sample", "council", "lab"}
    for s in SCENARIOS:
        for e in s.annotations:
            assert e.expect in (corpus.PLACED, corpus.REVIEW, corpus.ORPHANED), (s.name, e.id)
            assert e.kind in (Annotation.Kind.NOTE, Annotation.Kind.FACT_CHECK), (s.name, e.id)
            assert e.reason, (s.name, e.id)


def test_the_corpus(editor):
    outcomes = []
    for scenario in SCENARIOS:
        with transaction.atomic():
            outcomes += corpus.run(scenario, editor=editor)
            transaction.set_rollback(True)
    report = corpus.table(outcomes, len(SCENARIOS))
    if os.environ.get("ANCHORING_REPORT"):
        print("\n" + report)
    counts = corpus.summary(outcomes, len(SCENARIOS))
    assert counts[corpus.WRONG_SILENT] == 0, report
    assert counts[corpus.LOST] == 0, report
    assert counts["correct_share"] >= 0.95, report
    assert all(o.text_changed_ok for o in outcomes), report


# ---------------------------------------------------------------- the classifier itself


class _Row:
    def __init__(self, state, quote="", text="", pk=1):
        self.pk, self.anchor_state, self.quote, self.text_changed = pk, state, quote, False
        self.block = type("B", (), {"text": text})()


EXPECT = corpus.Expectation(
    id="x", kind="fact_check", paragraph="the paragraph text here, long enough", quote="q", expect="review", reason="r"
)
SCENARIO = corpus.Scenario(name="s", base="sample", via="admin", revisions=[], annotations=[EXPECT])
State = Annotation.AnchorState


@pytest.mark.parametrize(
    ("expect", "row", "beside", "below", "verdict"),
    [
        # placed where review was wanted: silently wrong
        ("review", _Row(State.MOVED, "q", "the paragraph text here, long enough"), {1: None}, set(), "wrong-silent"),
        # flagged where placement was right: conservative
        ("placed", _Row(State.NEEDS_REANCHORING, "q"), {}, {1}, "conservative"),
        # flagged and shown under earlier wording, as wanted
        ("review", _Row(State.NEEDS_REANCHORING, "q"), {}, {1}, "correct"),
        # orphaned where review was wanted: detached and visible all the same
        ("review", _Row(State.ORPHANED, "q"), {}, {1}, "conservative"),
        # detached but shown nowhere: lost
        ("review", _Row(State.NEEDS_REANCHORING, "q"), {}, set(), "lost"),
        # placed but shown beside no paragraph: lost
        ("placed", _Row(State.ANCHORED, "q", "the paragraph text here, long enough"), {}, set(), "lost"),
        # placed on other words than wanted: wrong
        ("placed", _Row(State.MOVED, "p", "the paragraph text here, long enough"), {1: None}, set(), "wrong-silent"),
        # placed on the right words in the wrong paragraph: wrong
        ("placed", _Row(State.MOVED, "q", "another paragraph"), {1: None}, set(), "wrong-silent"),
        ("placed", _Row(State.MOVED, "q", "the paragraph text here, long enough"), {1: None}, set(), "correct"),
    ],
)
def test_classify(expect, row, beside, below, verdict):
    e = corpus.Expectation(**{**EXPECT.__dict__, "expect": expect})
    assert corpus.classify(SCENARIO, e, row, beside=beside, below=below).verdict == verdict


def test_a_deleted_annotation_is_lost():
    assert corpus.classify(SCENARIO, EXPECT, None, beside={}, below=set()).verdict == "lost"
