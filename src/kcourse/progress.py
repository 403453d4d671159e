"""Where a student stands: each exercise's test cells, passed, failed or not run.

In the kernel: importing `kcourse.checks` calls `watch_cells()`, which records
whether each cell run succeeded, keyed by the cell's source. The last cell of a
notebook calls `checks.progress("NN_topic.ipynb")`, which reads the notebook's test
cells from the file (locked cells, so their source is the one that ran) and prints

    Exercise 1 · Dense            dense_relu        2 points   passed
                                  dense_variants    2 points   failed
    ...
    4 of 8 points pass the visible tests; grading runs more tests.

On the command line: `kcourse progress` runs every notebook of course/ on a copy,
headless, and prints the same table per notebook and a total (`main`). Neither
changes the student's files; neither runs hidden tests (a release has none).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .exercises import exercises

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"

#: cell source (stripped) -> whether its last run succeeded, in this kernel
_RUNS: dict[str, bool] = {}


def _record(result) -> None:
    source = getattr(getattr(result, "info", None), "raw_cell", None)
    if source is not None:
        _RUNS[source.strip()] = bool(result.success)


def watch_cells() -> None:
    """Record each cell run's success in this IPython kernel (once; no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or _record in shell.events.callbacks["post_run_cell"]:
        return
    shell.events.register("post_run_cell", _record)


@dataclass(frozen=True)
class Row:
    exercise: str
    grade_id: str
    points: float
    status: str


def rows(nb, status_of) -> list[Row]:
    """One Row per test cell, in notebook order; status_of(cell) -> PASSED/FAILED/NOT_RUN."""
    cells = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    found, orphans = exercises(nb)
    table = [Row("(before the exercises)", g, p, status_of(cells[g])) for g, p in orphans]
    for exercise in found:
        title = exercise.heading.lstrip("#").replace("`", "").strip()
        table += [Row(title, g, p, status_of(cells[g])) for g, p in exercise.tests]
    return table


def render(table: list[Row], name: str = "") -> str:
    """The table and its total line, as plain text."""
    width = max([len(r.exercise) for r in table] + [10])
    ids = max([len(r.grade_id) for r in table] + [8])
    lines, previous = [], None
    if name:
        lines.append(name)
    for r in table:
        shown = r.exercise if r.exercise != previous else ""
        previous = r.exercise
        mark = {PASSED: "✔", FAILED: "✘", NOT_RUN: "·"}[r.status]
        lines.append(f"  {shown:<{width}}  {r.grade_id:<{ids}}  {r.points:>4g} points  "
                     f"{mark} {r.status}")
    lines.append(summary(table))
    return "\n".join(lines)


def summary(table: list[Row]) -> str:
    passed = sum(r.points for r in table if r.status == PASSED)
    total = sum(r.points for r in table)
    waiting = sum(1 for r in table if r.status == NOT_RUN)
    tail = f" ({waiting} test cell{'s' if waiting != 1 else ''} not run yet)" if waiting else ""
    return (f"{passed:g} of {total:g} points pass the visible tests{tail}; "
            "grading runs more tests.")


def progress(notebook: str | Path) -> str:
    """Print (and return) this kernel's progress through `notebook` (a path relative to
    the notebook's folder, e.g. "01_dense.ipynb")."""
    path = Path(notebook)
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # never an error in the student's last cell
        text = (f"progress: cannot read {path} in {Path.cwd()} ({type(error).__name__}); "
                "pass this notebook's file name, e.g. checks.progress(\"01_dense.ipynb\")")
        print(text)
        return text

    def status_of(cell) -> str:
        ran = _RUNS.get(cell.source.strip())
        return NOT_RUN if ran is None else PASSED if ran else FAILED

    text = render(rows(nb, status_of))
    print(text)
    return text


# ----------------------------------------------------------------- kcourse progress


def executed_status(cell) -> str:
    """PASSED/FAILED/NOT_RUN of a cell in a notebook executed with allow_errors."""
    if cell.get("execution_count") is None:
        return NOT_RUN
    return FAILED if any(o.get("output_type") == "error" for o in cell.get("outputs", [])) \
        else PASSED


def run_copy(notebook: Path, kernel: str, timeout: int = 300):
    """Execute a copy of `notebook` (in a temporary copy of its folder); return it executed."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="kcourse-progress-") as scratch:
        folder = Path(scratch) / notebook.parent.name
        shutil.copytree(notebook.parent, folder)
        nb = nbformat.read(folder / notebook.name, as_version=4)
        NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def main(course: Path, kernel: str | None = None, out=sys.stdout) -> int:
    """Run each notebook of `course` on a copy and print where the student stands."""
    from .kernel import KERNEL_NAME

    notebooks = sorted(p for p in course.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not notebooks:
        print(f"kcourse progress: no notebooks in {course} (run `make lab` once to get them)",
              file=sys.stderr)
        return 2
    tables, total = [], []
    for index, notebook in enumerate(notebooks, 1):
        started = time.perf_counter()
        print(f"[{index}/{len(notebooks)}] running {notebook.name} ...", end="", flush=True,
              file=sys.stderr)
        try:
            nb = run_copy(notebook, kernel or KERNEL_NAME)
            table = rows(nb, executed_status)
        except Exception as error:  # this notebook only; the others still run
            print(f" could not run: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        print(f" {time.perf_counter() - started:.0f} s", file=sys.stderr)
        tables.append(render(table, notebook.stem))
        total += table
    print("\n\n".join(tables), file=out)
    print(f"\nAll notebooks: {summary(total)}", file=out)
    return 0
