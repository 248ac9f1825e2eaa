"""The write load: logged-in annotators POSTing the annotate form, as a browser does."""

from __future__ import annotations

import random
import threading
import time

from load_client import DEFAULT_TIMEOUT, Client
from load_tally import MAX_REQUESTS, Tally, cpu_seconds, summarise


def annotate_form(paragraph: dict, rng: random.Random, serial: str) -> dict:
    """The annotate form as a browser posts it: a note (mostly) or a fact-check, often on a quote."""
    text = paragraph["text"]
    data = {
        "kind": "note",
        "body": f"Benchmark note {serial}: the copy *drifts* here.",
        "tags": "bench, load",
        "visibility": "public",
        "quote": "",
        "quote_start": "",
        "quote_end": "",
        "offsets_unit": "",
        "claim": "",
        "verdict": "",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "10",
    }
    if rng.random() < 0.7:
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == " "]
        first = rng.randrange(0, max(1, len(starts) - 4))
        start, end = starts[first], starts[min(len(starts) - 1, first + rng.randint(2, 8))] - 1
        data.update(quote=text[start:end], quote_start=str(start), quote_end=str(end))
    if rng.random() < 0.2:
        data.update(
            {
                "kind": "fact_check",
                "verdict": rng.choice(["misleading", "mistranslation", "accurate"]),
                "body": f"Benchmark fact-check {serial}: the original says otherwise.",
                "evidence-TOTAL_FORMS": "1",
                "evidence-0-url": f"https://example.org/source/{serial}",
                "evidence-0-title": f"Source {serial}",
            }
        )
    return data


def run_writes(
    host: str,
    port: int,
    *,
    slug: str,
    paragraphs: list[dict],
    usernames: list[str],
    password: str,
    seconds: float = 30.0,
    max_requests: int = MAX_REQUESTS,
    login_path: str = "/accounts/login/",
) -> dict:
    """One logged-in annotator per thread, each POSTing the annotate form until the deadline."""
    clients, login_errors = [], []

    def login(username: str) -> None:
        client = Client(host, port)
        try:
            client.login(login_path, username, password)
        except Exception as exc:  # noqa: BLE001
            login_errors.append(f"{username}: {exc}")
            return
        clients.append((username, client))

    login_threads = [threading.Thread(target=login, args=(u,), daemon=True) for u in usernames]
    for t in login_threads:
        t.start()
    for t in login_threads:
        t.join(120)
    tally = Tally()
    counter = iter(range(max_requests))
    counter_lock = threading.Lock()
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds

    def loop(index: int, username: str, client: Client) -> None:
        rng = random.Random(index)
        n = 0
        while time.perf_counter() < deadline:
            with counter_lock:
                if next(counter, None) is None:
                    break
            n += 1
            paragraph = rng.choice(paragraphs)
            path = f"/articles/{slug}/p/{paragraph['key']}/annotate/"
            try:
                resp = client.post(path, annotate_form(paragraph, rng, f"{username}-{n}"))
            except Exception as exc:  # noqa: BLE001
                tally.add("error", None, error=type(exc).__name__)
                continue
            error = None if resp.status == 302 else f"HTTP {resp.status}"
            tally.add(str(resp.status), resp.seconds, len(resp.body), error)
        client.close()

    threads = [threading.Thread(target=loop, args=(i, u, c), daemon=True) for i, (u, c) in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + DEFAULT_TIMEOUT + 5)
    result = summarise(tally, time.perf_counter() - started, cpu_seconds() - cpu0, {302})
    result["writers"] = len(clients)
    result["login_errors"] = login_errors
    return result
