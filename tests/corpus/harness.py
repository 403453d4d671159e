"""Score solution cells in this process: the source notebook, top to bottom, fresh namespace.

`score_notebook("01_dense", {"dense_solution": code})` runs every code cell of
solutions/01_dense/01_dense.ipynb in order, as `kcourse grade` does (hidden tests
included, each solution cell replaced by the given code when there is one), in a
fresh namespace, and says for each test cell whether it raised (its points count
only when it raised nothing) and with what message. Cells keep running after an
error, as nbgrader's do. TensorFlow (or JAX) is imported once per process, so one
notebook run costs its cells, not a kernel start.

A run may do less than a whole run and give its verdict (`settle`, `skip_earlier`):
cells after the last test cell never change a score, so they are never run; a run
asked to settle stops at the first failing test cell whose message matches the given
regex ("" matches any): a mistake's verdict, "less than full marks and named", or a
mutant's, "less than full marks", cannot change once such a cell has failed, and the
notebooks' costly cells (training, plots) come after their exercises' tests. A run
asked to skip earlier tests leaves out the test cells before its first changed solution
cell that define nothing a later cell reads (found from the cells' symbol tables): they
run the solution's code, whose run (scored beside it) must pass them, and every
training cell sets its own seed, so what follows them is the same.

This is a model of grading, not grading: checks run with their fixed seeds (not a
nonce), in one process. tests/test_corpus.py compares it with `kcourse grade` on a
sample, with whole runs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import symtable
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
HIDDEN_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) HIDDEN TESTS[ \t]*\n?", re.MULTILINE)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
IPYTHON_SYNTAX = re.compile(r"^[ \t]*[%!]", re.MULTILINE)


@dataclass(frozen=True)
class Cell:
    index: int
    source: str
    grade_id: str | None = None
    solution: bool = False
    points: float | None = None  # a test cell's points; None for other cells


@dataclass
class CellResult:
    grade_id: str
    points: float
    passed: bool
    message: str = ""  # "Type: message" of what the cell raised


@dataclass
class Score:
    notebook: str
    tests: dict[str, CellResult]
    other_errors: list[str] = field(default_factory=list)  # non-test cells that raised
    seconds: float = 0.0
    settled_at: str | None = None  # the test cell the run stopped at (see score_notebook)
    skipped: list[str] = field(default_factory=list)  # test cells left out (skip_earlier)

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests.values() if t.passed)

    @property
    def max_points(self) -> float:
        return sum(t.points for t in self.tests.values())

    @property
    def full_marks(self) -> bool:
        return all(t.passed for t in self.tests.values())

    def messages(self) -> list[str]:
        """The failing test cells' messages, in notebook order."""
        return [f"{t.grade_id}: {t.message}" for t in self.tests.values() if not t.passed]

    def summary(self) -> str:
        lines = [f"{self.points:g}/{self.max_points:g} in {self.seconds:.1f} s"
                 + (f" (stopped at {self.settled_at}: the verdict was settled)"
                    if self.settled_at else "")
                 + (f" (not run, as in the solution's run: {', '.join(self.skipped)})"
                    if self.skipped else "")]
        lines += [f"  {t.grade_id} ({t.points:g}): "
                  + ("passed" if t.passed else t.message[:400]) for t in self.tests.values()]
        lines += [f"  (non-test cell) {e[:300]}" for e in self.other_errors]
        return "\n".join(lines)


def notebook_path(notebook: str) -> Path:
    return SOLUTIONS / notebook / f"{notebook}.ipynb"


