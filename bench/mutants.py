"""Mutation probe: do the notebooks' tests notice small edits of the solution cells?

    .venv/bin/python bench/mutants.py [--notebook 01_dense] [--workers 2] [--list] [--json F]

Generates every mutant of every solution cell of every notebook in solutions/ (AST
edits: drop a keyword argument, swap a string constant for a plausible other, delete
a statement, swap operands, change a number, drop a return value, drop super()'s
**kwargs; tests/corpus/mutants.py), scores each with the in-process harness
(tests/corpus/harness.py: the source notebook, hidden tests included, with the mutant in
its cell) and prints:

  * mutants generated, killed (less than full marks) and survived, per notebook;
  * each survivor with its diff and the test results;
  * the kill ratio over non-equivalent mutants (goal >= 95 %); the mutants judged
    equivalent (tests/corpus/mutants.py equivalent(), with the reason) are listed apart.

A run costs about one notebook run (5-10 s on one core) per mutant, spread over
--workers child processes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from corpus import harness  # noqa: E402
from corpus import mutants as mutation  # noqa: E402

NOTEBOOKS = tuple(sorted(p.name for p in (ROOT / "solutions").iterdir()
                         if (p / f"{p.name}.py").is_file()))
GOAL = 0.95
EQUIVALENT = mutation.equivalent()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", choices=NOTEBOOKS, action="append",
                        help="only this notebook (repeatable); default both")
    parser.add_argument("--workers", type=int, default=None, help="child processes (default 2)")
    parser.add_argument("--list", action="store_true", help="list the mutants; run nothing")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    notebooks = args.notebook or list(NOTEBOOKS)

    found = [(nb, m) for nb in notebooks for m in mutation.mutants(nb)]
    if args.list:
        for notebook, mutant in found:
            tag = " (equivalent)" if mutant.id in EQUIVALENT else ""
            print(f"{notebook}  {mutant.id}{tag}")
        print(f"{len(found)} mutants")
        return 0

    jobs = [{"key": f"solution:{nb}", "notebook": nb, "code": {}} for nb in notebooks]
    # a mutant's run stops at its first failing test cell: "loses points" is settled there;
    # the test cells before its cell run the solution's code (the solution's run passes them)
    jobs += [{"key": m.id, "notebook": nb, "code": {m.cell: m.source}, "settle": "",
              "skip_earlier": True} for nb, m in found]
    started = time.perf_counter()
    done = [0]

    def progress(key, score):
        done[0] += 1
        print(f"[{done[0]}/{len(jobs)}] {key}: {score.points:g}/{score.max_points:g}",
              file=sys.stderr, flush=True)

    scores = harness.run_jobs(jobs, workers=args.workers, log=progress)
    wall = time.perf_counter() - started

    for notebook in notebooks:
        baseline = scores[f"solution:{notebook}"]
        if not baseline.full_marks:
            print(f"the solution of {notebook} does not keep full marks: nothing can be "
                  f"measured\n{baseline.summary()}")
            return 1

    rows, survivors = [], []
    for notebook in notebooks:
        mine = [m for nb, m in found if nb == notebook]
        equivalent = [m for m in mine if m.id in EQUIVALENT]
        counted = [m for m in mine if m.id not in EQUIVALENT]
        killed = [m for m in counted if not scores[m.id].full_marks]
        survived = [m for m in counted if scores[m.id].full_marks]
        survivors += [(notebook, m) for m in survived]
        rows.append((notebook, len(mine), len(equivalent), len(killed), len(survived)))

    for notebook, mutant in survivors:
        print(f"\nSURVIVED {notebook} {mutant.id}\n{mutant.diff}", end="")
    equivalents = [(nb, m) for nb, m in found if m.id in EQUIVALENT]
    if equivalents:
        print("\nequivalent (left out of the ratio):")
        for notebook, mutant in equivalents:
            status = "survived" if scores[mutant.id].full_marks else "killed"
            print(f"  {notebook} {mutant.id} [{status}]: {EQUIVALENT[mutant.id]}")

    print(f"\n{'notebook':<16}{'generated':>10}{'equivalent':>11}{'killed':>8}{'survived':>9}"
          f"{'ratio':>8}")
    totals = [0, 0, 0, 0]
    for notebook, generated, equivalent, killed, survived in rows:
        ratio = killed / max(1, killed + survived)
        print(f"{notebook:<16}{generated:>10}{equivalent:>11}{killed:>8}{survived:>9}"
              f"{ratio:>8.0%}")
        totals = [a + b for a, b in zip(totals, (generated, equivalent, killed, survived),
                                        strict=True)]
    ratio = totals[2] / max(1, totals[2] + totals[3])
    print(f"{'all':<16}{totals[0]:>10}{totals[1]:>11}{totals[2]:>8}{totals[3]:>9}{ratio:>8.0%}")
    print(f"kill ratio {ratio:.1%} of non-equivalent mutants (goal >= {GOAL:.0%}); "
          f"{len(jobs)} notebook runs in {wall:.0f} s")

    if args.json:
        args.json.write_text(json.dumps({
            "kill_ratio": ratio, "wall_s": wall,
            "mutants": [{"notebook": nb, "id": m.id, "operator": m.operator,
                         "equivalent": EQUIVALENT.get(m.id),
                         "killed": not scores[m.id].full_marks,
                         "messages": scores[m.id].messages(), "diff": m.diff}
                        for nb, m in found]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
