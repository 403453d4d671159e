"""`kcourse grade ASSIGNMENT --submitted DIR --out DIR [...]`: grade a class safely.

Exit status 0 when the batch completed (whatever the students scored); 2 when
grading itself could not run, with the reason on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from kcourse import paths
from kcourse.exercises import test_descriptions
from kcourse.grading import gradebook, reports, runner, sandbox, static, submission
from kcourse.quiet import start_up_noise_filtered


class GradingError(RuntimeError):
    """Grading cannot run at all (not a student's fault)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment id, e.g. 01_dense")
    parser.add_argument("--submitted", required=True, type=Path,
                        help="nbgrader layout: DIR/<student>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", required=True, type=Path, help="where results go")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: number of cores); the "
                             "instructor's own run, once per batch, runs beside them")
    parser.add_argument("--dask", metavar="ADDRESS|local",
                        help="run on Dask distributed: 'local' starts a local cluster, "
                             "an address (tcp://host:8786) joins an existing one")
    parser.add_argument("--gradebook", metavar="URL",
                        help="SQLAlchemy URL of nbgrader's gradebook "
                             "(default: sqlite:///autograder/gradebook.db)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="wall-clock seconds per notebook (default 600)")
    parser.add_argument("--memory", type=int, default=4096,
                        help="MB of memory per submission (default 4096)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run submissions WITHOUT isolation (trusted code only)")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Progress:
    """A bar on a terminal, plain log lines otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()

    def step(self, line: str) -> None:
        self.done += 1
        if self.tty:
            filled = int(30 * self.done / max(1, self.total))
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
                              f" {elapsed:5.0f} s  {line[:40]:<40}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {line}\n")
        self.stream.flush()


def _executor(workers: int, dask_address: str | None):
    """(submit(fn, arg) -> future, as_completed, close) for threads or Dask."""
    if dask_address:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed

        if dask_address == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            cluster, client = None, Client(dask_address)

        def close():
            client.close()
            if cluster is not None:
                cluster.close()

        return (lambda fn, arg: client.submit(fn, arg, pure=False)), dask_completed, close
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    return pool.submit, as_completed, lambda: pool.shutdown(wait=True, cancel_futures=True)


def executed_errors(executed: str, notebook: static.Notebook
                    ) -> tuple[dict[int, static.CellError], dict[int, int]]:
    """(code cell index -> the error it showed, execution count -> code cell index).

    From the executed notebook the sandbox returned (for feedback only: it is the
    student's process's output). Empty when its cells do not line up with the graded ones.
    """
    try:
        nb = nbformat.reads(executed, as_version=4)
        code = [c for c in nb.cells if c.get("cell_type") == "code"]
    except Exception:
        return {}, {}
    if len(code) != len(notebook.cells):
        return {}, {}
    errors, counts = {}, {}
    for index, cell in enumerate(code):
        count = cell.get("execution_count")
        if isinstance(count, int):
            counts[count] = index
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                traceback = output.get("traceback", [])
                errors[index] = static.CellError(
                    static.plain(output.get("ename", ""))[:200],
                    static.plain(output.get("evalue", ""))[:300],
                    static.frames_of(traceback if isinstance(traceback, list) else []))
                break
    return errors, counts


def judge_run(manifest: list[dict], run: dict, points: dict, nonce: str,
              cells: list[static.Cell]) -> dict:
    """grade_id -> TestResult of one run: evidence judged, shortcuts refused, errors explained."""
    from kcourse.grading import verdicts  # imports Keras

    notebook = static.Notebook(cells)
    refused = static.refusals(notebook, static.forbidden_by_cell(manifest))
    own, earlier = static.explain_errors(notebook, *executed_errors(run["executed"], notebook))
    return verdicts.score(manifest, run["records"], points, nonce, own, refused, earlier)


def cached_manifest(state: Path, key: str) -> list[dict] | None:
    cache = state / "manifest.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if saved.get("key") == key:
            return saved["records"]
    return None


def accept_manifest(state: Path, key: str, run: dict, points: dict, nonce: str,
                    cells: list[static.Cell]) -> list[dict]:
    """Check the instructor's run passes all its own checks (the static scan of its
    solution cells included); cache and return its evidence."""
    records = run["records"]
    failures = {g: t.message for g, t in judge_run(records, run, points, nonce, cells).items()
                if t.score != t.max_score}
    if run["status"] != "graded" or failures:
        raise GradingError(
            "the solution notebook does not pass its own checks when graded "
            f"({run['status']} {run['message']}): {failures}\n{run['run']['output'][-1500:]}"
        )
    (state / "manifest.json").write_text(json.dumps({"key": key, "records": records}))
    return records


def grade(assignment: str, submitted: Path, out: Path, *, workers: int = 1,
          dask: str | None = None, gradebook_url: str | None = None,
          timeout: float = 600.0, memory: int = 4096, use_sandbox: bool = True,
          log=sys.stderr) -> dict:
    """Grade every submission; write the outputs under `out`; return grades.json's content.

    Order matters for speed: the notebooks start running first; registering the
    assignment in the gradebook (nbgrader, a few seconds) and loading the judge
    (TensorFlow) happen while they run, and nothing is written before both are done.
    """
    sources = sorted((paths.solutions_dir() / assignment).glob("*.ipynb"))
    if not sources:
        raise GradingError(f"no assignment {assignment!r} in {paths.solutions_dir()}")
    if len(sources) > 1:
        raise GradingError(f"{assignment} has {len(sources)} notebooks; one is supported")
    notebook = sources[0].stem
    limits = sandbox.Limits(wall_seconds=timeout, memory_mb=memory)
    if use_sandbox:
        try:
            sandbox.probe()
        except sandbox.SandboxUnavailable as error:
            raise GradingError(str(error)) from None
    try:
        found = submission.discover(submitted, assignment, notebook)
    except FileNotFoundError as error:
        raise GradingError(str(error)) from None
    out = out.resolve()
    state = out / "state"
    state.mkdir(parents=True, exist_ok=True)
    db_url = gradebook_url or f"sqlite:///{paths.autograder_dir() / 'gradebook.db'}"
    try:
        gradebook.check_reachable(db_url)
    except gradebook.GradebookError as error:
        raise GradingError(str(error)) from None
    nonce_file = state / "nonce"
    if not nonce_file.is_file():
        nonce_file.write_text(secrets.token_hex(16))
    nonce = nonce_file.read_text().strip()

    source_nb = nbformat.read(sources[0], as_version=4)
    points = submission.grade_cells(source_nb)
    descriptions = test_descriptions(source_nb)
    max_score = sum(points.values())
    log.write(f"kcourse grade {assignment}: {len(found)} submissions, "
              f"{'Dask ' + dask if dask else f'{workers} workers'}, "
              f"{'sandboxed' if use_sandbox else 'NOT sandboxed'}\n")
    source_key = _sha(nbformat.writes(source_nb))
    manifest_key = _sha(nbformat.writes(source_nb) + json.dumps(points))
    manifest = cached_manifest(state, manifest_key)

    students: dict[str, dict] = {}
    solution_code: dict[str, dict[str, str]] = {}
    graded_cells: dict[str, list[static.Cell]] = {}
    progress = Progress(len(found), log)

    def finish(item: submission.Submission, result: dict) -> None:
        """The single writer: gradebook, feedback, state; in the main thread only."""
        if result["status"] not in ("missing",):
            gradebook.write_scores(db_url, assignment, notebook, item.student,
                                   {g: t["score"] for g, t in result["tests"].items()})
        reports.write_feedback(out, assignment, item.student, result,
                               solution_code.get(item.student, {}), descriptions)
        (state / f"{item.student}.json").write_text(json.dumps(
            {"fingerprint": item.fingerprint(), "source": source_key, "result": result}))
        students[item.student] = result
        progress.step(f"{item.student}: {result['score']:g}/{max_score:g} ({result['status']})")

    def zero(status: str, message: str) -> dict:
        return {"score": 0.0, "status": status, "message": message,
                "tests": {g: {"score": 0.0, "max_score": p, "message": message}
                          for g, p in points.items()}}

    pending, not_run = [], []
    for item in found:
        saved = state / f"{item.student}.json"
        if saved.is_file():
            try:
                previous = json.loads(saved.read_text())
                if previous["fingerprint"] == item.fingerprint() and \
                        previous["source"] == source_key:
                    students[item.student] = previous["result"]
                    progress.step(f"{item.student}: already graded")
                    continue
            except (ValueError, KeyError):
                pass
        if item.status != "ok":
            not_run.append((item, zero(item.status, item.message)))
            continue
        try:
            student_nb = submission.read_student_notebook(item.path)
        except submission.InvalidSubmission as error:
            not_run.append((item, zero("invalid", str(error))))
            continue
        graded_nb, notes = submission.graded_notebook(source_nb, student_nb)
        solution_code[item.student] = {
            c.metadata.nbgrader.grade_id: c.source for c in graded_nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        graded_cells[item.student] = static.code_cells(graded_nb)
        pending.append((item, notes + item.notes,
                        runner.encode_task(graded_nb, nonce, limits, use_sandbox)))

    submit, completed, close = _executor(workers, dask)
    try:
        # The instructor's run (which checks each cell makes) is not a submission: on this
        # machine it runs beside the workers, on Dask it goes first in the queue. Judging
        # waits for it; executing does not.
        manifest_future = None
        if manifest is None and pending:
            manifest_task = runner.encode_task(source_nb, nonce, limits, use_sandbox)
            if dask:
                manifest_future = submit(runner.execute, manifest_task)
            else:
                beside = ThreadPoolExecutor(max_workers=1)
                manifest_future = beside.submit(runner.execute, manifest_task)
                beside.shutdown(wait=False)
        futures = {submit(runner.execute, task): (item, notes) for item, notes, task in pending}
        try:  # while the notebooks run
            gradebook.ensure_assignment(db_url, assignment)
        except gradebook.GradebookError as error:
            raise GradingError(str(error)) from None
        if futures or manifest_future is not None:  # a rerun with nothing new needs no Keras
            with start_up_noise_filtered():
                from kcourse.grading import verdicts  # noqa: F401  after main() set its env

        for item, result in not_run:
            finish(item, result)
        if manifest_future is not None:
            manifest = accept_manifest(state, manifest_key, manifest_future.result(), points,
                                       nonce, static.code_cells(source_nb))
        for future in completed(list(futures)):
            item, notes = futures[future]
            try:
                run = future.result()
            except Exception as error:  # the worker itself failed: this student only
                finish(item, zero("error", f"grading failed: {type(error).__name__}: {error}"))
                continue
            tests = judge_run(manifest, run, points, nonce, graded_cells[item.student])
            total = sum(t.score for t in tests.values())
            message = static.plain("; ".join(m for m in [run["message"], *notes] if m))
            finish(item, {"score": total, "status": run["status"], "message": message,
                          "tests": {g: t.as_dict() for g, t in tests.items()}})
    finally:
        close()

    test_ids = list(points)
    reports.write_grades(out, assignment, max_score, students, test_ids)
    reports.write_report(out, assignment, max_score, students, test_ids, descriptions)
    log.write(f"wrote {out / 'grades.json'}, {out / 'grades.csv'}, {out / 'report.html'}\n")
    return {"assignment": assignment, "max_score": max_score, "students": students}


def main(args: argparse.Namespace) -> int:
    from kcourse.kernel import KERNEL_ENV

    for name, value in KERNEL_ENV.items():  # quiet, deterministic judging in this process
        os.environ.setdefault(name, value)
    try:
        grade(args.assignment, args.submitted, args.out, workers=args.workers, dask=args.dask,
              gradebook_url=args.gradebook, timeout=args.timeout, memory=args.memory,
              use_sandbox=not args.no_sandbox)
    except (GradingError, gradebook.GradebookError) as error:
        print(f"kcourse grade: {error}", file=sys.stderr)
        return 2
    return 0
