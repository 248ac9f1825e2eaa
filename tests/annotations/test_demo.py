"""The sample article's demo annotations (annotations/demo.py), as `setup_demo` creates them."""

from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from annotations import demo
from annotations.models import Annotation, Flag, ModerationLog
from articles.demo import SAMPLE_SLUG
from articles.models import Article

pytestmark = pytest.mark.django_db

Status = Annotation.Status


def setup_demo(*args):
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("setup_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_setup_demo_adds_the_demo_annotations_in_every_state():
    out = setup_demo()

    article = Article.objects.get(slug=SAMPLE_SLUG)
    annotations = list(Annotation.objects.filter(article=article).select_related("author", "block", "moderated_by"))
    assert len(annotations) == len(demo.DEMO_ANNOTATIONS) == 12
    by_status = {s: [a for a in annotations if a.status == s] for s in Status.values}
    assert (len(by_status["approved"]), len(by_status["pending"]), len(by_status["rejected"])) == (9, 2, 1)
    assert "Demo annotations: 12 (9 approved, 2 pending review, 1 rejected)" in out
    # both kinds, several verdicts, both demo annotators
    assert {a.kind for a in annotations} == {"note", "fact_check"}
    assert {a.verdict for a in annotations if a.kind == "fact_check"} == {
        "accurate",
        "mostly_accurate",
        "missing_context",
        "misleading",
        "false",
        "mistranslation",
    }
    assert {a.author.username for a in annotations} == {"alice", "bob"}
    # every quote lies where it says, in its paragraph
    for a in annotations:
        if a.quote:
            assert a.block.text[a.quote_start : a.quote_end] == a.quote
    # the moderator decided, through the moderation service (its log rows), with the reason shown to the author
    for a in by_status["approved"] + by_status["rejected"]:
        if a.kind == "fact_check" or a.status == Status.REJECTED:
            assert a.moderated_by.username == "moderator"
            assert ModerationLog.objects.filter(annotation=a, actor__username="moderator").exists()
    (rejected,) = by_status["rejected"]
    assert rejected.moderation_reason.startswith("Annotations say something checkable")
    # one open reader flag, which puts its annotation in the queue
    flag = Flag.objects.get()
    assert (flag.reporter.username, flag.annotation.author.username) == ("alice", "bob")
    assert flag.annotation.status == Status.APPROVED


@pytest.mark.django_db(transaction=True)  # real commits: the decisions' e-mails are sent on commit
def test_the_decisions_emails_are_kept_in_memory_not_printed(capsys):
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"):
        setup_demo()
    assert "Subject:" not in capsys.readouterr().out
    decided = Annotation.objects.filter(moderated_by__username="moderator").count()
    assert decided >= 7
    assert len(mail.outbox) == decided


def test_the_false_verdict_points_at_the_copys_own_contradiction():
    setup_demo()
    check = Annotation.objects.get(verdict="false")
    assert check.quote == "(November 18, 2023)"
    assert "on a Friday" in check.block.text
    assert [e.url for e in check.evidence.all()] == ["https://openai.com/index/openai-announces-leadership-transition/"]


def test_setup_demo_adds_them_once():
    setup_demo()
    rows = list(Annotation.objects.order_by("pk").values_list("pk", "status", "updated_at"))
    out = setup_demo()
    assert list(Annotation.objects.order_by("pk").values_list("pk", "status", "updated_at")) == rows
    assert "Demo annotations already exist." in out


@pytest.mark.parametrize("flag", ["--no-annotations", "--no-accounts"])
def test_setup_demo_without_annotations(flag):
    setup_demo(flag)
    assert Article.objects.count() == 2  # the sample and the synthetic compare pair (issue 19)
    assert Annotation.objects.count() == 0


def test_a_broken_demo_writes_nothing(monkeypatch):
    broken = demo.DemoAnnotation(author="alice", paragraph="In the end, we named it ChatGPT", body="x", quote="nope")
    monkeypatch.setattr(demo, "DEMO_ANNOTATIONS", (*demo.DEMO_ANNOTATIONS[:3], broken))
    with pytest.raises(ValidationError, match="quote"):
        setup_demo()
    assert Article.objects.count() == 0
    assert Annotation.objects.count() == 0


def test_readers_see_only_the_published_ones(client):
    setup_demo()
    article = Article.objects.get(slug=SAMPLE_SLUG)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "9 published annotations" in html
    assert "6 claims checked." in html
    for a in Annotation.objects.exclude(status=Status.APPROVED):
        assert f'id="a-{a.pk}"' not in html
    # the highlighted quote of a published fact-check, with its verdict
    assert "now they know how to build AGI" in html
    assert "Misleading" in html


def test_the_moderation_queue_has_work_in_it(client):
    setup_demo()
    client.login(username="moderator", password="moderator-demo-pass")
    html = client.get(reverse("admin:annotations_annotation_queue")).content.decode()
    waiting = Annotation.objects.filter(status=Status.PENDING)
    assert waiting.count() == 2
    for a in waiting:
        assert f"#{a.pk}" in html
    assert f"#{Flag.objects.get().annotation_id}" in html
