"""What stopping a settled run saves, and that it changes no verdict.

    .venv/bin/python bench/corpus.py [--notebook 03_convolution] [--sample 8] [--workers 2]

For a sample of each notebook's corpus mistakes (tests/corpus/<topic>.py, `expect=LESS`),
scores every mistake twice with the in-process harness (tests/corpus/harness.py): run
whole, and run with `settle` (stopped at the first failing test cell that names the
mistake, as tests/test_corpus.py runs them). Both kinds of run are mixed in the same
child processes, so they share the machine's load. Prints, per notebook:

  * the summed notebook time of the whole runs and of the settled runs, and the saving;
  * the runs whose verdict ("less than full marks", "named") differs: there must be none.

The sample is the first N mistakes of each exercise, in corpus order (deterministic).
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
        if entry.expect != harness.LESS or taken.get(entry.cell, 0) >= per_cell:
            continue
        taken[entry.cell] = taken.get(entry.cell, 0) + 1
        yield entry


def main(argv=None) -> int:
    corpora = corpus.corpora()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", choices=sorted(corpora), action="append",
                        help="only this notebook (repeatable); default all")
    parser.add_argument("--sample", type=int, default=3,
                        help="mistakes per exercise (default 3)")
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
            jobs.append({"key": f"settled:{entry.id}", "notebook": notebook, "code": code,
                         "settle": entry.names})
    started = time.perf_counter()
    scores = harness.run_jobs(jobs, workers=args.workers)
    wall = time.perf_counter() - started

    print(f"{'notebook':<16}{'mistakes':>9}{'whole s':>9}{'settled s':>10}{'saved':>7}"
          f"{'differ':>8}")
    total_whole = total_settled = 0.0
    differ = []
    for notebook in notebooks:
        whole_s = settled_s = 0.0
        for entry in chosen[notebook]:
            whole, settled = scores[f"whole:{entry.id}"], scores[f"settled:{entry.id}"]
            whole_s, settled_s = whole_s + whole.seconds, settled_s + settled.seconds
            verdict = [(not s.full_marks, entry.named_in(s)) for s in (whole, settled)]
            if verdict[0] != verdict[1]:
                differ.append((notebook, f"{entry.id}: whole {verdict[0]}, "
                                         f"settled {verdict[1]} (lost points, named)"))
        saved = 1 - settled_s / whole_s if whole_s else 0.0
        print(f"{notebook:<16}{len(chosen[notebook]):>9}{whole_s:>9.0f}{settled_s:>10.0f}"
              f"{saved:>7.0%}{sum(nb == notebook for nb, _ in differ):>8}")
        total_whole, total_settled = total_whole + whole_s, total_settled + settled_s
    print(f"all: whole {total_whole:.0f} s, settled {total_settled:.0f} s, saved "
          f"{1 - total_settled / max(total_whole, 1e-9):.0%}; {len(jobs)} runs in {wall:.0f} s")
    for notebook, line in differ:
        print(f"VERDICT DIFFERS {notebook} {line}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
