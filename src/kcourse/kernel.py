"""The course Jupyter kernels: one spec used by JupyterLab, nbval and nbgrader.

The kernel runs this environment's Python with an environment that silences
TensorFlow's C++ log noise and asks for reproducible numerics. "kcourse" pins
TensorFlow (the stored outputs and grading use it); "kcourse-jax" is the same
with KERAS_BACKEND=jax, for students who pick it and for the test that runs
every solution notebook on JAX (tests/test_notebooks_jax.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_NAME = "kcourse"
DISPLAY_NAME = "Keras from the inside (Python 3)"
JAX_KERNEL_NAME = "kcourse-jax"
JAX_DISPLAY_NAME = "Keras from the inside (JAX)"

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
    # On a GPU, take memory as needed rather than most of the card at start, so that several
    # kernels share one GPU (two notebooks open, `kcourse grade --workers N`). Seen on an
    # H100: JAX takes 75 % of the card per process by default, and the second of two
    # notebooks run side by side failed with "cudaErrorMemoryAllocation: out of memory".
    "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
}


#: ipykernel options. TensorFlow 2.21 logs through absl before TF_CPP_MIN_LOG_LEVEL
#: takes effect ("All log messages before absl::InitializeLog() ...", "Could not
#: find cuda drivers"), straight to file descriptor 2 with a timestamp. Not
#: capturing C-level output keeps that machine-specific noise out of notebooks
#: (it goes to the Jupyter server's log); Python's own stdout/stderr and
#: warnings still reach the notebook.
KERNEL_OPTIONS = ["--IPKernelApp.capture_fd_output=False"]


#: kernel name -> (display name, Keras backend)
KERNELS = {KERNEL_NAME: (DISPLAY_NAME, "tensorflow"), JAX_KERNEL_NAME: (JAX_DISPLAY_NAME, "jax")}


def kernel_spec(name: str = KERNEL_NAME) -> dict:
    """The kernel.json content of kernel `name` for the running interpreter."""
    display, backend = KERNELS[name]
    return {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 *KERNEL_OPTIONS],
        "display_name": display,
        "language": "python",
        "env": {**KERNEL_ENV, "KERAS_BACKEND": backend},
        "metadata": {"debugger": True},
    }


def install_kernel(prefix: str | Path | None = None, name: str = KERNEL_NAME) -> Path:
    """Write the spec to PREFIX/share/jupyter/kernels/<name> (default: sys.prefix)."""
    target = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / name
    target.mkdir(parents=True, exist_ok=True)
    (target / "kernel.json").write_text(json.dumps(kernel_spec(name), indent=2) + "\n")
    return target


def install_kernels(prefix: str | Path | None = None) -> list[Path]:
    """Install every course kernel (TensorFlow and JAX)."""
    return [install_kernel(prefix, name) for name in KERNELS]
