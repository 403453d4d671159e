"""Grading truth, measured: realistic student answers scored as grading scores them.

tests/corpus/ holds, for every exercise of 00_keras_tour and 01_dense, mistakes a
student who half-understood the lesson makes and valid alternatives. Each is scored
by running the source notebook (hidden tests included) with the answer in its cell
(tests/corpus/harness.py, two child processes, TensorFlow imported once in each; a
mistake's or a mutant's run stops once its verdict is settled, and an answer's run
leaves out the test cells before its cell that the solution's run passes and no later
cell needs: see the harness):

* a mistake must score less than full marks, with a failing test's message naming it;
* a valid alternative must keep full marks;
* the figures: mistakes losing points (goal >= 95 %), those named (goal >= 80 %);
* a fixed sample of mutants of the solution cells (bench/mutants.py) must lose points;
* (slow, TensorFlow) `kcourse grade` gives a sample the scores the harness gives.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time

import corpus
import nbformat
import pytest
from corpus import harness
from corpus import mutants as mutation
from corpus.harness import FULL, LESS

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
CORPORA = corpus.corpora()  # notebook -> [Entry], from every tests/corpus/<topic>.py
ENTRIES = {entry.id: (notebook, entry) for notebook, entries in CORPORA.items()
           for entry in entries}
GOAL_LOSE_POINTS, GOAL_NAMED = 0.95, 0.80

#: Mutants that must lose points, one or two per operator: each corpus module's
#: MUTANT_SAMPLE (mutant ids of bench/mutants.py).
MUTANT_SAMPLE = corpus.mutant_samples()


def _sample_mutants(notebook: str) -> dict[str, mutation.Mutant]:
    by_id = {m.id: m for m in mutation.mutants(notebook)}
    # a missing id fails test_mutant_sample_is_killed
    return {i: by_id[i] for i in MUTANT_SAMPLE.get(notebook, ()) if i in by_id}


_SCORED: dict[str, harness.Score] = {}  # job key -> Score, for this session


def _entry_job(entry_id: str, whole: bool = False) -> dict:
    """An entry's run leaves out the test cells before its cell (see the harness), and a
    mistake's run stops at the failing test that names it; a `whole` run does neither."""
    notebook, entry = ENTRIES[entry_id]
    code = entry.code(harness.solution_sources(notebook))
    job = {"key": f"{'whole' if whole else 'entry'}:{entry_id}", "notebook": notebook,
           "code": {entry.cell: code}, "skip_earlier": not whole}
    if entry.expect == LESS and not whole:
        job["settle"] = entry.names
    return job


def _score(jobs: list[dict]) -> dict[str, harness.Score]:
    """Run the jobs not scored yet in this session; key -> Score for all of them."""
    todo = [job for job in jobs if job["key"] not in _SCORED]
    if todo:
        started = time.perf_counter()
        scored = harness.run_jobs(todo)
        _SCORED.update(scored)
        settled = sum(1 for score in scored.values() if score.settled_at)
        print(f"\n{len(todo)} notebook runs on {BACKEND} in "
              f"{time.perf_counter() - started:.0f} s ({settled} stopped once their verdict "
              f"was settled; notebook time {sum(s.seconds for s in scored.values()):.0f} s)")
    return {job["key"]: _SCORED[job["key"]] for job in jobs}


def notebook_scores(notebook: str) -> dict[str, harness.Score]:
    """Job key -> Score for one notebook: its solution, its entries, its mutant sample.

    Scored once per session, one notebook at a time, so `-k conv` runs only 03's jobs.
    """
    jobs = [{"key": f"solution:{notebook}", "notebook": notebook, "code": {}}]
    jobs += [_entry_job(e.id) for e in CORPORA[notebook]]
    for mutant_id, mutant in _sample_mutants(notebook).items():
        jobs.append({"key": f"mutant:{mutant_id}", "notebook": notebook,
                     "code": {mutant.cell: mutant.source}, "settle": "",
                     "skip_earlier": True})
    return _score(jobs)


