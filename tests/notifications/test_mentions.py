"""@mentions in annotation bodies: links to existing, active users made by the renderer; everything else text."""

from __future__ import annotations

import pytest

from annotations.mentions import mentioned_names
from annotations.rendering import mentioned_users, render_body


@pytest.fixture
def ana(make_user):
    return make_user("ana")


def link(name):
    return f'<a href="/users/{name}/" class="mention" rel="nofollow noopener ugc">@{name}</a>'


@pytest.mark.django_db
def test_an_existing_user_becomes_a_link_to_their_page(ana):
    assert render_body("Ask @ana.") == f"<p>Ask {link('ana')}.</p>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "Ask @nobody",  # no such user
        "Write to desk@ana.example",  # an e-mail address, not a mention
        "`@ana` in code",  # code is shown as written
        "[see @ana](https://example.org)",  # inside a link already
        "@@ana",  # not a name boundary
    ],
)
def test_what_stays_text(body, ana):
    html = render_body(body)
    assert 'class="mention"' not in html
    assert mentioned_users(body) == []


@pytest.mark.django_db
def test_an_inactive_user_is_not_linked(make_user):
    make_user("gone", is_active=False)
    assert render_body("@gone") == "<p>@gone</p>"


@pytest.mark.django_db
def test_names_with_dots_and_trailing_punctuation(make_user):
    make_user("j.doe")
    make_user("ana")
    html = render_body("Thanks @j.doe, and @ana.")
    assert link("j.doe") in html and html.endswith(f"{link('ana')}.</p>")


@pytest.mark.django_db
def test_mentions_inside_emphasis_and_lists(ana):
    assert link("ana") in render_body("*@ana*")
    assert link("ana") in render_body("- ask @ana")


@pytest.mark.django_db
def test_mentioned_users_are_exactly_the_linked_ones_once_each(ana, make_user):
    bo = make_user("bo")
    assert mentioned_users("@bo @ana @bo `@x` @nobody") == [bo, ana]


@pytest.mark.django_db
def test_hostile_text_around_a_mention_stays_inert(ana):
    html = render_body('<script>alert(1)</script> @ana "><img src=x onerror=alert(1)>')
    assert "<script" not in html and "<img" not in html
    assert link("ana") in html


@pytest.mark.django_db
def test_one_query_for_a_body_with_names_none_without(ana, django_assert_num_queries):
    with django_assert_num_queries(0):
        render_body("No names here, only desk@example.org.")
    with django_assert_num_queries(1):  # the users named, in one query whatever their number
        render_body("@ana @bo @cy @dee")


def test_mentioned_names_pure():
    assert mentioned_names("hi @ana. and @j.doe- @ana") == ["ana.", "ana", "j.doe-", "j.doe"]
    assert mentioned_names("desk@example.org") == []
