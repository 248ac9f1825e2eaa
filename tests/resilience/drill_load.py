"""The fault drill's small load: readers, a /readyz poller and logged-in writers, each request recorded.

Threads in the test process, each with its own HTTP client (bench/load.py's
``Client``: one connection, a cookie jar, a browser-like log-in with CSRF).
Every request is bounded by the client's timeout and every loop by a stop
event; each outcome is kept with its start and end (monotonic seconds), so a
fault's error window and recovery time can be read off afterwards.

A request's outcome is its HTTP status, or ``"reset"`` (the connection closed
or reset without a response, as when a worker is killed), ``"refused"``
(nothing listening) or ``"timeout"``.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.helpers import annotate_payload

ARTICLE = "/articles/altman-reflections/"
ANNOTATE = ARTICLE + "p/{key}/annotate/"
REQUEST_TIMEOUT = 10.0  # seconds; a drill request that takes longer is a failure ("timeout")

# what each kind of request answers when all is well
SUCCESS = {"read": {200}, "readyz": {200}, "write": {302}, "login": {302}, "moderate": {302}}


def paragraph_keys(html: str, *, annotated: bool | None = None) -> list[str]:
    """The paragraphs' keys in page order (only those with or without annotations when ``annotated`` says)."""
    found = re.findall(r'class="block block-paragraph([^"]*)" id="p-([a-z0-9-]+)"', html)
    return [key for classes, key in found if annotated is None or ("has-annotations" in classes) == annotated]


@dataclass
class Outcome:
    kind: str
    started: float
    ended: float
    status: int | str
    token: str = ""  # writes: the marker in the annotation's body
    evidence: int = 0  # writes: evidence rows sent
    stale: bool = False  # reads: the page lacked a change that had been confirmed before the request began
    readyz: str = ""  # /readyz: its "status" field
    retry_after: str | None = None  # 503s: the Retry-After header (the documented 503 pages send one)

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS[self.kind]


def request(kind: str, send: Callable[[], http.client.HTTPResponse], **extra) -> tuple[Outcome, object]:
    """Run one request; its Outcome (never raises for a network failure) and the response (or None)."""
    started = time.monotonic()
    response = None
    try:
        response = send()
        status: int | str = response.status
    except ConnectionRefusedError:
        status = "refused"
    except TimeoutError:
        status = "timeout"
    except (OSError, http.client.HTTPException):  # reset, broken pipe, closed without a response
        status = "reset"
    outcome = Outcome(kind, started, time.monotonic(), status, **extra)
    if status == 503:
        outcome.retry_after = response.header("Retry-After")
    return outcome, response


@dataclass
class Recorder:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> Outcome:
        with self.lock:
            self.outcomes.append(outcome)
        return outcome

    def snapshot(self) -> list[Outcome]:
        with self.lock:
            return list(self.outcomes)


def write_payload(token: str, n: int) -> tuple[dict, int]:
    """The annotate form: every other write a fact-check with one evidence row, else a note; (data, evidence)."""
    if n % 2:
        data = annotate_payload(
            kind="fact_check",
            body=token,
            claim=f"Claim {token}",
            verdict="misleading",
            tags="drill, fault",
            evidence=[{"url": f"https://example.org/drill/{token}", "title": f"Source {token}"}],
        )
        data["evidence-TOTAL_FORMS"] = "1"
        return data, 1
    return annotate_payload(body=token, tags="drill, fault", **{"evidence-TOTAL_FORMS": "0"}), 0


