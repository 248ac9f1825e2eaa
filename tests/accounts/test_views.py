"""Accounts pages: sign-up (an annotator account, logged in at once), log-in and log-out."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def signup_data(**fields):
    data = {
        "username": "newcomer",
        "email": "newcomer@example.org",
        "password1": "a-Long-unusual-passphrase-42",
        "password2": "a-Long-unusual-passphrase-42",
    }
    data.update(fields)
    return data


def test_signup_page(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    page = html(response)
    for name in ("username", "email", "password1", "password2"):
        assert f'name="{name}"' in page


def test_signup_creates_an_annotator_and_logs_in(client, db):
    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newcomer")
    assert user.email == "newcomer@example.org"
    assert list(user.groups.values_list("name", flat=True)) == ["annotators"]
    assert not user.is_staff
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_follows_a_safe_next_only(client, db):
    response = client.post("/accounts/signup/?next=/articles/x/", signup_data())
    assert response["Location"] == "/articles/x/"
    other = Client()
    response = other.post(
        "/accounts/signup/?next=https://evil.example/", signup_data(username="second", email="s@example.org")
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", "This password is too common."),
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("83749201938", "This password is entirely numeric."),
        ("newcomer1", "The password is too similar to the username."),
    ],
)
def test_signup_refuses_weak_passwords(password, message, client, db):
    response = client.post("/accounts/signup/", signup_data(password1=password, password2=password))
    assert response.status_code == 400
    assert message in html(response)
    assert not get_user_model().objects.filter(username="newcomer").exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("email", ["author@example.com", "AUTHOR@Example.com"])
def test_signup_refuses_a_duplicate_email(email, client, author):
    response = client.post("/accounts/signup/", signup_data(email=email))
    assert response.status_code == 400
    assert "An account with this e-mail address already exists." in html(response)
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_signup_refuses_a_duplicate_username(client, author):
    response = client.post("/accounts/signup/", signup_data(username="author"))
    assert response.status_code == 400
    assert "A user with that username already exists." in html(response)


# ---------------------------------------------------------------- log-in and log-out


def test_login_and_logout(client, author):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "author", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == author.pk
    assert client.get("/accounts/logout/").status_code == 405  # logging out takes a POST
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_with_a_wrong_password_fails(client, author):
    response = client.post("/accounts/login/", {"username": "author", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
