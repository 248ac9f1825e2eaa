"""The re-anchoring corpus: revision scenarios written as data (``corpus/*.toml``), run through the real services.

A scenario names a base text (the sample article, or a text written in
``corpus/bases.toml``), the annotations made on it (kind, paragraph, quote), one
or more revisions (each a list of edit operations, applied as a re-import of
the whole document or as an editor's edit of the blocks in the admin), and, per
annotation, where a careful editor wants it after the last revision:

* ``placed``: beside the paragraph containing ``within``, on exactly the words ``at``;
* ``review``: waiting for a moderator (needs re-anchoring);
* ``orphaned``: its text was removed.

``run`` performs a scenario on the test database (the caller rolls it back) and
``classify`` sorts each outcome: correct, conservative (sent to a moderator where
automatic placement would have been right, or detached in the other detached
state), wrong-silent (placed automatically where it was not wanted: the wrong
words, the wrong paragraph, or across a change that needs review), lost (gone,
or visible to readers nowhere: neither beside a paragraph nor under "Notes on
earlier wording").

Edit operations (``op``): ``sub`` (old -> new inside every paragraph, or the
one containing ``find``), ``set`` (the paragraph containing ``find`` gets
``text``), ``remove``, ``insert`` (``text`` before or after the paragraph
containing ``before``/``after``; ``kind`` may be "heading"), ``split`` (the
paragraph containing ``find`` is cut where ``at`` begins), ``merge`` (the
paragraph containing ``find`` takes the next one's text), ``move`` (before or
after another), ``replace_all`` (a whole new text: paragraphs separated by
blank lines, "## " for a heading).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from annotations.anchoring.quotes import anchor_at
from annotations.models import Annotation
from annotations.rendering import render_body
from annotations.selectors.article import article_annotations
from articles.demo import SAMPLE_PATH
from articles.models import Article, Block
from articles.parsing import HEADING, IMAGE, PARAGRAPH, parse_document
from articles.services import BlockEdit, import_article, revise_blocks

CORPUS = Path(__file__).parent / "corpus"
State = Annotation.AnchorState
PLACED, REVIEW, ORPHANED = "placed", "review", "orphaned"
CORRECT, CONSERVATIVE, WRONG_SILENT, LOST = "correct", "conservative", "wrong-silent", "lost"
VERDICTS = (CORRECT, CONSERVATIVE, WRONG_SILENT, LOST)


@dataclass
class Expectation:
    id: str
    kind: str
    paragraph: str
    quote: str
    expect: str
    reason: str
    at: str | None = None
    within: str | None = None
    occurrence: int = 0
    text_changed: bool | None = None


@dataclass
class Scenario:
    name: str
    base: str
    via: str
    revisions: list[list[dict]]
    annotations: list[Expectation]
    file: str = ""


@dataclass
class Outcome:
    scenario: str
    annotation: str
    expect: str
    state: str
    quote: str
    paragraph: str
    verdict: str
    why: str
    reason: str
    text_changed_ok: bool = True
    log: list[str] = field(default_factory=list)


def load() -> list[Scenario]:
    scenarios = []
    for path in sorted(CORPUS.glob("*.toml")):
        if path.name == "bases.toml":
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("scenario", []):
            scenarios.append(
                Scenario(
                    name=raw["name"],
                    base=raw.get("base", "sample"),
                    via=raw.get("via", "import"),
                    revisions=[r["ops"] for r in raw["revision"]],
                    annotations=[Expectation(**a) for a in raw["annotation"]],
                    file=path.name,
                )
            )
    return scenarios


def bases() -> dict[str, str]:
    return tomllib.loads((CORPUS / "bases.toml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- documents


@dataclass
class Para:
    kind: str
    text: str
    block: Block | None = None  # the row it came from (admin edits keep rows)


def base_document(name: str) -> tuple[str, list[Para]]:
    """(title, blocks) of a base text."""
    if name == "sample":
        parsed = parse_document(SAMPLE_PATH.read_text(encoding="utf-8"))
        return parsed.title, [Para(b.kind, b.text) for b in parsed.blocks]
    data = bases()[name]
    return data["title"], _paragraphs(data["text"])


def _paragraphs(text: str) -> list[Para]:
    out = []
    for chunk in text.strip().split("\n\n"):
        chunk = chunk.strip()
        if chunk.startswith("## "):
            out.append(Para(HEADING, chunk[3:].strip()))
        elif chunk:
            out.append(Para(PARAGRAPH, " ".join(chunk.split("\n"))))
    return out


def render(title: str, paras: list[Para]) -> str:
    """The document in the house format (what a re-import reads)."""
    body = "\n\n".join("图片" if p.kind == IMAGE else p.text for p in paras)
    return f"{title}\n\n#News ·2025-01-06\n\n{body}\n"


def _find(paras: list[Para], needle: str) -> int:
    """The one paragraph whose text is ``needle``, else the one containing it."""
    found = [i for i, p in enumerate(paras) if needle == p.text] or [i for i, p in enumerate(paras) if needle in p.text]
    if len(found) != 1:
        raise ValueError(f"{needle!r} is in {len(found)} paragraphs, not one")
    return found[0]


def apply_ops(paras: list[Para], ops: list[dict]) -> list[Para]:
    paras = [Para(p.kind, p.text, p.block) for p in paras]
    for op in ops:
        kind = op["op"]
        if kind == "sub":
            targets = [_find(paras, op["find"])] if "find" in op else range(len(paras))
            hits = 0
            for i in targets:
                if op["old"] in paras[i].text:
                    paras[i].text = paras[i].text.replace(op["old"], op["new"])
                    hits += 1
            if not hits:
                raise ValueError(f"sub: {op['old']!r} not found")
        elif kind == "set":
            paras[_find(paras, op["find"])].text = op["text"]
        elif kind == "remove":
            del paras[_find(paras, op["find"])]
        elif kind == "insert":
            new = Para(op.get("kind", PARAGRAPH), op["text"])
            i = _find(paras, op["after"]) + 1 if "after" in op else _find(paras, op["before"])
            paras.insert(i, new)
        elif kind == "split":
            i = _find(paras, op["find"])
            cut = paras[i].text.index(op["at"])
            first, second = paras[i].text[:cut].rstrip(), paras[i].text[cut:]
            paras[i].text = first
            paras.insert(i + 1, Para(paras[i].kind, second))
        elif kind == "merge":
            i = _find(paras, op["find"])
            paras[i].text = paras[i].text + " " + paras[i + 1].text
            del paras[i + 1]
        elif kind == "move":
            p = paras.pop(_find(paras, op["find"]))
            i = _find(paras, op["after"]) + 1 if "after" in op else _find(paras, op["before"])
            paras.insert(i, p)
        elif kind == "replace_all":
            paras = _paragraphs(op["text"])
        else:
            raise ValueError(f"unknown op {kind!r}")
    return paras


# ---------------------------------------------------------------- running


def _import(title: str, paras: list[Para]) -> Article:
    parsed = parse_document(render(title, paras))
    return import_article(parsed=parsed).article


def _current(article: Article) -> list[Para]:
    return [Para(b.kind, b.text, b) for b in article.blocks.current().order_by("position")]


def _annotate(article: Article, e: Expectation) -> Annotation:
    current = list(article.blocks.current())
    blocks = [b for b in current if e.paragraph == b.text] or [b for b in current if e.paragraph in b.text]
    if len(blocks) != 1:
        raise ValueError(f"{e.paragraph!r} is in {len(blocks)} paragraphs, not one")
    block = blocks[0]
    anchor = None
    if e.quote:
        start = -1
        for _ in range(e.occurrence + 1):
            start = block.text.index(e.quote, start + 1)
        anchor = anchor_at(block.text, start, start + len(e.quote))
    body = f"About “{e.quote or block.key}”."
    fact_check = e.kind == Annotation.Kind.FACT_CHECK
    return Annotation.objects.create(
        article=article,
        block=block,
        kind=e.kind,
        status=Annotation.Status.APPROVED,
        visibility=Annotation.Visibility.PUBLIC,
        body=body,
        body_html=render_body(body),
        quote=anchor.exact if anchor else "",
        quote_start=anchor.start if anchor else None,
        quote_end=anchor.end if anchor else None,
        quote_prefix=anchor.prefix if anchor else "",
        quote_suffix=anchor.suffix if anchor else "",
        claim=e.quote if fact_check else "",
        verdict="misleading" if fact_check else "",
    )


def _admin_edits(article: Article, paras: list[Para]) -> list[BlockEdit]:
    kept = {p.block.pk for p in paras if p.block is not None}
    edits = [BlockEdit(kind=p.kind, text=p.text, order=n, block=p.block) for n, p in enumerate(paras, start=1)]
    edits += [
        BlockEdit(kind=b.kind, text=b.text, order=0, block=b, remove=True)
        for b in article.blocks.current()
        if b.pk not in kept
    ]
    return edits


def run(scenario: Scenario, *, editor=None) -> list[Outcome]:
    """Perform the scenario (import, annotate, revise) and classify every annotation's outcome."""
    title, paras = base_document(scenario.base)
    title = f"{title} [{scenario.name}]"  # one article per scenario
    article = _import(title, paras)
    made = {e.id: _annotate(article, e) for e in scenario.annotations}
    for ops in scenario.revisions:
        if scenario.via == "admin":
            current = _current(article)
            revise_blocks(article=article, edits=_admin_edits(article, apply_ops(current, ops)), actor=editor)
        else:
            parsed_now = [Para(b.kind, b.text) for b in article.blocks.current().order_by("position")]
            _import(title, apply_ops(parsed_now, ops))
        article.refresh_from_db()
    blocks, earlier = article_annotations(article=article, user=None)
    beside = {a.pk: view.block for view in blocks for a in view.annotations}
    below = {a.pk for a in earlier}
    outcomes = []
    for e in scenario.annotations:
        a = Annotation.objects.filter(pk=made[e.id].pk).select_related("block").first()
        outcomes.append(classify(scenario, e, a, beside=beside, below=below))
    return outcomes


