"""Rate limits on writes (accounts/ratelimits.py): tiers, per-IP limits, the 429 page; and sign-up."""

import datetime as dt
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.ratelimits import client_ip, tier
from annotations.models import Annotation, Flag
from tests.factories import AnnotationFactory
from tests.helpers import annotate_payload

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
PASSWORD = "pw-for-tests-123"


class Clock:
    """django-ratelimit's clock, frozen so a test never straddles the edge of a counting window."""

    def __init__(self):
        self.now = 1_750_000_000.0

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def rates(settings):
    """Set tiny rates for one action: ``rates("annotate", new="1/h", ip="2/h")``; other actions keep theirs."""

    def set_(action, **tiers):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, action: tiers}

    return set_


@pytest.fixture
def member(make_user):
    return make_user("member", groups=["annotators"], date_joined=timezone.now() - dt.timedelta(days=2))


@pytest.fixture
def member2(make_user):
    return make_user("member2", groups=["annotators"], date_joined=timezone.now() - dt.timedelta(days=2))


@pytest.fixture
def newcomer(make_user):
    return make_user("newcomer", groups=["annotators"])


@pytest.fixture
def trusted(make_user):
    return make_user("trusted", groups=["trusted annotators"], date_joined=timezone.now() - dt.timedelta(days=2))


def published_note(article, author, body="A published note."):
    """An approved public note on k001, written straight to the table (tests/factories.py)."""
    return AnnotationFactory(article=article, block="k001", author=author, body=body)


def annotate(client, article, body="A note.", **extra):
    return client.post(f"/articles/{article.slug}/p/k001/annotate/", annotate_payload(body=body), **extra)


def assert_too_many(response, period=3600):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= period
    page = response.content.decode()
    assert "Too many requests" in page
    assert "Nothing was saved from your last request." in page


