"""Two app servers behind one database and one cache behave as one site.

Both servers are gunicorn with the production settings (DEBUG off), the same
PostgreSQL database and the same Redis cache (see conftest.py for when this
runs). A request may land on either server, so:

- a session made on one is valid on the other (sessions live in the database);
- a change made through one is on the next page the other serves: the article
  body is cached in Redis under the article's version, which every write bumps
  in that same cache;
- a moderator's decision through one is visible through the other;
- rate limits count requests to both together (counters live in Redis).
"""

from __future__ import annotations

import re
import secrets
import time
import zlib

from tests.helpers import annotate_payload

ARTICLE = "/articles/altman-reflections/"
ANNOTATE = "/articles/altman-reflections/p/{key}/annotate/"


def _login(server, username, password, path="/accounts/login/", **client_kw):
    client = server.client(**client_kw)
    client.login(path, username, password)
    return client


def _on(server, cookies_from, **client_kw):
    """A client for ``server`` carrying the cookies (session, CSRF) another client got."""
    client = server.client(**client_kw)
    client.cookies.update(cookies_from.cookies)
    return client


def _paragraph_keys(deployment) -> list[str]:
    page = deployment.a.client().get(ARTICLE)
    assert page.status == 200
    return re.findall(r'class="block block-paragraph[^"]*" id="p-([a-z0-9-]+)"', page.body.decode())


def _note(body: str) -> dict:
    return annotate_payload(body=body, tags="deploy test", **{"evidence-TOTAL_FORMS": "0"})


def _fresh_ip(period: int = 60, min_left: int = 40) -> str:
    """A client address whose rate-limit window has at least ``min_left`` seconds to run.

    django-ratelimit counts in fixed windows that end at a per-key offset
    (crc32 of the key, modulo the period): choosing the address so the window
    does not roll over mid-test keeps the count deterministic.
    """
    now = int(time.time())
    for i in range(1, 255):
        ip = f"203.0.113.{i}"
        end = now - now % period + zlib.crc32(ip.encode()) % period
        if end < now:
            end += period
        if end - now >= min_left:
            return ip
    raise AssertionError("no address with a long enough window")  # cannot happen for 254 addresses


def test_session_made_on_a_is_valid_on_b(deployment):
    alice = _login(deployment.a, "alice", deployment.passwords["alice"])
    on_b = _on(deployment.b, alice)
    page = on_b.get("/accounts/annotations/")
    assert page.status == 200, f"B did not accept A's session: {page.status}"
    assert "Signed in as <strong><bdi>alice</bdi></strong>" in page.body.decode()
    anonymous = deployment.b.client().get("/accounts/annotations/")
    assert anonymous.status == 302  # the page needs the session: it was the cookie that worked


def test_annotation_created_through_a_is_on_the_next_page_b_serves(deployment):
    token = f"cross-server-note-{secrets.token_hex(6)}"
    before = deployment.b.client().get(ARTICLE)  # B renders the body and caches it in Redis
    assert before.status == 200 and token not in before.body.decode()

    key = _paragraph_keys(deployment)[1]
    alice = _login(deployment.a, "alice", deployment.passwords["alice"], forwarded_for="198.51.100.10")
    created = alice.post(ANNOTATE.format(key=key), _note(f"A note written through server A: {token}."))
    assert created.status == 302, created.body.decode()[:2000]

    after = deployment.b.client().get(ARTICLE)
    assert after.status == 200
    assert token in after.body.decode(), "B served a stale article body after A wrote an annotation"
    assert token in deployment.a.client().get(ARTICLE).body.decode()


def test_moderator_approval_through_b_is_visible_through_a(deployment):
    token = f"cross-server-check-{secrets.token_hex(6)}"
    key = _paragraph_keys(deployment)[2]
    alice = _login(deployment.a, "alice", deployment.passwords["alice"], forwarded_for="198.51.100.11")
    form = _note(f"The copy drops a hedge here: {token}.")
    form.update(
        {
            "kind": "fact_check",
            "claim": f"Claim {token}",
            "verdict": "misleading",
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-url": "https://blog.samaltman.com/reflections",
            "evidence-0-title": "The original post",
        }
    )
    created = alice.post(ANNOTATE.format(key=key), form)
    assert created.status == 302, created.body.decode()[:2000]

    pending = deployment.a.client().get(ARTICLE)  # A caches the body without the pending fact-check
    assert pending.status == 200 and token not in pending.body.decode()

    moderator = _login(deployment.b, "moderator", deployment.passwords["moderator"], path="/admin/login/")
    queue = moderator.get("/admin/annotations/annotation/queue/")
    assert queue.status == 200
    html = queue.body.decode()
    found = [
        pk
        for pk, item in re.findall(r'<article class="queue-item" id="q-(\d+)">(.*?)</article>', html, re.S)
        if token in item
    ]
    assert len(found) == 1, "the pending fact-check written through A is not in B's moderation queue"
    decided = moderator.post(
        "/admin/annotations/annotation/decide/",
        {"annotation": found[0], "decision": "approve", "expected_status": "pending", "reason": "", "next": "/admin/"},
    )
    assert decided.status == 302

    with deployment.db() as conn:
        status = conn.execute("SELECT status FROM annotations_annotation WHERE id = %s", [int(found[0])]).fetchone()[0]
    assert status == "approved"
    after = deployment.a.client().get(ARTICLE)
    assert token in after.body.decode(), "A served a stale article body after B approved the fact-check"


def test_rate_limit_counts_requests_to_both_servers(deployment):
    """RATE_LIMIT_ANNOTATE_IP=3/m: three POSTs from one address, split over A and B, pass; the fourth is refused."""
    ip = _fresh_ip()
    bob_a = _login(deployment.a, "bob", deployment.passwords["bob"], forwarded_for=ip)
    bob_b = _on(deployment.b, bob_a, forwarded_for=ip)
    keys = _paragraph_keys(deployment)
    statuses = []
    for i, client in enumerate([bob_a, bob_b, bob_a, bob_b]):
        resp = client.post(ANNOTATE.format(key=keys[3 + i]), _note(f"Rate-limited note {i + 1} from {ip}."))
        statuses.append(resp.status)
        last = resp
    assert statuses == [302, 302, 302, 429], statuses
    assert int(last.header("Retry-After")) > 0
    # the refused POST wrote nothing
    with deployment.db() as conn:
        rows = conn.execute(
            "SELECT count(*) FROM annotations_annotation WHERE body LIKE %s", [f"%from {ip}.%"]
        ).fetchone()[0]
    assert rows == 3
