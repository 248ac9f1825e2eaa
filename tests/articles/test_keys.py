"""Old paragraph addresses lead to the paragraph now holding their text (articles.keys, and the article page)."""

from django.urls import reverse

from articles.keys import successors
from articles.models import Block
from articles.services import BlockEdit, revise_blocks

LONG = "The committee met on Tuesday and approved the harbour plan after a long debate about its cost."


def test_a_merged_paragraph_leads_to_the_paragraph_it_was_merged_into():
    removed = [("old", "The committee met on Tuesday evening to discuss funding.")]
    current = [("a", "Intro."), ("b", "The committee met on Tuesday evening to discuss funding. It approved the plan.")]
    assert successors(removed, current) == {"old": "b"}


def test_a_split_paragraph_leads_to_the_half_with_most_of_its_words():
    removed = [("old", LONG)]
    first, second = LONG[:40], LONG[40:]
    assert successors(removed, [("x", first), ("y", second)]) == {"old": "y"}


def test_text_that_went_nowhere_leads_nowhere():
    assert successors([("old", "Entirely different words here.")], [("a", "The harbour plan was approved.")]) == {}
    assert successors([("old", "")], [("a", "")]) == {}


def test_half_the_words_in_order_is_enough_and_less_is_not():
    removed = [("old", "alpha bravo charlie delta echo foxtrot")]
    assert successors(removed, [("a", "alpha bravo charlie zulu yankee xray")]) == {"old": "a"}
    assert successors(removed, [("a", "alpha bravo zulu yankee xray whiskey")]) == {}
    assert successors(removed, [("a", "foxtrot echo delta charlie bravo alpha")]) == {}  # the words, not in order


def test_similar_looking_paragraphs_do_not_inherit_a_deleted_ones_address():
    # a deleted paragraph shares its shape, and two words, with its neighbours: it went nowhere
    removed = [("k002", "Paragraph 2 text.")]
    assert successors(removed, [("k001", "Paragraph 1 text."), ("k003", "Paragraph 3 text.")]) == {}
    # short function words do not count
    assert successors([("old", "and the of to in a")], [("a", "and the of to in a")]) == {}


def test_the_article_page_keeps_the_old_address_as_an_empty_anchor(client, make_article):
    article = make_article(paragraphs=0)
    first = Block.objects.create(article=article, key="first", position=1, text=LONG)
    Block.objects.create(article=article, key="second", position=2, text="Another paragraph entirely.")
    # an editor merges the first paragraph into a new one: the old key is removed, its text lives on
    revise_blocks(
        article=article,
        edits=[
            BlockEdit(kind="paragraph", text=LONG, order=1, block=first, remove=True),
            BlockEdit(kind="paragraph", text="Update: " + LONG + " The vote was 7 to 2.", order=1),
        ],
    )
    merged = article.blocks.current().exclude(key="second").get()
    page = client.get(reverse("articles:article-detail", kwargs={"slug": article.slug})).content.decode()
    anchor = '<span class="former-address" id="p-first"></span>'
    assert anchor in page
    assert page.index(anchor) < page.index(f'id="p-{merged.key}"') < page.index('id="p-second"')
    assert page.count('id="p-first"') == 1
