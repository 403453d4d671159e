"""Execute one notebook in a sandbox and bring back its evidence (a picklable task).

`execute(task)` is what runs on a thread of this machine or on a Dask worker:
it takes plain data (the notebook to run as JSON, the nonce, the limits) and
returns plain data (status, evidence records, the executed notebook), so the
grader never shares objects or files with the student's run.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

from kcourse import evidence
from kcourse.grading import sandbox

HARNESS_EXIT = {3: "the kernel died", 4: "a cell ran past its time limit"}

_font_lists: dict[bool, dict[str, str]] = {}
_font_lists_lock = threading.Lock()


def matplotlib_font_list(use_sandbox: bool) -> dict[str, str]:
    """Matplotlib's font list cache ({file name: JSON}), built once per process.

    A kernel with an empty matplotlib folder scans every system font on its first
    `import matplotlib` (Keras imports it): 0.7 s of a 5 s start here. The list is
    built by a run with no student code in it, in the same kind of sandbox, so that
    no submission can plant a font list for another. Empty if the build failed (each
    kernel then builds its own, as it would anyway).
    """
    with _font_lists_lock:
        if use_sandbox not in _font_lists:
            root = Path(tempfile.mkdtemp(prefix="kcourse-fonts-"))
            try:
                work = root / "work"
                (work / "home").mkdir(parents=True)
                sandbox.run([sys.executable, "-c", "import matplotlib.font_manager"], work,
                            sandbox.Limits(wall_seconds=120), sandbox=use_sandbox)
                folder = work / "home" / "matplotlib"
                _font_lists[use_sandbox] = {
                    path.name: path.read_text(encoding="utf-8")
                    for path in folder.glob("fontlist-*.json")} if folder.is_dir() else {}
            finally:
                shutil.rmtree(root, ignore_errors=True)
        return _font_lists[use_sandbox]


def execute(task: dict) -> dict:
    """task: {"notebook": json str, "nonce", "limits": dict, "sandbox": bool}."""
    limits = sandbox.Limits(**task["limits"])
    root = Path(tempfile.mkdtemp(prefix="kcourse-grade-"))
    try:
        work = root / "work"
        fonts = work / "home" / "matplotlib"
        fonts.mkdir(parents=True)
        for name, text in matplotlib_font_list(task["sandbox"]).items():
            (fonts / name).write_text(text, encoding="utf-8")
        (work / "submission.ipynb").write_text(task["notebook"], encoding="utf-8")
        here = sandbox.SANDBOX_WORKDIR if task["sandbox"] else str(work)
        env = {evidence.ENV_FILE: f"{here}/evidence.jsonl", evidence.ENV_NONCE: task["nonce"]}
        result = sandbox.run(
            [sys.executable, "-m", "kcourse.grading.harness", "submission.ipynb",
             "executed.ipynb"],
            work, limits, env=env, sandbox=task["sandbox"],
        )
        try:
            records = evidence.read(work / "evidence.jsonl")
            evidence_problem = ""
        except evidence.EvidenceError as error:
            records, evidence_problem = [], str(error)
        executed = work / "executed.ipynb"
        executed_text = ""
        if executed.is_file() and executed.stat().st_size < 20 * 1024 * 1024:
            executed_text = executed.read_text(encoding="utf-8", errors="replace")
        status = {"ok": "graded", "exit": "crashed", "timeout": "timeout",
                  "memory": "crashed", "processes": "crashed"}[result.status]
        message = {
            "timeout": f"stopped after {limits.wall_seconds:.0f} s (wall-clock limit)",
            "memory": f"stopped: more than {limits.memory_mb} MB of memory",
            "processes": f"stopped: more than {limits.max_processes} processes",
            "exit": HARNESS_EXIT.get(result.returncode,
                                     f"the grading run exited with status {result.returncode}"),
        }.get(result.status, "")
        if evidence_problem:
            message = f"{message}; {evidence_problem}".strip("; ")
        return {"status": status, "message": message, "records": records,
                "executed": executed_text,
                "run": asdict(result) | {"output": result.output[-4000:]}}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def encode_task(notebook, nonce: str, limits: sandbox.Limits, use_sandbox: bool) -> dict:
    import nbformat

    return {"notebook": nbformat.writes(notebook), "nonce": nonce,
            "limits": asdict(limits), "sandbox": use_sandbox}
