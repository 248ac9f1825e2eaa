"""Fault drills: the production set-up under a small load while Redis, PostgreSQL, a worker or mail fail.

``make drill`` runs this module alone and prints the table (one row per fault:
requests, outcomes by status, error window, recovery time, write rows checked,
lost or partial writes). It is skipped unless selected (``-m drill`` or
``DRILL=1``): it takes about a minute and needs the machine's PostgreSQL and
``redis-server``; selected, a missing one fails it instead of skipping.

Set-up (tests/resilience/drill_site.py): a throwaway PostgreSQL database
``drill_<random>`` (dropped at the end), a redis-server of its own on a free
port, gunicorn with the production settings (DEBUG off, 3 sync workers) on a
free port, all on 127.0.0.1; the demo article and accounts (``setup_demo``)
and three trusted annotators. Mail goes through the outbox and the job queue
(its broker on the drill's Redis) to an SMTP port where nothing listens; the
Celery worker starts for the mail drill, whose SMTP sink (aiosmtpd) then takes
that port. Load (tests/resilience/drill_load.py): two readers of the article
page, a /readyz poller and the three annotators posting the public annotate
form (a note, or a fact-check with one evidence row) as a browser does, CSRF
token included; in the mail drill, the demo moderator approving from the
admin's moderation queue too.

Each fault runs for a bounded time under that load, then the load goes on for
a few seconds. What may fail is written in each test: the documented 503s
(README, "When Redis or PostgreSQL is down") during the fault, a connection
reset for the one request a killed worker was serving; never a 500 (nor
anything at all while only mail is down). After each fault every kind of
request succeeds again within RECOVERY_LIMIT seconds, and every write is
checked in the database: answered with a redirect, it is there once with all
its rows; answered with an error, it left nothing; cut off without an answer,
it is all there or not at all.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.resilience.conftest import DRILL_ROWS
from tests.resilience.drill_load import ANNOTATE, ARTICLE, Load, Outcome, Recorder, request, summarise, write_payload
from tests.resilience.drill_mail import OUTBOX, SmtpSink
from tests.resilience.drill_site import MODERATOR, WORKERS, DrillSite, Unavailable, check_approvals

pytestmark = pytest.mark.drill

RECOVERY_LIMIT = 5.0  # seconds after a fault ends
WARM_UP = 1.0  # seconds of load before each fault
AFTER = 4.0  # seconds of load after each fault
CUT_SECONDS = 2.0  # how long PostgreSQL's connections are cut (or refused)


def _selected(config) -> bool:
    return os.environ.get("DRILL") == "1" or "drill" in (config.getoption("markexpr") or "")


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    if not _selected(request.config):
        pytest.skip("the fault drill runs on its own: `make drill` (or -m drill, or DRILL=1)")
    if shutil.which("redis-server") is None:
        pytest.fail("the fault drill needs redis-server on the PATH")
    try:
        drill = DrillSite(tmp_path_factory.mktemp("drill"))
    except Unavailable as exc:
        pytest.fail(f"the fault drill needs PostgreSQL on 127.0.0.1: {exc}")
    try:
        drill.start()
        yield drill
    finally:
        drill.close()


@pytest.fixture
def rows(request):
    return request.config.stash.setdefault(DRILL_ROWS, [])


class Phase:
    """The load running around one fault: ``with Phase(site, "name") as phase: …; phase.fault_ended()``."""

    def __init__(self, site: DrillSite, name: str):
        self.site, self.name = site, name
        self.recorder = Recorder()
        self.load = Load(site.client, self.recorder, phase=name, writers=site.writers, keys=site.keys)
        self.fault_start = self.fault_end = 0.0

    def __enter__(self) -> Phase:
        self.load.start()
        time.sleep(WARM_UP)
        self.fault_start = time.monotonic()
        return self

    def fault_ended(self) -> None:
        self.fault_end = time.monotonic()

    def __exit__(self, exc_type, *exc) -> None:
        """The load goes on until AFTER seconds after the fault's end, then stops."""
        try:
            if exc_type is None:
                time.sleep(max(0.0, self.fault_end + AFTER - time.monotonic()))
        finally:
            self.load.stop()

    @property
    def outcomes(self) -> list[Outcome]:
        return self.recorder.snapshot()

    def during(self, kind: str) -> list[Outcome]:
        return [
            o for o in self.outcomes if o.kind == kind and self.fault_start <= o.started and o.ended <= self.fault_end
        ]

    def after(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind and o.started >= self.fault_end]

    def record(self, rows: list) -> tuple:
        """Summarise into the drill's table; (row, write problems)."""
        row = summarise(self.name, self.outcomes, self.fault_end)
        row.rows_checked, problems = self.site.check_writes(self.outcomes)
        row.lost_or_partial = len(problems)
        rows.append(row)
        return row, problems


