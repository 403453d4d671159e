"""Reproducible numerics: TF32 off, seeds set, determinism state reported.

TF32 is on by default for matmuls and convolutions on NVIDIA Ampere and
Hopper GPUs; it keeps only 10 mantissa bits, so a float32 comparison at
1e-5 would fail for reasons that have nothing to do with the student's code.
"""

from __future__ import annotations

import os


def disable_tf32() -> None:
    """Switch TF32 off for the active Keras backend (no-op where it does not apply)."""
    import keras

    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)
    elif backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
    elif backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def tf32_state() -> str:
    """'off', 'on' or 'n/a' for the active backend."""
    import keras

    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return "on" if tf.config.experimental.tensor_float_32_execution_enabled() else "off"
    if backend == "jax":
        import jax

        precision = str(jax.config.jax_default_matmul_precision or "default")
        return "off" if precision in ("highest", "float32") else f"on ({precision})"
    if backend == "torch":
        import torch

        return "on" if torch.backends.cuda.matmul.allow_tf32 else "off"
    return "n/a"


def determinism_settings() -> dict[str, str]:
    """The environment variables that make runs reproducible, as currently set."""
    from .kernel import KERNEL_ENV

    return {name: os.environ.get(name, "(unset)") for name in KERNEL_ENV}