class Load:
    """Readers of the article page, a /readyz poller and writers (logged-in clients), until stop()."""

    def __init__(self, client_factory, recorder: Recorder, *, phase: str, writers: list, keys: list[str], readers=2):
        self.client_factory, self.recorder, self.phase = client_factory, recorder, phase
        self.writers, self.keys, self.readers = writers, keys, readers
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.must_show: tuple[str, float] | None = None  # (text, since): reads begun after `since` must show it
        self._serial = itertools.count()

    def start(self) -> Load:
        loops = [self._read] * self.readers + [self._readyz] + [lambda w=w: self._write(w) for w in self.writers]
        self.threads = [threading.Thread(target=loop, daemon=True) for loop in loops]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT + 5)
        assert not any(t.is_alive() for t in self.threads), "a load thread did not stop"

    def _read(self) -> None:
        client = self.client_factory()
        while not self.stop_event.is_set():
            must_show = self.must_show
            outcome, response = request("read", lambda: client.get(ARTICLE))
            if response is not None and response.status == 200 and must_show and outcome.started > must_show[1]:
                outcome.stale = must_show[0].encode() not in response.body
            self.recorder.add(outcome)
            self.stop_event.wait(0.05)

    def _readyz(self) -> None:
        client = self.client_factory()
        while not self.stop_event.is_set():
            outcome, response = request("readyz", lambda: client.get("/readyz"))
            if response is not None and response.header("Content-Type") == "application/json":
                outcome.readyz = json.loads(response.body).get("status", "")
            self.recorder.add(outcome)
            self.stop_event.wait(0.1)

    def _write(self, client) -> None:
        while not self.stop_event.is_set():
            n = next(self._serial)
            token = f"Drill {self.phase} {n} {secrets.token_hex(4)}"
            data, evidence = write_payload(token, n)
            path = ANNOTATE.format(key=self.keys[n % len(self.keys)])
            outcome, _ = request(
                "write", lambda path=path, data=data: client.post(path, data), token=token, evidence=evidence
            )
            self.recorder.add(outcome)
            self.stop_event.wait(0.25)


# ---------------------------------------------------------------------- what a fault cost


@dataclass
class Row:
    """One line of the drill's table."""

    fault: str
    requests: int
    ok: int
    s503: int
    other_5xx: int
    s4xx: int
    resets: int
    error_window: float
    recovery: float
    rows_checked: int = 0
    lost_or_partial: int = 0

    HEADER = (
        "fault",
        "requests",
        "2xx/3xx",
        "503",
        "other 5xx",
        "4xx",
        "resets",
        "error window (s)",
        "recovery (s)",
        "rows checked",
        "lost/partial",
    )

    def cells(self) -> tuple[str, ...]:
        return (
            self.fault,
            str(self.requests),
            str(self.ok),
            str(self.s503),
            str(self.other_5xx),
            str(self.s4xx),
            str(self.resets),
            f"{self.error_window:.2f}",
            f"{self.recovery:.2f}",
            str(self.rows_checked),
            str(self.lost_or_partial),
        )


def recovery_seconds(outcomes: list[Outcome], fault_end: float) -> float:
    """From the end of the fault until every kind of request has succeeded again, after the last failure.

    For each kind of request still sent after the fault: the end of its first
    success among those begun after both the fault's end and the last
    failure's end. The slowest kind decides; infinity when a kind never
    succeeded again.
    """
    failures = [o.ended for o in outcomes if not o.ok]
    settle = max([fault_end, *failures])
    seconds = 0.0
    for kind in {o.kind for o in outcomes if o.started >= fault_end}:  # the kinds still sent after the fault
        firsts = [o.ended for o in outcomes if o.kind == kind and o.ok and o.started >= settle]
        seconds = max(seconds, (min(firsts) if firsts else float("inf")) - fault_end)
    return seconds


def summarise(fault: str, outcomes: list[Outcome], fault_end: float) -> Row:
    errors = [o for o in outcomes if not o.ok]
    statuses = [o.status for o in outcomes]
    return Row(
        fault=fault,
        requests=len(outcomes),
        ok=sum(1 for s in statuses if isinstance(s, int) and 200 <= s < 400),
        s503=statuses.count(503),
        other_5xx=sum(1 for s in statuses if isinstance(s, int) and s >= 500 and s != 503),
        s4xx=sum(1 for s in statuses if isinstance(s, int) and 400 <= s < 500),
        resets=sum(1 for s in statuses if isinstance(s, str)),
        error_window=(max(o.ended for o in errors) - min(o.started for o in errors)) if errors else 0.0,
        recovery=recovery_seconds(outcomes, fault_end),
    )


def format_table(rows: list[Row]) -> list[str]:
    """The rows as a Markdown table (what the README shows)."""
    lines = ["| " + " | ".join(Row.HEADER) + " |", "| " + " | ".join("---" for _ in Row.HEADER) + " |"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return lines
