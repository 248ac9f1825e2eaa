"""The annotation table's check constraints are also ``Annotation.clean``'s rules.

The services validate an annotation without asking the database (``annotations.services.annotations._full_clean``:
``validate_constraints=False``, one query a constraint saved on every write, issue 17), so each constraint in
``Annotation.Meta.constraints`` must be refused by the Python rules too, with a message, before the database
would refuse it with an IntegrityError. Each case below violates one constraint (Django's own check of that
constraint, a query, confirms it), and the list of cases must name every check constraint.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from annotations.models import Annotation
from annotations.services.annotations import _full_clean

pytestmark = pytest.mark.django_db


def _fact_check_without_verdict(a, reply):
    a.kind, a.verdict = Annotation.Kind.FACT_CHECK, ""


def _quote_without_offsets(a, reply):
    a.quote_start = a.quote_end = None


def _offsets_without_quote(a, reply):
    a.quote, a.quote_start, a.quote_end = "", 0, 4


def _quote_ending_before_it_starts(a, reply):
    a.quote_start, a.quote_end = a.quote_end, a.quote_start


def _empty_body(a, reply):
    a.body = ""


def _reply_with_a_quote(a, reply):
    reply.quote, reply.quote_start, reply.quote_end = a.quote, a.quote_start, a.quote_end
    return reply


def _reply_that_is_a_fact_check(a, reply):
    reply.kind, reply.verdict = Annotation.Kind.FACT_CHECK, "accurate"
    return reply


CASES = {
    "annotation_fact_check_has_verdict": [_fact_check_without_verdict],
    "annotation_quote_has_offsets": [_quote_without_offsets, _offsets_without_quote, _quote_ending_before_it_starts],
    "annotation_body_not_empty": [_empty_body],
    "annotation_reply_is_a_note": [_reply_with_a_quote, _reply_that_is_a_fact_check],
}


def test_every_check_constraint_has_cases():
    checks = {c.name for c in Annotation._meta.constraints if isinstance(c, models.CheckConstraint)}
    assert checks == set(CASES)


@pytest.mark.parametrize(
    ("name", "case"),
    [(name, case) for name, cases in CASES.items() for case in cases],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_each_violation_is_refused_in_python_with_a_message(name, case, make_annotation, article):
    block = article.blocks.exclude(kind="image").first()
    words = block.text[:12]
    annotation = make_annotation(article=article, block=block, quote=words, quote_start=0, quote_end=len(words))
    reply = Annotation(article=article, block=block, author=annotation.author, parent=annotation, body="An answer.")
    instance = case(annotation, reply) or annotation
    constraint = next(c for c in Annotation._meta.constraints if c.name == name)
    with pytest.raises(ValidationError):  # Django's own check (a query): the case does violate this constraint
        constraint.validate(Annotation, instance)
    with pytest.raises(ValidationError) as refused:
        _full_clean(instance)
    assert all(messages for messages in refused.value.message_dict.values())


def test_a_refused_paragraph_is_the_one_error_about_where_the_quote_goes(make_annotation, article, make_article):
    """The admin's form copies a typed quote onto the annotation only once its paragraph is accepted: when the
    paragraph is refused, the quote has no offsets yet, and saying so too would only confuse."""
    annotation = make_annotation(article=article)
    annotation.block = make_article("Another", slug="another").blocks.exclude(kind="image").first()
    annotation.quote, annotation.quote_start, annotation.quote_end = "typed words", None, None
    with pytest.raises(ValidationError) as refused:
        _full_clean(annotation)
    assert refused.value.message_dict["block"] == ["That paragraph belongs to another article."]
    assert "quote" not in refused.value.message_dict
