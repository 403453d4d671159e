"""Wall time of the checker's self-test: every family's test file, on TensorFlow and JAX.

    .venv/bin/python bench/selftest.py

Runs `pytest tests/test_checks*.py` once per backend (as `make test` does) and
prints the wall time and the pytest summary line of each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_checks*.py"))
    print(f"self-test files: {', '.join(files)}")
    status = 0
    for backend in ("tensorflow", "jax"):
        env = {**os.environ, "KERAS_BACKEND": backend}
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 *files], cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"{backend:>10}: {seconds:6.1f} s  {summary}")
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
