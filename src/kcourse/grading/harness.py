"""Runs inside the grading sandbox: execute one notebook with the course kernel.

    python -m kcourse.grading.harness IN.ipynb OUT.ipynb

Before every graded test cell the harness tells kcourse.evidence which cell
runs (so the checks in it are numbered), executes every cell even after
errors, caps the output a notebook may produce, and writes the executed
notebook (for feedback: each error's name, message and the traceback frames that
are in notebook cells, without colours). Exit status: 0 executed, 3 the kernel
died, 4 a cell timed out. Nothing here decides a score: the grader reads the evidence file.
"""

from __future__ import annotations

import json
import re
import sys

import nbformat  # kcourse.grading (imported first) keeps this import fast
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from kcourse.kernel import KERNEL_NAME

MAX_OUTPUT_CHARS = 100_000      # per notebook, everything the cells print or display
CELL_TIMEOUT = 300


class CappedClient(NotebookClient):
    """A NotebookClient that drops outputs past MAX_OUTPUT_CHARS."""

    printed = 0

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "error":  # always kept (short): feedback names the error
            content = msg.get("content", {})
            outs.append(nbformat.v4.new_output(
                "error", ename=plain(content.get("ename", ""))[:200],
                evalue=plain(content.get("evalue", ""))[:1000],
                traceback=cell_frames(content.get("traceback", []))))
            return outs[-1]
        size = len(json.dumps(msg.get("content", {})))
        self.printed += size
        if self.printed > MAX_OUTPUT_CHARS:
            if self.printed - size <= MAX_OUTPUT_CHARS:
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"[grading: output beyond {MAX_OUTPUT_CHARS} characters dropped]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_FRAME = re.compile(r"Cell In\[\d+\], line \d+(?:, in \w+)?")


def plain(text) -> str:
    return _ANSI.sub("", str(text))


def cell_frames(traceback) -> list[str]:
    """The frames of a traceback that are in notebook cells: ['Cell In[3], line 2, in f'].

    Kept so that feedback can say which cell (and line) an error came from; the rest
    of the traceback (library frames, colours) is dropped.
    """
    frames = []
    for entry in traceback if isinstance(traceback, list) else []:
        frames += _FRAME.findall(plain(entry)[:2000])
    return frames[-20:]


def mark_graded_cells(nb) -> None:
    """Prefix each graded cell with the call that numbers its checks."""
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = (f"__import__('kcourse.evidence').evidence.enter_cell({grade_id!r})\n"
                           + cell.source)


def main(argv: list[str]) -> int:
    source, target = argv
    nb = nbformat.read(source, as_version=4)
    mark_graded_cells(nb)
    client = CappedClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL_NAME,
                          allow_errors=True, record_timing=False, shutdown_kernel="immediate",
                          resources={"metadata": {"path": "."}})
    status = 0
    try:
        client.execute()
    except DeadKernelError:
        status = 3
    except CellTimeoutError:
        status = 4
    nbformat.write(nb, target)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
