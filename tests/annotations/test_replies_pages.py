"""Replies on the reading pages (issue #15): threads under their annotation on the article page (first few,
then "All N replies" to the permalink), constant queries whatever the number of replies, the permalink of a
reply, the reply form (without JavaScript), the author's edit and delete, and hidden threads."""

import re

import pytest

from annotations.models import Annotation
from annotations.selectors.threads import REPLIES_SHOWN

pytestmark = pytest.mark.django_db

# the article page's queries (tests/annotations/test_article_page_queries.py): replies add none
ANONYMOUS_QUERIES = 7


@pytest.fixture
def check(article, make_annotation, make_user):
    return make_annotation(
        article=article, author=make_user("checker", groups=["annotators"]), kind="fact_check", body="The check."
    )


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="annotation [^"]*" id="a-(\d+)"', page)


def test_replies_show_under_their_annotation(client, check, make_reply):
    first = make_reply(check, "First *answer*.")
    nested = make_reply(first, "An answer to the answer.")
    page = client.get(check.article.get_absolute_url()).content.decode()
    # the check, then its reply, then the reply's reply, nested inside it
    assert cards(page) == [str(check.pk), str(first.pk), str(nested.pk)]
    thread = page[page.index(f'id="a-{check.pk}"') :]
    assert thread.index(f'id="a-{first.pk}"') < thread.index(f'id="a-{nested.pk}"')
    assert "<em>answer</em>" in page and '<p class="reply-count">2 replies</p>' in page
    assert '<p class="reply-count">1 reply</p>' in page
    # replies are not annotations of the text: the paragraph counts one, the summary one fact-check
    assert ">1 annotation</a>" in page
    assert f'class="annotation annotation-reply status-approved" id="a-{first.pk}"' in page


def test_threads_collapse_past_the_first_few(client, check, make_reply):
    replies = [make_reply(check, f"Reply {n}.") for n in range(REPLIES_SHOWN + 4)]
    page = client.get(check.article.get_absolute_url()).content.decode()
    shown = [r.pk for r in replies[:REPLIES_SHOWN]]
    assert cards(page) == [str(check.pk), *map(str, shown)]
    # the rest are one link away, without JavaScript: the permalink shows the whole thread
    link = f'href="/annotations/{check.pk}/#replies">All {len(replies)} replies</a>'
    assert link in page
    whole = client.get(f"/annotations/{check.pk}/").content.decode()
    assert cards(whole) == [str(check.pk), *(str(r.pk) for r in replies)]
    assert 'id="replies"' in whole and "All " not in whole.split('id="replies"')[1].split("</main>")[0].replace(
        "All your", ""
    )


def test_article_page_queries_are_constant_in_the_number_of_replies(
    client, check, make_reply, django_assert_num_queries, make_article, make_annotation
):
    with django_assert_num_queries(ANONYMOUS_QUERIES):
        client.get(check.article.get_absolute_url())
    # many replies at every depth, on another article with the same annotation
    other = make_article("Another", slug="another")
    annotation = make_annotation(article=other, kind="fact_check")
    for n in range(30):
        reply = make_reply(annotation, f"Reply {n}", tags=[f"t{n % 4}"])
        make_reply(make_reply(reply, f"Deeper {n}"), f"Deepest {n}")
    with django_assert_num_queries(ANONYMOUS_QUERIES):
        response = client.get(other.get_absolute_url())
    page = response.content.decode()
    # bounded: the first few replies only, whatever the thread's size
    assert len(cards(page)) == 1 + REPLIES_SHOWN and "All 90 replies" in page


def test_logged_in_queries_are_constant_too(client, check, make_reply, make_user, django_assert_num_queries):
    reader = make_user("reader", groups=["annotators"])
    client.force_login(reader)
    with django_assert_num_queries(ANONYMOUS_QUERIES + 3) as none:
        client.get(check.article.get_absolute_url())
    for n in range(20):
        make_reply(check, f"Reply {n}")
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(len(none.captured_queries)):
        page = client.get(check.article.get_absolute_url()).content.decode()
    assert page.count('class="reply-link"') == 1 + REPLIES_SHOWN


