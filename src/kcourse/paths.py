"""Where the course's folders are (the repository checkout kcourse is installed from)."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout: $KCOURSE_ROOT, else the folder above src/ of this editable install."""
    root = os.environ.get("KCOURSE_ROOT")
    candidate = Path(root) if root else Path(__file__).resolve().parents[2]
    if not (candidate / "solutions").is_dir() or not (candidate / "autograder").is_dir():
        raise FileNotFoundError(
            f"{candidate} is not a course checkout (no solutions/ and autograder/); "
            "install kcourse with `pip install -e .` from the checkout or set KCOURSE_ROOT."
        )
    return candidate


def solutions_dir() -> Path:
    return project_root() / "solutions"


def course_dir() -> Path:
    return project_root() / "course"


def autograder_dir() -> Path:
    return project_root() / "autograder"


def assignments_with_scripts() -> list[str]:
    """Assignment ids whose notebooks are authored as jupytext scripts."""
    return sorted(p.name for p in solutions_dir().iterdir()
                  if p.is_dir() and p.name[:2].isdigit() and any(p.glob("*.py")))


def assignments() -> list[str]:
    """Assignment ids in course order: the folders of solutions/ named NN_topic."""
    return sorted(p.name for p in solutions_dir().iterdir()
                  if p.is_dir() and p.name[:2].isdigit() and any(p.glob("*.ipynb")))
