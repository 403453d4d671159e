"""Solution notebooks: in sync with their jupytext twins, well-formed as exercises."""

import ast
import re

import pytest
from course_files import ROOT, read, solution_notebooks

from kcourse.authoring import HIDDEN_TESTS, from_script, nbgrader_cells, twin

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