def client_for(user, ip="127.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    if user is not None:
        client.force_login(user)
    return client


# ---------------------------------------------------------------- annotating


def test_the_third_annotation_by_a_member_is_refused(rates, article, member):
    rates("annotate", new="1/h", member="2/h", trusted="5/h", ip="100/h")
    client = client_for(member)
    for i in range(2):
        assert annotate(client, article, body=f"Note {i}.").status_code == 302
    response = annotate(client, article, body="One too many.")
    assert_too_many(response)
    assert list(Annotation.objects.order_by("pk").values_list("body", flat=True)) == ["Note 0.", "Note 1."]


def test_the_limit_lifts_when_the_window_passes(rates, article, member, clock):
    rates("annotate", member="1/h", ip="100/h")
    client = client_for(member)
    assert annotate(client, article).status_code == 302
    assert annotate(client, article).status_code == 429
    clock.advance(3601)
    assert annotate(client, article).status_code == 302
    assert Annotation.objects.count() == 2


def test_users_are_counted_separately(rates, article, member, member2):
    rates("annotate", member="1/h", ip="100/h")
    assert annotate(client_for(member), article).status_code == 302
    assert annotate(client_for(member2), article).status_code == 302
    assert annotate(client_for(member), article).status_code == 429


def test_the_ip_limit_applies_across_users(rates, article, member, member2):
    rates("annotate", new="100/h", member="100/h", trusted="100/h", ip="2/h")
    first, second = client_for(member, ip="10.0.0.1"), client_for(member2, ip="10.0.0.1")
    assert annotate(first, article).status_code == 302
    assert annotate(second, article).status_code == 302
    assert_too_many(annotate(second, article, body="Third from this address."))
    assert_too_many(annotate(first, article, body="Fourth from this address."))
    assert Annotation.objects.count() == 2
    # the same user from another address is not limited by the first address's count
    assert annotate(client_for(member2, ip="10.0.0.2"), article).status_code == 302
    assert Annotation.objects.count() == 3


@pytest.mark.parametrize(("persona", "allowed"), [("newcomer", 1), ("member", 2), ("trusted", 3), ("moderator", 3)])
def test_each_tier_has_its_rate(persona, allowed, request, rates, article):
    rates("annotate", new="1/h", member="2/h", trusted="3/h", ip="100/h")
    client = client_for(request.getfixturevalue(persona))
    for _ in range(allowed):
        assert annotate(client, article).status_code == 302
    assert_too_many(annotate(client, article))
    assert Annotation.objects.count() == allowed


def test_tiers(make_user, newcomer, member, trusted, moderator, editor, settings):
    assert tier(newcomer) == "new"  # joined just now
    assert tier(member) == "member"  # joined two days ago
    assert tier(trusted) == "trusted"
    assert tier(moderator) == "trusted"
    assert tier(editor) == "trusted"
    assert tier(AnonymousUser()) == "anonymous"
    assert tier(None) == "anonymous"
    day = settings.RATE_LIMIT_NEW_ACCOUNT_AGE
    assert tier(make_user("almost", date_joined=timezone.now() - dt.timedelta(seconds=day - 60))) == "new"
    assert tier(make_user("just", date_joined=timezone.now() - dt.timedelta(seconds=day + 60))) == "member"


def test_invalid_posts_count_too(rates, article, member):
    rates("annotate", member="2/h", ip="100/h")
    client = client_for(member)
    assert annotate(client, article, body="").status_code == 400
    assert annotate(client, article, body="").status_code == 400
    assert annotate(client, article, body="Valid at last.").status_code == 429
    assert Annotation.objects.count() == 0


# ---------------------------------------------------------------- GETs


def test_gets_are_never_limited(rates, article, member, other_user):
    for action in ("annotate", "edit", "flag", "signup", "login"):
        rates(action, anonymous="1/h", new="1/h", member="1/h", trusted="1/h", ip="1/h", username="1/h")
    target = published_note(article, other_user)
    client = client_for(member)
    for _ in range(5):
        assert client.get(f"/articles/{article.slug}/p/k001/annotate/").status_code == 200
        assert client.get(f"/annotations/{target.pk}/flag/").status_code == 200
    anonymous = client_for(None)
    for _ in range(5):
        assert anonymous.get(LOGIN).status_code == 200
        assert anonymous.get(SIGNUP).status_code == 200
    # and they did not use up the allowance
    assert annotate(client, article).status_code == 302
    assert client.post(f"/annotations/{target.pk}/flag/", {"reason": "spam"}).status_code == 302
    assert anonymous.post(LOGIN, {"username": "member", "password": "wrong"}).status_code == 200


# ---------------------------------------------------------------- logging in


def login(client, username, password="wrong password"):
    return client.post(LOGIN, {"username": username, "password": password})


def test_the_eleventh_failed_login_from_one_ip_is_refused(member):
    client = client_for(None, ip="10.0.0.9")
    for i in range(10):
        response = login(client, f"someone{i}")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    assert_too_many(login(client, "someone-else"), period=15 * 60)
    # even the right password is refused from that address for now
    assert_too_many(login(client, "member", PASSWORD), period=15 * 60)
    assert "_auth_user_id" not in client.session
    # another address may still log in
    other = client_for(None, ip="10.0.0.10")
    assert login(other, "member", PASSWORD).status_code == 302
    assert other.session["_auth_user_id"] == str(member.pk)


def test_failed_logins_are_limited_per_username_across_addresses(member):
    for i in range(10):
        assert login(client_for(None, ip=f"10.1.0.{i + 1}"), "member").status_code == 200
    assert_too_many(login(client_for(None, ip="10.1.0.200"), "member", PASSWORD), period=15 * 60)
    assert login(client_for(None, ip="10.1.0.201"), "someone-else").status_code == 200


# ---------------------------------------------------------------- signing up


def signup(client, username):
    return client.post(
        SIGNUP,
        {
            "username": username,
            "email": f"{username}@example.org",
            "password1": "a-long pass phrase 42",
            "password2": "a-long pass phrase 42",
        },
    )


def test_signup_puts_the_user_in_annotators(db):
    client = client_for(None)
    response = signup(client, "newbie")
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert list(user.groups.values_list("name", flat=True)) == ["annotators"]
    assert user.email == "newbie@example.org"
    assert user.has_perm("annotations.add_annotation")
    assert not user.is_staff
    assert client.session["_auth_user_id"] == str(user.pk)
    assert tier(user) == "new"


def test_signup_is_limited_per_ip(rates, db):
    rates("signup", anonymous="100/h", ip="2/h")
    for name in ("first", "second"):
        assert signup(client_for(None, ip="10.2.0.1"), name).status_code == 302
    assert_too_many(signup(client_for(None, ip="10.2.0.1"), "third"))
    assert not get_user_model().objects.filter(username="third").exists()
    assert signup(client_for(None, ip="10.2.0.2"), "third").status_code == 302


def test_signup_default_limit(db):
    for i in range(5):
        assert signup(client_for(None, ip="10.3.0.1"), f"user{i}").status_code == 302
    assert_too_many(signup(client_for(None, ip="10.3.0.1"), "user5"))
    assert get_user_model().objects.filter(username__startswith="user").count() == 5


# ---------------------------------------------------------------- flagging


def test_flagging_is_limited(rates, article, author, member):
    rates("flag", new="2/h", member="2/h", trusted="2/h", ip="100/h")
    targets = [published_note(article, author, body=f"Note {i}.") for i in range(3)]
    client = client_for(member)
    for target in targets[:2]:
        assert client.post(f"/annotations/{target.pk}/flag/", {"reason": "spam"}).status_code == 302
    assert_too_many(client.post(f"/annotations/{targets[2].pk}/flag/", {"reason": "spam"}))
    assert Flag.objects.count() == 2
    assert not Flag.objects.filter(annotation=targets[2]).exists()


# ---------------------------------------------------------------- the client address


def test_client_ip():
    factory = RequestFactory()
    assert client_ip(factory.get("/", REMOTE_ADDR="10.9.9.9")) == "10.9.9.9"
    assert client_ip(factory.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.7")) == "203.0.113.7"


def test_behind_a_proxy_each_client_address_is_counted(rates, settings, article, member, member2):
    settings.RATELIMIT_IP_META_KEY = "accounts.ratelimits.client_ip"
    rates("annotate", member="100/h", ip="1/h")
    proxy = "10.0.0.1"  # every request arrives from the proxy
    first = client_for(member, ip=proxy)
    second = client_for(member2, ip=proxy)
    assert annotate(first, article, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 302
    assert annotate(second, article, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302
    assert annotate(second, article, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 429


def test_the_admin_login_is_limited_too(moderator):
    client = client_for(None, ip="10.4.0.1")
    for i in range(10):
        assert client.post("/admin/login/", {"username": f"someone{i}", "password": "wrong"}).status_code == 200
    assert_too_many(client.post("/admin/login/", {"username": "moderator", "password": PASSWORD}), period=15 * 60)
    assert "_auth_user_id" not in client.session