def test_reply_links_for_members_and_a_login_link_otherwise(client, check, make_user):
    page = client.get(check.article.get_absolute_url()).content.decode()
    assert f'href="/accounts/login/?next=/annotations/{check.pk}/reply/" rel="nofollow">Log in to reply</a>' in page
    client.force_login(make_user("reader", groups=["annotators"]))
    page = client.get(check.article.get_absolute_url()).content.decode()
    assert f'<a class="reply-link" href="/annotations/{check.pk}/reply/" data-reply-to="{check.pk}">Reply</a>' in page


def test_no_reply_link_on_unpublished_annotations(client, article, make_annotation, author):
    pending = make_annotation(article=article, author=author, status="pending")
    private = make_annotation(article=article, author=author, visibility="private")
    client.force_login(author)
    page = client.get(article.get_absolute_url()).content.decode()
    assert f"/annotations/{pending.pk}/reply/" not in page and f"/annotations/{private.pk}/reply/" not in page


def test_a_hidden_annotation_hides_its_thread(client, check, make_reply):
    first = make_reply(check, "Visible only with its annotation.")
    Annotation.objects.filter(pk=check.pk).update(status="hidden")
    page = client.get(check.article.get_absolute_url()).content.decode()
    assert "Visible only with its annotation." not in page
    assert client.get(f"/annotations/{first.pk}/").status_code == 404
    assert client.get(f"/annotations/{first.pk}.jsonld").status_code == 404


def test_a_hidden_reply_hides_the_replies_under_it(client, check, make_reply):
    first = make_reply(check, "First.")
    under = make_reply(first, "Under the hidden one.")
    Annotation.objects.filter(pk=first.pk).update(status="rejected")
    page = client.get(check.article.get_absolute_url()).content.decode()
    assert cards(page) == [str(check.pk)] and "Under the hidden one." not in page
    assert client.get(f"/annotations/{under.pk}/").status_code == 404


