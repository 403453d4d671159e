"""Numeric comparison with a precise, student-readable mismatch report."""

from __future__ import annotations

import numpy as np

#: float32 tolerances. Outputs may differ from Keras by summation order
#: (matmul vs einsum, fused vs unfused kernels): about n * 6e-8 relative for a
#: reduction over n terms, so 1e-4 relative covers reductions of ~1000 terms
#: while still catching any real mistake (those are off by 1e-2 or more).
RTOL = 1e-4
ATOL = 1e-5
#: Gradients go through one more reduction (over the batch) than outputs.
GRAD_RTOL = 1e-4
GRAD_ATOL = 1e-5


def allclose(got: np.ndarray, expected: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return got.shape == expected.shape and bool(
        np.all(np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=False))
    )


def _fmt(value) -> str:
    return f"{float(value):.6g}"


def describe_mismatch(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    """Where the arrays differ: first index, got, expected, max error, tolerance."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    lines = []
    bad_nan = np.isnan(got) & ~np.isnan(expected)
    if bad_nan.any():
        index = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        lines.append(
            f"got NaN at index {index} ({int(bad_nan.sum())} NaN values in all); "
            f"expected {_fmt(expected[index])}"
        )
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    error = np.abs(got - expected)
    finite = error[np.isfinite(error)]
    max_error = finite.max() if finite.size else float("nan")
    lines.append(
        f"first mismatch at index {index}: got {_fmt(got[index])}, "
        f"expected {_fmt(expected[index])}"
    )
    lines.append(
        f"{int((~close).sum())} of {close.size} values differ; max abs error {_fmt(max_error)} "
        f"(tolerance: |got - expected| <= {atol:g} + {rtol:g} * |expected|)"
    )
    return "\n".join("  " + line for line in lines)


def compare_arrays(what: str, got, expected, rtol, atol, explain=None, against="Keras") -> None:
    """Raise CheckFailure saying where `got` differs from `expected` (and the likely mistake)."""
    from ._protocol import CheckFailure

    __tracebackhide__ = True
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        raise CheckFailure(f"{what} has shape {got.shape}, expected {expected.shape}.")
    if allclose(got, expected, rtol, atol):
        return
    message = f"{what} does not match {against}.\n{describe_mismatch(got, expected, rtol, atol)}"
    reason = explain(got) if explain else None
    if reason:
        message += f"\n  Likely mistake: {reason}"
    raise CheckFailure(message)