def classify(scenario: Scenario, e: Expectation, a: Annotation | None, *, beside: dict, below: set) -> Outcome:
    """Sort one outcome (see the module docstring)."""

    def out(verdict: str, why: str) -> Outcome:
        state = a.anchor_state if a is not None else "deleted"
        changed_ok = e.text_changed is None or a is None or a.text_changed == e.text_changed
        return Outcome(
            scenario=scenario.name,
            annotation=e.id,
            expect=e.expect,
            state=state,
            quote=a.quote if a is not None else "",
            paragraph=a.block.text[:60] if a is not None else "",
            verdict=verdict,
            why=why,
            reason=e.reason,
            text_changed_ok=changed_ok,
        )

    if a is None:
        return out(LOST, "the annotation is gone")
    placed = a.anchor_state in (State.ANCHORED, State.MOVED)
    if placed and a.pk not in beside:
        return out(LOST, "placed, but not shown beside any paragraph")
    if not placed and a.pk not in below:
        return out(LOST, "detached, but not under 'Notes on earlier wording'")
    if placed:
        if e.expect != PLACED:
            return out(WRONG_SILENT, f"placed automatically on “{a.quote or '(whole paragraph)'}”; wanted {e.expect}")
        within = e.within if e.within is not None else e.paragraph
        at = e.at if e.at is not None else e.quote
        if not (within == a.block.text or (within in a.block.text and len(within) >= 12)):
            return out(WRONG_SILENT, f"placed in another paragraph: “{a.block.text[:50]}…”")
        if a.quote != at:
            return out(WRONG_SILENT, f"placed on “{a.quote}”, wanted “{at}”")
        return out(CORRECT, "placed where wanted")
    if e.expect == PLACED:
        return out(CONSERVATIVE, f"sent to a moderator ({a.anchor_state}); automatic placement was right")
    wanted = State.NEEDS_REANCHORING if e.expect == REVIEW else State.ORPHANED
    if a.anchor_state != wanted:
        return out(CONSERVATIVE, f"{a.anchor_state}, wanted {wanted}: detached and visible all the same")
    return out(CORRECT, "detached as wanted")


def summary(outcomes: list[Outcome], scenarios: int) -> dict[str, float]:
    counts = Counter(o.verdict for o in outcomes)
    total = len(outcomes)
    return {
        "scenarios": scenarios,
        "outcomes": total,
        **{v: counts[v] for v in VERDICTS},
        "correct_share": counts[CORRECT] / total if total else 0.0,
    }


def table(outcomes: list[Outcome], scenarios: int) -> str:
    s = summary(outcomes, scenarios)
    lines = [
        "| scenarios | outcomes | correct | conservative | wrong-silent | lost |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {s['scenarios']} | {s['outcomes']} | {s[CORRECT]} ({s['correct_share']:.1%}) | {s[CONSERVATIVE]} "
        f"| {s[WRONG_SILENT]} | {s[LOST]} |",
    ]
    odd = [o for o in outcomes if o.verdict != CORRECT or not o.text_changed_ok]
    if odd:
        lines += ["", "Not correct:"]
        lines += [
            f"- {o.scenario} / {o.annotation}: {o.verdict}: {o.why}"
            + ("" if o.text_changed_ok else " (and its 'earlier wording' note is wrong)")
            for o in odd
        ]
    return "\n".join(lines)
