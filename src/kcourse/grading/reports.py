"""What a batch produces: grades.json, grades.csv, feedback HTML, the instructor report.

Every message is written as plain text: terminal colour codes (ANSI escapes) a
run may carry are removed here, whatever produced them.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import matplotlib

from kcourse.grading.static import plain

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plain_result(result: dict) -> dict:
    """A student's result with every message as plain text (no ANSI escapes)."""
    tests = {g: {**t, "message": plain(t.get("message", ""))}
             for g, t in result.get("tests", {}).items()}
    return {**result, "message": plain(result.get("message", "")), "tests": tests}


def write_grades(out: Path, assignment: str, max_score: float, students: dict,
                 test_ids: list[str]) -> None:
    students = {s: plain_result(r) for s, r in students.items()}
    (out / "grades.json").write_text(json.dumps(
        {"assignment": assignment, "max_score": max_score, "students": students}, indent=2))
    with open(out / "grades.csv", "w", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["student", "score", "max_score", "status", *test_ids, "message"])
        for student, result in sorted(students.items()):
            writer.writerow([student, result["score"], max_score, result["status"],
                             *(result["tests"].get(t, {}).get("score", 0.0) for t in test_ids),
                             result["message"]])


def write_feedback(out: Path, assignment: str, student: str, result: dict,
                   solution_code: dict[str, str]) -> Path:
    """One HTML page: each test's points and message, and the student's graded code.

    No test source is shown, so hidden tests stay hidden.
    """
    result = plain_result(result)
    rows = "".join(
        f"<tr class='{'pass' if t['score'] == t['max_score'] else 'fail'}'>"
        f"<td>{html.escape(grade_id)}</td><td>{t['score']:g} / {t['max_score']:g}</td>"
        f"<td><pre>{html.escape(t.get('message', ''))}</pre></td></tr>"
        for grade_id, t in result["tests"].items()
    )
    code = "".join(f"<h3>{html.escape(plain(k))}</h3><pre>{html.escape(plain(v))}</pre>"
                   for k, v in solution_code.items())
    page = f"""<!doctype html><meta charset="utf-8">
<title>{html.escape(assignment)}: feedback for {html.escape(student)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}} table{{border-collapse:collapse}}
.pass td:first-child{{color:#070}} .fail td:first-child{{color:#a00}}
pre{{white-space:pre-wrap}}</style>
<h1>{html.escape(assignment)}</h1>
<p>Student: {html.escape(student)}. Score: <b>{result['score']:g}</b>
({html.escape(result['status'])})
{html.escape(result['message'])}</p>
<table><tr><th>test</th><th>points</th><th>result</th></tr>{rows}</table>
<h2>Your graded code</h2>{code}
"""
    target = out / "feedback" / student / f"{assignment}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


def write_report(out: Path, assignment: str, max_score: float, students: dict,
                 test_ids: list[str]) -> Path:
    """report.html with the score distribution and the pass rate of each test cell."""
    scores = [r["score"] for r in students.values()]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(scores, bins=max(5, min(20, int(max_score) + 1)), range=(0, max(max_score, 1)),
            color="#4878a8", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: scores of {len(scores)} submissions")
    fig.tight_layout()
    fig.savefig(out / "score_distribution.png", dpi=100)
    plt.close(fig)

    rates = [sum(1 for r in students.values()
                 if r["tests"].get(t, {}).get("score", 0) == r["tests"].get(t, {}).get(
                     "max_score", -1)) / max(1, len(students)) for t in test_ids]
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * len(test_ids)))
    ax.barh(test_ids, rates, color="#59a14f")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of submissions passing")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out / "pass_rate.png", dpi=100)
    plt.close(fig)

    statuses: dict[str, int] = {}
    for result in students.values():
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    status_rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>"
                          for k, v in sorted(statuses.items()))
    page = f"""<!doctype html><meta charset="utf-8"><title>{html.escape(assignment)} report</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}td{{padding:.2em .8em}}</style>
<h1>{html.escape(assignment)}: {len(students)} submissions</h1>
<p>Mean score {sum(scores) / max(1, len(scores)):.2f} of {max_score:g}.</p>
<table>{status_rows}</table>
<h2>Score distribution</h2><img src="score_distribution.png" alt="score distribution">
<h2>Pass rate per test cell</h2><img src="pass_rate.png" alt="pass rate per test">
"""
    (out / "report.html").write_text(page, encoding="utf-8")
    return out / "report.html"