# ------------------------------------------------------------------- the corpus itself


def test_the_corpus_is_well_formed():
    assert len(ENTRIES) == sum(len(e) for e in CORPORA.values()), "entry ids must be unique"
    for notebook, entries in CORPORA.items():
        solutions = harness.solution_sources(notebook)
        for entry in entries:
            assert entry.cell in solutions, f"{entry.id}: no solution cell {entry.cell}"
            code = entry.code(solutions)  # raises if an edit does not apply exactly once
            compile(code, entry.id, "exec")
            assert code != solutions[entry.cell], f"{entry.id} is the solution itself"
        for cell in solutions:  # every exercise has mistakes and valid alternatives
            kinds = {e.expect for e in entries if e.cell == cell}
            assert kinds == {FULL, LESS}, f"{notebook} {cell} has only {kinds}"


def test_the_harness_runs_every_test_cell_and_reports_errors():
    points = harness.test_cells("01_dense")
    assert {"dense_relu", "dense_variants", "classifier_accuracy"} <= set(points)
    assert all(p > 0 for p in points.values())
    source = [c.source for c in harness.read_cells("01_dense") if c.points is not None]
    assert any("checks.check_history" in s for s in source), "hidden tests are kept"
    assert not any("HIDDEN TESTS" in s for s in source)


def _solution_keeps_full_marks(notebook):
    score = notebook_scores(notebook)[f"solution:{notebook}"]
    assert score.full_marks, score.summary()


# ------------------------------------------------------------------------- each entry


def _entry_verdict(entry_id):
    notebook, entry = ENTRIES[entry_id]
    score = notebook_scores(notebook)[f"entry:{entry_id}"]
    if entry.expect == FULL:
        assert score.full_marks, f"{entry.why}: a valid answer lost points\n{score.summary()}"
        solution = notebook_scores(notebook)[f"solution:{notebook}"]
        for grade_id in score.skipped:  # left out: they run the solution's code
            assert solution.tests[grade_id].passed, f"the solution fails {grade_id}"
        return
    assert not score.full_marks, f"{entry.why}: the mistake kept full marks\n{score.summary()}"
    assert entry.named_in(score), (
        f"{entry.why}: no failing test names the mistake (/{entry.names}/)\n{score.summary()}")


def _figures(notebook: str) -> dict:
    scores = notebook_scores(notebook)
    mistakes = [(nb, e) for nb, e in ENTRIES.values() if nb == notebook and e.expect == LESS]
    valid = [(nb, e) for nb, e in ENTRIES.values() if nb == notebook and e.expect == FULL]
    losing = [e for _, e in mistakes if not scores[f"entry:{e.id}"].full_marks]
    named = [e for e in losing if e.named_in(scores[f"entry:{e.id}"])]
    kept = [e for _, e in valid if scores[f"entry:{e.id}"].full_marks]
    return {"mistakes": len(mistakes), "losing": len(losing), "named": len(named),
            "valid": len(valid), "kept": len(kept),
            "unnamed": [e.id for e in losing if e not in named],
            "not_losing": [e.id for _, e in mistakes if e not in losing],
            "valid_lost": [e.id for _, e in valid if e not in kept]}


def _figures_reach_the_goals(notebook):
    """The issue's figures over each notebook's corpus."""
    f = _figures(notebook)
    lose, name = f["losing"] / f["mistakes"], f["named"] / max(1, f["losing"])
    print(f"\n{notebook}: mistakes scoring less than full marks: "
          f"{f['losing']}/{f['mistakes']} = {lose:.0%} "
          f"(goal >= {GOAL_LOSE_POINTS:.0%})"
          f"\n  of those, named by the message: {f['named']}/{f['losing']} = {name:.0%} "
          f"(goal >= {GOAL_NAMED:.0%})"
          f"\nvalid alternatives keeping full marks: {f['kept']}/{f['valid']}"
          f"\n  mistakes keeping full marks: {f['not_losing']}"
          f"\n  mistakes losing points without being named: {f['unnamed']}"
          f"\n  valid alternatives losing points: {f['valid_lost']}")
    assert f["kept"] == f["valid"], f["valid_lost"]
    assert lose >= GOAL_LOSE_POINTS, f["not_losing"]
    assert name >= GOAL_NAMED, f["unnamed"]


