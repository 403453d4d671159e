"""What a student sees in the real JupyterLab, driven in Debian's Chromium by Playwright.

JupyterLab is started the way the README says (`make lab HEADLESS=1 PORT=... TOKEN=...`),
serving a scratch copy of the course (NOTEBOOK_DIR) so that nothing a run saves reaches
course/. For each course notebook the test opens it, checks the course kernel is
selected, runs all cells and reads the notebook *model* (JupyterLab renders only the
cells on screen): no stderr output anywhere, and the first error is the friendly
message of the first unfilled exercise. Then the same with a solved copy (the
solution notebook with the hidden tests removed, as a student who did everything would
have it): every test cell shows its ✔ lines, no error, no stderr.

Screenshots of failures go to $KCOURSE_SCREENSHOTS (default: the test's tmp folder),
named in the failure message. Chromium comes from apt (`make test` installs it as root;
lab/system-packages.sh); Playwright never downloads a browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from course_files import COURSE, ROOT, SOLUTIONS

from kcourse.authoring import HIDDEN_TESTS
from kcourse.kernel import DISPLAY_NAME

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NOTEBOOKS = sorted(p.parent.name for p in COURSE.glob("*/*.ipynb"))
RUN_TIMEOUT_S = 600

#: JavaScript: the open notebook's cells as the model holds them (every cell, on screen
#: or not): type, nbgrader metadata, execution count and outputs.
READ_MODEL = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells, found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    found.push({type: cell.type, metadata: cell.sharedModel.getMetadata(),
                count: cell.type === "code" ? cell.executionCount : null,
                outputs: cell.type === "code" ? cell.outputs.toJSON() : []});
  }
  return {cells: found, kernel: panel.sessionContext.kernelDisplayName,
          status: panel.sessionContext.kernelDisplayStatus};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _solved_copy(assignment: str, target: Path) -> None:
    """The solution notebook as a student who did everything has it: no hidden tests."""
    nb = nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    pattern = re.compile(rf"^[ \t]*{HIDDEN_TESTS[0]}.*?{HIDDEN_TESTS[1]}[ \t]*\n?",
                         re.MULTILINE | re.DOTALL)
    for cell in nb.cells:
        cell.source = pattern.sub("", cell.source)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base url, token, scratch folder) of a headless `make lab` serving copies."""
    scratch = tmp_path_factory.mktemp("browser")
    for assignment in NOTEBOOKS:
        shutil.copytree(COURSE / assignment, scratch / assignment)
        _solved_copy(assignment, scratch / assignment / f"solved_{assignment}.ipynb")
    port, token = _free_port(), "kcourse-browser-test"
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "-s", "lab", "HEADLESS=1", f"PORT={port}", f"TOKEN={token}",
         f"NOTEBOOK_DIR={scratch}", "LAB_ARGS=--LabApp.expose_app_in_browser=True"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            time.sleep(1)
    else:
        _stop(process)
        pytest.fail(f"make lab did not serve on {port}:\n{process.stdout.read()[-3000:]}")
    print(f"\nmake lab answered in {time.perf_counter() - started:.0f} s")
    yield base, token, scratch
    _stop(process)


def _stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium "
                    "(make test installs it when run as root)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("KCOURSE_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_all(browser, lab, path: str, shots: Path) -> dict:
    """Open `path` in JupyterLab, run all cells, wait until done; the model's cells."""
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # a workspace of its own, reset: no tab (and kernel) of an earlier page reopens
        workspace = re.sub(r"\W", "-", path)
        page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?token={token}&reset",
                  wait_until="domcontentloaded")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell"
                               " && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               ".session && window.jupyterapp.shell.currentWidget"
                               ".sessionContext.session.kernel", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext"
                               ".kernelDisplayStatus === 'idle'", timeout=120_000)
        state = page.evaluate(READ_MODEL)
        if state["kernel"] != DISPLAY_NAME:
            raise AssertionError(f"{path} opened with kernel {state['kernel']!r}, "
                                 f"not {DISPLAY_NAME!r}")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            time.sleep(2)
            state = page.evaluate(READ_MODEL)
            busy = state["status"] != "idle"
            queued = any(c["type"] == "code" and c["count"] is None for c in state["cells"])
            errored = any(o.get("output_type") == "error" for c in state["cells"]
                          for o in c["outputs"])
            if not busy and (not queued or errored):
                time.sleep(2)  # a last output in flight
                return page.evaluate(READ_MODEL)
        raise AssertionError(f"{path}: still running after {RUN_TIMEOUT_S} s")
    except Exception:
        shot = shots / f"{path.replace('/', '__')}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
        raise
    finally:
        page.close()


def _stderr(state) -> list[str]:
    return [o.get("text", "")[:300] for c in state["cells"] for o in c["outputs"]
            if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def _grade_id(cell) -> str:
    return cell["metadata"].get("nbgrader", {}).get("grade_id", "")


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_the_release_stops_at_the_first_exercise_with_a_friendly_message(
        browser, lab, shots, assignment):
    state = run_all(browser, lab, f"{assignment}/{assignment}.ipynb", shots)
    assert not _stderr(state), f"stderr in {assignment}: {_stderr(state)}"
    cells = state["cells"]
    errors = [(i, o) for i, c in enumerate(cells) for o in c["outputs"]
              if o.get("output_type") == "error"]
    assert errors, f"{assignment}: the unfilled release ran without an error"
    where, error = errors[0]
    grading = [c["metadata"].get("nbgrader", {}) for c in cells]
    first_solution = next(i for i, g in enumerate(grading) if g.get("solution"))
    first_test = next(i for i, g in enumerate(grading) if g.get("grade"))
    # the first exercise's own cells: its solution, a cell using it, or its first test
    assert first_solution <= where <= first_test, (
        f"{assignment}: the first error is in cell {where}, outside the first exercise "
        f"(cells {first_solution}-{first_test}): {error.get('evalue', '')[:300]}")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.get("traceback", [])))
    assert "replace `raise notimplementederror()`" in shown.lower(), shown
    assert "Traceback" not in shown and "site-packages" not in shown, (
        f"{assignment}: the student sees a traceback, not the message:\n{shown}")


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_a_solved_copy_passes_every_visible_test(browser, lab, shots, assignment):
    state = run_all(browser, lab, f"{assignment}/solved_{assignment}.ipynb", shots)
    assert not _stderr(state), f"stderr in {assignment}: {_stderr(state)}"
    errors = [(_grade_id(c), o.get("ename"), o.get("evalue", "")[:300])
              for c in state["cells"] for o in c["outputs"] if o.get("output_type") == "error"]
    assert not errors, errors
    for cell in state["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade"):
            text = "".join(o.get("text", "") for o in cell["outputs"])
            assert "✔" in text, f"{_grade_id(cell)} shows no ✔ line: {json.dumps(cell)[:500]}"
    last = "".join(o.get("text", "") for o in state["cells"][-1]["outputs"])
    assert "points pass the visible tests" in last, last
