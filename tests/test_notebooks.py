"""Solution notebooks: in sync with their jupytext twins, well-formed as exercises."""

import ast
import re

import jupytext
import pytest
from course_files import ROOT, read, solution_notebooks

from kcourse.authoring import (
    HIDDEN_TESTS,
    exercise_points_problems,
    exercises,
    from_script,
    nbgrader_cells,
    twin,
)

NOTEBOOKS = solution_notebooks()
ids = [p.stem for p in NOTEBOOKS]
# keras.backend in Keras 3 keeps only configuration helpers; anything else from it
# (keras.backend.dot, .variable, .function, ...) is Keras 2.
KERAS3_BACKEND_API = (
    "backend|clear_session|epsilon|floatx|get_uid|image_data_format|is_float_dtype|"
    "is_int_dtype|is_keras_tensor|result_type|set_epsilon|set_floatx|set_image_data_format|"
    "standardize_dtype"
)
KERAS2_IDIOMS = re.compile(
    rf"keras\.backend\.(?!(?:{KERAS3_BACKEND_API})\b)\w+|get_updates|[^_\w]lr=|"
    r"\[['\"]acc['\"]\]|fit_generator|ImageDataGenerator|\bK\.\w+\("
)


def _comparable(nb):
    return [(c.cell_type, c.source, {k: v for k, v in c.metadata.items() if k != "execution"})
            for c in nb.cells]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_notebook_is_in_sync_with_its_jupytext_twin(notebook):
    assert twin(notebook).is_file(), f"{notebook.name} has no jupytext twin {twin(notebook).name}"
    assert _comparable(read(notebook)) == _comparable(from_script(twin(notebook))), (
        f"{notebook.name} and {twin(notebook).name} differ: run `make build`"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_solution_notebook_is_stored_executed_without_errors(notebook):
    code = [c for c in read(notebook).cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run `make build`"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"stored errors: {[e.ename for e in errors]}"
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "no plot"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_test_cells_decide_only_through_kcourse_checks(notebook):
    grade_cells = nbgrader_cells(read(notebook), "grade")
    assert grade_cells
    for cell in grade_cells:
        tree = ast.parse(cell.source)
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        assert not asserts, f"{cell.metadata.nbgrader.grade_id}: bare assert (use kcourse.checks)"
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
                 and n.func.value.id == "checks"]
        assert calls, f"{cell.metadata.nbgrader.grade_id} calls no kcourse.checks function"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_exercises_are_complete(notebook):
    nb = read(notebook)
    grade_ids = [c.metadata.nbgrader.grade_id for c in nb.cells if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(set(grade_ids)), "duplicate grade_id"
    grade_cells = nbgrader_cells(nb, "grade")
    assert all(c.metadata.nbgrader.points > 0 and c.metadata.nbgrader.locked for c in grade_cells)
    assert any(HIDDEN_TESTS[0] in c.source for c in grade_cells), "no hidden tests"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Learning goals" in markdown and "$$" in markdown
    assert nb.metadata.kernelspec.name == "kcourse"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_no_keras2_idioms(notebook):
    text = "\n".join(c.source for c in read(notebook).cells)
    assert not KERAS2_IDIOMS.search(text), KERAS2_IDIOMS.search(text).group(0)


def test_library_has_no_keras2_idioms():
    for path in (ROOT / "src").rglob("*.py"):
        match = KERAS2_IDIOMS.search(path.read_text())
        assert not match, f"{path}: {match.group(0)}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_exercise_headings_state_the_points_of_their_test_cells(notebook):
    """In "## Exercise N · title (P points)", P = the points of its test cells (to the next).

    Read from the jupytext script, the file to fix (the .ipynb equals it, tested above).
    """
    source = twin(notebook) if twin(notebook).is_file() else notebook
    nb = from_script(source) if source.suffix == ".py" else read(source)
    assert exercises(nb)[0], f"{source.name} has no '## Exercise N · title (P points)' heading"
    problems = exercise_points_problems(nb)
    assert not problems, f"{source.relative_to(ROOT)}:\n" + "\n".join(problems)


def _test_cell(grade_id, points):
    return (f'# %% nbgrader={{"grade": true, "grade_id": "{grade_id}", "locked": true, '
            f'"points": {points}, "schema_version": 3, "solution": false, "task": false}}\n'
            f"checks.check_close(1.0, 1.0)\n\n")


# 01_dense as it stood: "(6 points)" over two test cells of 2 points, a prose section
# with no test between them and Exercise 2, whose cell has the 2 points its heading says.
SYNTHETIC = (
    "# %% [markdown]\n# ## Exercise 1 · `Dense` (6 points)\n\n"
    + _test_cell("dense_relu", 2) + _test_cell("dense_variants", 2)
    + "# %% [markdown]\n# ## 3. Your layer in a model\n\n"
    + "# %% [markdown]\n# Some prose.\n#\n# ## Exercise 2 · a classifier (2 points)\n\n"
    + _test_cell("classifier_accuracy", 2)
)


def test_points_check_names_a_heading_that_promises_more_than_its_cells():
    problems = exercise_points_problems(jupytext.reads(SYNTHETIC, fmt="py:percent"))
    assert problems == [
        "'## Exercise 1 · `Dense` (6 points)' says 6 points, but the test cells up to the "
        "next exercise give 4 points: dense_relu (2) + dense_variants (2). Change the "
        "heading or the cells' nbgrader points"
    ]


def test_points_check_passes_once_the_missing_cell_is_added():
    fixed = SYNTHETIC.replace(
        "# %% [markdown]\n# ## 3.", _test_cell("dense_contract", 2) + "# %% [markdown]\n# ## 3."
    )
    nb = jupytext.reads(fixed, fmt="py:percent")
    assert exercise_points_problems(nb) == []
    found, orphans = exercises(nb)
    assert [(e.stated, e.counted) for e in found] == [(6, 6), (2, 2)] and orphans == []
    # A cell after the next heading is not counted twice, nor for the wrong exercise.
    assert [g for g, _ in found[1].tests] == ["classifier_accuracy"]


def test_points_check_names_headings_without_points_and_tests_before_any_exercise():
    text = (_test_cell("warm_up", 1) + "# %% [markdown]\n# ## Exercise 1 · `Dense`\n\n"
            + _test_cell("dense_relu", 2) + "# %% [markdown]\n# ## Exercise 2 · empty (3 points)\n")
    problems = exercise_points_problems(jupytext.reads(text, fmt="py:percent"))
    assert len(problems) == 3
    assert "warm_up (1 point) comes before any '## Exercise' heading" in problems[0]
    assert "'## Exercise 1 · `Dense`' states no points: end the heading with '(2 points)'" in (
        problems[1])
    assert "says 3 points, but the test cells up to the next exercise give 0 points: " \
        "no test cell" in problems[2]
