"""What instructors and students read after grading: report.html, feedback pages, and a
quiet command line (fast unit tests; tests/test_grading.py checks a real batch)."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import nbformat
from course_files import SOLUTIONS

from kcourse import exercises
from kcourse.grading import reports
from kcourse.quiet import NOISE


def _result(score, status="graded", message="", tests=None):
    return {"score": score, "status": status, "message": message,
            "tests": tests or {"a_test": {"score": score, "max_score": 2.0, "message": ""}}}


def test_the_histogram_counts_whole_students():
    fig = reports.score_histogram([0.0, 2.0, 2.0], 2.0, "three students")
    ticks = fig.axes[0].get_yticks()
    plt.close(fig)
    assert len(ticks) >= 2
    assert all(float(t).is_integer() for t in ticks), ticks


def test_test_cells_are_named_by_their_exercise_and_section():
    nb = nbformat.read(SOLUTIONS / "01_dense" / "01_dense.ipynb", as_version=4)
    named = exercises.test_descriptions(nb)
    assert named["dense_relu"] == "Exercise 1 · Dense: Visible test"
    assert named["dense_contract"] == "Exercise 1 · Dense: The layer contract"
    assert named["classifier_accuracy"].startswith("Exercise 2 · a digit classifier")


def test_the_report_table_sorts_in_the_browser_and_shows_score_of_max(tmp_path):
    students = {"bob": _result(2.0), "al": _result(0.0, "invalid", "not a notebook <b>")}
    page = reports.write_report(tmp_path, "01_dense", 2.0, students, ["a_test"],
                                {"a_test": "Exercise 1 · X: Visible test"}).read_text()
    assert page.index("<td>al</td>") < page.index("<td>bob</td>")  # sorted by id
    assert "<td data-value='2'>2 of 2</td>" in page
    assert "Exercise 1 · X: Visible test (a_test)" in page
    assert "not a notebook &lt;b&gt;" in page and "<b>" not in page.split("<h1>")[1]
    assert "<script>" in page and "http" not in page.split("<script>")[1]


def test_an_invalid_submission_page_says_why_and_has_no_empty_section(tmp_path):
    page = reports.write_feedback(tmp_path, "01_dense", "al",
                                  _result(0.0, "invalid", "the file is not a readable notebook"),
                                  {}).read_text()
    assert "Score: <b>0 of 2</b>" in page
    assert "None of your code was graded: the file is not a readable notebook" in page


def test_start_up_noise_is_filtered_and_real_errors_are_kept():
    code = ("import os\nfrom kcourse.quiet import start_up_noise_filtered\n"
            "with start_up_noise_filtered():\n"
            "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is "
            "called are written to STDERR\\n')\n"
            "    os.write(2, b'I0000 00:00:1795571520.037054    4589 cudart_stub.cc:31] "
            "Could not find cuda drivers on your machine, GPU will not be used.\\n')\n"
            "    os.write(2, b'a real problem\\n')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "a real problem\n"
    assert not NOISE.search("Traceback (most recent call last):")
