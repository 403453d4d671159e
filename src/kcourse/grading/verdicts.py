"""Scores from evidence: every check of the instructor's run must be matched and pass.

The manifest is the evidence of the source notebook (the instructor's solution)
run through the same harness: for each graded cell, the list of checks and their
arguments. A student's cell scores its points when, for every manifest check of
that cell, the student's run recorded evidence of the same kind at the same
position, and the judge (in this process) finds it matches built-in Keras on
inputs derived from the batch's secret nonce. Missing evidence, a different
kind, a recorded failure or malformed data all score zero for that cell; so
does a shortcut the static scan found in a solution cell the test needs
(`refused`, from kcourse.grading.static). Messages are plain text: no
terminal colour codes reach grades.json or the feedback.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kcourse import checks, evidence
from kcourse.grading.static import plain

# TensorFlow's eager state is process-wide; one judgement at a time is plenty fast.
_JUDGE_LOCK = threading.Lock()
MAX_MESSAGE = 600


@dataclass
class TestResult:
    score: float
    max_score: float
    message: str

    def as_dict(self) -> dict:
        return {"score": self.score, "max_score": self.max_score, "message": self.message}


def by_cell(records: list[dict]) -> dict[str, list[dict]]:
    cells: dict[str, list[dict]] = {}
    for item in sorted(records, key=lambda r: (str(r["cell"]), int(r["index"]))):
        cells.setdefault(str(item["cell"]), []).append(item)
    return cells


def judge_one(expected: dict, got: dict | None, nonce: str) -> str | None:
    """None if the student's evidence passes the check `expected`, else the reason."""
    if got is None:
        return ("this check did not run, or left no evidence: an error earlier in the cell "
                "(or in code it calls) stopped it")
    if got.get("kind") != expected["kind"]:
        return f"expected a {expected['kind']} check here, found {got.get('kind')!r}"
    try:
        args = evidence.from_json(expected["args"])
        payload = evidence.from_json(got["payload"])
        if not isinstance(payload, dict):
            return "malformed evidence"
        if "failure" in payload:
            return plain(payload["failure"])[:MAX_MESSAGE]
        seed = evidence.derive_seed(nonce, expected["cell"], int(expected["index"]),
                                    int(args.get("seed", 0)))
        with _JUDGE_LOCK:
            checks.judge_case(expected["kind"], args, payload, seed)
    except checks.CheckFailure as failure:
        return plain(failure)[:MAX_MESSAGE]
    except Exception as error:  # forged or truncated evidence: never a pass
        return f"malformed evidence ({type(error).__name__})"
    return None


def score(manifest: list[dict], records: list[dict], points: dict[str, float],
          nonce: str, cell_errors: dict[str, str] | None = None,
          refused: dict[str, str] | None = None,
          earlier: dict[str, str] | None = None) -> dict[str, TestResult]:
    """grade_id -> result.

    refused: grade_id -> why the test scores zero whatever its evidence (a shortcut in a
    solution cell it needs). cell_errors (grade_id -> the error the test cell showed) and
    earlier (grade_id -> the earlier cell whose error stopped it) only explain a check
    that left no evidence; neither can give points.
    """
    cell_errors, refused, earlier = cell_errors or {}, refused or {}, earlier or {}
    expected_cells = by_cell(manifest)
    got = {(str(r.get("cell")), r.get("index")): r for r in reversed(records)
           if isinstance(r, dict)}  # reversed: the first record at a position wins
    results = {}
    for grade_id, max_score in points.items():
        reasons = []
        if grade_id in refused:
            reasons.append(refused[grade_id])
        for item in [] if reasons else expected_cells.get(grade_id, []):
            reason = judge_one(item, got.get((grade_id, item["index"])), nonce)
            if reason:
                if reason.startswith("this check did not run"):
                    if grade_id in earlier:
                        reason = f"this check did not run: {earlier[grade_id]}"
                    elif grade_id in cell_errors:
                        reason = f"this check did not run: the cell raised {cell_errors[grade_id]}"
                reasons.append(f"check {int(item['index']) + 1}: {reason}")
                break
        if not expected_cells.get(grade_id):
            reasons.append("the instructor's run recorded no check for this cell")
        passed = not reasons
        results[grade_id] = TestResult(max_score if passed else 0.0, max_score,
                                       "passed" if passed else plain(reasons[0]))
    return results
