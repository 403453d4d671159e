"""Where a student stands: `checks.progress(...)` in the kernel and `kcourse progress`."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from course_files import COURSE
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kcourse import progress
from kcourse.kernel import KERNEL_NAME


def _grade(source, grade_id, points):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": points,
                                 "locked": True, "solution": False, "schema_version": 3}
    return cell


def _notebook():
    return new_notebook(cells=[
        new_code_cell("from kcourse import checks"),
        new_markdown_cell("## Exercise 1 · twice (3 points)"),
        new_code_cell("def twice(x):\n    return 2 * x"),
        _grade("assert twice(2) == 4", "twice_small", 1),
        _grade("assert twice(3) == 7", "twice_wrong", 2),
        new_markdown_cell("## Exercise 2 · later (1 point)"),
        _grade("print('never run')", "later_test", 1),
    ])


def test_the_table_and_its_total():
    statuses = {"twice_small": progress.PASSED, "twice_wrong": progress.FAILED,
                "later_test": progress.NOT_RUN}
    table = progress.rows(_notebook(),
                          lambda cell: statuses[cell.metadata.nbgrader.grade_id])
    assert [(r.exercise, r.grade_id, r.points) for r in table] == [
        ("Exercise 1 · twice (3 points)", "twice_small", 1),
        ("Exercise 1 · twice (3 points)", "twice_wrong", 2),
        ("Exercise 2 · later (1 point)", "later_test", 1)]
    text = progress.render(table)
    assert "✔ passed" in text and "✘ failed" in text and "· not run" in text
    assert text.splitlines()[-1] == ("1 of 4 points pass the visible tests (1 test cell not "
                                     "run yet); grading runs more tests.")


def test_the_kernel_records_each_test_cell_run(tmp_path):
    nb = _notebook()
    nb.cells.pop()  # the later exercise's test cell is never run
    nb.cells.append(new_code_cell('checks.progress("work.ipynb")'))
    full = _notebook()
    nbformat.write(full, tmp_path / "work.ipynb")  # what progress() reads: the saved file
    NotebookClient(nb, timeout=120, kernel_name=KERNEL_NAME, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "twice_small" in shown and "✔ passed" in shown
    assert "✘ failed" in shown and "· not run" in shown
    assert "1 of 4 points pass the visible tests" in shown, shown


def test_a_missing_notebook_file_is_named_without_an_error(capsys):
    progress.progress("no_such.ipynb")
    assert "progress: cannot read no_such.ipynb" in capsys.readouterr().out


@pytest.mark.slow
def test_kcourse_progress_runs_a_copy_and_prints_every_notebook(tmp_path):
    course = tmp_path / "course"
    (course / "mine").mkdir(parents=True)
    nbformat.write(_notebook(), course / "mine" / "mine.ipynb")
    (course / "broken").mkdir()
    (course / "broken" / "broken.ipynb").write_text("{not json")
    before = (course / "mine" / "mine.ipynb").read_bytes()
    done = subprocess.run([sys.executable, "-m", "kcourse", "progress", "--course", str(course)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "[1/2] running broken.ipynb ... could not run" in done.stderr
    assert "mine" in done.stdout and "twice_wrong" in done.stdout
    assert "All notebooks: 2 of 4 points pass the visible tests" in done.stdout
    assert (course / "mine" / "mine.ipynb").read_bytes() == before
    assert not list(course.rglob("*.npz")) and len(list(course.rglob("*"))) == 4


def test_every_course_notebook_ends_with_its_progress():
    for notebook in sorted(COURSE.glob("*/*.ipynb")):
        last = nbformat.read(notebook, as_version=4).cells[-1]
        assert last.cell_type == "code", notebook.name
        assert last.source.strip() == f'checks.progress("{notebook.name}")', notebook.name


def test_an_unfilled_exercise_shows_one_friendly_line_naming_it():
    nb = new_notebook(cells=[
        new_code_cell("from kcourse import checks\nimport keras\n\n"
                      "class Dense(keras.layers.Layer):\n"
                      "    def __init__(self, units, **kwargs):\n"
                      "        # YOUR CODE HERE\n        raise NotImplementedError()\n\n"
                      "def build():\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
        new_code_cell("layer = Dense(3)"),
        new_code_cell("model = build()"),
        new_code_cell("print('not reached')"),
    ])
    client = NotebookClient(nb, timeout=120, kernel_name=KERNEL_NAME, allow_errors=True)
    client.execute()
    shown = [o.traceback for c in nb.cells[1:3] for o in c.outputs if o.output_type == "error"]
    assert shown == [
        ["NotImplementedError: `Dense.__init__` is not written yet. Replace `raise "
         "NotImplementedError()` in its exercise cell with your code, run that cell, then run "
         "this one again.", "(raised in Cell In[1], line 7, in __init__)"],
        ["NotImplementedError: `build` is not written yet. Replace `raise "
         "NotImplementedError()` in its exercise cell with your code, run that cell, then run "
         "this one again.", "(raised in Cell In[1], line 11, in build)"]]