def test_a_settled_run_gives_the_verdict_of_a_whole_run():
    """A mistake's run stops at the test that names it; run whole, it scores the same way."""
    entry_id = "dense_bias_not_added"
    notebook, entry = ENTRIES[entry_id]
    solution = {"key": f"solution:{notebook}", "notebook": notebook, "code": {}}
    scores = _score([_entry_job(entry_id), _entry_job(entry_id, whole=True), solution])
    settled, whole = scores[f"entry:{entry_id}"], scores[f"whole:{entry_id}"]
    assert settled.settled_at is not None and whole.settled_at is None
    assert len(settled.tests) < len(whole.tests), "the settled run stopped early"
    assert list(settled.tests) == list(whole.tests)[:len(settled.tests)]
    for grade_id, result in settled.tests.items():
        assert result.passed == whole.tests[grade_id].passed, grade_id
    assert not settled.full_marks and not whole.full_marks
    assert entry.named_in(settled) and entry.named_in(whole)
    # cells after the last test cell are never run: the solution's score lists every test
    assert list(scores[f"solution:{notebook}"].tests) == list(harness.test_cells(notebook))


def test_a_test_cell_that_binds_what_a_later_cell_reads_is_never_left_out():
    cell = harness.Cell
    cells = [cell(0, "import keras"),
             cell(1, "KEYS = ('units',)\nchecks.check(KEYS)", "a", points=1),
             cell(2, "for seed in range(2):\n    checks.check(seed)", "b", points=1),
             cell(3, "def layer():\n    return KEYS\n", "c", solution=True),
             cell(4, "seed = 3\nchecks.check(seed, [k for k in KEYS])", "d", points=1),
             cell(5, "shape = (2,)\nchecks.check(shape)", "e", points=1),
             cell(6, "print(shape)")]
    # KEYS is read inside a function; `seed` is bound again before it is read; `shape` is
    # read by a later cell
    assert harness.feeds_later_cells(cells) == {1, 5}
    assert harness.reads(cells[4].source) == {"checks", "KEYS"}


def test_a_run_without_the_earlier_tests_gives_the_verdict_of_a_whole_run():
    """An answer in 01's second exercise: its run leaves out the Dense tests, which pass
    in a whole run, and every test cell it runs scores as in the whole run."""
    for entry_id in ("classifier_compile_objects", "classifier_hidden_without_activation"):
        notebook, entry = ENTRIES[entry_id]
        scores = _score([_entry_job(entry_id), _entry_job(entry_id, whole=True)])
        part, whole = scores[f"entry:{entry_id}"], scores[f"whole:{entry_id}"]
        assert part.skipped == ["dense_relu", "dense_variants", "dense_contract"], part.skipped
        assert not whole.skipped
        assert all(whole.tests[grade_id].passed for grade_id in part.skipped)
        assert not set(part.skipped) & set(part.tests)
        for grade_id, result in part.tests.items():  # (Keras' layer-name counters differ)
            assert result.passed == whole.tests[grade_id].passed, grade_id
        assert part.full_marks == whole.full_marks == (entry.expect == FULL)
        if entry.expect == LESS:
            assert entry.named_in(part) and entry.named_in(whole)


# ------------------------------------------------------------------------ mutant sample


