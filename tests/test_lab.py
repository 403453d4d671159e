"""`make lab HEADLESS=1 PORT=... TOKEN=...` serves course/ with the course kernel, in student
mode: no nbgrader instructor tools, no news pop-up, no nbgrader lines in its log."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from course_files import ROOT, assignments

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_make_lab_starts_headless_on_the_given_port():
    port, token = free_port(), "kcourse-test-token"
    lab = subprocess.Popen(
        ["make", "-s", "lab", "HEADLESS=1", f"PORT={port}", f"TOKEN={token}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        deadline, specs = time.monotonic() + 300, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                specs = get_json(f"{base}/kernelspecs?token={token}")
                break
            except OSError:
                time.sleep(1)
        if specs is None:
            stop(lab)
            pytest.fail(f"JupyterLab did not answer on port {port}:\n{lab.stdout.read()}")
        assert "kcourse" in specs["kernelspecs"]
        contents = get_json(f"{base}/contents?token={token}")
        assert {item["name"] for item in contents["content"]} >= set(assignments())
        with pytest.raises(urllib.error.HTTPError):  # the token is required
            get_json(f"{base}/contents")
        assert lab.poll() is None, "JupyterLab exited while serving"
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}",
                                      timeout=10).read().decode()
        disabled = re.search(r'"disabledExtensions": (\[[^]]*\])', page)
        assert disabled, "no page config in /lab"
        assert set(json.loads(disabled.group(1))) >= STUDENT_HIDDEN
    finally:
        stop(lab)
    log = lab.stdout.read()
    assert "nbgrader" not in log.lower(), log  # no instructor extension, no config warning


#: What a student's lab hides (lab/student/labconfig/page_config.json).
STUDENT_HIDDEN = {"@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                  "@jupyter/nbgrader:menu", "@jupyterlab/apputils-extension:announcements"}


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
