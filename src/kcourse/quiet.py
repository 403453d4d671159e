"""Keep TensorFlow's start-up lines out of command-line output.

TensorFlow writes, at import and straight to file descriptor 2 (below Python's
sys.stderr), lines such as "All log messages before absl::InitializeLog() is
called are written to STDERR" and "Could not find cuda drivers on your machine".
`start_up_noise_filtered()` captures descriptor 2 while Keras is imported and
writes back every line that is not such noise, so real errors still show.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager

#: Lines TensorFlow/absl/XLA print at import on a machine without problems.
NOISE = re.compile(
    r"All log messages before absl::InitializeLog|^[IWE]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|"
    r"Could not find cuda drivers|TF-TRT Warning|oneDNN custom operations|"
    r"This TensorFlow binary is optimized|rebuild TensorFlow with the appropriate compiler|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|"
    r"cuda_blas\.cc|cuda_dnn\.cc|cuda_fft\.cc"
)


@contextmanager
def start_up_noise_filtered():
    """Inside the block, descriptor 2 goes to a file; afterwards its non-noise lines are
    written to the real stderr."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (embedded, notebook): nothing to do
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().decode(errors="replace").splitlines()
                    if line.strip() and not NOISE.search(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