def read_cells(notebook: str) -> list[Cell]:
    """The code cells of the source notebook, hidden-test markers removed."""
    nb = nbformat.read(notebook_path(notebook), as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        points = float(meta.get("points", 0)) if meta.get("grade") else None
        source = HIDDEN_MARKERS.sub("", cell.source)
        if IPYTHON_SYNTAX.search(source):
            raise ValueError(f"{notebook} cell {index} uses IPython syntax the harness cannot run")
        cells.append(Cell(index, source, meta.get("grade_id"), bool(meta.get("solution")),
                          points))
    return cells


def solution_sources(notebook: str) -> dict[str, str]:
    """grade_id -> the instructor's code of each solution cell (SOLUTION markers removed)."""
    return {c.grade_id: SOLUTION_MARKERS.sub("", c.source)
            for c in read_cells(notebook) if c.solution}


def test_cells(notebook: str) -> dict[str, float]:
    """grade_id -> points of each graded test cell."""
    return {c.grade_id: c.points for c in read_cells(notebook) if c.points is not None}


def _top_level(source: str) -> symtable.SymbolTable:
    return symtable.symtable(source, "<cell>", "exec")


def binds(source: str) -> set[str]:
    """Names a cell binds in the notebook's namespace (assigned, imported, def, class)."""
    return {s.get_name() for s in _top_level(source).get_symbols()
            if s.is_assigned() or s.is_imported()}


def reads(source: str) -> set[str]:
    """Global names a cell reads that it does not bind itself (in functions too).

    An approximation: a name the cell binds is not counted even when the cell reads it
    first (`shape = shape + (1,)`). Were a skipped test cell to feed such a read, the
    run would fail with a NameError or a changed value; a valid answer's run would then
    lose points visibly, and bench/corpus.py compares verdicts with whole runs.
    """
    top = _top_level(source)
    names = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        names |= {s.get_name() for s in table.get_symbols()
                  if s.is_referenced() and s.is_global()}
        tables += table.get_children()
    return names - binds(source)


def feeds_later_cells(cells: list[Cell]) -> set[int]:
    """Indices of the test cells that bind a name a later cell reads before rebinding it."""
    feeding = set()
    for position, cell in enumerate(cells):
        if cell.points is None:
            continue
        names = binds(cell.source)
        for later in cells[position + 1:]:
            if names & reads(later.source):
                feeding.add(cell.index)
                break
            names -= binds(later.source)
    return feeding


def _describe(error: BaseException) -> str:
    from kcourse.checks._student import strip_ansi

    return f"{type(error).__name__}: {strip_ansi(str(error)).strip()}"


def _reset_keras() -> None:
    import keras

    keras.backend.clear_session()  # layer-name counters, as in a fresh kernel


def settles(pattern: str | None, grade_id: str, message: str) -> bool:
    """True when a failing test cell's message settles a run asked to settle on `pattern`.

    Matched as Entry.named_in matches (the same "grade_id: message" text and flags).
    """
    if pattern is None:
        return False
    return re.search(pattern, f"{grade_id}: {message}", re.IGNORECASE | re.DOTALL) is not None


def score_notebook(notebook: str, code: dict[str, str] | None = None,
                   settle: str | None = None, skip_earlier: bool = False) -> Score:
    """Run the notebook with `code` (grade_id -> source) in its solution cells; score it.

    A solution cell not in `code` keeps the instructor's solution. Unknown grade_ids
    raise KeyError (an entry must not silently miss its cell). Cells after the last
    test cell are not run. With `settle` (a regex; "" for any failure), the run stops at
    the first failing test cell whose message matches it: the later test cells are
    left out of the score, which already has less than full marks. With `skip_earlier`,
    the test cells before the first solution cell in `code` are not run (listed in
    `Score.skipped`) unless a later cell reads a name they bind: they test the
    instructor's code, as the solution's run does.
    """
    import matplotlib.pyplot as plt

    code = dict(code or {})
    cells = read_cells(notebook)
    unknown = set(code) - {c.grade_id for c in cells if c.solution}
    if unknown:
        raise KeyError(f"{notebook} has no solution cell {sorted(unknown)}")
    last_test = max((i for i, c in enumerate(cells) if c.points is not None), default=-1)
    cells = cells[:last_test + 1]  # what follows the last test cell changes no score
    first_changed = min((c.index for c in cells if c.solution and c.grade_id in code),
                        default=-1)
    feeding = feeds_later_cells(cells) if skip_earlier else set()
    skipped = [c.grade_id for c in cells if skip_earlier and c.points is not None
               and c.index < first_changed and c.index not in feeding]
    cells = [c for c in cells if c.grade_id not in skipped]
    _reset_keras()
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    tests: dict[str, CellResult] = {}
    errors: list[str] = []
    settled_at = None
    started = time.perf_counter()
    old_cwd = os.getcwd()
    workdir = tempfile.TemporaryDirectory(prefix="kcourse-corpus-")
    os.chdir(workdir.name)  # a cell writing a relative path writes here, as in a sandbox
    try:
        for cell in cells:
            source = code.get(cell.grade_id, cell.source) if cell.solution else cell.source
            name = f"<{notebook} cell {cell.index}{' ' + cell.grade_id if cell.grade_id else ''}>"
            error = None
            try:
                exec(compile(source, name, "exec"), namespace)  # noqa: S102
            except KeyboardInterrupt:
                raise
            except BaseException as caught:  # noqa: BLE001  a cell's error is a result
                error = caught
            if cell.points is not None:
                message = _describe(error) if error else ""
                tests[cell.grade_id] = CellResult(cell.grade_id, cell.points, error is None,
                                                  message)
                if error is not None and settles(settle, cell.grade_id, message):
                    settled_at = cell.grade_id
                    break
            elif error is not None:
                errors.append(f"{name} {_describe(error)}")
    finally:
        os.chdir(old_cwd)
        workdir.cleanup()
        plt.close("all")
    return Score(notebook, tests, errors, time.perf_counter() - started, settled_at, skipped)


# ------------------------------------------------------------------------------ entries

FULL = "full marks"
LESS = "less than full marks"


@dataclass(frozen=True)
class Entry:
    """One student answer for one exercise, and what grading must make of it.

    Either `source` (the whole cell as the student wrote it) or `edits` ((old, new)
    pairs applied to the instructor's cell; each `old` must occur exactly once).
    expect: FULL (a valid alternative) or LESS (a mistake); names: a regex the
    message of a failing test cell must match, naming the mistake (LESS only).
    """

    id: str
    cell: str
    expect: str
    source: str | None = None
    edits: tuple[tuple[str, str], ...] = ()
    names: str | None = None
    why: str = ""

    def __post_init__(self):
        if self.expect not in (FULL, LESS):
            raise ValueError(f"{self.id}: expect must be FULL or LESS")
        if (self.source is None) == (not self.edits):
            raise ValueError(f"{self.id}: give exactly one of source or edits")
        if self.expect == LESS and not self.names:
            raise ValueError(f"{self.id}: a mistake needs the regex that names it")

    def code(self, solutions: dict[str, str]) -> str:
        """The cell's source: `source`, or the instructor's cell with the edits applied."""
        if self.source is not None:
            return self.source
        text = solutions[self.cell]
        for old, new in self.edits:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"{self.id}: {old!r} occurs {count} times in {self.cell}")
            text = text.replace(old, new)
        return text

    def named_in(self, score: Score) -> bool:
        """True when a failing test cell's message matches `names`."""
        pattern = re.compile(self.names or "$^", re.IGNORECASE | re.DOTALL)
        return any(pattern.search(message) for message in score.messages())