def _unexpected(outcomes: list[Outcome], allowed) -> list[str]:
    return [f"{o.kind} {o.status} at +{o.started:.2f}" for o in outcomes if not o.ok and not allowed(o)]


def _documented_503(outcome: Outcome) -> bool:
    """The database-unavailable page (Retry-After: 30), or /readyz saying the node should take no traffic."""
    if outcome.kind == "readyz":
        return outcome.readyz == "unavailable"
    return outcome.retry_after == "30"


def _clean_log(site: DrillSite) -> None:
    log = site.log()
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-4000:]


# ---------------------------------------------------------------------- 1. Redis stopped, then started again


def test_redis_stopped_and_restarted(site, rows):
    """Pages render from the database, /readyz says "degraded", logins answer the documented 503; no stale page."""
    visitor = site.client()
    assert visitor.get("/accounts/login/").status == 200  # the CSRF cookie
    scribe = site.client()
    scribe.login("/accounts/login/", "drill-writer-0", "drill-password-not-secret", next_url=ARTICLE)
    assert site.client().get(ARTICLE).status == 200  # the page is in Redis now
    login = {"username": "alice", "password": "alice-demo-pass", "next": "/"}
    workers = site.workers()

    with Phase(site, "Redis stopped 3 s, restarted") as phase:
        site.redis.stop()
        down = time.monotonic()
        # a write while Redis is down: trusted, so published at once; every read begun after it must show it,
        # from the database while Redis is down and through fresh cache keys after it is back
        token = f"Drill redis-outage {secrets.token_hex(4)}"
        data, evidence = write_payload(token, 0)
        written, _ = request("write", lambda: scribe.post(ANNOTATE.format(key=site.witness_key), data), token=token)
        phase.recorder.add(written)
        assert written.status == 302, written
        phase.load.must_show = (token, written.ended)
        while time.monotonic() - down < 3:
            refused, response = request("login", lambda: visitor.post("/accounts/login/", login))
            phase.recorder.add(refused)
            assert refused.status == 503 and b"try again in a minute" in response.body, refused
            time.sleep(0.5)
        restarting = time.monotonic()
        site.redis.start()
        phase.fault_ended()
        # logging in works again (each worker tries Redis again within 5 s of its last failure)
        deadline = time.monotonic() + RECOVERY_LIMIT + 2
        while time.monotonic() < deadline:
            attempt, _ = request("login", lambda: visitor.post("/accounts/login/", login))
            phase.recorder.add(attempt)
            if attempt.ok:
                break
            time.sleep(0.2)

    row, problems = phase.record(rows)
    outcomes = phase.outcomes
    # the only failures: logins answered with the documented 503 (Retry-After: 60) while Redis was down
    assert _unexpected(outcomes, lambda o: o.kind == "login" and o.status == 503 and o.retry_after == "60") == []
    assert [o for o in outcomes if o.stale] == [], "a page served after the write did not show it"
    # the article page served while Redis was down, from the database (it shows the write made meanwhile)
    assert len([o for o in phase.during("read") if o.started > written.ended]) >= 5
    degraded = {o.readyz for o in phase.during("readyz") if o.started > down + 0.2 and o.ended < restarting}
    assert degraded == {"degraded"}, degraded
    assert phase.after("readyz")[-1].readyz == "ok"
    assert row.other_5xx == 0 and row.resets == 0
    assert row.recovery <= RECOVERY_LIMIT, row
    assert problems == []
    assert site.workers() == workers
    _clean_log(site)


# ---------------------------------------------------------------------- 2. PostgreSQL's connections cut


