"""Build the solution notebooks from their jupytext twins, executed, outputs kept.

Authors edit solutions/NN_topic/NN_topic.py (jupytext percent format: `# %%`
cells, nbgrader metadata in the cell header). `build()` turns each into the
.ipynb beside it, executes it top to bottom with the course kernel, and
stores the outputs that nbval later compares. Cell ids are derived from the
cell's position (or grade_id), so rebuilding an unchanged notebook rewrites
the same file.
"""

from __future__ import annotations

import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from . import paths
from .kernel import KERNEL_NAME

CELL_TIMEOUT = 300


def twin(notebook: Path) -> Path:
    """The jupytext percent script of a notebook."""
    return notebook.with_suffix(".py")


def _assign_ids(nb) -> None:
    for index, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{index:03d}"


def from_script(script: Path):
    """The notebook a percent script describes (no outputs), with stable cell ids."""
    nb = jupytext.read(script)
    nb.metadata.pop("jupytext", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    _assign_ids(nb)
    return nb


def execute(nb, workdir: Path, kernel_name: str = KERNEL_NAME):
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    for cell in nb.cells:  # execution timestamps differ on every run
        cell.get("metadata", {}).pop("execution", None)
    return nb


def build(assignments: list[str] | None = None) -> None:
    for assignment in assignments or paths.assignments_with_scripts():
        for script in sorted((paths.solutions_dir() / assignment).glob("*.py")):
            started = time.perf_counter()
            nb = execute(from_script(script), script.parent)
            nbformat.write(nb, script.with_suffix(".ipynb"))
            print(f"built {script.with_suffix('.ipynb')} in {time.perf_counter() - started:.1f} s")


# ----------------------------------------------------------- nbgrader regions of a cell

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def region_lines(source: str, markers: tuple[str, str]) -> list[str]:
    """The lines of `source` between the BEGIN and END markers (markers excluded)."""
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() == markers[0]:
            inside = True
        elif line.strip() == markers[1]:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def without_markers(source: str) -> str:
    """The cell as the solution runs it: every nbgrader marker line removed."""
    markers = {*SOLUTION, *HIDDEN_TESTS}
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def nbgrader_cells(nb, kind: str) -> list:
    """Cells whose nbgrader metadata sets `kind` ("solution" or "grade") to true."""
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get(kind)]
