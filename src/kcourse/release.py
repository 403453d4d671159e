"""Generate the student release course/ from solutions/ with nbgrader.

`release()` runs `nbgrader generate_assignment` into a scratch folder (with a
scratch gradebook, so the instructor's gradebook is untouched) and then
syncs the result into course/. With missing_only=True (what `make lab`
uses) only the assignments whose notebook is missing from course/ are generated
(nbgrader takes seconds per notebook, and the lab waits for it), and files already in
course/ are never overwritten: a student's work is kept.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import paths


class ReleaseError(RuntimeError):
    """nbgrader could not generate the release."""


def venv_env() -> dict[str, str]:
    """os.environ with this interpreter's bin/ first on PATH (nbgrader runs `alembic`)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate(assignment: str, destination: Path) -> Path:
    """Run nbgrader generate_assignment for one assignment into destination/<assignment>/."""
    source = paths.solutions_dir() / assignment
    if not source.is_dir():
        raise ReleaseError(f"no assignment {assignment!r} in {paths.solutions_dir()}")
    with tempfile.TemporaryDirectory(prefix="kcourse-gradebook-") as scratch:
        command = [
            sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
            f"--CourseDirectory.release_directory={destination}",
            f"--CourseDirectory.db_url=sqlite:///{Path(scratch) / 'gradebook.db'}",
            "--log-level=WARN",
        ]
        result = subprocess.run(command, cwd=paths.autograder_dir(), capture_output=True,
                                text=True, check=False, env=venv_env())
    if result.returncode != 0:
        raise ReleaseError(
            f"nbgrader generate_assignment {assignment} failed:\n{result.stdout}{result.stderr}"
        )
    return destination / assignment


def release(assignments: list[str] | None = None, *, missing_only: bool = False,
            course: Path | None = None) -> list[str]:
    """Regenerate course/ (or `course`); return what changed, one line per file."""
    course = Path(course or paths.course_dir())
    assignments = assignments or paths.assignments()
    if missing_only:
        assignments = [a for a in assignments if not (course / a / f"{a}.ipynb").is_file()]
    changes = []
    with tempfile.TemporaryDirectory(prefix="kcourse-release-") as tmp:
        for assignment in assignments:
            generated = generate(assignment, Path(tmp))
            for new in sorted(p for p in generated.rglob("*") if p.is_file()):
                target = course / assignment / new.relative_to(generated)
                if target.exists() and filecmp.cmp(new, target, shallow=False):
                    continue
                if target.exists() and missing_only:
                    changes.append(f"kept {target} (differs from the release: your work is kept)")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(new, target)
                changes.append(f"wrote {target}")
    for line in changes:
        print(line)
    return changes
