"""Round trip through nbgrader's own autograde, with the course's nbgrader_config.py.

For each assignment: the source notebook submitted as a student's work scores
full marks, the untouched release scores 0, and neither stops the batch. For
01_dense a submission whose graded test cell was deleted still gets the test
back (OverwriteCells.add_missing_cells) and full marks.
"""

import json
import shutil
import subprocess
import sys

import pytest
from course_files import AUTOGRADER, COURSE, SOLUTIONS, assignments

from kcourse.release import venv_env

pytestmark = pytest.mark.slow


def nbgrader(root, *args):
    command = [
        sys.executable, "-m", "nbgrader", *args,
        f"--CourseDirectory.root={root}",
        f"--CourseDirectory.source_directory={SOLUTIONS}",
        f"--CourseDirectory.release_directory={root / 'release'}",
        f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}",
    ]
    # cwd=autograder/ so that nbgrader reads the course's nbgrader_config.py
    return subprocess.run(command, cwd=AUTOGRADER, capture_output=True, text=True,
                          env=venv_env(), timeout=900)


def submit(root, student, assignment, notebook_json):
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_text(notebook_json)


def scores(root, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {
            s.student.id: (s.score, s.max_score)
            for s in gradebook.find_assignment(assignment).submissions
        }


@pytest.mark.parametrize("assignment", assignments())
def test_solution_scores_full_marks_and_release_scores_zero(assignment, tmp_path):
    generated = nbgrader(tmp_path, "generate_assignment", assignment, "--force")
    assert generated.returncode == 0, generated.stderr
    source = (SOLUTIONS / assignment / f"{assignment}.ipynb").read_text()
    release = (COURSE / assignment / f"{assignment}.ipynb").read_text()
    submit(tmp_path, "solution", assignment, source)
    submit(tmp_path, "untouched", assignment, release)
    if assignment == "01_dense":
        nb = json.loads(source)
        nb["cells"] = [c for c in nb["cells"]
                       if c["metadata"].get("nbgrader", {}).get("grade_id") != "dense_relu"]
        submit(tmp_path, "deleted_test", assignment, json.dumps(nb))

    graded = nbgrader(tmp_path, "autograde", assignment, "--force")

    result = scores(tmp_path, assignment)
    log = graded.stdout + graded.stderr
    max_score = result["solution"][1]
    assert max_score > 0
    assert result["solution"] == (max_score, max_score), log
    assert result["untouched"] == (0.0, max_score), log
    if assignment == "01_dense":
        assert result["deleted_test"] == (max_score, max_score), log
        restored = (tmp_path / "autograded" / "deleted_test" / assignment /
                    f"{assignment}.ipynb").read_text()
        assert "was missing from the submission" in restored
    shutil.rmtree(tmp_path / "autograded")