def run_entry(notebook: str, entry: Entry) -> Score:
    return score_notebook(notebook, {entry.cell: entry.code(solution_sources(notebook))})


# ------------------------------------------------------------------- many runs, in parallel
# A job is {"key": str, "notebook": str, "code": {grade_id: source}, "settle": regex,
# "skip_earlier": bool (both optional: see score_notebook)}. Jobs run in child
# processes, one per notebook (more when there are more workers than notebooks), each
# importing TensorFlow once; results come back as plain dicts keyed by job key.

JOB_TIMEOUT_S = 240  # one notebook run; the notebooks here take 5-10 s
#: Each child uses one core, as a grading sandbox does: `workers` children share the machine.
#: The children's environment (as the course kernel's KERNEL_ENV, before TF loads). Never
#: set in this process: pytest's own os.environ reaches the kernels nbval starts later
#: (MPLBACKEND=Agg there would stop every figure from being displayed).
CHILD_DEFAULTS = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
                  "MPLBACKEND": "Agg"}
CHILD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
             "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def result_dict(score: Score) -> dict:
    return {"tests": {g: {"points": t.points, "passed": t.passed, "message": t.message}
                      for g, t in score.tests.items()},
            "other_errors": score.other_errors, "seconds": score.seconds,
            "settled_at": score.settled_at, "skipped": score.skipped}


def score_from_dict(notebook: str, data: dict) -> Score:
    tests = {g: CellResult(g, t["points"], t["passed"], t["message"])
             for g, t in data["tests"].items()}
    return Score(notebook, tests, list(data.get("other_errors", [])), data.get("seconds", 0.0),
                 data.get("settled_at"), list(data.get("skipped", [])))


