"""After a revision, every surface shows each annotation in the same state (issue 13): the reading page, the
permalink, the Markdown export, the W3C JSON-LD and the moderators' queue."""

import json

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation
from annotations.services import EvidenceInput, QuoteInput, moderation
from articles.models import Block
from articles.services import BlockEdit, revise_blocks

State = Annotation.AnchorState
P1 = "The committee met on Tuesday and approved the harbour plan."
P2 = "Unemployment fell to 4.1 percent in March, the lowest level in a decade."
P3 = "The mayor's office said the bridge would open in 2027."
P4 = "Residents were not consulted, the opposition said."
# the revision: a typographic fix in P3 (curly apostrophe), a changed figure in P2, P4 rewritten beyond recognition
P2_NEW = "Unemployment fell to 4.3 percent in March, the lowest level in a decade."
P3_NEW = "The mayor’s office said the bridge would open in 2027."
P4_NEW = "Ferry timetables change next week; see the port's website."


@pytest.fixture
def after_revision(make_article, author, moderator):
    article = make_article(paragraphs=0)
    for key, text in (("p1", P1), ("p2", P2), ("p3", P3), ("p4", P4)):
        Block.objects.create(article=article, key=key, position=int(key[1]), text=text)

    def approved(key, quote, kind="note", **fields):
        extra = {}
        if kind == "fact_check":
            extra = {"verdict": "false", "evidence": [EvidenceInput(url="https://example.org/x", title="Source")]}
        a = services.create_annotation(
            author=author, article=article, block_key=key, kind=kind, quote=QuoteInput(quote), **extra, **fields
        )
        return a if a.status == Annotation.Status.APPROVED else moderation.approve(annotation=a, actor=moderator)

    rows = {
        "unchanged": approved("p1", "approved the harbour plan", body="Which plan?"),
        "figure": approved("p2", "4.1 percent", kind="fact_check", body="It was 4.3 percent."),
        "typography": approved("p3", "mayor's office said", kind="fact_check", body="It was a spokesman."),
        "rewritten": approved("p4", "not consulted", body="Two meetings were held."),
    }
    blocks = {b.key: b for b in article.blocks.current()}
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=P1, order=1, block=blocks["p1"]),
            BlockEdit(kind="paragraph", text=P2_NEW, order=2, block=blocks["p2"]),
            BlockEdit(kind="paragraph", text=P3_NEW, order=3, block=blocks["p3"]),
            BlockEdit(kind="paragraph", text=P4_NEW, order=4, block=blocks["p4"]),
        ],
    )
    return article, {name: Annotation.objects.get(pk=a.pk) for name, a in rows.items()}


def test_the_states_after_the_revision(after_revision):
    _, rows = after_revision
    assert rows["unchanged"].anchor_state == State.ANCHORED and not rows["unchanged"].text_changed
    assert rows["typography"].is_placed and not rows["typography"].text_changed  # invisible change: no notice
    assert rows["typography"].quote == "mayor’s office said"
    assert rows["figure"].anchor_state == State.NEEDS_REANCHORING
    assert rows["rewritten"].anchor_state in Annotation.DETACHED_STATES


def test_every_surface_agrees(client, moderator, after_revision):
    article, rows = after_revision
    page = client.get(article.get_absolute_url()).content.decode()
    text_part, earlier_part = page.split('id="earlier-wording"', 1)
    markdown = client.get(reverse("annotations:article-markdown", kwargs={"slug": article.slug})).content.decode()
    md_text, md_earlier = markdown.split("## Notes on earlier wording", 1)
    client.force_login(moderator)
    queued = {
        item.annotation.pk for item in client.get(reverse("admin:annotations_annotation_queue")).context["review_items"]
    }
    client.logout()

    for name, a in rows.items():
        placed = a.is_placed
        # the reading page: beside its paragraph, or under notes on earlier wording
        assert (f'id="a-{a.pk}"' in text_part) is placed, name
        assert (f'id="a-{a.pk}"' in earlier_part) is (not placed), name
        # the Markdown export: footnote, or the earlier-wording list
        assert (a.body in md_text) is placed, name
        assert (a.body in md_earlier) is (not placed), name
        # the admin queue lists exactly those waiting for a moderator
        assert (a.pk in queued) is (a.anchor_state == State.NEEDS_REANCHORING), name
        # W3C JSON-LD: offsets into the current text only when the words stand there
        data = json.loads(client.get(reverse("annotations:annotation-jsonld", kwargs={"pk": a.pk})).content)
        selector = data["target"]["selector"]
        if placed and not a.text_changed:
            fragment = selector[0] if isinstance(selector, list) else selector  # a quote is also given alone
            position = next(s for s in fragment["refinedBy"] if s["type"] == "TextPositionSelector")
            assert a.block.text[position["start"] : position["end"]] == a.quote, name
        else:
            assert selector == {"type": "TextQuoteSelector", "exact": a.original_quote or a.quote}, name
        # the permalink: the quote highlighted only where it stands; a changed text says so
        permalink = client.get(a.get_absolute_url()).content.decode()
        context = permalink.split('class="paragraph-context"', 1)[1].split("</figure>", 1)[0]
        assert ("<mark" in context) is placed, name
        assert ("The text has changed since this" in context) is (not placed or a.text_changed), name
    # the fact-check on the changed figure says so wherever it is shown
    notice = "The text this fact-check refers to has changed since it was checked."
    assert notice in page and notice in client.get(rows["figure"].get_absolute_url()).content.decode()
    assert "**Needs review:** the text this fact-check refers to has changed" in md_earlier