def test_postgres_connections_cut(site, rows):
    """pg_terminate_backend on every connection of the app every 0.1 s: at most clean 503s, then nothing."""
    workers = site.workers()
    with Phase(site, f"PostgreSQL connections cut every 0.1 s for {CUT_SECONDS:.0f} s") as phase:
        cuts = 0
        while time.monotonic() - phase.fault_start < CUT_SECONDS:
            cuts += site.terminate_backends()
            time.sleep(0.1)
        phase.fault_ended()

    row, problems = phase.record(rows)
    assert cuts >= 5, f"only {cuts} connections cut"
    # requests whose connection was cut under them may answer the clean 503 page; nothing else fails, and
    # nothing begun after the last cut fails (the workers reconnect by themselves)
    allowed = lambda o: o.status == 503 and o.started <= phase.fault_end and _documented_503(o)  # noqa: E731
    assert _unexpected(phase.outcomes, allowed) == []
    assert phase.after("readyz") and all(o.readyz == "ok" for o in phase.after("readyz"))
    assert row.recovery <= RECOVERY_LIMIT, row
    assert problems == []
    assert site.workers() == workers  # no worker died or was restarted
    _clean_log(site)


# ---------------------------------------------------------------------- 3. PostgreSQL down (refusing), then back


def test_postgres_down_then_back(site, rows):
    """Connections refused and cut for 2 s (a restart): clean 503s, /readyz 503, then 200 within seconds."""
    workers = site.workers()
    with Phase(site, f"PostgreSQL down {CUT_SECONDS:.0f} s (refused + cut)") as phase:
        site.allow_connections(False)
        while time.monotonic() - phase.fault_start < CUT_SECONDS:
            site.terminate_backends()
            time.sleep(0.1)
        site.allow_connections(True)
        phase.fault_ended()

    row, problems = phase.record(rows)
    allowed = lambda o: o.status == 503 and o.started <= phase.fault_end and _documented_503(o)  # noqa: E731
    assert _unexpected(phase.outcomes, allowed) == []
    during = phase.during("readyz")
    assert any(o.status == 503 for o in during), [o.status for o in during]
    # Readers without a session may keep getting the article page from the page cache (no query needed);
    # what needs the database (the annotators' writes) must have met the outage as the documented 503.
    assert any(o.status == 503 for o in phase.during("write")), "the outage did not reach the annotators"
    assert phase.after("readyz") and all(o.status == 200 and o.readyz == "ok" for o in phase.after("readyz"))
    assert row.recovery <= RECOVERY_LIMIT, row
    assert problems == []
    assert site.workers() == workers  # every worker recovered without a restart
    log = site.log()
    _clean_log(site)
    assert "database unavailable for GET /articles/altman-reflections/" in log


# ---------------------------------------------------------------------- 4. a worker SIGKILLed under load


def _busy_worker(site: DrillSite, timeout: float = 2.0) -> int:
    """A worker running (state R) now, else the one that used the most CPU meanwhile (likely mid-request)."""
    deadline = time.monotonic() + timeout

    def stat(pid: int) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return ["X"] + ["0"] * 20

    before = {pid: int(stat(pid)[11]) for pid in site.workers()}
    while time.monotonic() < deadline:
        for pid in site.workers():
            if stat(pid)[0] == "R":
                return pid
        time.sleep(0.002)
    return max(before, key=lambda pid: int(stat(pid)[11]) - before[pid])


def test_worker_killed_under_load(site, rows):
    """SIGKILL on one worker: only the request it was serving breaks; the master replaces it."""
    workers = site.workers()
    assert len(workers) == WORKERS
    with Phase(site, "a gunicorn worker SIGKILLed") as phase:
        victim = _busy_worker(site)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        replaced = site.wait_for_workers(without=victim)
        phase.fault_end = killed  # the fault is instantaneous; recovery counts from the kill

    row, problems = phase.record(rows)
    row.recovery = max(row.recovery, replaced)
    # only a request in flight on the killed worker may break, without an answer
    in_flight = lambda o: isinstance(o.status, str) and o.started <= killed <= o.ended  # noqa: E731
    assert _unexpected(phase.outcomes, in_flight) == []
    assert row.resets <= 1, row  # a sync worker serves one request at a time
    assert row.recovery <= RECOVERY_LIMIT, row
    assert problems == []
    assert len(site.workers()) == WORKERS and victim not in site.workers()
    assert f"Worker (pid:{victim}) was sent SIGKILL" in site.log()
    _clean_log(site)