def _chunks(jobs: list[dict], workers: int) -> list[list[dict]]:
    by_notebook: dict[str, list[dict]] = {}
    for job in jobs:
        by_notebook.setdefault(job["notebook"], []).append(job)
    groups = list(by_notebook.values())
    while len(groups) < workers:  # split the largest group until every worker has one
        largest = max(groups, key=len)
        if len(largest) < 2:
            break
        groups.remove(largest)
        # every other job, not halves: a notebook's costly runs (whole runs of valid
        # answers) sit together in corpus order, and halves left one child running alone
        groups += [largest[0::2], largest[1::2]]
    return groups


def run_jobs(jobs: list[dict], workers: int | None = None, log=None) -> dict[str, Score]:
    """Score every job (in child processes, `workers` at a time); key -> Score.

    A job whose child died or ran out of time comes back as a Score whose every test
    cell failed with the reason: never missing.
    """
    keys = [job["key"] for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("job keys must be unique")
    workers = workers or min(2, os.cpu_count() or 1)
    results: dict[str, Score] = {}
    logged: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="kcourse-corpus-") as folder:
        pending = []
        for number, group in enumerate(_chunks(jobs, workers)):
            jobs_file = Path(folder) / f"jobs{number}.json"
            out_file = Path(folder) / f"out{number}.jsonl"
            jobs_file.write_text(json.dumps(group))
            pending.append((group, out_file, [sys.executable, str(Path(__file__).resolve()),
                                              str(jobs_file), str(out_file)]))
        running: list = []
        while pending or running:
            while pending and len(running) < workers:
                group, out_file, command = pending.pop(0)
                errors = open(out_file.with_suffix(".stderr"), "w+")  # noqa: SIM115
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors,
                                           env={**CHILD_DEFAULTS, **CHILD_ENV, **os.environ})
                running.append((group, out_file, process, time.monotonic(), errors))
            time.sleep(0.2)
            for group, out_file, *_ in running:  # report each job as it finishes
                if log is not None and out_file.is_file():
                    text = out_file.read_text()
                    for line in text[:text.rfind("\n") + 1].splitlines():  # whole lines
                        data = json.loads(line)
                        if data["key"] not in logged:
                            logged.add(data["key"])
                            notebook = next(j["notebook"] for j in group
                                            if j["key"] == data["key"])
                            log(data["key"], score_from_dict(notebook, data["result"]))
            for item in list(running):
                group, out_file, process, started, errors = item
                limit = JOB_TIMEOUT_S * len(group)
                if process.poll() is None and time.monotonic() - started < limit:
                    continue
                reason = ""
                if process.poll() is None:
                    process.kill()
                    reason = f"the run took more than {limit} s"
                process.wait()
                errors.seek(0)
                stderr = errors.read()
                errors.close()
                running.remove(item)
                done = {}
                if out_file.is_file():
                    for line in out_file.read_text().splitlines():
                        data = json.loads(line)
                        done[data["key"]] = data
                if process.returncode and not reason:
                    reason = f"the run exited with {process.returncode}: {stderr[-1500:]}"
                for job in group:
                    if job["key"] in done:
                        results[job["key"]] = score_from_dict(job["notebook"],
                                                              done[job["key"]]["result"])
                    else:
                        points = test_cells(job["notebook"])
                        results[job["key"]] = Score(job["notebook"], {
                            g: CellResult(g, p, False, f"HarnessError: {reason or 'no result'}")
                            for g, p in points.items()})
                    if log is not None and job["key"] not in logged:
                        logged.add(job["key"])
                        log(job["key"], results[job["key"]])
    return results


def _child(jobs_file: str, out_file: str) -> int:
    """Run the jobs of one file, appending one JSON line per job to `out_file`."""
    jobs = json.loads(Path(jobs_file).read_text())
    for job in jobs:
        with contextlib.redirect_stdout(io.StringIO()):  # what the cells print is not needed
            score = score_notebook(job["notebook"], job["code"], job.get("settle"),
                                   bool(job.get("skip_earlier")))
        with open(out_file, "a", encoding="utf-8") as sink:
            sink.write(json.dumps({"key": job["key"], "result": result_dict(score)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_child(*sys.argv[1:]))
