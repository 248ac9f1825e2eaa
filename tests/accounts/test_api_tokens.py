"""Personal API tokens: the account page (create, shown once, revoke), the admin (editors revoke), Bearer checks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import tokens
from accounts.models import TOKEN_PREFIX, ApiToken, hash_token

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"anno_[A-Za-z0-9_-]{43}")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer_request(value: str | None):
    headers = {} if value is None else {"Authorization": value}
    return RequestFactory().get("/articles/x/annotations/", headers=headers)


def test_the_page_creates_a_token_shows_it_once_and_stores_only_its_hash(author):
    client = logged_in(author)
    assert client.get("/accounts/tokens/").status_code == 200
    response = client.post("/accounts/tokens/", {"name": "import script", "scope": "write", "expires": "30"})
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    shown = TOKEN.findall(response.content.decode())
    assert len(shown) == 1
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (author, "import script", "write")
    assert token.token_hash == hash_token(shown[0]) and shown[0] not in token.token_hash
    assert shown[0].startswith(token.display) and len(token.display) == len(TOKEN_PREFIX) + 6
    assert timezone.now() + dt.timedelta(days=29) < token.expires_at < timezone.now() + dt.timedelta(days=31)
    # never again: the list shows its first characters only
    page = client.get("/accounts/tokens/").content.decode()
    assert TOKEN.findall(page) == [] and f"{token.display}…" in page


def test_a_token_that_never_expires_and_a_read_only_one(author):
    client = logged_in(author)
    client.post("/accounts/tokens/", {"name": "reader", "scope": "read", "expires": "never"})
    token = ApiToken.objects.get()
    assert token.expires_at is None and token.scope == "read" and not token.can_write


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scope": "write", "expires": "30"}, "This field is required."),
        ({"name": "x\x01", "scope": "write", "expires": "30"}, "U+0001"),
        ({"name": "x", "scope": "admin", "expires": "30"}, "Select a valid choice."),
    ],
)
def test_bad_input_creates_nothing(author, data, message):
    response = logged_in(author).post("/accounts/tokens/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_needs_an_account(client):
    assert client.get("/accounts/tokens/").status_code == 302
    assert client.post("/accounts/tokens/", {"name": "x", "scope": "write", "expires": "30"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_their_token_others_get_404_and_get_is_refused(author, other_user):
    token, secret = tokens.create_token(user=author, name="script")
    url = f"/accounts/tokens/{token.pk}/revoke/"
    assert logged_in(author).get(url).status_code == 405
    assert logged_in(other_user).post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    response = logged_in(author).post(url)
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == author
    with pytest.raises(tokens.TokenError, match="revoked"):
        tokens.authenticate_bearer(bearer_request(f"Bearer {secret}"))


def test_an_editor_revokes_anyones_token_in_the_admin_a_moderator_cannot_see_them(author, editor, moderator):
    token, _ = tokens.create_token(user=author, name="script")
    editor_client = logged_in(editor)
    assert editor_client.get("/admin/accounts/apitoken/").status_code == 200
    assert editor_client.get("/admin/accounts/apitoken/add/").status_code == 403
    response = editor_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 token(s) revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_by == editor
    assert logged_in(moderator).get("/admin/accounts/apitoken/").status_code == 403


def test_bearer_authentication(author, django_assert_num_queries):
    token, secret = tokens.create_token(user=author, name="script", scope="read")
    assert tokens.authenticate_bearer(bearer_request(None)) is None
    # the token with its user, then last_used_at (written at most once a minute)
    with django_assert_num_queries(2):
        bearer = tokens.authenticate_bearer(bearer_request(f"Bearer {secret}"))
    assert bearer.user == author and not bearer.can_write
    with django_assert_num_queries(1):
        tokens.authenticate_bearer(bearer_request(f"bearer  {secret} "))
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic dXNlcjpwYXNz", "Use 'Authorization: Bearer <token>'"),
        ("Bearer", "not an API token"),
        ("Bearer abc", "not an API token"),
        ("Bearer anno_" + "x" * 200, "not an API token"),
        ("Bearer anno_doesnotexist", "Unknown API token."),
        ("Bearer anno_\u00e9t\u00e9", "not an API token"),
    ],
)
def test_unusable_credentials(author, header, message):
    with pytest.raises(tokens.TokenError, match=re.escape(message)):
        tokens.authenticate_bearer(bearer_request(header))


def test_expired_tokens_and_disabled_accounts_are_refused(author):
    token, secret = tokens.create_token(user=author, name="script")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.authenticate_bearer(bearer_request(f"Bearer {secret}"))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    author.is_active = False
    author.save()
    with pytest.raises(tokens.TokenError, match="disabled"):
        tokens.authenticate_bearer(bearer_request(f"Bearer {secret}"))
