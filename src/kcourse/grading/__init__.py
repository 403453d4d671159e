"""Safe, parallel, resumable class grading on top of nbgrader: `kcourse grade`.

    sandbox.py     bubblewrap + rlimits + memory/process watchdog around one command
    harness.py     runs inside the sandbox: executes a notebook with the course kernel
    submission.py  finds submissions, validates them, rebuilds the notebook to grade
    static.py      reads solution cells without running them: shortcuts, cell
                   dependencies, where an earlier error came from
    verdicts.py    evidence of a run vs the assignment's manifest -> per-test scores
    gradebook.py   the single writer of nbgrader's gradebook
    reports.py     grades.json, grades.csv, feedback HTML, instructor report with plots
    runner.py      grades one submission (a task for a thread pool or a Dask worker)
    cli.py         the `kcourse grade` command
"""

import sys

# jsonschema (imported by nbformat) compiles an IRI grammar at import time when the
# optional rfc3987_syntax package is installed: 1.1 s on this course's machines, paid by
# every sandboxed harness. Notebook validation never checks IRIs, so grading skips it.
sys.modules.setdefault("rfc3987_syntax", None)
