"""The exercises of a notebook, read from its cells (no Jupyter machinery: light enough
for the student's kernel).

An exercise is a markdown heading "## Exercise N · title (P points)" and the nbgrader
test cells below it, up to the next exercise heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EXERCISE_HEADING = re.compile(r"^##\s+Exercise\b.*$", re.MULTILINE)
STATED_POINTS = re.compile(r"\((\d+(?:\.\d+)?) points?\)\s*$")


@dataclass
class Exercise:
    """An "## Exercise" heading and the test cells between it and the next one."""

    heading: str
    stated: float | None  # the "(P points)" of the heading; None when it states none
    tests: list[tuple[str, float]] = field(default_factory=list)  # (grade_id, points)

    @property
    def counted(self) -> float:
        return sum(points for _, points in self.tests)


def exercises(nb) -> tuple[list[Exercise], list[tuple[str, float]]]:
    """The exercises of a notebook, and the test cells that come before the first one."""
    found: list[Exercise] = []
    orphans: list[tuple[str, float]] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for match in EXERCISE_HEADING.finditer(cell.source):
                heading = match.group(0).strip()
                points = STATED_POINTS.search(heading)
                found.append(Exercise(heading, float(points.group(1)) if points else None))
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("grade"):
            test = (grading.get("grade_id", "?"), float(grading.get("points", 0)))
            (found[-1].tests if found else orphans).append(test)
    return found, orphans


SECTION_HEADING = re.compile(r"^#{2,6}\s+(.+?)\s*$", re.MULTILINE)


def test_descriptions(nb) -> dict[str, str]:
    """grade_id -> what a person calls the test cell: its exercise and the heading above it.

    "Exercise 1 · Dense: Visible test" (a section heading names the first test cell
    after it only); a test cell under no exercise heading is named by the nearest
    heading above it, else by its grade_id. Backticks are dropped.
    """
    described, exercise, section = {}, None, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for match in SECTION_HEADING.finditer(cell.source):
                title = STATED_POINTS.sub("", match.group(1)).replace("`", "").strip()
                if EXERCISE_HEADING.match(match.group(0)):
                    exercise, section = title, None
                else:
                    section = title
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("grade"):
            parts = [p for p in (exercise, section) if p]
            described[grading.get("grade_id", "?")] = ": ".join(parts) or grading.get(
                "grade_id", "?")
            section = None
    return described


def _points(value: float) -> str:
    return f"{value:g} point{'' if value == 1 else 's'}"


def exercise_points_problems(nb) -> list[str]:
    """Where exercise headings and test-cell points disagree; empty when they add up."""
    found, orphans = exercises(nb)
    problems = [f"test cell {grade_id} ({_points(points)}) comes before any '## Exercise' "
                "heading: its points belong to no exercise" for grade_id, points in orphans]
    for exercise in found:
        cells = " + ".join(f"{g} ({p:g})" for g, p in exercise.tests) or "no test cell"
        if exercise.stated is None:
            problems.append(f"'{exercise.heading}' states no points: end the heading with "
                            f"'({_points(exercise.counted)})' (its test cells: {cells})")
        elif exercise.stated != exercise.counted:
            problems.append(
                f"'{exercise.heading}' says {_points(exercise.stated)}, but the test cells "
                f"up to the next exercise give {_points(exercise.counted)}: {cells}. Change "
                "the heading or the cells' nbgrader points"
            )
    return problems
