"""What the corpus' shortened runs save, and that they change no verdict.

    .venv/bin/python bench/corpus.py [--notebook 03_convolution] [--sample 8] [--workers 2]

For a sample of each notebook's corpus entries (tests/corpus/<topic>.py), scores every
entry twice with the in-process harness (tests/corpus/harness.py): run whole, and run
as tests/test_corpus.py runs it ("short": the test cells before its cell that feed no
later cell left out, and a mistake stopped at the first failing test cell that names
it). Both kinds of run are mixed in the same child processes, so they share the
machine's load. Prints, per notebook:

  * the summed notebook time of the whole runs and of the short runs, and the saving;
  * the entries whose verdict (full marks or not, named or not) differs: there must be
    none.

The sample is the first N mistakes and the first N valid answers of each exercise, in
corpus order (deterministic).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import corpus  # noqa: E402
from corpus import harness  # noqa: E402


def _sample(entries, per_cell: int):
    taken: dict[str, int] = {}
    for entry in entries:
        kind = (entry.cell, entry.expect)
        if taken.get(kind, 0) >= per_cell:
            continue
        taken[kind] = taken.get(kind, 0) + 1
        yield entry


def main(argv=None) -> int:
    corpora = corpus.corpora()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", choices=sorted(corpora), action="append",
                        help="only this notebook (repeatable); default all")
    parser.add_argument("--sample", type=int, default=3,
                        help="mistakes and valid answers per exercise (default 3 each)")
    parser.add_argument("--workers", type=int, default=None, help="child processes (default 2)")
    args = parser.parse_args(argv)
    notebooks = args.notebook or sorted(corpora)

    jobs, chosen = [], {}
    for notebook in notebooks:
        solutions = harness.solution_sources(notebook)
        chosen[notebook] = list(_sample(corpora[notebook], args.sample))
        for entry in chosen[notebook]:
            code = {entry.cell: entry.code(solutions)}
            jobs.append({"key": f"whole:{entry.id}", "notebook": notebook, "code": code})
            short = {"key": f"short:{entry.id}", "notebook": notebook, "code": code,
                     "skip_earlier": True}
            if entry.expect == harness.LESS:
                short["settle"] = entry.names
            jobs.append(short)
    started = time.perf_counter()
    scores = harness.run_jobs(jobs, workers=args.workers)
    wall = time.perf_counter() - started

    print(f"{'notebook':<16}{'entries':>9}{'whole s':>9}{'short s':>10}{'saved':>7}"
          f"{'differ':>8}")
    total_whole = total_short = 0.0
    differ = []
    for notebook in notebooks:
        whole_s = short_s = 0.0
        for entry in chosen[notebook]:
            whole, short = scores[f"whole:{entry.id}"], scores[f"short:{entry.id}"]
            whole_s, short_s = whole_s + whole.seconds, short_s + short.seconds
            verdict = [(not s.full_marks, entry.named_in(s)) for s in (whole, short)]
            if verdict[0] != verdict[1]:
                differ.append((notebook, f"{entry.id}: whole {verdict[0]}, "
                                         f"short {verdict[1]} (lost points, named)"))
        saved = 1 - short_s / whole_s if whole_s else 0.0
        print(f"{notebook:<16}{len(chosen[notebook]):>9}{whole_s:>9.0f}{short_s:>10.0f}"
              f"{saved:>7.0%}{sum(nb == notebook for nb, _ in differ):>8}")
        total_whole, total_short = total_whole + whole_s, total_short + short_s
    print(f"all: whole {total_whole:.0f} s, short {total_short:.0f} s, saved "
          f"{1 - total_short / max(total_whole, 1e-9):.0%}; {len(jobs)} runs in {wall:.0f} s")
    for notebook, line in differ:
        print(f"VERDICT DIFFERS {notebook} {line}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
