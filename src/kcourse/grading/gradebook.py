"""The one writer of nbgrader's gradebook (any SQLAlchemy URL; SQLite by default).

Only the grading process's main thread calls these functions, one submission
at a time, so no two writers ever race. The assignment's structure (notebooks,
grade cells, points) is loaded by nbgrader itself (`generate_assignment`
against the same database URL), so `nbgrader export` and formgrader read the
scores as if nbgrader autograde had written them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from kcourse import paths
from kcourse.release import venv_env


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or updated."""


def check_reachable(db_url: str) -> None:
    """Fail fast, before any notebook runs, when the gradebook cannot be opened or read."""
    from sqlalchemy import create_engine, inspect

    try:
        engine = create_engine(db_url)
        try:
            with engine.connect() as connection:
                inspect(connection).get_table_names()
        finally:
            engine.dispose()
    except Exception as error:  # bad URL, missing driver, unreachable server, corrupt file
        reason = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        raise GradebookError(f"cannot open the gradebook {db_url}: {reason}") from None


def ensure_assignment(db_url: str, assignment: str) -> None:
    """Create or update the assignment in the gradebook from solutions/ (nbgrader's own code)."""
    with tempfile.TemporaryDirectory(prefix="kcourse-release-") as scratch:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
             f"--CourseDirectory.release_directory={scratch}",
             f"--CourseDirectory.db_url={db_url}", "--log-level=WARN"],
            cwd=paths.autograder_dir(), capture_output=True, text=True, env=venv_env(),
            check=False,
        )
    if result.returncode != 0:
        raise GradebookError(f"nbgrader could not register {assignment} in {db_url}:\n"
                             f"{(result.stdout + result.stderr)[-2000:]}")


def write_scores(db_url: str, assignment: str, notebook: str, student: str,
                 scores: dict[str, float]) -> None:
    """Record a student's auto scores (grade_id -> points) for one notebook."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own SAWarning
    try:
        with Gradebook(db_url) as gradebook:
            gradebook.update_or_create_student(student)
            try:
                gradebook.find_submission(assignment, student)
            except MissingEntry:
                gradebook.add_submission(assignment, student)
            for grade_id, points in scores.items():
                grade = gradebook.find_grade(grade_id, notebook, assignment, student)
                grade.auto_score = points
            gradebook.db.commit()
    except Exception as error:
        raise GradebookError(f"could not write {student}'s scores to {db_url}: {error}") from None


def read_scores(db_url: str, assignment: str) -> dict[str, float]:
    """student -> total score, as nbgrader reports it (for tests and checks)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        return {s.student.id: s.score for s in gradebook.find_assignment(assignment).submissions}


def default_url(out: Path) -> str:
    return f"sqlite:///{Path(out).resolve() / 'gradebook.db'}"