def _mutant_is_killed(notebook, mutant_id):
    key, scores = f"mutant:{mutant_id}", notebook_scores(notebook)
    assert key in scores, f"no mutant {mutant_id}: the solution cell changed? Update the sample."
    score = scores[key]
    assert not score.full_marks, f"mutant {mutant_id} survived\n{score.summary()}"


# ----------------------------------------------------------- one test class per notebook
# `make test` hands out whole test classes to its xdist workers (--dist loadscope): a
# class per notebook lets the two workers score different notebooks side by side, and
# `-k 06_lstm_gru` selects one notebook's corpus.


class NotebookCorpus:
    """The tests of one notebook's corpus (subclassed below, once per notebook)."""

    notebook: str = ""

    def test_the_solution_keeps_full_marks(self):
        _solution_keeps_full_marks(self.notebook)

    def test_entry(self, entry_id):
        _entry_verdict(entry_id)

    def test_figures(self):
        _figures_reach_the_goals(self.notebook)

    def test_mutant_sample_is_killed(self, mutant_id):
        _mutant_is_killed(self.notebook, mutant_id)


def pytest_generate_tests(metafunc):
    notebook = getattr(metafunc.cls, "notebook", None)
    if not notebook:
        return
    if "entry_id" in metafunc.fixturenames:
        metafunc.parametrize("entry_id", [entry.id for entry in CORPORA[notebook]])
    if "mutant_id" in metafunc.fixturenames:
        metafunc.parametrize("mutant_id", list(MUTANT_SAMPLE.get(notebook, ())))


for _notebook in CORPORA:
    _name = f"TestCorpus_{_notebook}"
    globals()[_name] = type(_name, (NotebookCorpus,), {"notebook": _notebook})


def test_the_mutation_operators_cover_the_issue():
    found = {m.operator for nb in CORPORA for m in mutation.mutants(nb)}
    assert found >= {"drop_keyword", "swap_string", "delete_statement", "swap_operands",
                     "change_number", "drop_return", "super_init"}
    every = {m.id for nb in CORPORA for m in mutation.mutants(nb)}
    assert set(mutation.equivalent()) <= every, set(mutation.equivalent()) - every


# --------------------------------------------------------------------- end to end (slow)

E2E_ENTRIES = ("dense_bias_not_added", "dense_kernel_transposed", "classifier_without_softmax",
               "dense_config_from_scratch")


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "tensorflow", reason="kcourse grade runs the course kernel "
                    "(TensorFlow); the harness on another backend is not comparable")
def test_kcourse_grade_agrees_with_the_harness(tmp_path):
    """3 mistakes and 1 valid alternative of 01_dense, graded by `kcourse grade`.

    The harness runs them whole here (every test cell), to compare cell by cell.
    """
    import shutil

    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is missing: apt-get install -y bubblewrap")
    source = nbformat.read(harness.notebook_path("01_dense"), as_version=4)
    solutions = harness.solution_sources("01_dense")
    for entry_id in E2E_ENTRIES:
        _, entry = ENTRIES[entry_id]
        nb = copy.deepcopy(source)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == entry.cell:
                cell.source = entry.code(solutions)
        folder = tmp_path / "submitted" / entry_id / "01_dense"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "01_dense.ipynb")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "kcourse", "grade", "01_dense", "--submitted",
         str(tmp_path / "submitted"), "--out", str(out), "--workers", "2",
         "--gradebook", f"sqlite:///{tmp_path / 'gradebook.db'}", "--timeout", "300"],
        capture_output=True, text=True, timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    students = json.loads((out / "grades.json").read_text())["students"]
    scores = _score([_entry_job(entry_id, whole=True) for entry_id in E2E_ENTRIES])
    for entry_id in E2E_ENTRIES:
        score = scores[f"whole:{entry_id}"]
        graded = {g: t["score"] == t["max_score"] for g, t in students[entry_id]["tests"].items()}
        harnessed = {g: t.passed for g, t in score.tests.items()}
        assert graded == harnessed, (entry_id, students[entry_id], score.summary())