# ---------------------------------------------------------------------- 5. mail at a closed port, then back


QUEUE = "/admin/annotations/annotation/queue/"
DECIDE = "/admin/annotations/annotation/decide/"
PENDING = re.compile(r'name="annotation" value="(\d+)">\s*<input type="hidden" name="expected_status" value="pending">')


def _outbox(site: DrillSite) -> list[tuple]:
    return site.query(OUTBOX)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_mail_server_down_then_back(site, rows):
    """Moderators approve while SMTP refuses: every request succeeds, the e-mails wait in the outbox with
    their failed attempts; with a mail server back on that port the sweep delivers each exactly once."""
    site.start_mail_worker()
    moderator = site.client()
    moderator.login("/admin/login/", *MODERATOR, next_url=QUEUE)
    approved: list[str] = []

    with Phase(site, "SMTP at a closed port 2 s, then a server there") as phase:
        while time.monotonic() - phase.fault_start < 2.0:
            queue, response = request("read", lambda: moderator.get(QUEUE))
            phase.recorder.add(queue)
            pending = [pk for pk in PENDING.findall(response.body.decode()) if pk not in approved] if queue.ok else []
            for pk in pending[:3]:
                decision = {"annotation": pk, "expected_status": "pending", "decision": "approve", "reason": ""}
                outcome, _ = request("moderate", lambda d=decision: moderator.post(DECIDE, {**d, "next": QUEUE}))
                outcome.token = pk
                phase.recorder.add(outcome)
                approved.append(pk)
        # every e-mail so far has been tried and refused: back to pending, with its attempts and error (a row
        # is "sending", attempts already counted, while the worker tries it: wait until no attempt is under way)
        refused = _wait_for(
            lambda: (
                (rows_ := _outbox(site))
                and all(status == "pending" and attempts >= 1 for _, status, attempts, _ in rows_)
                and rows_
            ),
            10,
            "the worker's first attempts on the closed port",
        )
        assert all("refused" in error.lower() for *_, error in refused), refused
        # the back-off (1 s, doubling) decides when each is tried next; the sweep runs every second
        (due_in,) = site.query(
            "SELECT coalesce(max(extract(epoch FROM next_attempt_at - now())), 0)::float"
            " FROM notifications_outgoingemail WHERE status = 'pending'"
        )[0]
        sink = SmtpSink(site.mail_port)
        site.extra_cleanup.append(sink.stop)
        sink.start()
        phase.fault_ended()
        sent = _wait_for(
            lambda: (rows_ := _outbox(site)) and all(status == "sent" for _, status, _, _ in rows_) and rows_,
            20,
            "the sweep to deliver the outbox",
        )
        delivered = time.monotonic() - phase.fault_end
    time.sleep(2)  # two more sweeps: nothing is sent again
    sink.stop()

    row, problems = phase.record(rows)
    checked, approval_problems = check_approvals(site, phase.outcomes)
    arrived = sink.uuids()
    expected = {uuid for uuid, *_ in sent}
    mail_problems = [f"{uuid} arrived {n} times" for uuid, n in arrived.items() if n != 1]
    mail_problems += [f"{uuid} never arrived" for uuid in expected - set(arrived)]
    mail_problems += [f"{uuid} is not in the outbox" for uuid in set(arrived) - expected]
    row.rows_checked += checked + len(expected)
    row.lost_or_partial += len(approval_problems) + len(mail_problems)
    requests_recovered = row.recovery
    row.recovery = max(row.recovery, delivered)  # in the table: until the outbox is all sent
    assert len(approved) >= 3 and len(refused) >= len(approved)
    assert _unexpected(phase.outcomes, lambda o: False) == []  # not one request failed
    assert problems == [] and approval_problems == [] and mail_problems == []
    assert requests_recovered <= RECOVERY_LIMIT, row
    # the outbox is sent by the first sweeps after the last back-off ran out (a second apart, plus the sending;
    # the same few seconds' bound as every other recovery, as a busy machine can delay the worker's beat)
    assert delivered <= max(due_in, 0.0) + RECOVERY_LIMIT, (delivered, due_in)
    _clean_log(site)
    assert "Traceback" not in site.worker_log_path.read_text(errors="replace")
