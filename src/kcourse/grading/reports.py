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


def _named(grade_id: str, descriptions: dict[str, str] | None) -> str:
    """'Exercise 1 · Dense: Visible test (dense_relu)', or the grade_id alone."""
    description = (descriptions or {}).get(grade_id)
    return f"{description} ({grade_id})" if description and description != grade_id else grade_id


def write_feedback(out: Path, assignment: str, student: str, result: dict,
                   solution_code: dict[str, str],
                   descriptions: dict[str, str] | None = None) -> Path:
    """One HTML page: the score of the maximum, each test's points and message, and the
    student's graded code (or, when none was graded, why).

    No test source is shown, so hidden tests stay hidden.
    """
    result = plain_result(result)
    max_score = sum(t["max_score"] for t in result["tests"].values())
    rows = "".join(
        f"<tr class='{'pass' if t['score'] == t['max_score'] else 'fail'}'>"
        f"<td>{html.escape(_named(grade_id, descriptions))}</td>"
        f"<td>{t['score']:g} of {t['max_score']:g}</td>"
        f"<td><pre>{html.escape(t.get('message', ''))}</pre></td></tr>"
        for grade_id, t in result["tests"].items()
    )
    if solution_code:
        code = "<h2>Your graded code</h2>" + "".join(
            f"<h3>{html.escape(plain(k))}</h3><pre>{html.escape(plain(v))}</pre>"
            for k, v in solution_code.items())
    else:
        code = ("<h2>Your graded code</h2><p>None of your code was graded: "
                f"{html.escape(result['message'] or result['status'])}</p>")
    message = f"<p>{html.escape(result['message'])}</p>" if result["message"] else ""
    page = f"""<!doctype html><meta charset="utf-8">
<title>{html.escape(assignment)}: feedback for {html.escape(student)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
td,th{{border:1px solid #ccc;padding:.3em;vertical-align:top}} table{{border-collapse:collapse}}
.pass td:first-child{{color:#070}} .fail td:first-child{{color:#a00}}
pre{{white-space:pre-wrap}}</style>
<h1>{html.escape(assignment)}</h1>
<p>Student: {html.escape(student)}. Score: <b>{result['score']:g} of {max_score:g}</b>
({html.escape(result['status'])}).</p>{message}
<table><tr><th>test</th><th>points</th><th>result</th></tr>{rows}</table>
{code}
"""
    target = out / "feedback" / student / f"{assignment}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


#: Click a column heading to sort the table by it (numbers as numbers); no server needed.
_SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable th").forEach((th, column) => {
  th.addEventListener("click", () => {
    const body = th.closest("table").tBodies[0];
    const rows = Array.from(body.rows);
    const key = r => r.cells[column].dataset.value ?? r.cells[column].textContent;
    const ascending = th.dataset.order !== "asc";
    rows.sort((a, b) => {
      const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      const order = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
      return ascending ? order : -order;
    });
    th.dataset.order = ascending ? "asc" : "desc";
    rows.forEach(r => body.appendChild(r));
  });
});
</script>"""


def _student_table(students: dict, test_ids: list[str], max_score: float,
                   descriptions: dict[str, str] | None) -> str:
    """One row per student: id, score of max, status, each test cell's points, message."""
    heads = "".join(f"<th title='{html.escape(_named(t, descriptions))}'>"
                    f"{html.escape(_named(t, descriptions))}</th>" for t in test_ids)
    rows = []
    for student, result in sorted(students.items()):
        result = plain_result(result)
        cells = []
        for t in test_ids:
            test = result["tests"].get(t, {})
            score, most = test.get("score", 0.0), test.get("max_score", 0.0)
            cells.append(f"<td class='{'pass' if score == most else 'fail'}' "
                         f"data-value='{score:g}' title='{html.escape(test.get('message', ''))}'>"
                         f"{score:g} of {most:g}</td>")
        rows.append(f"<tr><td>{html.escape(student)}</td>"
                    f"<td data-value='{result['score']:g}'>{result['score']:g} of "
                    f"{max_score:g}</td><td>{html.escape(result['status'])}</td>"
                    f"{''.join(cells)}<td>{html.escape(result['message'])}</td></tr>")
    return (f"<table class='sortable'><thead><tr><th>student</th><th>score</th><th>status</th>"
            f"{heads}<th>message</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def score_histogram(scores: list[float], max_score: float, title: str):
    """The score distribution; the y axis counts whole students."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(scores, bins=max(5, min(20, int(max_score) + 1)), range=(0, max(max_score, 1)),
            color="#4878a8", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def write_report(out: Path, assignment: str, max_score: float, students: dict,
                 test_ids: list[str], descriptions: dict[str, str] | None = None) -> Path:
    """report.html: the students' table (sortable), the score distribution and the pass
    rate of each test cell (named by its description)."""
    scores = [r["score"] for r in students.values()]
    fig = score_histogram(scores, max_score, f"{assignment}: scores of {len(scores)} submissions")
    fig.savefig(out / "score_distribution.png", dpi=100)
    plt.close(fig)

    rates = [sum(1 for r in students.values()
                 if r["tests"].get(t, {}).get("score", 0) == r["tests"].get(t, {}).get(
                     "max_score", -1)) / max(1, len(students)) for t in test_ids]
    names = [_named(t, descriptions) for t in test_ids]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.4 * len(test_ids)))
    ax.barh(names, rates, color="#59a14f")
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
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em .8em;text-align:left}}
table.sortable{{border-collapse:collapse}} table.sortable td,table.sortable th{{border:1px solid
#ccc;vertical-align:top}} table.sortable th{{cursor:pointer;background:#f4f4f4}}
.pass{{color:#070}} .fail{{color:#a00}}</style>
<h1>{html.escape(assignment)}: {len(students)} submissions</h1>
<p>Mean score {sum(scores) / max(1, len(scores)):.2f} of {max_score:g}.</p>
<table>{status_rows}</table>
<h2>Students</h2><p>Click a column heading to sort by it.</p>
{_student_table(students, test_ids, max_score, descriptions)}
<h2>Score distribution</h2><img src="score_distribution.png" alt="score distribution">
<h2>Pass rate per test cell</h2><img src="pass_rate.png" alt="pass rate per test">
{_SORT_SCRIPT}
"""
    (out / "report.html").write_text(page, encoding="utf-8")
    return out / "report.html"
