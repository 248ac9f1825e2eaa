"""Exports stay whole after a revision (issue 13): detached annotations are exported, marked, and JSON-LD targets
the text an annotation's words are in, with a public URL for that revision's text."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from annotations import services
from annotations.exports.markdown import article_markdown
from annotations.models import Annotation
from annotations.selectors.article import article_annotations
from annotations.services import EvidenceInput, QuoteInput, moderation
from articles.models import Block
from articles.revisions import text_at
from articles.services import BlockEdit, revise_blocks

State = Annotation.AnchorState
KEPT = "The committee met on Tuesday and approved the plan."
CHECKED = "Unemployment fell to 4.1 percent in March, the lowest in a decade."
REMOVED = "The mayor said the bridge would open in 2027."


@pytest.fixture
def revised(make_article, author, moderator):
    """An article with three approved annotations, then a revision: one paragraph kept, one rewritten, one removed."""
    article = make_article(paragraphs=0)
    for i, text in enumerate([KEPT, CHECKED, REMOVED], start=1):
        Block.objects.create(article=article, key=f"b{i}", position=i, text=text)

    def approved(key, quote, **fields):
        annotation = services.create_annotation(
            author=author, article=article, block_key=key, quote=QuoteInput(quote), **fields
        )
        if annotation.status != Annotation.Status.APPROVED:
            annotation = moderation.approve(annotation=annotation, actor=moderator)
        return annotation

    kept = approved("b1", "approved the plan", kind="note", body="Which plan?")
    checked = approved(
        "b2",
        "4.1 percent",
        kind="fact_check",
        body="The bureau's figure was 4.3 percent.",
        verdict="false",
        evidence=[EvidenceInput(url="https://example.org/bls", title="Bureau release")],
    )
    gone = approved("b3", "open in 2027", kind="note", body="The contract says 2028.")
    blocks = {b.key: b for b in article.blocks.current()}
    revision = revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=KEPT, order=1, block=blocks["b1"]),
            BlockEdit(
                kind="paragraph",
                text="A new paragraph about the harbour tender and its delays.",
                order=2,
                block=blocks["b2"],
            ),
            BlockEdit(kind="paragraph", text=REMOVED, order=3, block=blocks["b3"], remove=True),
        ],
    ).revision
    return {"article": article, "kept": kept, "checked": checked, "gone": gone, "revision": revision}


def fresh(annotation):
    return Annotation.objects.select_related("original_revision", "anchored_revision", "block").get(pk=annotation.pk)


def jsonld(client, annotation) -> dict:
    response = client.get(reverse("annotations:annotation-jsonld", kwargs={"pk": annotation.pk}))
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_revision_detached_two_annotations(revised):
    assert fresh(revised["kept"]).is_placed
    assert fresh(revised["checked"]).anchor_state == State.NEEDS_REANCHORING
    # its paragraph was removed; a changed paragraph stands next to where it stood: detached either way
    assert fresh(revised["gone"]).anchor_state in Annotation.DETACHED_STATES


@pytest.mark.parametrize("which", ["checked", "gone"])
def test_jsonld_of_a_detached_annotation_targets_the_text_it_was_written_on(client, revised, which):
    annotation = fresh(revised[which])
    target = jsonld(client, annotation)["target"]
    written_on = annotation.original_revision
    assert written_on is not None and written_on.number < revised["revision"].number
    assert target["selector"] == {"type": "TextQuoteSelector", "exact": revised[which].quote}
    assert target["state"]["sourceDate"].startswith(written_on.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    # the cached copy is a public page holding the words the author annotated
    cached = target["state"]["cached"]
    assert cached.endswith(f"/articles/{revised['article'].slug}/revisions/{written_on.number}/")
    page = client.get(cached.split("testserver", 1)[1])
    assert page.status_code == 200
    assert revised[which].quote in page.content.decode()


def test_jsonld_of_a_placed_annotation_has_offsets_into_the_revision_it_names(client, revised):
    annotation = fresh(revised["kept"])
    target = jsonld(client, annotation)["target"]
    fragment = target["selector"][0]  # the paragraph refined; [1] is the quote alone, for clients without refinedBy
    position = next(s for s in fragment["refinedBy"] if s["type"] == "TextPositionSelector")
    number = int(target["state"]["cached"].rstrip("/").rsplit("/", 1)[1])
    revisions = [r for r in revised["article"].revisions.order_by("number") if r.number <= number]
    paragraph = next(b for b in text_at(revisions) if b.key == annotation.block.key)
    assert paragraph.text[position["start"] : position["end"]] == annotation.quote


def test_the_collection_exports_every_approved_annotation(client, revised):
    url = reverse("annotations:article-annotations-collection", kwargs={"slug": revised["article"].slug})
    page = json.loads(client.get(url, {"page": 0}).content)
    ids = {item["id"].rsplit("/", 1)[1] for item in page["items"]}
    assert ids == {str(revised[k].pk) for k in ("kept", "checked", "gone")}  # /articles/<slug>/annotations/<id>


def test_markdown_lists_detached_annotations_marked(client, revised):
    response = client.get(reverse("annotations:article-markdown", kwargs={"slug": revised["article"].slug}))
    text = response.content.decode()
    body, earlier = text.split("## Notes on earlier wording", 1)
    assert "Which plan?" in body and "Which plan?" not in earlier
    assert "The bureau's figure was 4.3 percent." in earlier
    assert "**Needs review:** the text this fact-check refers to has changed" in earlier
    assert "Earlier wording: “4.1 percent”" in earlier
    assert "The contract says 2028." in earlier
    assert "Earlier wording: “open in 2027”" in earlier
    assert "**1 fact-check**" in text  # the summary counts it too


def test_markdown_presenter_without_detached_annotations_has_no_such_section(revised):
    views, _ = article_annotations(article=revised["article"], user=AnonymousUser())
    text = article_markdown(article=revised["article"], block_views=views, base_url="https://example.org")
    assert "Notes on earlier wording" not in text


def test_the_atom_feed_marks_a_fact_check_whose_text_changed(client, revised):
    feed = client.get(reverse("annotations:article-feed", kwargs={"slug": revised["article"].slug})).content.decode()
    assert "The text this fact-check refers to has changed since it was written" in feed
    assert "It was written on: “&lt;bdi&gt;4.1 percent&lt;/bdi&gt;”" in feed
