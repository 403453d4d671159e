"""The course Jupyter kernel: one spec used by JupyterLab, nbval and nbgrader.

The kernel runs this environment's Python with an environment that silences
TensorFlow's C++ log noise and asks for reproducible numerics.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_NAME = "kcourse"
DISPLAY_NAME = "Keras from the inside (Python 3)"

#: Environment of every course kernel. Each entry says why it is there.
KERNEL_ENV = {
    # Keras 3 reads this at import; the course and its stored outputs use TensorFlow.
    "KERAS_BACKEND": "tensorflow",
    # 3 = only fatal C++ messages: no oneDNN/CUDA banners in notebook outputs.
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # oneDNN fusions change summation order between CPUs; off for reproducible digits.
    "TF_ENABLE_ONEDNN_OPTS": "0",
    # Deterministic GPU kernels (cuDNN, scatter ops) where TensorFlow has them.
    "TF_DETERMINISTIC_OPS": "1",
    "TF_CUDNN_DETERMINISTIC": "1",
    # Hash randomisation off: set/dict iteration order is the same on every run.
    "PYTHONHASHSEED": "0",
    # Absl/XLA on JAX: keep matmuls in full float32 (no TF32) if a student switches backend.
    "JAX_DEFAULT_MATMUL_PRECISION": "highest",
}


#: ipykernel options. TensorFlow 2.21 logs through absl before TF_CPP_MIN_LOG_LEVEL
#: takes effect ("All log messages before absl::InitializeLog() ...", "Could not
#: find cuda drivers"), straight to file descriptor 2 with a timestamp. Not
#: capturing C-level output keeps that machine-specific noise out of notebooks
#: (it goes to the Jupyter server's log); Python's own stdout/stderr and
#: warnings still reach the notebook.
KERNEL_OPTIONS = ["--IPKernelApp.capture_fd_output=False"]


def kernel_spec() -> dict:
    """The kernel.json content for the running interpreter."""
    return {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 *KERNEL_OPTIONS],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "env": dict(KERNEL_ENV),
        "metadata": {"debugger": True},
    }


def install_kernel(prefix: str | Path | None = None) -> Path:
    """Write the spec to PREFIX/share/jupyter/kernels/kcourse (default: sys.prefix)."""
    target = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    target.mkdir(parents=True, exist_ok=True)
    (target / "kernel.json").write_text(json.dumps(kernel_spec(), indent=2) + "\n")
    return target
