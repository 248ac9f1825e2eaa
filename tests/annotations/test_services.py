"""annotations.services: create, update and delete, refusals that write nothing, and the moderation policy."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from annotations import services
from annotations.models import Annotation, Evidence, Tag, TaggedAnnotation
from annotations.services import EvidenceInput, QuoteInput
from articles.models import Block
from tests.factories import BlockFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "In a speech on Monday, the minister said that the national budget grew by four percent last year, "
    "which he called the largest increase in a decade, and promised more money for schools."
)
QUOTE = "the national budget grew by four percent"
SOURCE = EvidenceInput(url="https://stats.example.org/budget-2023", title="Budget statistics 2023")


@pytest.fixture
def paragraph(article, set_text):
    return set_text(article, "k001", TEXT)


def create(author, article, **kwargs):
    kwargs.setdefault("block_key", "k001")
    kwargs.setdefault("kind", Annotation.Kind.NOTE)
    kwargs.setdefault("body", "Worth checking.")
    return services.create_annotation(author=author, article=article, **kwargs)


def fact_check(author, article, **kwargs):
    kwargs.setdefault("kind", Annotation.Kind.FACT_CHECK)
    kwargs.setdefault("quote", QuoteInput(QUOTE))
    kwargs.setdefault("verdict", "misleading")
    kwargs.setdefault("evidence", [SOURCE])
    return create(author, article, **kwargs)


# ---------------------------------------------------------------- create


def test_create_note_with_quote_and_tags(author, article, paragraph):
    existing = Tag.objects.create(name="Translation")
    annotation = create(
        author,
        article,
        body="The *actual* figure is [lower](https://stats.example.org).",
        quote=QuoteInput(QUOTE),
        tags="translation, Budget ,#BUDGET,  public   finance ",
    )
    annotation.refresh_from_db()
    start = TEXT.index(QUOTE)
    assert (annotation.quote, annotation.quote_start, annotation.quote_end) == (QUOTE, start, start + len(QUOTE))
    assert annotation.quote_prefix == TEXT[start - 32 : start]
    assert annotation.quote_suffix == TEXT[start + len(QUOTE) : start + len(QUOTE) + 32]
    assert len(annotation.quote_prefix) == len(annotation.quote_suffix) == 32
    assert annotation.body_html == (
        '<p>The <em>actual</em> figure is <a href="https://stats.example.org" rel="nofollow noopener ugc">lower</a>.</p>'
    )
    assert annotation.author == author
    assert annotation.block.key == "k001"
    assert annotation.article == article
    assert annotation.verdict == annotation.claim == ""
    assert sorted(t.name for t in annotation.tags.all()) == ["Translation", "budget", "public finance"]
    assert existing in annotation.tags.all()  # reused, not a second "translation"
    assert Tag.objects.filter(name__iexact="translation").count() == 1
    assert Tag.objects.count() == 3


def test_create_stores_code_point_offsets_after_non_bmp_text(author, article, set_text):
    set_text(article, "k002", "😀𠀀 汉字 " + QUOTE)
    annotation = create(author, article, block_key="k002", quote=QuoteInput(QUOTE))
    assert (annotation.quote_start, annotation.quote_end) == (6, 6 + len(QUOTE))
    assert annotation.quote_prefix == "😀𠀀 汉字 "


def test_create_with_utf16_offsets_from_a_browser(author, article, set_text):
    block = set_text(article, "k002", "Emoji 😀 then the quote here")
    # A browser counts 😀 as two UTF-16 units: "the quote" starts at unit 14, code point 13.
    annotation = create(author, article, block_key="k002", quote=QuoteInput("the quote", start=14, end=23, utf16=True))
    annotation.refresh_from_db()
    assert (annotation.quote_start, annotation.quote_end) == (13, 22)
    assert block.text[annotation.quote_start : annotation.quote_end] == "the quote"
    assert annotation.quote_prefix == "Emoji 😀 then "
    assert annotation.quote_suffix == " here"


def test_create_paragraph_note_without_quote(author, article):
    annotation = create(author, article, body="  About the whole paragraph.  ")
    assert annotation.quote == annotation.quote_prefix == annotation.quote_suffix == ""
    assert annotation.quote_start is None and annotation.quote_end is None
    assert annotation.body == "About the whole paragraph."


def test_create_fact_check_with_verdict_and_evidence(author, article, paragraph):
    annotation = fact_check(
        author,
        article,
        body="The statistics office reports 2.1%.",
        evidence=[
            SOURCE,
            EvidenceInput(
                url=" https://archive.example.org/x ",
                title=" Archived release ",
                excerpt="grew by 2.1 percent",
                archived_url="https://web.archive.org/web/2024/https://stats.example.org",
            ),
        ],
    )
    annotation.refresh_from_db()
    assert annotation.kind == Annotation.Kind.FACT_CHECK
    assert annotation.verdict == "misleading"
    assert annotation.claim == QUOTE  # defaults to the quote
    rows = list(annotation.evidence.all())
    assert [(e.position, e.url, e.title) for e in rows] == [
        (0, "https://stats.example.org/budget-2023", "Budget statistics 2023"),
        (1, "https://archive.example.org/x", "Archived release"),
    ]
    assert rows[1].excerpt == "grew by 2.1 percent"
    assert rows[1].archived_url.startswith("https://web.archive.org/")


def test_fact_check_keeps_an_explicit_claim(author, article, paragraph):
    annotation = fact_check(author, article, claim="  The budget grew 4% in 2023.  ")
    assert annotation.claim == "The budget grew 4% in 2023."


def test_note_ignores_claim_and_verdict_arguments(author, article):
    annotation = create(author, article, claim="a claim", verdict="false")
    assert (annotation.claim, annotation.verdict) == ("", "")


def test_anonymous_or_missing_author_is_refused(article, counts):
    before = counts()
    with pytest.raises(PermissionDenied):
        create(AnonymousUser(), article)
    with pytest.raises(PermissionDenied):
        create(None, article)
    assert counts() == before


# ---------------------------------------------------------------- refusals write nothing


def evidence(n):
    return [EvidenceInput(url=f"https://example.org/{i}", title=f"Source {i}") for i in range(n)]


REFUSALS = {
    "empty body": ({"body": ""}, "body"),
    "blank body": ({"body": "   \n "}, "body"),
    "over-long body": ({"body": "x" * 5001}, "body"),
    "quote not in paragraph": ({"quote": QuoteInput("the deficit shrank")}, "quote"),
    "offsets not matching": ({"quote": QuoteInput(QUOTE, start=0, end=len(QUOTE))}, "quote"),
    "offsets beyond the paragraph": (
        {"quote": QuoteInput("schools.", start=len(TEXT) - 8, end=len(TEXT) + 5)},
        "quote",
    ),
    "unknown block key": ({"block_key": "k999"}, "block"),
    "unknown kind": ({"kind": "rumour"}, "kind"),
    "bad visibility": ({"visibility": "friends"}, "visibility"),
    "fact-check without verdict": ({"kind": "fact_check", "evidence": evidence(1)}, "verdict"),
    "fact-check with unknown verdict": (
        {"kind": "fact_check", "verdict": "pants on fire", "evidence": evidence(1)},
        "verdict",
    ),
    "fact-check without evidence": ({"kind": "fact_check", "verdict": "false"}, "evidence"),
    "evidence url javascript:": (
        {"kind": "fact_check", "verdict": "false", "evidence": [EvidenceInput(url="javascript:alert(1)", title="x")]},
        "evidence",
    ),
    "evidence url ftp:": (
        {"kind": "fact_check", "verdict": "false", "evidence": [EvidenceInput(url="ftp://x", title="x")]},
        "evidence",
    ),
    "evidence archived url data:": (
        {
            "kind": "fact_check",
            "verdict": "false",
            "evidence": [EvidenceInput(url="https://ok.example", title="x", archived_url="data:text/html,hi")],
        },
        "evidence",
    ),
    "evidence without title": (
        {"kind": "fact_check", "verdict": "false", "evidence": [EvidenceInput(url="https://ok.example", title=" ")]},
        "evidence",
    ),
    "too many evidence": ({"kind": "fact_check", "verdict": "false", "evidence": evidence(11)}, "evidence"),
    "note with evidence": ({"evidence": evidence(1)}, "evidence"),
    "too many tags": ({"tags": ",".join(f"t{i}" for i in range(11))}, "tags"),
    "over-long tag": ({"tags": "fine, " + "a" * 41}, "tags"),
    "tag with markup": ({"tags": "ok, <script>"}, "tags"),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_refusals_raise_on_the_field_and_write_nothing(case, author, article, paragraph, counts):
    Tag.objects.create(name="existing")
    kwargs, field = REFUSALS[case]
    before = counts()
    with pytest.raises(ValidationError) as caught:
        create(author, article, **{"tags": "fresh tag, existing", **kwargs})
    assert field in caught.value.message_dict, caught.value.message_dict
    assert counts() == before
    assert not Tag.objects.filter(name="fresh tag").exists()


def test_block_of_another_article_is_refused(author, article, make_article, counts):
    other = make_article("Another", paragraphs=5)
    before = counts()
    with pytest.raises(ValidationError) as caught:
        create(author, article, block_key="k005")  # exists only in the other article
    assert "block" in caught.value.message_dict
    assert other.blocks.filter(key="k005").exists()
    assert counts() == before


def test_removed_and_image_blocks_are_refused(author, article, counts):
    removed = article.blocks.get(key="k002")
    removed.mark_removed()
    removed.save()
    BlockFactory(article=article, key="img1", position=10, kind=Block.Kind.IMAGE, text="A chart")
    before = counts()
    for key in ("k002", "img1"):
        with pytest.raises(ValidationError) as caught:
            create(author, article, block_key=key)
        assert "block" in caught.value.message_dict
    assert counts() == before


def test_several_errors_are_reported_at_once(author, article, paragraph, counts):
    before = counts()
    with pytest.raises(ValidationError) as caught:
        create(
            author,
            article,
            kind="fact_check",
            body="",
            quote=QuoteInput("not in this paragraph"),
            tags=",".join(f"t{i}" for i in range(12)),
        )
    errors = caught.value.message_dict
    assert {"quote", "verdict", "evidence", "tags", "body"} <= set(errors)
    assert "A fact-check needs a verdict." in errors["verdict"]
    assert counts() == before


# ---------------------------------------------------------------- update


def test_author_updates_body_tags_and_evidence(author, article, paragraph, counts):
    annotation = fact_check(author, article, tags="budget, economy")
    old_evidence_ids = set(annotation.evidence.values_list("pk", flat=True))
    updated = services.update_annotation(
        actor=author,
        annotation=annotation,
        body="Now **with** more detail.",
        tags="Economy, statistics",
        claim="The budget grew by 4%",
        verdict="false",
        evidence=[EvidenceInput(url="https://new.example.org", title="New source"), SOURCE],
    )
    updated.refresh_from_db()
    assert updated.body == "Now **with** more detail."
    assert updated.body_html == "<p>Now <strong>with</strong> more detail.</p>"
    assert sorted(t.name for t in updated.tags.all()) == ["economy", "statistics"]
    assert (updated.claim, updated.verdict) == ("The budget grew by 4%", "false")
    assert [e.url for e in updated.evidence.all()] == ["https://new.example.org", SOURCE.url]
    assert not Evidence.objects.filter(pk__in=old_evidence_ids).exists()
    assert updated.kind == Annotation.Kind.FACT_CHECK and updated.block.key == "k001"
    assert counts()["annotations"] == 1


def test_update_without_evidence_keeps_it(author, article, paragraph):
    annotation = fact_check(author, article)
    services.update_annotation(actor=author, annotation=annotation, body="Edited.", verdict="false")
    assert [e.url for e in annotation.evidence.all()] == [SOURCE.url]


def test_update_can_move_the_quote(author, article, paragraph):
    annotation = create(author, article, quote=QuoteInput(QUOTE))
    services.update_annotation(
        actor=author, annotation=annotation, body="Edited.", quote=QuoteInput("promised more money")
    )
    annotation.refresh_from_db()
    assert annotation.quote == "promised more money"
    assert TEXT[annotation.quote_start : annotation.quote_end] == "promised more money"


def test_invalid_update_changes_nothing(author, article, paragraph):
    annotation = fact_check(author, article, tags="budget")
    with pytest.raises(ValidationError) as caught:
        services.update_annotation(
            actor=author,
            annotation=annotation,
            body="",
            tags="new",
            verdict="",
            evidence=[],
            quote=QuoteInput("nowhere"),
        )
    assert {"body", "verdict", "evidence", "quote"} <= set(caught.value.message_dict)
    annotation.refresh_from_db()
    assert annotation.body == "Worth checking."
    assert annotation.verdict == "misleading"
    assert [t.name for t in annotation.tags.all()] == ["budget"]
    assert annotation.evidence.count() == 1
    assert not Tag.objects.filter(name="new").exists()


@pytest.mark.parametrize("who", ["other_user", "moderator", "editor", "superuser"])
def test_only_the_author_may_update(who, request, author, article, paragraph):
    annotation = create(author, article, tags="budget")
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.update_annotation(actor=actor, annotation=annotation, body="Hijacked.")
    with pytest.raises(PermissionDenied):
        services.update_annotation(actor=AnonymousUser(), annotation=annotation, body="Hijacked.")
    annotation.refresh_from_db()
    assert annotation.body == "Worth checking."
    assert [t.name for t in annotation.tags.all()] == ["budget"]


def test_editing_an_approved_fact_check_sends_it_back_to_pending(author, article, paragraph):
    annotation = fact_check(author, article)
    Annotation.objects.filter(pk=annotation.pk).update(status=Annotation.Status.APPROVED)
    services.update_annotation(actor=author, annotation=annotation, body="Edited.", verdict="false")
    annotation.refresh_from_db()
    assert annotation.status == Annotation.Status.PENDING
    assert not Annotation.objects.public().filter(pk=annotation.pk).exists()


def test_editing_an_approved_note_of_an_untrusted_author_sends_it_back_to_pending(author, article):
    annotation = create(author, article)
    Annotation.objects.filter(pk=annotation.pk).update(status=Annotation.Status.APPROVED)
    services.update_annotation(actor=author, annotation=annotation, body="Edited.")
    annotation.refresh_from_db()
    assert annotation.status == Annotation.Status.PENDING


def test_editing_an_approved_note_of_a_trusted_author_keeps_it_published(make_user, article):
    trusted = make_user("trusted", groups=["annotators", "trusted annotators"])
    annotation = create(trusted, article)
    assert annotation.status == Annotation.Status.APPROVED
    services.update_annotation(actor=trusted, annotation=annotation, body="Edited.")
    annotation.refresh_from_db()
    assert annotation.status == Annotation.Status.APPROVED


@pytest.mark.parametrize("decision", [Annotation.Status.REJECTED, Annotation.Status.HIDDEN])
def test_editing_keeps_a_moderators_rejection(decision, author, article, paragraph):
    annotation = fact_check(author, article)
    Annotation.objects.filter(pk=annotation.pk).update(status=decision)
    services.update_annotation(actor=author, annotation=annotation, body="Edited.", verdict="false")
    annotation.refresh_from_db()
    assert annotation.status == decision


def test_making_a_private_note_public_goes_through_moderation(author, article):
    annotation = create(author, article, visibility="private")
    assert annotation.status == Annotation.Status.APPROVED
    services.update_annotation(actor=author, annotation=annotation, body="Now public.", visibility="public")
    annotation.refresh_from_db()
    assert (annotation.visibility, annotation.status) == ("public", Annotation.Status.PENDING)
    assert not Annotation.objects.public().filter(pk=annotation.pk).exists()


# ---------------------------------------------------------------- delete


def test_author_deletes_with_evidence_and_tag_links(author, article, paragraph, counts):
    annotation = fact_check(author, article, tags="budget, economy")
    kept = create(author, article, tags="budget")
    assert counts() == {"annotations": 2, "evidence": 1, "tags": 2, "tagged": 3, "moderation_log": 2}
    services.delete_annotation(actor=author, annotation=annotation)
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    # the tags themselves and the append-only moderation log stay
    assert counts() == {"annotations": 1, "evidence": 0, "tags": 2, "tagged": 1, "moderation_log": 2}
    assert Annotation.objects.filter(pk=kept.pk).exists()


@pytest.mark.parametrize("who", ["other_user", "moderator", "editor"])
def test_only_the_author_may_delete(who, request, author, article, paragraph, counts):
    annotation = fact_check(author, article, tags="budget")
    before = counts()
    with pytest.raises(PermissionDenied):
        services.delete_annotation(actor=request.getfixturevalue(who), annotation=annotation)
    with pytest.raises(PermissionDenied):
        services.delete_annotation(actor=AnonymousUser(), annotation=annotation)
    assert counts() == before


# ---------------------------------------------------------------- moderation policy


@pytest.mark.parametrize(
    ("persona", "kind", "visibility", "post_moderation", "expected"),
    [
        ("annotator", "fact_check", "public", False, "pending"),
        ("annotator", "fact_check", "public", True, "pending"),
        ("annotator", "note", "public", False, "pending"),
        ("annotator", "note", "public", True, "approved"),
        ("trusted", "note", "public", False, "approved"),
        ("trusted", "fact_check", "public", False, "pending"),
        ("moderator", "note", "public", False, "approved"),
        ("moderator", "fact_check", "public", False, "pending"),
        ("annotator", "note", "private", False, "approved"),
        ("annotator", "fact_check", "private", False, "approved"),
    ],
)
def test_initial_status_policy(
    persona, kind, visibility, post_moderation, expected, make_user, moderator, article, paragraph
):
    user = {
        "annotator": lambda: make_user("annotator", groups=["annotators"]),
        "trusted": lambda: make_user("trusted", groups=["annotators", "trusted annotators"]),
        "moderator": lambda: moderator,
    }[persona]()
    extra = {"verdict": "false", "evidence": [SOURCE]} if kind == "fact_check" else {}
    with override_settings(ANNOTATIONS_NOTES_POST_MODERATION=post_moderation):
        annotation = create(user, article, kind=kind, visibility=visibility, **extra)
    annotation.refresh_from_db()
    assert annotation.status == expected
    assert Annotation.objects.public().filter(pk=annotation.pk).exists() is (
        expected == "approved" and visibility == "public"
    )


def test_private_note_is_approved_but_only_its_author_sees_it(author, other_user, moderator, article):
    annotation = create(author, article, visibility="private")
    assert annotation.status == Annotation.Status.APPROVED
    assert not Annotation.objects.public().filter(pk=annotation.pk).exists()
    assert Annotation.objects.visible_to(author).filter(pk=annotation.pk).exists()
    for viewer in (other_user, moderator, AnonymousUser(), None):
        assert not Annotation.objects.visible_to(viewer).filter(pk=annotation.pk).exists()


def test_visible_to_is_public_approved_plus_own(author, other_user, article, make_annotation):
    mine_pending = make_annotation(article=article, author=author, status="pending")
    theirs_pending = make_annotation(article=article, author=other_user, status="pending")
    theirs_hidden = make_annotation(article=article, author=other_user, status="hidden")
    theirs_approved = make_annotation(article=article, author=other_user, status="approved")
    visible = set(Annotation.objects.visible_to(author).values_list("pk", flat=True))
    assert visible == {mine_pending.pk, theirs_approved.pk}
    assert theirs_pending.pk not in visible and theirs_hidden.pk not in visible
    assert set(Annotation.objects.public().values_list("pk", flat=True)) == {theirs_approved.pk}


def test_factory_tags_are_normalised_and_reused(author, article, make_annotation):
    a = make_annotation(article=article, tags=["Budget", "#budget"])
    b = make_annotation(article=article, tags=["BUDGET"])
    assert [t.name for t in a.tags.all()] == [t.name for t in b.tags.all()] == ["budget"]
    assert TaggedAnnotation.objects.count() == 2


# ---------------------------------------------------------------- "(edited)": what it says changed, not its status


def card_meta(client, annotation):
    html = client.get(annotation.article.get_absolute_url()).content.decode()
    start = html.index(f'id="a-{annotation.pk}"')
    return html[start : html.index("Permalink", start)]


def test_a_moderators_decision_is_not_an_edit(author, moderator, article, paragraph, client):
    from annotations.services import moderation

    annotation = fact_check(author, article)
    an_hour_ago = annotation.created_at - dt.timedelta(hours=1)
    Annotation.objects.filter(pk=annotation.pk).update(created_at=an_hour_ago, updated_at=an_hour_ago)
    moderation.approve(annotation=annotation, actor=moderator)
    annotation.refresh_from_db()
    assert annotation.updated_at > annotation.created_at
    assert annotation.edited_at is None
    assert "edited" not in card_meta(client, annotation)


def test_the_authors_edit_is_shown_as_one(author, moderator, article, paragraph, client):
    from annotations.services import moderation

    annotation = create(author, article)
    services.update_annotation(actor=author, annotation=annotation, body="Checked: it grew by 3.9 percent.")
    annotation = moderation.approve(annotation=annotation, actor=moderator)
    annotation.refresh_from_db()
    assert annotation.edited_at is not None
    meta = card_meta(client, annotation)
    assert "edited</time>)" in meta


def test_an_admin_correction_marks_an_edit_only_when_the_words_change(author, moderator, article, paragraph):
    annotation = create(author, article)
    same = {"block_key": annotation.block.key, "kind": annotation.kind, "body": annotation.body}
    services.correct_annotation(actor=moderator, annotation=annotation, **same)
    annotation.refresh_from_db()
    assert annotation.edited_at is None

    services.correct_annotation(actor=moderator, annotation=annotation, **{**same, "body": "Corrected by the desk."})
    annotation.refresh_from_db()
    assert annotation.edited_at is not None
