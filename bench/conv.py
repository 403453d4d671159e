"""The vectorized reference convolution against built-in Conv2D, on CPU.

    .venv/bin/python bench/conv.py                 # the kernel's backend (tensorflow)
    KERAS_BACKEND=jax .venv/bin/python bench/conv.py

Times `kcourse.reference.convolution.conv2d` (im2col with keras.ops, notebook
03_convolution, Exercise 2) and `keras.layers.Conv2D` (bias off, same kernel) on a
few layer sizes typical of small CNNs, forward pass only, eager, best of REPEAT
calls after a warm-up, and prints the ratio. The goal is a ratio within 10x.
The naive loop version is timed on one image and scaled to the batch (it is
linear in the batch), to show what vectorizing buys.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kcourse.reference import convolution as reference  # noqa: E402

REPEAT = 7
GOAL = 10.0
#: (batch, height, width, in_channels, kernel, filters, strides, padding)
CASES = [
    (32, 28, 28, 1, 5, 8, 1, "valid"),
    (32, 24, 24, 8, 3, 16, 2, "valid"),
    (32, 28, 28, 16, 3, 32, 1, "same"),
    (16, 32, 32, 32, 3, 64, 2, "same"),
    (8, 64, 64, 3, 3, 16, 1, "same"),
]


def best_ms(fn, repeat=REPEAT) -> float:
    keras.ops.convert_to_numpy(fn())
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        keras.ops.convert_to_numpy(fn())
        times.append(time.perf_counter() - started)
    return 1000 * min(times)


def main() -> int:
    rng = np.random.default_rng(0)
    print(f"Keras {keras.__version__} on {keras.config.backend()}, CPU, eager, "
          f"best of {REPEAT}")
    header = (f"{'input':>18s} {'kernel':>10s} {'s':>2s} {'padding':>7s} "
              f"{'built-in ms':>12s} {'vectorized ms':>14s} {'ratio':>6s} {'naive ms':>9s}")
    print(header)
    ratios = []
    for batch, h, w, cin, k, filters, s, padding in CASES:
        x = rng.standard_normal((batch, h, w, cin)).astype("float32")
        kernel = rng.standard_normal((k, k, cin, filters)).astype("float32")
        x_t, kernel_t = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(kernel)
        layer = keras.layers.Conv2D(filters, k, strides=s, padding=padding, use_bias=False)
        layer.build(x.shape)
        layer.kernel.assign(kernel)
        builtin = best_ms(lambda: layer(x_t))  # noqa: B023
        vectorized = best_ms(lambda: reference.conv2d(x_t, kernel_t, s, padding))  # noqa: B023
        naive = best_ms(lambda: reference.conv2d_naive(x[:1], kernel, s, padding), 2) * batch  # noqa: B023
        ratios.append(vectorized / builtin)
        print(f"{str((batch, h, w, cin)):>18s} {f'{k}x{k}x{filters}':>10s} {s:2d} {padding:>7s} "
              f"{builtin:12.2f} {vectorized:14.2f} {vectorized / builtin:6.1f} {naive:9.0f}")
    worst = max(ratios)
    print(f"vectorized / built-in: median {np.median(ratios):.1f}x, worst {worst:.1f}x "
          f"(goal: within {GOAL:g}x) -> {'met' if worst <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
