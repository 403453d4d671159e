"""`kcourse grade` against honest, hostile and malformed submissions (a real batch).

One batch of 01_dense holds honest submissions, the untouched release, every
attack of tests/hostile_submissions.py and every malformed file. It must
complete; honest work keeps full marks; every attack and malformed file
scores what the untouched release scores; nothing outside the sandboxes
changes; the gradebook agrees with grades.json; a rerun skips what is done;
the same tasks on a real local Dask cluster give the same scores.
"""

import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading

import nbformat
import pytest
from course_files import COURSE, ROOT, SOLUTIONS
from hostile_submissions import (
    ATTACKS,
    MALFORMED,
    SHORTCUTS,
    attack_notebook,
    malformed,
    shortcut_notebook,
)

from kcourse.grading import cli, gradebook, submission

pytestmark = pytest.mark.slow
ASSIGNMENT = "01_dense"
TIMEOUT_S = 120
#: grade_id -> points of the source notebook's test cells; the layer checks' cells
POINTS = submission.grade_cells(
    nbformat.read(SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
MAX_SCORE = sum(POINTS.values())
DENSE_TESTS = [g for g in POINTS if g.startswith("dense_")]


def _tree_digest(folder) -> dict:
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not skip & set(p.relative_to(folder).parts)
    }


class Listener:
    """A TCP server on the host's loopback that counts connections (none may arrive)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections, self.running = 0, True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
                self.connections += 1
                connection.close()
            except OSError:
                continue

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    submitted, out = base / "submitted", base / "out"
    db_url = f"sqlite:///{base / 'gradebook.db'}"
    source = (SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    release = (COURSE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()

    def submit(student, content, name=f"{ASSIGNMENT}.ipynb"):
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)

    einsum = source.replace("keras.ops.matmul(inputs, self.kernel)",
                            "keras.ops.einsum('...i,ij->...j', inputs, self.kernel)")
    assert einsum != source
    nb = json.loads(source)
    nb["cells"] = [c for c in nb["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]
    honest = {"honest_solution": source, "honest_einsum": einsum,
              "honest_tests_deleted": json.dumps(nb)}
    for student, content in honest.items():
        submit(student, content)
    submit("honest_wrong_name", source, name="my_dense.ipynb")
    submit("untouched", release)
    for name in SHORTCUTS:
        submit(f"shortcut_{name}", shortcut_notebook(source, name))

    listener = Listener()
    victim = submitted / "honest_solution" / ASSIGNMENT
    targets = [str(base / "gradebook.db"), str(ROOT / "autograder" / "gradebook.db"),
               str(out), str(victim), str(victim / f"{ASSIGNMENT}.ipynb"), str(ROOT),
               str(SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")]
    for name, code in ATTACKS.items():
        code = code.replace("{ROOT}", str(ROOT)).replace("{TARGETS}", repr(targets))
        submit(f"attack_{name}", attack_notebook(release, code.replace("{PORT}",
                                                                        str(listener.port))))
    variants = malformed(release)
    assert set(variants) == set(MALFORMED)
    for name, content in variants.items():
        submit(f"malformed_{name}", content,
               name="my_work.ipynb" if name == "wrong_name_release" else f"{ASSIGNMENT}.ipynb")
    (submitted / "no_notebook" / ASSIGNMENT).mkdir(parents=True)

    before_root = _tree_digest(ROOT)
    before_submitted = _tree_digest(submitted)
    result = subprocess.run(
        [sys.executable, "-m", "kcourse", "grade", ASSIGNMENT, "--submitted", str(submitted),
         "--out", str(out), "--workers", "2", "--gradebook", db_url,
         "--timeout", str(TIMEOUT_S), "--memory", "3072"],
        capture_output=True, text=True, timeout=3000,
    )
    listener.close()
    return {
        "result": result, "out": out, "submitted": submitted, "db_url": db_url,
        "grades": json.loads((out / "grades.json").read_text()) if result.returncode == 0
        else None,
        "root_changed": sorted(set(_tree_digest(ROOT).items()) ^ set(before_root.items())),
        "submitted_changed": sorted(set(_tree_digest(submitted).items())
                                    ^ set(before_submitted.items())),
        "connections": listener.connections,
    }


def test_the_batch_completes(batch):
    result = batch["result"]
    assert result.returncode == 0, result.stderr[-3000:]
    students = batch["grades"]["students"]
    assert len(students) == len(list(batch["submitted"].iterdir()))


def test_honest_submissions_keep_full_marks(batch):
    grades = batch["grades"]
    for student in ("honest_solution", "honest_einsum", "honest_tests_deleted",
                    "honest_wrong_name"):
        result = grades["students"][student]
        assert result["score"] == grades["max_score"] == MAX_SCORE, (student, result)
        assert result["status"] == "graded"
    assert "expected 01_dense.ipynb" in grades["students"]["honest_wrong_name"]["message"]


@pytest.mark.parametrize("student", [f"attack_{n}" for n in ATTACKS])
def test_each_attack_scores_what_the_release_scores(batch, student):
    students = batch["grades"]["students"]
    assert students[student]["score"] == students["untouched"]["score"] == 0.0, \
        students[student]


@pytest.mark.parametrize("student", [f"malformed_{n}" for n in MALFORMED] + ["no_notebook"])
def test_each_malformed_submission_scores_what_the_release_scores(batch, student):
    result = batch["grades"]["students"][student]
    assert result["score"] == 0.0, result
    assert set(result["tests"]) == set(POINTS)


def test_statuses_say_what_happened(batch):
    students = batch["grades"]["students"]
    assert students["malformed_invalid_json"]["status"] == "invalid"
    assert "not a readable notebook" in students["malformed_invalid_json"]["message"]
    assert students["no_notebook"]["status"] == "missing"
    assert students["attack_cpu_forever"]["status"] == "timeout"
    assert students["attack_memory"]["status"] in ("crashed", "graded")
    assert students["attack_exit_kernel"]["status"] == "crashed"
    assert students["untouched"]["status"] == "graded"
    failing = students["untouched"]["tests"]["dense_relu"]["message"]
    assert "NotImplementedError" in failing


@pytest.mark.parametrize("name", list(SHORTCUTS))
def test_a_shortcut_in_the_dense_cell_zeroes_the_dense_tests_only(batch, name):
    """The static scan refuses it, names cell, line and built-in; the classifier keeps points."""
    _, line, named = SHORTCUTS[name]
    result = batch["grades"]["students"][f"shortcut_{name}"]
    tests = result["tests"]
    assert len(DENSE_TESTS) >= 2
    for grade_id in DENSE_TESTS:
        message = tests[grade_id]["message"]
        assert tests[grade_id]["score"] == 0.0, (grade_id, message)
        assert message.startswith("refused without running the check: your cell "
                                  f"'dense_solution', line {line} "), message
        assert named in message, message
    others = {g: p for g, p in POINTS.items() if g not in DENSE_TESTS}
    assert others, "01_dense has no test cell besides the Dense layer's"
    for grade_id, points in others.items():
        assert tests[grade_id] == {"score": points, "max_score": points,
                                   "message": "passed"}, tests
    assert result["score"] == sum(others.values()) and result["status"] == "graded"


def test_a_check_stopped_by_an_earlier_cell_names_that_cell(batch):
    tests = batch["grades"]["students"]["untouched"]["tests"]
    message = tests["classifier_accuracy"]["message"]
    assert "this check did not run" in message and "raised NotImplementedError earlier" in message
    assert "in your cell 'classifier_solution' (line" in message and "fix that first" in message
    assert "name 'model' is not defined" in message  # what the test cell itself showed
    assert "in your cell 'dense_solution'" in tests["dense_relu"]["message"]  # the raising line


def test_no_colour_codes_reach_grades_or_feedback(batch):
    out = batch["out"]
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) >= len(batch["grades"]["students"]) - 1  # all but the missing one
    for path in [out / "grades.json", out / "grades.csv", *pages]:
        assert "\x1b" not in path.read_text(), path


def test_nothing_outside_the_sandboxes_changed(batch):
    assert batch["root_changed"] == []
    assert batch["submitted_changed"] == []
    assert batch["connections"] == 0
    assert not list(batch["out"].rglob("pwned*"))


def test_gradebook_agrees_with_grades_json(batch):
    scores = gradebook.read_scores(batch["db_url"], ASSIGNMENT)
    students = batch["grades"]["students"]
    expected = {s: r["score"] for s, r in students.items() if r["status"] != "missing"}
    assert scores == expected


def test_outputs_for_the_instructor(batch):
    out = batch["out"]
    header = (out / "grades.csv").read_text().splitlines()[0]
    assert header.startswith("student,score,max_score,status,dense_relu")
    assert (out / "score_distribution.png").stat().st_size > 1000
    assert (out / "pass_rate.png").stat().st_size > 1000
    assert "Score distribution" in (out / "report.html").read_text()
    feedback = (out / "feedback" / "untouched" / f"{ASSIGNMENT}.html").read_text()
    assert "dense_relu" in feedback and "NotImplementedError" in feedback
    assert "BEGIN HIDDEN TESTS" not in feedback and "gelu" not in feedback


def test_the_report_has_a_sortable_table_of_students_with_named_tests(batch):
    page = (batch["out"] / "report.html").read_text()
    students = batch["grades"]["students"]
    table = page[page.index("<table class='sortable'>"):page.index("</tbody></table>")]
    assert table.count("<tr><td>") == len(students)
    for student, result in students.items():
        assert f"<tr><td>{student}</td><td data-value='{result['score']:g}'>" \
               f"{result['score']:g} of {MAX_SCORE:g}</td>" in table
    assert "Exercise 1 · Dense: Visible test (dense_relu)" in table
    assert "Exercise 1 · Dense: The layer contract (dense_contract)" in table
    assert "addEventListener(\"click\"" in page  # sorting runs in the browser, no server


def test_feedback_says_score_of_max_and_an_invalid_page_has_nothing_empty(batch):
    out, students = batch["out"], batch["grades"]["students"]
    honest = (out / "feedback" / "honest_solution" / f"{ASSIGNMENT}.html").read_text()
    assert f"Score: <b>{MAX_SCORE:g} of {MAX_SCORE:g}</b>" in honest
    assert "Exercise 1 · Dense: Visible test (dense_relu)" in honest
    invalid = (out / "feedback" / "malformed_invalid_json" / f"{ASSIGNMENT}.html").read_text()
    assert f"Score: <b>0 of {MAX_SCORE:g}</b>" in invalid
    assert "None of your code was graded: " in invalid
    assert students["malformed_invalid_json"]["message"][:40] in invalid
    assert "<h2>Your graded code</h2>\n" not in invalid


def test_grade_prints_no_tensorflow_start_up_noise(batch):
    stderr = batch["result"].stderr
    assert "kcourse grade 01_dense" in stderr  # the log itself is there
    for noise in ("absl::InitializeLog", "cuda drivers", "oneDNN", "cudart_stub"):
        assert noise not in stderr, noise


def test_rerun_skips_what_is_done_and_regrades_what_is_not(batch, tmp_path):
    out = batch["out"]
    (out / "state" / "untouched.json").unlink()
    log = tmp_path / "log.txt"
    with open(log, "w") as stream:
        grades = cli.grade(ASSIGNMENT, batch["submitted"], out, workers=2,
                           gradebook_url=batch["db_url"], timeout=TIMEOUT_S, log=stream)
    text = log.read_text()
    assert text.count("already graded") == len(grades["students"]) - 1
    assert f"untouched: 0/{MAX_SCORE:g} (graded)" in text
    assert grades["students"] == batch["grades"]["students"]


def test_a_real_local_dask_cluster_gives_the_same_scores(batch, tmp_path):
    submitted = tmp_path / "submitted"
    for student in ("honest_solution", "untouched"):
        shutil.copytree(batch["submitted"] / student, submitted / student)
    out = tmp_path / "out"
    shutil.copytree(batch["out"] / "state", out / "state",
                    ignore=shutil.ignore_patterns("*_*.json", "untouched.json"))
    grades = cli.grade(ASSIGNMENT, submitted, out, workers=2, dask="local",
                       gradebook_url=f"sqlite:///{tmp_path / 'gb.db'}", timeout=TIMEOUT_S)
    assert {s: r["score"] for s, r in grades["students"].items()} == \
        {"honest_solution": MAX_SCORE, "untouched": 0.0}


def test_grading_refuses_to_run_without_a_sandbox(tmp_path):
    (tmp_path / "submitted").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = subprocess.run(
        [sys.executable, "-m", "kcourse", "grade", ASSIGNMENT, "--submitted",
         str(tmp_path / "submitted"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, env={"PATH": str(bin_dir)}, timeout=300,
    )
    assert result.returncode == 2
    assert "bubblewrap" in result.stderr and "--no-sandbox" in result.stderr


@pytest.mark.parametrize("assignment", [a for a in ("00_keras_tour",)])
def test_other_assignments_grade_solution_full_and_release_zero(assignment, tmp_path):
    for student, folder in (("solution", SOLUTIONS), ("release", COURSE)):
        target = tmp_path / "submitted" / student / assignment
        target.mkdir(parents=True)
        shutil.copy(folder / assignment / f"{assignment}.ipynb", target)
    grades = cli.grade(assignment, tmp_path / "submitted", tmp_path / "out", workers=2,
                       gradebook_url=f"sqlite:///{tmp_path / 'gb.db'}", timeout=TIMEOUT_S)
    scores = {s: r["score"] for s, r in grades["students"].items()}
    assert grades["max_score"] > 0
    assert scores == {"solution": grades["max_score"], "release": 0.0}


@pytest.mark.parametrize("kind", ["corrupt file", "missing folder", "bad URL"])
def test_a_broken_gradebook_stops_grading_before_any_notebook_runs(kind, tmp_path):
    submitted = tmp_path / "submitted" / "someone" / ASSIGNMENT
    submitted.mkdir(parents=True)
    shutil.copy(COURSE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", submitted)
    corrupt = tmp_path / "gradebook.db"
    corrupt.write_bytes(b"this is not an SQLite database" * 100)
    url = {"corrupt file": f"sqlite:///{corrupt}",
           "missing folder": f"sqlite:///{tmp_path / 'no' / 'such' / 'gb.db'}",
           "bad URL": "nosuchdialect://host/db"}[kind]
    result = subprocess.run(
        [sys.executable, "-m", "kcourse", "grade", ASSIGNMENT, "--submitted",
         str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--gradebook", url],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert f"cannot open the gradebook {url}" in result.stderr
    assert not (tmp_path / "out" / "grades.json").exists()
    assert corrupt.read_bytes() == b"this is not an SQLite database" * 100  # nothing lost


def test_a_planted_font_list_does_not_reach_the_next_run():
    """Each run gets matplotlib's font list from the grader, built with no student code."""
    import nbformat

    from kcourse.grading import runner, sandbox

    fonts = runner.matplotlib_font_list(True)
    assert fonts and all(name.startswith("fontlist-") for name in fonts)
    assert json.loads(next(iter(fonts.values())))["ttflist"]  # matplotlib's own format

    def run(code: str) -> str:
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
            "name": "kcourse", "display_name": "kcourse", "language": "python"}})
        nb.cells = [nbformat.v4.new_code_cell(code)]
        result = runner.execute(runner.encode_task(nb, "x", sandbox.Limits(wall_seconds=120),
                                                   True))
        assert result["status"] == "graded", result
        outputs = nbformat.reads(result["executed"], as_version=4).cells[0].outputs
        return "".join(o.get("text", "") for o in outputs)

    folder = "__import__('os').environ['MPLCONFIGDIR']"
    planted = run(f"import glob\nfor p in glob.glob({folder} + '/fontlist-*.json'):\n"
                  "    open(p, 'w').write('planted'); print('planted', p)")
    assert "planted" in planted
    seen = run(f"import glob\nfor p in glob.glob({folder} + '/fontlist-*.json'):\n"
               "    print(open(p).read() == 'planted', len(open(p).read()))")
    assert seen.split() == ["False", str(len(next(iter(fonts.values()))))]
