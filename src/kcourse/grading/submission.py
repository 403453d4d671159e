"""Find submissions in nbgrader's layout and rebuild the notebook that is graded.

The graded notebook is the instructor's source notebook with each solution
cell's code replaced by the student's code for that cell (matched by
nbgrader grade_id). Everything else comes from the source: test cells with
their hidden tests, read-only cells, metadata, order. Deleting, duplicating,
reordering or editing cells, or changing their metadata, therefore changes
nothing but the student's own solution code. Code a student writes outside
the solution cells is not graded.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass
class Submission:
    """One student's submission of one assignment notebook."""

    student: str
    path: Path | None
    status: str = "ok"              # or "missing", "invalid"
    message: str = ""
    notes: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Hash of the submitted file (empty when there is none)."""
        if self.path is None or not self.path.is_file():
            return ""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(submitted: Path, assignment: str, notebook: str) -> list[Submission]:
    """DIR/<student>/<assignment>/<notebook>.ipynb for every student folder in DIR."""
    if not submitted.is_dir():
        raise FileNotFoundError(f"--submitted {submitted} is not a folder")
    found = []
    for folder in sorted(p for p in submitted.iterdir() if p.is_dir()):
        student = folder.name
        if not STUDENT_ID.match(student):
            found.append(Submission(student, None, "invalid",
                                    "student folder name has characters nbgrader ids cannot use"))
            continue
        expected = folder / assignment / f"{notebook}.ipynb"
        if expected.is_file():
            found.append(Submission(student, expected))
            continue
        others = sorted((folder / assignment).glob("*.ipynb")) if (folder / assignment).is_dir() \
            else []
        if len(others) == 1:
            found.append(Submission(student, others[0], notes=[
                f"graded {others[0].name}: expected {expected.name}"]))
        elif others:
            found.append(Submission(student, None, "missing",
                                    f"no {expected.name}, and {len(others)} other notebooks"))
        else:
            found.append(Submission(student, None, "missing", f"no {expected.name} submitted"))
    return found


class InvalidSubmission(ValueError):
    """The submitted file is not a readable notebook."""


def read_student_notebook(path: Path):
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidSubmission(f"the notebook is {size} bytes (limit {MAX_NOTEBOOK_BYTES})")
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8", errors="strict"), as_version=4)
    except Exception as error:
        first_line = str(error).splitlines()[0][:200] if str(error) else ""
        raise InvalidSubmission(
            f"not a readable notebook: {type(error).__name__}: {first_line}"
        ) from None
    if not isinstance(getattr(nb, "cells", None), list):
        raise InvalidSubmission("the notebook has no list of cells")
    return nb


def _solution_ids(nb) -> list[str]:
    return [c.metadata.nbgrader.grade_id for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def graded_notebook(source_nb, student_nb) -> tuple[object, list[str]]:
    """The source notebook with the student's solution code in it; and notes for feedback."""
    wanted = set(_solution_ids(source_nb))
    code: dict[str, str] = {}
    notes = []
    for cell in student_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id in wanted and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            if grade_id in code:
                notes.append(f"solution cell {grade_id} appears more than once: first one graded")
                continue
            code[grade_id] = source
    graded = copy.deepcopy(source_nb)
    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in wanted:
            if grade_id in code:
                cell.source = code[grade_id]
            else:
                cell.source = STUB
                notes.append(f"solution cell {grade_id} is missing from the submission")
    return graded, notes


def grade_cells(source_nb) -> dict[str, float]:
    """grade_id -> points of every auto-graded test cell, in notebook order."""
    return {c.metadata.nbgrader.grade_id: float(c.metadata.nbgrader.get("points", 0))
            for c in source_nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
