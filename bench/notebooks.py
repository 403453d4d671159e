"""Wall time of each solution notebook under strict nbval (a benchmark, not a test).

Run from the repository root with the project's environment:
    .venv/bin/python bench/notebooks.py
The goal (DESIGN.md): every solution notebook under 60 s on a 2-core CPU.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 60.0


def main() -> int:
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    print(f"{'notebook':<40} {'wall s':>8}  result")
    worst = 0.0
    for notebook in notebooks:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
             "--nbval-kernel-name", "kcourse",
             "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
             str(notebook)],
            cwd=ROOT, capture_output=True, text=True,
        )
        seconds = time.perf_counter() - started
        worst = max(worst, seconds)
        verdict = "passed" if result.returncode == 0 else "FAILED"
        print(f"{str(notebook.relative_to(ROOT)):<40} {seconds:8.1f}  {verdict}")
    print(f"slowest {worst:.1f} s (goal < {GOAL_S:.0f} s, pytest start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
