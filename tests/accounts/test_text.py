"""The one input-cleaning rule for user text (``accounts.text``): control characters are refused, on every form.

Tab, line feed and carriage return stay (browsers send textareas with CRLF);
bidirectional controls stay too (the pages isolate user text in ``<bdi>``).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.text import no_control_characters
from annotations.models import Annotation, Flag

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]
ACCEPTED = ["\t", "\n", "\r", " ", "\xa0", "\u200e", "\u200f", "\u202e", "\u2066", "\u2069", "é", "中"]


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_control_characters_are_refused_with_their_code_point(char):
    with pytest.raises(ValidationError) as caught:
        no_control_characters(f"before{char}after")
    assert caught.value.messages == [
        f"Remove the invisible control character U+{ord(char):04X}: text may contain line breaks and tabs, "
        "but no other control characters."
    ]


@pytest.mark.parametrize("char", ACCEPTED, ids=[f"U+{ord(c):04X}" for c in ACCEPTED])
def test_line_breaks_tabs_and_bidi_controls_are_accepted(char):
    no_control_characters(f"before{char}after")


@pytest.mark.django_db
def test_signup_refuses_a_username_with_a_control_character(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "new\x1bcomer",
            "email": "newcomer@example.org",
            "password1": "a-Long-unusual-passphrase-42",
            "password2": "a-Long-unusual-passphrase-42",
        },
    )
    assert response.status_code == 400
    assert "Remove the invisible control character U+001B" in response.content.decode()
    assert not get_user_model().objects.filter(email="newcomer@example.org").exists()


@pytest.mark.django_db
def test_a_flag_with_a_control_character_is_refused(client, article, make_annotation, other_user):
    annotation = make_annotation(article=article, status=Annotation.Status.APPROVED)
    client.force_login(other_user)
    url = reverse("annotations:annotation-flag", kwargs={"pk": annotation.pk})
    response = client.post(url, {"reason": "other", "text": "Wrong\x07 figure"})
    assert response.status_code == 400
    assert "Remove the invisible control character U+0007" in response.content.decode()
    assert not Flag.objects.exists()


@pytest.mark.django_db
def test_a_body_with_crlf_and_tabs_is_kept(client, article, author):
    client.force_login(author)
    url = reverse("annotations:annotation-create", kwargs={"slug": article.slug, "key": "k001"})
    response = client.post(
        url, {"kind": "note", "body": "Line one\r\n\tindented line two", "visibility": "public", **EMPTY_EVIDENCE}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Annotation.objects.get().body == "Line one\r\n\tindented line two"


EMPTY_EVIDENCE = {
    "evidence-TOTAL_FORMS": "0",
    "evidence-INITIAL_FORMS": "0",
    "evidence-MIN_NUM_FORMS": "0",
    "evidence-MAX_NUM_FORMS": "10",
}
