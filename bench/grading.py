"""Throughput of `kcourse grade` vs plain serial `nbgrader autograde`, same class, same run.

    .venv/bin/python bench/grading.py [--students 20] [--assignment 01_dense] [--workers N]
                                      [--kcourse-only]

--kcourse-only times kcourse grade alone (to compare two versions of the checker).

Prints:
  * wall time of nbgrader autograde (serial, unsandboxed) and of kcourse grade
    (sandboxed, --workers = cores unless given) on the same class of honest submissions, and
    their ratio (goal >= 1.8 on 2 cores);
  * the floor: starting the course kernel and importing TensorFlow (median of 3);
  * per-submission cost of kcourse grade on a notebook that only imports Keras
    (sandbox + harness + kernel + evidence + judging), against the floor (goal <= 1.3x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def make_class(folder: Path, assignment: str, students: int) -> None:
    source = (ROOT / "solutions" / assignment / f"{assignment}.ipynb").read_text()
    for index in range(students):
        target = folder / f"student{index:03d}" / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(source)


def nbgrader_serial(folder: Path, assignment: str) -> float:
    from kcourse.release import venv_env

    common = [f"--CourseDirectory.root={folder}",
              f"--CourseDirectory.source_directory={ROOT / 'solutions'}",
              f"--CourseDirectory.release_directory={folder / 'release'}",
              f"--CourseDirectory.db_url=sqlite:///{folder / 'gradebook.db'}"]
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", assignment, "--force", *common],
                   cwd=ROOT / "autograder", env=venv_env(), check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", assignment, "--force", *common],
                   cwd=ROOT / "autograder", env=venv_env(), check=True, capture_output=True)
    return time.perf_counter() - started


def kcourse_grade(submitted: Path, out: Path, assignment: str, workers: int) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kcourse", "grade", assignment,
                             "--submitted", str(submitted), "--out", str(out),
                             "--workers", str(workers),
                             "--gradebook", f"sqlite:///{out.parent / 'gradebook.db'}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"kcourse grade failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def floor_seconds() -> float:
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(3):
        started = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="kcourse")
        client.execute_interactive("import tensorflow, keras", timeout=120)
        times.append(time.perf_counter() - started)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return statistics.median(times)


def minimal_submission_seconds() -> float:
    from kcourse.grading import runner, sandbox

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "kcourse",
                                                            "display_name": "kcourse",
                                                            "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import keras")]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        result = runner.execute(runner.encode_task(nb, "bench", sandbox.Limits(), True))
        assert result["status"] == "graded", result
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--assignment", default="01_dense")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="kcourse grade --workers (default: cores, its own default)")
    parser.add_argument("--kcourse-only", action="store_true",
                        help="time kcourse grade alone (no nbgrader, no floor)")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if args.kcourse_only:
        with tempfile.TemporaryDirectory(prefix="kcourse-bench-") as tmp:
            tmp = Path(tmp)
            make_class(tmp / "submitted", args.assignment, args.students)
            ours = kcourse_grade(tmp / "submitted", tmp / "out", args.assignment, args.workers)
        print(f"kcourse grade, {args.students} submissions of {args.assignment}, "
              f"{args.workers} workers: {ours:.1f} s ({ours / args.students:.2f} s each)")
        return 0
    with tempfile.TemporaryDirectory(prefix="kcourse-bench-") as tmp:
        tmp = Path(tmp)
        make_class(tmp / "nbgrader" / "submitted", args.assignment, args.students)
        make_class(tmp / "kcourse" / "submitted", args.assignment, args.students)
        serial = nbgrader_serial(tmp / "nbgrader", args.assignment)
        print(f"nbgrader autograde, serial, unsandboxed: {serial:7.1f} s", flush=True)
        ours = kcourse_grade(tmp / "kcourse" / "submitted", tmp / "kcourse" / "out",
                             args.assignment, args.workers)
    floor = floor_seconds()
    minimal = minimal_submission_seconds()
    n = args.students
    print(f"class: {n} submissions of {args.assignment} (the solution), {cores} cores")
    print(f"nbgrader autograde, serial, unsandboxed: {serial:7.1f} s  ({serial / n:.1f} s each)")
    print(f"kcourse grade, {args.workers} workers, sandboxed: {ours:7.1f} s  "
          f"({ours / n:.1f} s each)")
    print(f"throughput ratio kcourse/nbgrader: {serial / ours:.2f}x  (goal >= 1.8x)")
    print(f"floor (kernel start + TensorFlow import): {floor:.1f} s")
    print(f"kcourse per-submission cost, notebook importing Keras only: {minimal:.1f} s "
          f"= {minimal / floor:.2f}x the floor  (goal <= 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
