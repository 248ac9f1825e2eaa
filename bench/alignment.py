"""Time the copy-original aligner (articles.alignment) on generated text: no database, no server.

    .venv/bin/python bench/alignment.py [--rounds 5] [--seed 1] [--large]

Cases: a 300-paragraph copy against its 300-paragraph original (every paragraph reworded, so no identical
paragraph cuts the work short, plus splits, merges, added, omitted and moved ones), the same with the
copy's paragraphs mostly unchanged, and a 30-paragraph copy against a 1,500-paragraph original (50 times
longer: the copy is an abridged, reworded excerpt); with --large, 1,500 x 1,500 all reworded (aligned in a
band: the table would pass MAX_CELLS). Prints the median time of each and the ratio of the
50x case to the 300 x 300 one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from articles.alignment import align  # noqa: E402

VOCABULARY = (
    "the of and to in that it is was for on are with as they be at one have this from by hot word but what "
    "some we can out other were all there when up use your how said an each she which do their time if will "
    "way about many then them write would like so these her long make thing see him two has look more day "
    "could go come did number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round man year came "
    "show every good me give our under name very through just form sentence great think say help low line "
    "differ turn cause much mean before move right boy old too same tell does set three want air well also "
    "play small end put home read hand port large spell add even land here must big high such follow act why "
    "ask men change went light kind off need house picture try us again animal point mother world near build "
    "self earth father head stand own page should country found answer school grow study still learn plant "
    "cover food sun four between state keep eye never last let thought city tree cross farm hard start might "
    "story saw far sea draw left late run while press close night real life few north safety security model"
).split()


def paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(20, 90))) + "."


def reword(text: str, rng: random.Random, share: float) -> str:
    words = text.rstrip(".").split()
    out = []
    for w in words:
        r = rng.random()
        if r < share / 2:
            out.append(rng.choice(VOCABULARY))  # a changed word
        elif r < share:
            continue  # a dropped word
        else:
            out.append(w)
    return " ".join(out) + "."


def drifted(original: list[str], rng: random.Random, share: float, n_copy: int | None = None) -> list[str]:
    """A copy of ``original`` (or of an excerpt of it, ``n_copy`` paragraphs) with every kind of change."""
    if n_copy is not None:
        start = rng.randrange(len(original) - 2 * n_copy)
        source = original[start : start + 2 * n_copy : 2]  # every other paragraph of a stretch
    else:
        source = list(original)
    copy: list[str] = []
    for text in source:
        r = rng.random()
        if r < 0.04:
            continue  # omitted
        if r < 0.08:
            half = len(text) // 2
            copy += [reword(text[:half], rng, share), reword(text[half:], rng, share)]  # split
        elif r < 0.12 and copy:
            copy[-1] = copy[-1] + " " + reword(text, rng, share)  # merged
        else:
            copy.append(reword(text, rng, share))
        if rng.random() < 0.04:
            copy.append(paragraph(rng))  # added
    for _ in range(len(copy) // 50):  # a few moved
        i, j = rng.randrange(len(copy)), rng.randrange(len(copy))
        copy.insert(j, copy.pop(i))
    return copy


def timed(copy: list[str], original: list[str], rounds: int) -> tuple[float, dict[str, int]]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = align(copy, original)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result.counts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--large", action="store_true", help="also 1,500 x 1,500, all reworded (the band)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    original_300 = [paragraph(rng) for _ in range(300)]
    original_1500 = [paragraph(rng) for _ in range(1500)]
    cases = [
        ("300 x 300, all reworded", drifted(original_300, rng, 0.2), original_300),
        ("300 x 300, lightly edited", drifted(original_300, rng, 0.02), original_300),
        ("30 x 1500, reworded excerpt", drifted(original_1500, rng, 0.2, n_copy=30)[:30], original_1500),
    ]
    if args.large:
        cases.append(("1500 x 1500, all reworded", drifted(original_1500, rng, 0.2), original_1500))
    results = {}
    print(f"{'case':32} {'copy':>5} {'orig':>5} {'median s':>9}  kinds")
    for name, copy, original in cases:
        seconds, counts = timed(copy, original, args.rounds)
        results[name] = seconds
        kinds = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        print(f"{name:32} {len(copy):5} {len(original):5} {seconds:9.3f}  {kinds}")
    ratio = results["30 x 1500, reworded excerpt"] / results["300 x 300, all reworded"]
    print(f"ratio 30 x 1500 / 300 x 300 (all reworded): {ratio:.2f}")


if __name__ == "__main__":
    main()
