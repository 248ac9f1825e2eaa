"""A corpus of hostile text, written into every field a user can write and rendered on every surface.

Inputs: annotation body, quote (the article's paragraphs contain each
payload, so it can be quoted), claim, tags, evidence title, excerpt and URL,
usernames, flag text, the moderator's reason, and the query strings that
pages reflect (search, filters, the annotate form's prefill).

Surfaces: the article page (every view and filter, anonymous, member and
author), permalinks, *Your annotations*, the edit, delete and flag pages, tag
and author pages, search, the admin (changelist, change pages, queue, bulk
decision page, tags, article), the Atom feeds (parsed as XML), the W3C
JSON-LD, the ClaimReview JSON-LD in the pages and the Markdown export.

HTML is checked with a real parser (``tests/security/html_safety.py``): no script but
the site's own, no ``on*`` attribute, no ``javascript:``/``data:``/
``vbscript:`` URL, no ``<svg>``/``<iframe>``/…; and where a field is shown in
full, its text appears as text.

Control and bidi characters and malformed URLs (issue 18): bidi controls and a payload of malformed URLs (as
text and as Markdown links) are in the corpus, so they reach every field and surface; control characters are
refused in every field of user text (the annotate, edit, flag, sign-up and admin forms, moderators' reasons,
filters and search), so they are tested as refusals; a malformed evidence or archived-copy URL is stored as a
valid URI that every output uses, or refused with one message.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import quote as urlquote

import factory.random
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from markdown_it import MarkdownIt

from accounts.text import normalise_url
from annotations import services
from annotations.exports.markdown_text import link_destination
from annotations.models import Annotation, Evidence, Flag, Tag
from annotations.services import EvidenceInput, QuoteInput, moderation
from articles.models import Article, Block
from tests.factories import ArticleFactory, BlockFactory, UserFactory
from tests.helpers import annotate_payload, change_form_data, row_counts
from tests.security.html_safety import assert_bidi_isolated, assert_page_is_safe, bidi_leaks, scan_html, squash

pytestmark = pytest.mark.django_db

PAYLOADS: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-slash": "<svg/onload=alert(1)//",
    "javascript-url": "javascript:alert(1)",
    "mixed-case-url": "JaVaScRiPt:alert(document.cookie)",
    "data-url": "data:text/html,<script>alert(1)</script>",
    "data-base64": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript-url": "vbscript:msgbox(1)",
    "attr-break-double": '"><script>alert(1)</script>',
    "attr-break-single": "'><svg onload=alert(1)>",
    "attr-inject": '" onmouseover="alert(1)" x="',
    "script-close": "</script><script>alert(1)</script>",
    "textarea-close": "</textarea><script>alert(1)</script>",
    "title-close": "</title><img src=x onerror=alert(1)>",
    "cdata-end": "]]><script>alert(1)</script>",
    "cdata-start": "<![CDATA[<script>alert(1)</script>]]>",
    "comment": "<!--<script>alert(1)</script>-->",
    "template": "{{7*7}} {% debug %} ${7*7} #{7*7}",
    "broken-anchor": '<a href="x',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>">',
    "md-js-link": "[click](javascript:alert(1))",
    "md-js-entity": "[click](&#106;avascript:alert(1))",
    "md-data-link": "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "md-autolink": "<javascript:alert(1)>",
    "md-image": "![x](javascript:alert(1)) ![y](https://example.org/t.png)",
    "md-html-block": "<div onclick=alert(1)>x</div>",
    "entities": "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#60;b&#62;",
    "json-break": '"}]</script>{"@type":"x","a":"',
    "unicode-escape-text": "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "rtl-override": "invoice\u202efdp.exe",
    "zero-width": "pay\u200dpal\u200c \u200bscript\ufeff",
    "line-separators": "line\u2028separator\u2029paragraph",
    "homoglyphs": "\u0430dmin \u0440\u0430yp\u0430l g\u043e\u043egle",
    "bidi-controls": "\u202bembedded\u202c \u202doverride \u2066isolate\u2069 \u200fmark\u200e end",
    "crlf-header": "x\r\nSet-Cookie: pwn=1",
    "style-expr": '<style>*{x:expression(alert(1))}</style><p style="background:url(javascript:alert(1))">',
    "math-xlink": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "astral": "\U0001f600\U0001f44d\U0001f3fd \U0001d4b3 surrogate pairs",
    # malformed URLs as text and as Markdown links: rendered as text or as valid http(s) links, never raw
    "malformed-urls": (
        "https://e.org/a b <https://[::1/x> [x](https://e x.org/%zz) [y](http:/e.org) "
        '[z](https://e.org/"onmouseover=alert(1)) https://e.org/\u202eexe.pdf'
    ),
}
NAMES = list(PAYLOADS)
# Control characters other than tab and line breaks are refused in every field of user text (accounts.text):
# posted, they are never stored, so they are tested apart (test_control_characters_are_refused_in_every_field).
CONTROLS = "bell\x07 esc\x1b[31m del\x7f vt\x0b ff\x0c c1\x85\x9b"

# Evidence URLs that are http(s) but carry markup (accepted by URLValidator).
URL_PAYLOADS = [
    'https://example.org/a"onmouseover="alert(1)',
    "https://example.org/</script><script>alert(1)</script>",
    "https://example.org/?x=<svg/onload=alert(1)>",
    'https://example.org/"><svg/onload=alert(1)>',
    "https://example.org/a b/ü?q=<x>#\u202e",
]
# what they are stored as: percent-encoded to valid URIs, once, at input (accounts.text.normalise_url)
URL_STORED = [normalise_url(url) for url in URL_PAYLOADS]
# Refused as evidence (or archived copy) URLs.
BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://example.org/file",
    "mailto:someone@example.org",
    "file:///etc/passwd",
    # a right-to-left override in the host name is no host name (the path may carry one, percent-encoded)
    "https://exa\u202emple.org/rtl",
]
# Tags the validator accepts although they look odd.
ODD_TAGS = ["a'b", "x&y", "c++", "ünï cödé", "翻译", "1.0", "tag-with-dash", "ǅ digraph"]

HOSTILE_TITLE = "Title <script>alert('t')</script> & “quotes” </title><svg onload=alert(1)> ]]>"
# Usernames the sign-up form refuses, written through the ORM (as an import or a shell might).
ORM_USERNAMES = ["<svg onload=alert(1)>", "\u202eevil.exe", '"><img src=x onerror=alert(1)>']
UNICODE_USERNAME = "Zoë_Ωmega-ñandú"

MARKUP = re.compile(r"[<>]")


def paragraph_text(i: int, payload: str) -> str:
    return f"Paragraph {i} opens. {payload} Closing words {i}."


def text_shown(payload: str) -> str:
    return squash(payload)


def assert_no_raw_payloads(html: str, payloads, *, where: str) -> None:
    """A payload holding < or > never appears verbatim: it was escaped wherever it went.

    (A lone `"` is harmless in text; in an attribute the scanner would see the injected attribute.)
    """
    for payload in payloads:
        if MARKUP.search(payload):
            assert payload not in html, f"{where}: raw payload {payload!r}"


# --------------------------------------------------------------------------- the corpus


@dataclass
class Corpus:
    article: Article
    author: object
    moderator: object
    checks: dict[str, Annotation] = field(default_factory=dict)  # approved fact-checks, one per payload
    notes: dict[str, Annotation] = field(default_factory=dict)  # approved notes, flagged with the payload
    rejected: dict[str, Annotation] = field(default_factory=dict)  # rejected notes, the reason is the payload
    odd_users: list = field(default_factory=list)
    odd_notes: list = field(default_factory=list)

    @property
    def public(self) -> list[Annotation]:
        return [*self.checks.values(), *self.notes.values(), *self.odd_notes]


def _user(username, *groups, staff=False):
    return UserFactory(username=username, email="x@example.org", groups=list(groups), staff=staff)


def build_corpus() -> Corpus:
    """Every payload in every field, through the services (validation, rendering, moderation)."""
    factory.random.reseed_random("xss-corpus")  # built once per module: its own Faker seed
    author = _user("corpus-author", "annotators")
    flagger = _user("corpus-flagger", "annotators")
    moderator = _user("corpus-moderator", "moderators", staff=True)
    article = ArticleFactory(
        title=HOSTILE_TITLE, dek=HOSTILE_TITLE, slug="hostile", source__publisher_name=HOSTILE_TITLE, paragraphs=0
    )
    # paragraphs k001, k002, … in order
    blocks = [
        BlockFactory(article=article, text=paragraph_text(i, payload))
        for i, payload in enumerate([*PAYLOADS.values(), "The last paragraph."])
    ]
    data = Corpus(article=article, author=author, moderator=moderator)
    for i, (name, payload) in enumerate(PAYLOADS.items()):
        key = blocks[i].key
        evidence = [
            EvidenceInput(
                url=f"https://example.org/e{i}",
                title=payload,
                excerpt=payload,
                archived_url=f"https://archive.example.org/{i}",
            )
        ]
        if i == 0:
            evidence += [
                EvidenceInput(url=url, title=f"URL payload {n}", archived_url=url) for n, url in enumerate(URL_PAYLOADS)
            ]
        check = services.create_annotation(
            author=author,
            article=article,
            block_key=key,
            kind="fact_check",
            body=payload,
            tags=[ODD_TAGS[i % len(ODD_TAGS)]],
            quote=QuoteInput(exact=payload),
            claim=f"Claim {payload}",
            verdict="misleading",
            evidence=evidence,
        )
        data.checks[name] = moderation.approve(annotation=check, actor=moderator)
        note = services.create_annotation(
            author=author, article=article, block_key=key, kind="note", body=payload, tags=["plain"]
        )
        data.notes[name] = moderation.approve(annotation=note, actor=moderator)
        moderation.flag_annotation(annotation=note, reporter=flagger, reason="other", text=payload)
        rejected = services.create_annotation(
            author=author, article=article, block_key=key, kind="note", body=f"Rejected {payload}"
        )
        data.rejected[name] = moderation.reject(annotation=rejected, actor=moderator, reason=payload)
    odd_users = [UserFactory(username=name, email="") for name in ORM_USERNAMES]
    odd_users.append(_user(UNICODE_USERNAME, "trusted annotators"))
    for user in odd_users:
        note = services.create_annotation(
            author=user, article=article, block_key=blocks[-1].key, kind="note", body="By an odd name."
        )
        if note.status != "approved":
            note = moderation.approve(annotation=note, actor=moderator)
        data.odd_notes.append(note)
    data.odd_users = odd_users
    return data


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker) -> Corpus:
    """Built once per module inside an outer transaction (each test runs in a savepoint of it), rolled back at the end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build_corpus()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def logged_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def get_ok(client: Client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response


# --------------------------------------------------------------------------- input paths


@pytest.fixture
def payload_article(request, make_article, set_text):
    """An article whose first paragraph holds the test's payload (so it can be quoted)."""
    name = request.node.callspec.params["name"]
    article = make_article(title="Payload paragraph", slug="payloads", paragraphs=1)
    set_text(article, "k001", paragraph_text(0, PAYLOADS[name]))
    return article


def annotate_data(**fields) -> dict:
    """The annotate form's payload for a fact-check with one source (tests/helpers.py)."""
    return annotate_payload(
        **{
            "kind": "fact_check",
            "verdict": "misleading",
            "evidence": [{"url": "https://example.org/source", "title": "A source"}],
            **fields,
        }
    )


@pytest.mark.parametrize("name", NAMES)
def test_payload_round_trips_through_the_annotate_and_edit_forms(name, client, author, payload_article, no_rate_limits):
    """Posted into body, quote, claim, evidence title and excerpt: stored as data, shown as text."""
    payload = PAYLOADS[name]
    client.force_login(author)
    url = f"/articles/{payload_article.slug}/p/k001/annotate/"
    response = client.post(
        url,
        annotate_data(
            body=payload,
            quote=payload,
            claim=f"Claim {payload}",
            **{"evidence-0-title": payload, "evidence-0-excerpt": payload},
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    annotation = Annotation.objects.get(article=payload_article)
    assert annotation.quote == payload
    assert annotation.claim == f"Claim {payload}".strip()
    assert annotation.body == payload.strip()
    evidence = annotation.evidence.get()
    assert evidence.title == payload.strip() and evidence.excerpt == payload.strip()

    # the edit form puts every value back into inputs and textareas
    edit = get_ok(client, f"/annotations/{annotation.pk}/edit/")
    html = edit.content.decode()
    scan = assert_page_is_safe(html, where=f"edit form {name}")
    assert_no_raw_payloads(html, [payload], where="edit form")
    textareas = [values for tag, values in scan.elements if tag == "textarea"]
    assert {"quote", "body", "claim"} <= {t.get("name") for t in textareas}
    assert text_shown(payload) in squash(scan.text)
    # the author's own pages show it pending, safely
    for page in (f"/annotations/{annotation.pk}/", "/accounts/annotations/"):
        page_html = get_ok(client, page).content.decode()
        assert_page_is_safe(page_html, where=f"{page} {name}")
        assert_no_raw_payloads(page_html, [payload], where=page)


@pytest.mark.parametrize(
    "fields",
    [
        {"body": CONTROLS},
        {"quote": CONTROLS},
        {"claim": f"Claim {CONTROLS}"},
        {"tags": f"budget, {CONTROLS}"},
        {"evidence-0-title": CONTROLS},
        {"evidence-0-excerpt": CONTROLS},
    ],
    ids=["body", "quote", "claim", "tags", "evidence title", "evidence excerpt"],
)
def test_control_characters_are_refused_in_every_field(fields, client, author, make_article, no_rate_limits):
    """Refused with the message on the form (400), nothing written; the form comes back safe."""
    article = make_article(title="Control characters", slug="controls", paragraphs=1)
    client.force_login(author)
    before = row_counts()
    response = client.post(f"/articles/{article.slug}/p/k001/annotate/", annotate_data(**fields))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Remove the invisible control character U+0007" in html
    assert_page_is_safe(html, where=f"refused {fields}")
    assert row_counts() == before


@pytest.mark.parametrize("name", NAMES)
def test_payload_reflected_by_the_annotate_prefill_and_the_error_page(
    name, client, author, payload_article, no_rate_limits
):
    payload = PAYLOADS[name]
    client.force_login(author)
    url = f"/articles/{payload_article.slug}/p/k001/annotate/"
    for query in (
        {"quote": payload},
        {"quote": payload, "start": "1", "end": "5", "unit": "utf16", "kind": payload, "fragment": "1"},
    ):
        response = client.get(url, query)
        assert response.status_code == 200
        assert_page_is_safe(response.content.decode(), where=f"prefill {name}")
        assert_no_raw_payloads(response.content.decode(), [payload], where="prefill")
    # a refused post (a fact-check without a verdict) shows everything back: 400, nothing written
    before = row_counts()
    response = client.post(
        url,
        annotate_data(
            kind="fact_check",
            verdict="",
            body=payload,
            quote=payload,
            claim=payload,
            tags=payload,
            **{"evidence-0-title": payload, "evidence-0-url": payload},
        ),
    )
    assert response.status_code == 400
    assert row_counts() == before
    html = response.content.decode()
    assert_page_is_safe(html, where=f"error page {name}")
    assert_no_raw_payloads(html, [payload], where="error page")


@pytest.mark.parametrize("field_name", ["body", "quote", "claim", "evidence-0-title", "evidence-0-excerpt", "tags"])
def test_nul_characters_are_refused_cleanly(field_name, client, author, article, no_rate_limits):
    """Forms refuse NUL (PostgreSQL text cannot hold it): a clean 400, nothing written."""
    client.force_login(author)
    before = row_counts()
    response = client.post(f"/articles/{article.slug}/p/k001/annotate/", annotate_data(**{field_name: "nul\x00byte"}))
    assert response.status_code == 400
    assert row_counts() == before
    assert_page_is_safe(response.content.decode(), where="nul")


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("which", ["url", "archived_url"])
def test_evidence_urls_must_be_http(which, url, client, author, article, no_rate_limits):
    client.force_login(author)
    before = row_counts()
    fields = {f"evidence-0-{which}": url}
    response = client.post(f"/articles/{article.slug}/p/k001/annotate/", annotate_data(**fields))
    assert response.status_code == 400, response.status_code
    assert row_counts() == before
    html = response.content.decode()
    assert_page_is_safe(html, where=f"bad url {url!r}")
    assert "errorlist" in html


def test_evidence_urls_are_also_checked_by_the_service(author, article):
    """The service refuses non-http URLs even if a caller skipped the form."""
    from django.core.exceptions import ValidationError

    for url in BAD_URLS:
        with pytest.raises(ValidationError):
            services.create_annotation(
                author=author,
                article=article,
                block_key="k001",
                kind="fact_check",
                body="b",
                verdict="false",
                evidence=[EvidenceInput(url=url, title="t")],
            )
    assert not Annotation.objects.exists()


# The payloads the tag validator accepts (letters and white space only, once normalised); every other one is refused.
ACCEPTED_AS_TAGS = {"line-separators", "homoglyphs"}


@pytest.mark.parametrize("name", NAMES)
def test_hostile_tags_are_refused_cleanly(name, client, author, article, moderator, no_rate_limits):
    """Refused with a clean 400 and nothing written; or, for letters and spaces only, normalised and safe."""
    from annotations.tagging import _TAG_RE, normalise_tag

    payload = PAYLOADS[name]
    client.force_login(author)
    before = row_counts()
    tags_before = Tag.objects.count()
    response = client.post(
        f"/articles/{article.slug}/p/k001/annotate/",
        annotate_data(kind="note", verdict="", evidence=[], tags=f"ok, {payload}"),
    )
    html = response.content.decode()
    assert_page_is_safe(html, where=f"tag {name}")
    assert_no_raw_payloads(html, [payload], where="tag error")
    if name not in ACCEPTED_AS_TAGS:
        assert response.status_code == 400, response.status_code
        assert row_counts() == before and Tag.objects.count() == tags_before
        assert "errorlist" in html
        return
    # accepted: only what the validator allows (letters such as homoglyphs, white space normalised)
    assert response.status_code == 302, html[:2000]
    assert not MARKUP.search(payload) and _TAG_RE.match(normalise_tag(payload)), name
    annotation = Annotation.objects.get()
    moderation.approve(annotation=annotation, actor=moderator)
    names = {t.name for t in annotation.tags.all()}
    assert names == {"ok", normalise_tag(payload)}
    for tag in annotation.tags.all():
        assert_page_is_safe(get_ok(Client(), tag.get_absolute_url()).content.decode(), where=f"tag page {name}")
    assert_page_is_safe(get_ok(Client(), "/tags/").content.decode(), where="tag index")


def test_the_tag_filter_accepts_unicode_tag_slugs(client, article, make_annotation):
    annotation = make_annotation(article=article, tags=["翻译", "ünï cödé"])
    for tag in annotation.tags.all():
        page = client.get(f"/articles/{article.slug}/")
        assert f'value="{tag.slug}"' in page.content.decode()  # offered by the filter
        assert client.get(f"/articles/{article.slug}/", {"tag": tag.slug}).status_code == 200


def test_odd_but_valid_tags_are_accepted_and_rendered_safely(client, author, article, moderator, no_rate_limits):
    client.force_login(author)
    response = client.post(
        f"/articles/{article.slug}/p/k001/annotate/",
        annotate_data(kind="note", verdict="", evidence=[], tags=", ".join(ODD_TAGS)),
    )
    assert response.status_code == 302
    annotation = Annotation.objects.get()
    moderation.approve(annotation=annotation, actor=moderator)
    assert sorted(t.name for t in annotation.tags.all()) == sorted(t.lower() for t in ODD_TAGS)
    anonymous = Client()
    pages = ["/tags/", f"/articles/{article.slug}/", f"/annotations/{annotation.pk}/"]
    pages += [t.get_absolute_url() for t in annotation.tags.all()]
    pages += [f"/articles/{article.slug}/?tag={urlquote(t.slug)}" for t in annotation.tags.all() if t.slug.isascii()]
    scans = {url: assert_page_is_safe(get_ok(anonymous, url).content.decode(), where=url) for url in pages}
    for tag in annotation.tags.all():
        assert tag.name in squash(scans[f"/annotations/{annotation.pk}/"].text)
        assert tag.name in squash(scans["/tags/"].text)
    assert Tag.objects.filter(slug="").count() == 0


@pytest.mark.parametrize("tag", ["_", "__", "_._", "_&_"])
def test_a_tag_without_letters_or_digits_is_refused(tag, client, author, article, no_rate_limits):
    """A tag must start with a letter or digit (else its slug would be empty): refused, and nothing breaks."""
    client.force_login(author)
    before = row_counts()
    response = client.post(
        f"/articles/{article.slug}/p/k001/annotate/",
        annotate_data(kind="note", verdict="", evidence=[], tags=tag, visibility="private"),
    )
    assert response.status_code == 400
    assert f"“{tag}” is not a valid tag" in unescape(response.content.decode())
    assert row_counts() == before
    # the author's own article page still renders
    client.raise_request_exception = False
    assert client.get(f"/articles/{article.slug}/").status_code == 200


def test_signup_accepts_unicode_letters_and_refuses_markup_and_bidi_controls(client, db, no_rate_limits):
    response = client.post(
        "/accounts/signup/",
        {
            "username": UNICODE_USERNAME,
            "email": "zoe@example.org",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username=UNICODE_USERNAME).exists()
    client.logout()
    for i, username in enumerate([*ORM_USERNAMES, "a\u200db", "null\x00", "x" * 151, "a/b", "  "]):
        before = row_counts()
        response = Client().post(
            "/accounts/signup/",
            {
                "username": username,
                "email": f"u{i}@example.org",
                "password1": "a-long-pass-phrase-42",
                "password2": "a-long-pass-phrase-42",
            },
        )
        assert response.status_code == 400, username
        assert row_counts() == before
        html = response.content.decode()
        assert_page_is_safe(html, where=f"signup {username!r}")
        assert_no_raw_payloads(html, [username], where="signup")


def test_flag_text_is_shown_as_text_to_moderators(
    client, article, make_annotation, other_user, moderator, no_rate_limits
):
    annotations = [make_annotation(article=article, body=f"Note {i}") for i in range(len(PAYLOADS))]
    client.force_login(other_user)
    for annotation, payload in zip(annotations, PAYLOADS.values(), strict=True):
        response = client.post(f"/annotations/{annotation.pk}/flag/", {"reason": "other", "text": payload})
        assert response.status_code == 302, payload
    assert Flag.objects.count() == len(PAYLOADS)
    client.force_login(moderator)
    texts, url = [], "/admin/annotations/annotation/queue/"
    while url:  # every page of the queue (keyset: "Next page" until there is none)
        response = get_ok(client, url)
        html = response.content.decode()
        texts.append(assert_page_is_safe(html, where="queue", admin=True).text)
        assert_no_raw_payloads(html, PAYLOADS.values(), where="queue")
        after = response.context["next_after"]
        url = f"/admin/annotations/annotation/queue/?after={after}" if after else ""
    for payload in PAYLOADS.values():
        assert any(squash(payload.strip()) in squash(text) for text in texts)
    for annotation in annotations[:5]:
        html = get_ok(client, f"/admin/annotations/annotation/{annotation.pk}/change/").content.decode()
        assert_page_is_safe(html, where="change page", admin=True)
        assert_no_raw_payloads(html, PAYLOADS.values(), where="change page")


# --------------------------------------------------------------------------- HTML surfaces


def public_urls(corpus: Corpus) -> list[str]:
    slug = corpus.article.slug
    base = f"/articles/{slug}/"
    urls = [
        base,
        *(
            f"{base}?{q}"
            for q in (
                "view=annotated",
                "view=fact-checks",
                "view=clean",
                "kind=note",
                "kind=fact_check",
                "verdict=misleading",
                "view=fact-checks&verdict=misleading&kind=fact_check",
                "author=author",
            )
        ),
    ]
    # ASCII slugs only: see test_the_tag_filter_accepts_unicode_tag_slugs
    urls += [f"{base}?tag={urlquote(t.slug)}" for t in Tag.objects.all() if t.slug.isascii()]
    urls += [f"{base}?author={urlquote(u.username)}" for u in corpus.odd_users]
    urls += ["/", "/tags/", *(t.get_absolute_url() for t in Tag.objects.all())]
    urls += [f"/users/{urlquote(u.username, safe='')}/" for u in [*corpus.odd_users, corpus.author]]
    urls += ["/search/?q=alert", "/search/?q=Claim", "/search/?q=paragraph"]
    return urls


def test_public_pages_are_safe_for_anonymous_and_members(corpus, other_user):
    payloads = list(PAYLOADS.values())
    urls = public_urls(corpus)
    member_urls = [urls[0], urls[2], "/tags/", "/search/?q=alert"]  # the member audience's own cached page
    for who, client, pages in (("anonymous", Client(), urls), ("member", logged_in(other_user), member_urls)):
        for url in pages:
            html = get_ok(client, url).content.decode()
            assert_page_is_safe(html, where=f"{who} {url}")
            assert_no_raw_payloads(html, [*payloads, HOSTILE_TITLE, *ORM_USERNAMES], where=f"{who} {url}")


def test_the_article_page_shows_every_field_as_text(corpus):
    html = get_ok(Client(), f"/articles/{corpus.article.slug}/").content.decode()
    scan = assert_page_is_safe(html, where="article")
    text = squash(scan.text)
    for payload in PAYLOADS.values():
        assert text_shown(payload) in text  # quote, paragraph, claim, evidence title
        assert text_shown(f"Claim {payload}") in text
    for name in ODD_TAGS:
        assert name.lower() in text
    for user in corpus.odd_users:
        assert squash(user.username) in text
    assert squash(HOSTILE_TITLE) in text
    # {{7*7}} was not evaluated by any template engine
    assert "{{7*7}}" in text


@pytest.mark.parametrize("kind", ["checks", "notes"])
def test_permalinks_show_every_field_as_text(kind, corpus, other_user):
    client = logged_in(other_user)
    for name, annotation in getattr(corpus, kind).items():
        html = get_ok(client, f"/annotations/{annotation.pk}/").content.decode()
        scan = assert_page_is_safe(html, where=f"permalink {name}")
        assert_no_raw_payloads(html, [PAYLOADS[name], HOSTILE_TITLE], where=f"permalink {name}")
        text = squash(scan.text)
        if kind == "checks":
            assert text_shown(PAYLOADS[name]) in text
            assert text_shown(f"Claim {PAYLOADS[name]}") in text
        # the flag page (other_user has not flagged the fact-checks; the notes they flagged answer 200 too)
        flag_html = get_ok(client, f"/annotations/{annotation.pk}/flag/").content.decode()
        assert_page_is_safe(flag_html, where=f"flag page {name}")


def test_search_reflects_hostile_queries_as_text(corpus):
    client = Client()
    for name, payload in PAYLOADS.items():
        response = client.get("/search/", {"q": payload})
        assert response.status_code == 200, name  # any text may be searched for (no payload holds NUL)
        html = response.content.decode()
        scan = assert_page_is_safe(html, where=f"search {name}")
        assert_no_raw_payloads(html, [payload], where=f"search {name}")
        if payload.strip():
            search_box = [v for t, v in scan.elements if t == "input" and v.get("name") == "q"]
            assert search_box and search_box[0].get("value") == payload


# A filter value that is not one of its choices (or not a tag slug) is a 400; an unknown author shows nothing (200).
FILTER_STATUS = {"view": 400, "kind": 400, "verdict": 400, "tag": 400, "author": 200}


def test_bad_filters_reflect_their_value_as_text(corpus):
    client = Client()
    for name, payload in PAYLOADS.items():
        if not MARKUP.search(payload):
            continue
        for param, status in FILTER_STATUS.items():
            response = client.get(f"/articles/{corpus.article.slug}/", {param: payload})
            assert response.status_code == status, (name, param, response.status_code)
            html = response.content.decode()
            assert_page_is_safe(html, where=f"filter {param}={name}")
            assert_no_raw_payloads(html, [payload], where=f"filter {param}={name}")


def test_login_and_signup_reflect_next_safely(db):
    client = Client()
    for payload in [*PAYLOADS.values(), "//evil.example/", "https://evil.example/"]:
        for url in ("/accounts/login/", "/accounts/signup/"):
            response = client.get(url, {"next": payload})
            assert response.status_code == 200
            html = response.content.decode()
            assert_page_is_safe(html, where=f"{url} next={payload!r}")
            assert_no_raw_payloads(html, [payload], where=url)


def test_the_authors_own_pages_are_safe(corpus):
    client = logged_in(corpus.author)
    urls = [
        f"/articles/{corpus.article.slug}/",
        "/accounts/annotations/",
        f"/articles/{corpus.article.slug}/?view=fact-checks",
    ]
    for group in (corpus.rejected, corpus.checks):
        for annotation in list(group.values())[::3]:
            urls += [
                f"/annotations/{annotation.pk}/",
                f"/annotations/{annotation.pk}/edit/",
                f"/annotations/{annotation.pk}/delete/",
            ]
    payloads = [*PAYLOADS.values(), HOSTILE_TITLE]
    for url in urls:
        html = get_ok(client, url).content.decode()
        assert_page_is_safe(html, where=url)
        assert_no_raw_payloads(html, payloads, where=url)
    # the moderator's reasons are shown to the author, as text
    mine = assert_page_is_safe(get_ok(client, "/accounts/annotations/").content.decode())
    article_page = assert_page_is_safe(get_ok(client, f"/articles/{corpus.article.slug}/").content.decode())
    for payload in PAYLOADS.values():
        assert text_shown(payload) in squash(article_page.text)
        assert squash(payload)[:20] in squash(mine.text)


def test_admin_pages_are_safe(corpus, moderator, superuser):
    payloads = [*PAYLOADS.values(), HOSTILE_TITLE, *ORM_USERNAMES]
    for user in (moderator, superuser):
        client = logged_in(user)
        urls = [
            "/admin/",
            "/admin/annotations/annotation/",
            "/admin/annotations/annotation/queue/",
            "/admin/annotations/annotation/?flagged=open",
            "/admin/annotations/annotation/?status__exact=rejected",
            "/admin/annotations/tag/",
            f"/admin/articles/article/{corpus.article.pk}/change/",
            "/admin/articles/article/",
        ]
        urls += [f"/admin/annotations/annotation/?q={urlquote(p)}" for p in list(PAYLOADS.values())[:12]]
        urls += [f"/admin/annotations/annotation/?tag={urlquote(t.slug)}" for t in Tag.objects.all()]
        queued = list(
            Annotation.objects.filter(open_flag_count__gt=0).order_by("created_at", "pk").values_list("pk", flat=True)
        )
        urls += [f"/admin/annotations/annotation/queue/?after={queued[len(queued) // 2]}"]
        # change pages are slow to render: every other fact-check, every fourth flagged note, the odd names
        sample = [*list(corpus.checks.values())[::2], *list(corpus.notes.values())[::4], *corpus.odd_notes]
        for annotation in sample if user == moderator else sample[::6]:
            urls.append(f"/admin/annotations/annotation/{annotation.pk}/change/")
        for url in urls:
            html = get_ok(client, url).content.decode()
            assert_page_is_safe(html, where=f"{user} {url}", admin=True)
            assert_no_raw_payloads(html, payloads, where=f"{user} {url}")
        # the bulk decision page lists titles and echoes the action name
        response = client.post(
            "/admin/annotations/annotation/",
            {
                "action": "bulk_reject",
                "_selected_action": [a.pk for a in corpus.checks.values()],
                "index": "0",
            },
        )
        assert response.status_code == 200
        assert_page_is_safe(response.content.decode(), where="bulk decision", admin=True)
        assert_no_raw_payloads(response.content.decode(), payloads, where="bulk decision")
    # the queue shows the flag texts in full
    queue = assert_page_is_safe(
        get_ok(logged_in(moderator), "/admin/annotations/annotation/queue/").content.decode(), admin=True
    )
    assert any(squash(p) in squash(queue.text) for p in PAYLOADS.values())


# --------------------------------------------------------------------------- Atom feeds

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_ELEMENTS = {
    f"{ATOM}{n}"
    for n in (
        "feed",
        "title",
        "subtitle",
        "link",
        "id",
        "updated",
        "author",
        "name",
        "entry",
        "published",
        "category",
        "content",
        "summary",
        "uri",
        "email",
        "rights",
    )
}


def check_feed(content: bytes, *, where: str) -> list[ET.Element]:
    root = ET.fromstring(content)  # well-formed XML or this raises
    assert root.tag == f"{ATOM}feed", where
    unknown = {el.tag for el in root.iter()} - ATOM_ELEMENTS
    assert not unknown, f"{where}: elements {unknown}"  # no <script> etc. from user text
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for text_element in ("title", "author/" + ATOM + "name"):
            el = entry.find(f"{ATOM}{text_element}")
            assert el is not None and len(el) == 0, where  # plain text, no child elements
        content_el = entry.find(f"{ATOM}content")
        assert content_el is not None and content_el.get("type") == "html" and len(content_el) == 0
        entry_html = content_el.text or ""
        scan = scan_html(entry_html)
        assert not scan.problems, f"{where}: {scan.problems}"
        assert not [s for s in scan.elements if s[0] == "script"], where
        assert_no_raw_payloads(entry_html, PAYLOADS.values(), where=f"{where} entry content")
        for category in entry.findall(f"{ATOM}category"):
            assert set(category.attrib) <= {"term", "scheme", "label"}
    return entries


def test_atom_feeds_carry_payloads_as_escaped_text(corpus):
    client = Client()
    article_feed = client.get(f"/articles/{corpus.article.slug}/feed/")
    assert article_feed.status_code == 200
    entries = check_feed(article_feed.content, where="article feed")
    assert len(entries) == len(corpus.public)
    fact_feed = client.get("/fact-checks/feed/")
    assert fact_feed.status_code == 200
    assert len(check_feed(fact_feed.content, where="fact-check feed")) == len(corpus.checks)
    # the payloads are there, as text: every claim and evidence title in some entry's content
    all_text = "".join(
        scan_html(e.find(f"{ATOM}content").text).text + (e.find(f"{ATOM}title").text or "") for e in entries
    )
    for name, payload in PAYLOADS.items():
        assert text_shown(f"Claim {payload}") in squash(all_text), name
    names = {e.find(f"{ATOM}author/{ATOM}name").text for e in entries}
    assert {"<svg onload=alert(1)>", "\u202eevil.exe", UNICODE_USERNAME} <= names
    terms = {c.get("term") for e in entries for c in e.findall(f"{ATOM}category")}
    assert {t.lower() for t in ODD_TAGS} <= terms


# --------------------------------------------------------------------------- W3C JSON-LD


def test_w3c_annotations_carry_payloads_as_data(corpus):
    client = Client()
    for name, annotation in corpus.checks.items():
        response = client.get(f"/annotations/{annotation.pk}.jsonld")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/ld+json")
        data = json.loads(response.content)
        payload = PAYLOADS[name]
        bodies = {b.get("purpose"): b for b in data["body"] if b.get("type") == "TextualBody"}
        assert bodies["commenting"]["value"] == payload.strip()
        assert bodies["describing"]["value"] == f"Claim {payload}"
        linking = [b for b in data["body"] if b.get("purpose") == "linking"]
        assert linking[0]["source"]["label"] == payload and linking[0]["selector"]["exact"] == payload
        fragment, alternative = data["target"]["selector"]
        assert fragment["refinedBy"][0]["exact"] == alternative["exact"] == payload
        assert data["creator"]["nickname"] == corpus.author.username
    first = corpus.checks[NAMES[0]]
    data = json.loads(client.get(f"/annotations/{first.pk}.jsonld").content)
    urls = {b["source"]["id"] for b in data["body"] if b.get("purpose") == "linking"}
    assert set(URL_STORED) <= urls  # http(s) URLs, kept as data in their stored (normalised) form
    for note in corpus.odd_notes:
        data = json.loads(client.get(f"/annotations/{note.pk}.jsonld").content)
        assert data["creator"]["nickname"] == note.author.username


def test_w3c_collection_is_valid_json_with_every_public_annotation(corpus, settings):
    settings.ANNOTATIONS_W3C_PAGE_SIZE = 25
    client = Client()
    collection = json.loads(client.get(f"/articles/{corpus.article.slug}/annotations/").content)
    assert collection["total"] == len(corpus.public)
    assert collection["label"].endswith(")") and HOSTILE_TITLE in collection["label"]
    seen = []
    page = 0
    while True:
        response = client.get(f"/articles/{corpus.article.slug}/annotations/", {"page": page})
        if response.status_code == 404:
            break
        data = json.loads(response.content)
        seen += [item["id"] for item in data["items"]]
        page += 1
    assert len(seen) == len(set(seen)) == len(corpus.public)


# --------------------------------------------------------------------------- ClaimReview in pages


def claim_review_blocks(html: str) -> list:
    raw = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S | re.I)
    for content in raw:
        assert "<" not in content and ">" not in content, content[:200]
    return [json.loads(content) for content in raw]


def test_claim_review_json_ld_round_trips_and_cannot_close_its_element(corpus):
    client = Client()
    html = get_ok(client, f"/articles/{corpus.article.slug}/").content.decode()
    assert_page_is_safe(html, where="article")
    blocks = claim_review_blocks(html)
    assert len(blocks) == 1
    reviews = blocks[0] if isinstance(blocks[0], list) else [blocks[0]]
    claims = {review["claimReviewed"] for review in reviews}
    assert claims == {squash(f"Claim {p}") for p in PAYLOADS.values()}
    assert {r["itemReviewed"]["appearance"]["headline"] for r in reviews} == {HOSTILE_TITLE}
    for name, annotation in corpus.checks.items():
        page = get_ok(client, f"/annotations/{annotation.pk}/").content.decode()
        (review,) = claim_review_blocks(page)
        assert review["claimReviewed"] == squash(f"Claim {PAYLOADS[name]}")
    # notes and unpublished checks have none
    for annotation in list(corpus.notes.values())[:3]:
        assert claim_review_blocks(get_ok(client, f"/annotations/{annotation.pk}/").content.decode()) == []


# --------------------------------------------------------------------------- Markdown export

LINK_DESTINATION = re.compile(r"(?<!\\)\]\(\s*<?([^)\s>]*)")  # a "]" not escaped with "\\"


def test_markdown_export_is_inert(corpus):
    response = Client().get(f"/articles/{corpus.article.slug}/export.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert "<script" not in text.lower()
    # no raw HTML from user text: the only "<" starts the module's own autolink
    raw_tags = [m.group(0) for m in re.finditer(r"<(?!https?://)[A-Za-z/!?]", text)]
    assert not raw_tags, raw_tags[:10]
    for destination in LINK_DESTINATION.findall(text):
        assert re.match(r"(?i)^(https?:|mailto:)", destination), destination
    assert not re.search(r"(?i)(?<!\\)\]\(\s*<?\s*(javascript|data|vbscript):", text)
    # rendered by a CommonMark renderer that allows raw HTML, it is still inert; plain CommonMark has no
    # footnotes and reads their indented bodies as code, so render them unindented as well (as Markdown)
    unindented = re.sub(r"(?m)^    ", "", text)
    allowed = {"h1", "h2", "p", "em", "strong", "a", "ul", "ol", "li", "blockquote", "br", "code", "hr", "pre"}
    for source in (text, unindented):
        rendered = MarkdownIt("commonmark").render(source)
        scan = scan_html(rendered)
        # the one known escape (test_markdown_export_writes_no_images_of_its_own): "!" before a body link
        problems = [
            p for p in scan.problems if not p.startswith("<img> not from /static/: {'src': 'https://example.org/t.png'")
        ]
        assert not problems, problems
        assert not [
            e
            for e in scan.elements
            if e[0] not in allowed and e != ("img", {"src": "https://example.org/t.png", "alt": "y"})
        ]
    for payload in (
        "<script>alert(1)</script>",
        "{{7*7}}",
        '"><script>alert(1)</script>',
        "Claim </textarea><script>alert(1)</script>",
    ):
        assert payload in scan.text
    # every author made it, as text
    for user in corpus.odd_users:
        assert squash(user.username) in squash(scan.text)


@pytest.mark.parametrize(
    "body", ["![y](https://tracker.example/pixel.png)", "Look!<https://tracker.example/pixel.png>"]
)
def test_markdown_export_writes_no_images_of_its_own(body, client, article, make_annotation):
    make_annotation(article=article, body=body)
    text = client.get(f"/articles/{article.slug}/export.md").content.decode()
    for source in (text, re.sub(r"(?m)^    ", "", text)):
        rendered = MarkdownIt("commonmark").render(source)
        assert "<img" not in rendered, [line for line in text.splitlines() if "tracker" in line]


def test_the_paragraph_text_itself_is_escaped_everywhere(corpus):
    """Editors' paragraph text carries the payloads too: escaped in HTML, inert in Markdown."""
    blocks = Block.objects.filter(article=corpus.article)
    assert all(b.text for b in blocks)
    html = get_ok(Client(), f"/articles/{corpus.article.slug}/?view=clean").content.decode()
    scan = assert_page_is_safe(html, where="clean view")
    for i, payload in enumerate(PAYLOADS.values()):
        assert squash(paragraph_text(i, payload)) in squash(scan.text)
    assert Evidence.objects.filter(url__in=URL_STORED).count() == len(URL_PAYLOADS)


# --------------------------------------------------------------------------- bidi controls and control characters
# (issue 18) Bidi controls are kept as typed and user text is isolated wherever a page shows it inline; control
# characters are refused at every input, so none reaches any output.

BIDI_NAMES = ["rtl-override", "bidi-controls"]
CONTROL_IN_OUTPUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def test_the_bidi_scanner_catches_an_unisolated_run():
    """The check below can fail: an override inlined in running text is a leak; in <bdi>, a block or dir, not."""
    # (it works on text nodes: user text is one node, escaped, between the page's own markup)
    assert bidi_leaks("<p>Claim: “<a>x\u202eabc</a>” and more</p>")
    assert bidi_leaks("<p><a>x\u202eabc</a> after</p>")
    assert not bidi_leaks("<p>Claim: “<bdi>x\u202eabc</bdi>” and more</p>")
    assert not bidi_leaks('<p>Claim: “<span dir="auto">x\u202eabc</span>”</p>')
    assert not bidi_leaks("<div><p>x\u202eabc</p> after</div>")
    assert not bidi_leaks("<p><a>closed \u202eabc\u202c</a> after</p>")
    assert not bidi_leaks('<p class="block-text"><mark>x\u202eabc</mark> the article\'s own text</p>')


def bidi_pages(corpus: Corpus) -> list[str]:
    urls = public_urls(corpus)
    for name in BIDI_NAMES:
        urls += [f"/annotations/{corpus.checks[name].pk}/", f"/annotations/{corpus.notes[name].pk}/"]
    urls += ["/search/?q=invoice", "/search/?q=override"]
    return urls


def test_bidi_user_text_is_isolated_on_every_public_page(corpus, other_user):
    """Article page (summary, cards, filters), permalinks, author and tag pages, search: every run isolated.

    The article's own paragraph text (``p.block-text``, the permalink's context) is the newsroom's, not user text.
    """
    for who, client in (("anonymous", Client()), ("member", logged_in(other_user))):
        for url in bidi_pages(corpus):
            html = get_ok(client, url).content.decode()
            assert_bidi_isolated(html, where=f"{who} {url}")
            assert not CONTROL_IN_OUTPUT.search(html), f"{who} {url}: a control character in the page"
    html = get_ok(Client(), f"/articles/{corpus.article.slug}/").content.decode()
    # kept as typed (not stripped), and the fact-check summary quotes the claim inside <bdi> (the case)
    assert "“<bdi>Claim invoice\u202efdp.exe</bdi>”" in html
    assert '<p class="claim"><strong>Claim:</strong> <bdi>Claim invoice\u202efdp.exe</bdi></p>' in html
    assert "<bdi>\u202eevil.exe</bdi>" in html  # an author name
    for name in BIDI_NAMES:
        assert squash(f"Claim {PAYLOADS[name]}") in squash(scan_html(html).text)


def test_bidi_user_text_is_isolated_on_the_authors_own_pages(corpus):
    client = logged_in(corpus.author)
    urls = ["/accounts/annotations/"]
    for name in BIDI_NAMES:
        urls += [f"/annotations/{corpus.rejected[name].pk}/", f"/annotations/{corpus.checks[name].pk}/edit/"]
    for url in urls:
        html = get_ok(client, url).content.decode()
        assert_bidi_isolated(html, where=url)
        assert not CONTROL_IN_OUTPUT.search(html), url


def test_bidi_user_text_is_isolated_in_the_admin_changelist_and_change_pages(corpus):
    client = logged_in(corpus.moderator)
    urls = ["/admin/annotations/annotation/", "/admin/annotations/annotation/?q=invoice"]
    for name in BIDI_NAMES:
        urls += [f"/admin/annotations/annotation/{a.pk}/change/" for a in (corpus.checks[name], corpus.notes[name])]
    for url in urls:
        html = get_ok(client, url).content.decode()
        assert_page_is_safe(html, where=url, admin=True)
        assert_bidi_isolated(html, where=url)
        assert not CONTROL_IN_OUTPUT.search(html), url
        assert "\u202e" in html  # kept as typed


def test_bidi_flag_text_is_isolated_in_the_moderation_queue(corpus):
    html = get_ok(logged_in(corpus.moderator), "/admin/annotations/annotation/queue/").content.decode()
    assert not CONTROL_IN_OUTPUT.search(html)
    assert_bidi_isolated(html, where="queue")


def test_bidi_controls_travel_as_data_in_feeds_json_ld_and_the_export(corpus):
    """Feeds, W3C JSON-LD, ClaimReview and the Markdown export keep the bidi controls as typed (the data),
    carry no control character, and the feeds' HTML content isolates the runs as the pages do."""
    client = Client()
    claim = f"Claim {PAYLOADS['rtl-override']}"
    entries = check_feed(get_ok(client, f"/articles/{corpus.article.slug}/feed/").content, where="article feed")
    contents = [e.find(f"{ATOM}content").text or "" for e in entries]
    assert any(claim in c for c in contents)
    for content in contents:
        assert_bidi_isolated(content, where="feed entry content")
    for url in (
        f"/articles/{corpus.article.slug}/feed/",
        "/fact-checks/feed/",
        f"/articles/{corpus.article.slug}/export.md",
    ):
        body = get_ok(client, url).content.decode()
        assert not CONTROL_IN_OUTPUT.search(body), url
        assert "\u202e" in body, url
    check = corpus.checks["rtl-override"]
    w3c = json.loads(get_ok(client, f"/annotations/{check.pk}.jsonld").content)
    assert PAYLOADS["rtl-override"] in json.dumps(w3c, ensure_ascii=False)
    collection = get_ok(client, f"/articles/{corpus.article.slug}/annotations/").content.decode()
    assert not CONTROL_IN_OUTPUT.search(collection)
    reviews = [r for r in claim_review_blocks(get_ok(client, f"/annotations/{check.pk}/").content.decode())]
    assert any(r.get("claimReviewed") == claim for r in reviews if isinstance(r, dict))


# Control characters posted anywhere else than the annotate form (tested above): refused, nothing written.
CONTROL_SAMPLES = ["\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]


@pytest.mark.parametrize("char", CONTROL_SAMPLES, ids=[f"U+{ord(c):04X}" for c in CONTROL_SAMPLES])
def test_control_characters_are_refused_by_the_edit_and_flag_forms(
    char, client, author, other_user, article, make_annotation, no_rate_limits
):
    message = f"Remove the invisible control character U+{ord(char):04X}"
    mine = make_annotation(article=article, author=author, body="Mine.")
    theirs = make_annotation(article=article, author=other_user, body="Theirs.")
    client.force_login(author)
    before, body = row_counts(), Annotation.objects.get(pk=mine.pk).body
    response = client.post(f"/annotations/{mine.pk}/edit/", annotate_payload(kind="note", body=f"new{char}body"))
    assert response.status_code == 400 and message in response.content.decode()
    assert row_counts() == before and Annotation.objects.get(pk=mine.pk).body == body
    response = client.post(f"/annotations/{theirs.pk}/flag/", {"reason": "other", "text": f"why{char}this"})
    assert response.status_code == 400 and message in response.content.decode()
    assert row_counts() == before and not Flag.objects.filter(annotation=theirs).exists()


@pytest.mark.parametrize("char", CONTROL_SAMPLES, ids=[f"U+{ord(c):04X}" for c in CONTROL_SAMPLES])
def test_control_characters_are_refused_in_the_signup_username(char, db, no_rate_limits):
    before = row_counts()
    response = Client().post(
        "/accounts/signup/",
        {
            "username": f"new{char}name",
            "email": "new@example.org",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize("char", CONTROL_SAMPLES[:4], ids=[f"U+{ord(c):04X}" for c in CONTROL_SAMPLES[:4]])
def test_control_characters_are_refused_in_the_moderation_reason(char, client, moderator, article, make_annotation):
    pending = make_annotation(article=article, status="pending")
    client.force_login(moderator)
    response = client.post(
        "/admin/annotations/annotation/decide/",
        {"annotation": pending.pk, "decision": "reject", "reason": f"bad{char}reason", "expected_status": "pending"},
    )
    assert response.status_code < 500
    pending.refresh_from_db()
    assert pending.status == "pending" and not CONTROL_IN_OUTPUT.search(pending.moderation_reason)


def test_control_characters_are_refused_in_every_moderator_reason(client, moderator, article, make_annotation):
    """The bulk actions' reason form, the flag resolution note and the re-anchoring reasons (kept in the
    history): refused with the message, nothing changed (fixed in issue 18: they were stored as sent)."""
    from django.core.exceptions import ValidationError

    from annotations.services import anchor_review

    pending = make_annotation(article=article, status="pending")
    client.force_login(moderator)
    before = row_counts()
    response = client.post(
        "/admin/annotations/annotation/",
        {"action": "bulk_reject", "_selected_action": [pending.pk], "apply": "1", "reason": "bad\x07reason"},
    )
    assert response.status_code == 200 and "Remove the invisible control character U+0007" in response.content.decode()
    assert row_counts() == before and Annotation.objects.get(pk=pending.pk).status == "pending"
    approved = make_annotation(article=article)
    for call in (
        lambda: moderation.resolve_flags(annotation=approved, actor=moderator, decision="hide", note="x\x1by"),
        lambda: anchor_review.confirm_orphan(annotation=approved, actor=moderator, reason="x\x7fy"),
        lambda: anchor_review.reattach_annotation(
            annotation=approved, actor=moderator, block_key=approved.block.key, quote="", reason="x\x85y"
        ),
    ):
        before = row_counts()
        with pytest.raises(ValidationError, match="Remove the invisible control character"):
            call()
        assert row_counts() == before


@pytest.mark.parametrize("char", CONTROL_SAMPLES, ids=[f"U+{ord(c):04X}" for c in CONTROL_SAMPLES])
def test_search_and_filters_refuse_control_characters_without_echoing_them(char, client, article):
    """Fixed in issue 18: a bad filter's message and the search box wrote the control character back into
    the page (a code point HTML forbids). Now: 400, the message names it, the page shows it as U+XXXX."""
    name = f"U+{ord(char):04X}"
    for url, query in (
        ("/search/", {"q": f"budget{char}grew"}),
        (f"/articles/{article.slug}/", {"kind": f"note{char}"}),
        (f"/articles/{article.slug}/", {"author": f"auth{char}or"}),
    ):
        response = client.get(url, query)
        assert response.status_code == 400, (url, query)
        html = response.content.decode()
        assert not CONTROL_IN_OUTPUT.search(html), (url, query)
        assert name in html
        assert_page_is_safe(html, where=f"{url} {name}")


# --------------------------------------------------------------------------- malformed URLs in the URL fields (issue 18)

# Malformed, odd or hostile URLs typed as an evidence or archived-copy URL: each is stored as a valid http(s)
# URI (percent-encoded once, at input) that every output then uses, or refused with one message on the field.
MALFORMED_URLS = [
    "https://example.org/a(b",
    "https://[example.org/x",
    "http://[::1",
    "https://example.org/a b c",
    'https://example.org/"quoted"',
    "https://example.org/<svg/onload=alert(1)>",
    "https://пример.рф/путь?q=ü",
    "https://exa mple.org/",
    "https://example.org/%",
    "https://example.org/%zz%4",
    "https://example.org/\u202eexe.pdf",
    "https://exa\u202emple.org/",
    "https://example.org/a\x07b\x1bc\x7f",  # control characters: percent-encoded, like any other
    "https://example.org/a\\b",
    "http:/example.org",
    "https:example.org",
    "https://",
    "https://user:pa ss@example.org/",
    "https://example.org:99999/",
    "https://example.org/#frag<>\u2066",
]
VALID_URI = re.compile(r"https?://[^\x00-\x20\"<>\\^`{|}\x7f-\U0010ffff]+")


def errors_shown(html: str) -> list[str]:
    items = []
    for errorlist in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, flags=re.S):
        items += re.findall(r"<li>(.*?)</li>", errorlist, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


@pytest.mark.parametrize("url", MALFORMED_URLS, ids=range(len(MALFORMED_URLS)))
@pytest.mark.parametrize("which", ["url", "archived_url"])
def test_a_malformed_url_is_stored_as_a_valid_uri_or_refused_with_one_message(
    which, url, client, author, moderator, article, no_rate_limits
):
    client.force_login(author)
    before = row_counts()
    response = client.post(f"/articles/{article.slug}/p/k001/annotate/", annotate_data(**{f"evidence-0-{which}": url}))
    html = response.content.decode()
    if response.status_code == 400:
        assert row_counts() == before
        assert len(errors_shown(html)) == 1, errors_shown(html)  # one clear message per bad URL
        assert_page_is_safe(html, where=f"refused {which} {url!r}")
        return
    assert response.status_code == 302, html[:500]
    annotation = Annotation.objects.get(article=article)
    stored = getattr(Evidence.objects.get(annotation=annotation), which)
    assert VALID_URI.fullmatch(stored), stored
    assert stored == normalise_url(url)
    annotation = moderation.approve(annotation=annotation, actor=moderator)
    client.logout()
    for page in (annotation.get_absolute_url(), f"/articles/{article.slug}/"):
        html = get_ok(client, page).content.decode()
        assert stored in [unescape(h) for h in re.findall(r'href="([^"]*)"', html)], page
        assert_page_is_safe(html, where=f"{page} {which} {url!r}")
    jsonld = json.loads(get_ok(client, f"/annotations/{annotation.pk}.jsonld").content)
    assert stored in json.dumps(jsonld, ensure_ascii=False)
    export = get_ok(client, f"/articles/{article.slug}/export.md").content.decode()
    # the stored form, as a Markdown link destination (which also percent-encodes "(" and ")")
    assert f"({link_destination(stored)})" in export and not CONTROL_IN_OUTPUT.search(export)


# --------------------------------------------------------------------------- control characters in the admin's change form


@pytest.mark.parametrize("field", ["body", "claim", "tags", "evidence-0-title", "evidence-0-excerpt"])
@pytest.mark.parametrize("char", CONTROL_SAMPLES[::3], ids=[f"U+{ord(c):04X}" for c in CONTROL_SAMPLES[::3]])
def test_control_characters_are_refused_in_the_admin_change_form(
    field, char, client, moderator, article, make_annotation
):
    """A moderator correcting an annotation in the admin meets the one rule too: the message, nothing changed."""
    check = make_annotation(article=article, kind="fact_check", quote="Paragraph 1", tags=["budget"])
    client.force_login(moderator)
    url = f"/admin/annotations/annotation/{check.pk}/change/"
    data = change_form_data(get_ok(client, url))
    data[field] = f"budget{char}grew" if field != "tags" else f"budget, tax{char}es"
    before = row_counts()
    stored = Annotation.objects.filter(pk=check.pk).values("body", "claim", "edited_at").get()
    evidence = list(Evidence.objects.filter(annotation=check).values_list("title", "excerpt"))
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"Remove the invisible control character U+{ord(char):04X}" in response.content.decode()
    assert row_counts() == before
    assert Annotation.objects.filter(pk=check.pk).values("body", "claim", "edited_at").get() == stored
    assert list(Evidence.objects.filter(annotation=check).values_list("title", "excerpt")) == evidence
    assert list(check.tags.values_list("name", flat=True)) == ["budget"]