def test_a_reply_permalink_shows_its_thread(client, check, make_reply):
    first = make_reply(check, "First.")
    nested = make_reply(first, "Nested.")
    response = client.get(f"/annotations/{nested.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert cards(page) == [str(check.pk), str(first.pk), str(nested.pk)]
    assert f'<a href="#a-{nested.pk}">Go to the reply</a>' in page
    assert f'rel="canonical" href="http://testserver/annotations/{nested.pk}/"' in page


def test_permalink_queries_do_not_grow_with_replies(client, check, make_reply, django_assert_num_queries):
    make_reply(check, "One.", tags=["t"])
    # the annotation with its own joins; its tags; evidence; the thread's replies with authors; their tags
    with django_assert_num_queries(5):
        client.get(f"/annotations/{check.pk}/")
    for n in range(25):
        make_reply(make_reply(check, f"R{n}", tags=["t"]), f"S{n}")
    with django_assert_num_queries(5):
        page = client.get(f"/annotations/{check.pk}/").content.decode()
    assert len(cards(page)) == 1 + 1 + 50


# ---------------------------------------------------------------- the reply form


def test_reply_form_without_javascript(client, check, other_user, django_capture_on_commit_callbacks):
    url = f"/annotations/{check.pk}/reply/"
    assert client.get(url).status_code == 302  # to log in
    client.force_login(other_user)
    page = client.get(url)
    assert page.status_code == 200
    assert b'<form method="post" action="/annotations/%d/reply/" class="reply-form"' % check.pk in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Where is the *source*?", "tags": "sources"})
    reply = Annotation.objects.get(parent=check)
    # to the reply in its whole thread (the article page shows a thread's first few replies only)
    assert response.status_code == 302 and response["Location"] == f"/annotations/{check.pk}/#a-{reply.pk}"
    assert reply.status == "pending" and reply.author == other_user and reply.block_id == check.block_id
    # the author sees it (pending) in place; readers do not yet
    assert f'id="a-{reply.pk}"' in client.get(check.article.get_absolute_url()).content.decode()
    client.logout()
    assert f'id="a-{reply.pk}"' not in client.get(check.article.get_absolute_url()).content.decode()


def test_reply_form_fragment_for_the_script(client, check, other_user):
    client.force_login(other_user)
    page = client.get(f"/annotations/{check.pk}/reply/?fragment=1").content.decode()
    assert page.lstrip().startswith('<form method="post"') and "<html" not in page and 'class="reply-form"' in page


def test_reply_form_bad_input_is_a_400(client, check, other_user):
    client.force_login(other_user)
    response = client.post(f"/annotations/{check.pk}/reply/", {"body": "", "tags": ""})
    assert response.status_code == 400 and b"This field is required." in response.content
    response = client.post(f"/annotations/{check.pk}/reply/", {"body": "x" * 5001})
    assert response.status_code == 400
    response = client.post(f"/annotations/{check.pk}/reply/", {"body": "Bad \x07 char"})
    assert response.status_code == 400
    assert not Annotation.objects.filter(parent=check).exists()


@pytest.mark.parametrize("change", [{"status": "pending"}, {"status": "hidden"}, {"visibility": "private"}])
def test_reply_form_is_a_404_for_what_cannot_be_answered(client, check, other_user, change):
    client.force_login(other_user)
    Annotation.objects.filter(pk=check.pk).update(**change)
    assert client.get(f"/annotations/{check.pk}/reply/").status_code == 404
    assert client.post(f"/annotations/{check.pk}/reply/", {"body": "Hello"}).status_code == 404
    assert client.get("/annotations/98765/reply/").status_code == 404
    assert not Annotation.objects.filter(parent=check).exists()


def test_author_edits_and_deletes_a_reply(client, check, make_reply, other_user, author):
    reply = make_reply(check, "Original.")
    client.force_login(author)  # someone else: 404
    assert client.get(f"/annotations/{reply.pk}/edit/").status_code == 404
    client.force_login(other_user)
    page = client.get(f"/annotations/{reply.pk}/edit/").content.decode()
    assert "Edit your reply" in page and "Original." in page and 'name="kind"' not in page
    response = client.post(f"/annotations/{reply.pk}/edit/", {"body": "Edited.", "tags": ""})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Edited." and reply.edited_at is not None
    assert client.post(f"/annotations/{reply.pk}/delete/").status_code == 302
    assert not Annotation.objects.filter(pk=reply.pk).exists()


def test_deleted_annotation_leaves_a_placeholder_over_its_replies(client, check, make_reply):
    make_reply(check, "Still worth reading.")
    client.force_login(check.author)
    assert client.post(f"/annotations/{check.pk}/delete/").status_code == 302
    client.logout()
    page = client.get(check.article.get_absolute_url()).content.decode()
    assert f'<article class="annotation annotation-deleted" id="a-{check.pk}">' in page
    assert "This annotation was deleted by its author." in page and "Still worth reading." in page
    assert "The check." not in page and "checker" not in page
    # the placeholder's permalink still shows the thread; no reply to the placeholder itself
    whole = client.get(f"/annotations/{check.pk}/").content.decode()
    assert "Still worth reading." in whole and f"/annotations/{check.pk}/reply/" not in whole
    assert client.get(f"/annotations/{check.pk}.jsonld").status_code == 404


def test_reply_bumps_the_cached_page(client, check, other_user, moderator, django_capture_on_commit_callbacks):
    from annotations import services
    from annotations.services import moderation

    url = check.article.get_absolute_url()
    assert "Thanks for checking." not in client.get(url).content.decode()  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.create_reply(author=other_user, parent=check, body="Thanks for checking.")
    assert "Thanks for checking." not in client.get(url).content.decode()  # pending
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(annotation=reply, actor=moderator)
    assert "Thanks for checking." in client.get(url).content.decode()


def test_replies_on_a_page_are_bounded(client, make_article, make_annotation, make_reply, django_assert_num_queries):
    from annotations.selectors.reading import REPLY_BUDGET

    article = make_article("Many threads", slug="many-threads", paragraphs=40)
    threads = 40
    per_thread = REPLIES_SHOWN + 1
    for n in range(threads):
        annotation = make_annotation(article=article, block=f"k{n + 1:03d}")
        for m in range(per_thread):
            make_reply(annotation, f"Reply {n}.{m}")
    with django_assert_num_queries(ANONYMOUS_QUERIES):
        page = client.get(article.get_absolute_url()).content.decode()
    # every thread's first few while the page's budget lasts, then the count and the link alone
    assert page.count("annotation annotation-reply") == REPLY_BUDGET < threads * REPLIES_SHOWN
    assert page.count(f"All {per_thread} replies</a>") == threads
    assert page.count(f'<p class="reply-count">{per_thread} replies</p>') == threads
