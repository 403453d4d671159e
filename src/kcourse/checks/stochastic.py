"""Stochastic layers: layers that draw random numbers (Dropout, GaussianNoise).

Exact masks are never compared: the student's random draws are their own, so
any correct convention passes (which side of a uniform draw keeps a unit,
keras.random.uniform or keras.random.binomial, one SeedGenerator or another).
Probes, in the order they are judged:

1. inference on the case's input x (and on a large input): the output is the
   input;
2. training, on a large input drawn from the seed (at least MIN_DRAWS values,
   magnitudes in [0.5, 2] with random signs, so a kept value is never 0):

   Dropout        every value is 0 or x / (1 - rate); the fraction of dropped
                  units (counted once per noise_shape draw) is within a
                  Hoeffding bound of rate; where noise_shape is 1, the mask is
                  shared along that axis;
   GaussianNoise  output - x has mean ~0 and standard deviation ~stddev
                  (GaussianDropout: output / x - 1 and sqrt(rate / (1 - rate)));

   two training calls draw different masks (or noise);
3. the gradient of sum(output * c) w.r.t. the input: in training, the scale
   output / x *of the same call* times c (the mask of that call, scaled; for
   additive noise, c itself); at inference, c;
4. the get_config/from_config round trip (in inference).

Each statistical test fails a correct layer with probability below
FALSE_FAILURE (the bounds below say why); a check runs at most three of them,
so a correct layer fails a check with probability below 3 * FALSE_FAILURE.
"""

from __future__ import annotations

import inspect
import math

import keras
import numpy as np

from . import mistakes
from ._compare import GRAD_ATOL, GRAD_RTOL, compare_arrays
from ._protocol import CheckFailure, CheckUsageError
from ._student import error_summary
from .layers import (
    LayerFamily,
    Probe,
    build_student,
    collect_config,
    forward,
    judge_config,
    judge_output,
    register_family,
    student_gradients,
)

#: Probability that one statistical test fails a correct layer (an upper bound).
FALSE_FAILURE = 1e-7
#: Values in the large training input (independent draws, unless noise_shape shares them).
MIN_DRAWS = 20_000
#: ... unless that would take more values than this (noise_shape shares one draw among many).
MAX_VALUES = 200_000

#: Which statistical model each built-in stochastic layer follows.
KINDS = {
    "Dropout": "dropout", "SpatialDropout1D": "dropout", "SpatialDropout2D": "dropout",
    "SpatialDropout3D": "dropout", "GaussianNoise": "additive", "GaussianDropout": "multiplicative",
}


def kind_of(probe: Probe) -> str:
    name = type(probe.reference).__name__
    if name not in KINDS:
        raise CheckUsageError(
            f"the stochastic family has no statistical check for keras.layers.{name}; "
            f"it knows {', '.join(sorted(KINDS))}."
        )
    return KINDS[name]


# ------------------------------------------------------------------- the bounds


def hoeffding_margin(n: int, delta: float = FALSE_FAILURE) -> float:
    """t such that P(|k/n - p| >= t) <= 2 exp(-2 n t^2) = delta for k ~ Binomial(n, p)."""
    return math.sqrt(math.log(2.0 / delta) / (2.0 * n))


def gaussian_mean_margin(n: int, delta: float = FALSE_FAILURE) -> float:
    """m such that P(|mean of n N(0, 1)| >= m) <= 2 exp(-n m^2 / 2) = delta (Chernoff)."""
    return math.sqrt(2.0 * math.log(2.0 / delta) / n)


def chi_square_range(n: int, delta: float = FALSE_FAILURE) -> tuple[float, float]:
    """(lo, hi) with P(S < lo) + P(S > hi) <= delta for S ~ chi-square with n degrees.

    Laurent and Massart (2000), Lemma 1: P(S - n >= 2 sqrt(n L) + 2 L) <= exp(-L) and
    P(n - S >= 2 sqrt(n L)) <= exp(-L); with L = ln(2 / delta) each tail is delta / 2.
    """
    L = math.log(2.0 / delta)
    return n - 2.0 * math.sqrt(n * L), n + 2.0 * math.sqrt(n * L) + 2.0 * L


# ------------------------------------------------------------- inputs of the probes


def large_input(probe: Probe) -> np.ndarray:
    """The training input: (batch, *x.shape[1:]) with at least MIN_DRAWS values, none near 0.

    Drawn once per probe from probe.inputs_rng, after x: both sides get the same one.
    """
    if "large_input" not in probe.extra:
        rest = probe.x.shape[1:]
        values_per_row = max(1, int(np.prod(rest)))
        draws_per_row = values_per_row
        if KINDS.get(type(probe.reference).__name__) == "dropout":
            draws_per_row = max(1, int(np.prod(noise_shape(probe.reference, probe.x)[1:])))
        batch = min(math.ceil(MIN_DRAWS / draws_per_row), MAX_VALUES // values_per_row)
        batch = max(probe.x.shape[0], batch)
        fixed = getattr(probe.reference, "noise_shape", None)
        if fixed is not None and fixed[0] is not None:
            batch = int(fixed[0])  # a noise_shape with a fixed batch fixes the input's batch
        shape = (batch, *rest)
        magnitude = probe.inputs_rng.uniform(0.5, 2.0, size=shape)
        sign = np.where(probe.inputs_rng.random(size=shape) < 0.5, -1.0, 1.0)
        probe.extra["large_input"] = (magnitude * sign).astype("float32")
    return probe.extra["large_input"]


def large_cotangent(probe: Probe) -> np.ndarray:
    if "large_cotangent" not in probe.extra:
        probe.extra["large_cotangent"] = probe.cotangent_rng.standard_normal(
            large_input(probe).shape).astype("float32")
    return probe.extra["large_cotangent"]


def noise_shape(reference, x: np.ndarray) -> tuple[int, ...]:
    """The shape of the independent draws of a dropout layer on input x (Keras' noise_shape)."""
    if hasattr(reference, "_get_noise_shape"):  # SpatialDropout: computed from the input
        shape = reference._get_noise_shape(keras.ops.convert_to_tensor(x))
    else:
        shape = getattr(reference, "noise_shape", None)
    if shape is None:
        return tuple(x.shape)
    return tuple(int(x.shape[i]) if d is None else int(d) for i, d in enumerate(shape))


# ------------------------------------------------------------------------- student side


def output_and_gradient(layer, x, cotangent, training: bool, label: str):
    """(layer(x), d sum(layer(x) * cotangent) / dx) from one and the same call."""
    try:
        if keras.config.backend() == "jax":
            return _output_and_gradient_jax(layer, x, cotangent, training)
        if keras.config.backend() == "tensorflow":
            return _output_and_gradient_tf(layer, x, cotangent, training)
    except Exception as error:
        raise CheckFailure(
            f"computing gradients through {label} failed with {type(error).__name__}: "
            f"{error_summary(error)}. Use keras.ops and keras.random (not NumPy) inside "
            "call() so Keras can differentiate it."
        ) from None
    raise CheckUsageError(
        f"gradient checks support the tensorflow and jax backends; this kernel uses "
        f"{keras.config.backend()!r}."
    )


def _output_and_gradient_tf(layer, x, cotangent, training):
    import tensorflow as tf

    x_t = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x_t)
        out = layer(x_t, training=training)
    dx = tape.gradient(out, x_t, output_gradients=tf.cast(cotangent, out.dtype))
    return _numpy(out), None if dx is None else _numpy(dx)


def _output_and_gradient_jax(layer, x, cotangent, training):
    import jax
    import jax.numpy as jnp

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    accepts_training = "training" in inspect.signature(layer.call).parameters
    kwargs = {"training": training} if accepts_training else {}

    def call(x_in):
        return layer.stateless_call(trainable, non_trainable, x_in, **kwargs)

    out, pullback, new_state = jax.vjp(call, jnp.asarray(x), has_aux=True)
    (dx,) = pullback(jnp.asarray(cotangent, dtype=out.dtype))
    # stateless_call left the seed generators where they were: move them on, as a call would.
    for variable, value in zip(layer.non_trainable_variables, new_state, strict=True):
        variable.assign(value)
    return _numpy(out), _numpy(dx)


def _numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def collect(probe: Probe, student) -> dict:
    __tracebackhide__ = True
    kind_of(probe)
    label, x = probe.label, probe.x
    big, cotangent = large_input(probe), large_cotangent(probe)
    build_student(probe, student)
    payload = {
        "inference": forward(student, x, False, f"{label}(x, training=False)", probe.builtin),
        "inference_large": forward(student, big, False, f"{label}(x, training=False)",
                                   probe.builtin),
    }
    if np.shape(payload["inference_large"]) != big.shape:
        return payload  # the judge reports the shape
    if True in probe.training_modes:
        what = f"{label}(x, training=True)"
        # Two training calls: a plain one, then one that also gives the gradient of that
        # very call (on JAX a stateless call, after which the seed state is moved on).
        first = forward(student, big, True, what, probe.builtin)
        payload["training"] = {"output": first, "again": first}
        if np.shape(first) != big.shape:
            return payload  # the judge reports the shape
        out, dx = output_and_gradient(student, big, cotangent, True, label)
        payload["training"].update(output=out, input_gradient=dx)
    if False in probe.training_modes:
        dx, _ = student_gradients(student, big, cotangent, False, label)
        payload["inference_gradient"] = dx
    payload.update(collect_config(probe, student))
    return payload


# ------------------------------------------------------------------------------- judge


def _explain_identity(probe, kind, got, x_in, failure: CheckFailure) -> CheckFailure:
    """Name noise added at inference, which no exact suspect can recompute."""
    message = str(failure)
    if kind == "dropout" or "Likely mistake" in message or np.shape(got) != x_in.shape:
        return failure
    noise = np.asarray(got, "float64") - x_in
    reason = _recognise_noise_std(probe, noise, training=False, x=x_in)
    return CheckFailure(f"{message}\n  Likely mistake: {reason}") if reason else failure


def _judge_identity(probe, kind, what, got, x_in) -> str:
    got = np.asarray(got)
    kept = np.abs(got) > probe.atol if got.shape == x_in.shape else np.ones(x_in.shape, bool)
    expected = _numpy(probe.reference(x_in, training=False))  # Keras: the input itself
    try:
        return judge_output(probe, what, got, expected,
                            {"x": x_in, "training": False, "kept": kept})
    except CheckFailure as failure:
        raise _explain_identity(probe, kind, got, x_in, failure) from None


def _noise_range(n: int, std: float) -> tuple[float, float]:
    lo, hi = chi_square_range(n)
    return std * math.sqrt(max(lo, 0.0) / n), std * math.sqrt(hi / n)


def _recognise_noise_std(probe, noise, **inputs) -> str | None:
    n = noise.size
    rms = np.asarray(math.sqrt(float(np.mean(np.square(noise)))))

    def close(got, alternative):
        lo, hi = _noise_range(n, float(alternative))
        return lo - 1e-7 <= float(got) <= hi + 1e-7

    return mistakes.recognise(probe.reference, rms, close, target="noise_std", **inputs)


def _judge_shape(probe, what, got, shape) -> np.ndarray:
    got = np.asarray(got)
    if got.shape != shape:
        raise CheckFailure(f"{what} has output shape {got.shape}, expected {shape}.")
    if keras.backend.standardize_dtype(got.dtype) != "float32":
        raise CheckFailure(f"{what} has dtype {got.dtype}, expected float32.")
    return got


def _judge_dropout(probe, label, training, big) -> list[str]:
    rate = float(probe.reference.get_config()["rate"])
    keep = 1.0 - rate
    what = f"{label}(x, training=True) on a {big.shape} input"
    out = _judge_shape(probe, f"the output of {what}", training["output"], big.shape)
    kept = np.abs(out) > probe.atol
    verified = []

    # Where noise_shape is 1 the mask is shared: one draw per noise_shape entry.
    draws_shape = noise_shape(probe.reference, big)
    shared = tuple(i for i, (d, n) in enumerate(zip(draws_shape, big.shape, strict=True))
                   if d == 1 and n > 1)
    draws = kept[tuple(slice(0, 1) if i in shared else slice(None) for i in range(big.ndim))]
    if shared and not np.array_equal(np.broadcast_to(draws, kept.shape), kept):
        raise CheckFailure(
            f"the mask of {what} is not shared along axes {shared}: with noise_shape "
            f"{draws_shape} one unit is kept or dropped for a whole slice along those axes."
        )

    n = draws.size
    dropped = 1.0 - float(draws.mean())
    margin = hoeffding_margin(n)
    if abs(dropped - rate) >= margin:
        reason = mistakes.recognise(
            probe.reference, np.asarray(dropped), lambda got, alt: abs(got - alt) < margin,
            target="zero_fraction", training=True)
        message = (
            f"{what} dropped a fraction {dropped:.4f} of {n} units; with rate={rate:g} it "
            f"should be within {rate:g} \u00b1 {margin:.4f} (a correct layer lands outside "
            f"with probability below {FALSE_FAILURE:g})."
        )
        raise CheckFailure(message + (f"\n  Likely mistake: {reason}" if reason else ""))
    verified.append(f"dropped fraction {dropped:.3f} of {n} draws (rate {rate:g} "
                    f"\u00b1 {margin:.3f})")

    def close(a, b):
        return a.shape == b.shape and np.allclose(a, b, probe.rtol, probe.atol)

    expected = np.where(kept, big / np.float32(keep), np.float32(0)).astype("float32")
    compare_arrays(
        f"the output of {what}", out, expected, probe.rtol, probe.atol,
        lambda got: mistakes.recognise(probe.reference, got, close, x=big, training=True,
                                       kept=kept),
        against="the rule: 0 where a unit is dropped, x / (1 - rate) where it is kept",
    )
    verified.append("training values 0 or x / (1 - rate)")

    again = _judge_shape(probe, f"the output of the other training call {what}", training["again"],
                         big.shape)
    # Two independent masks agree everywhere with probability (rate^2 + keep^2)^n.
    if n * math.log(rate**2 + keep**2) < math.log(FALSE_FAILURE):
        if np.array_equal(np.abs(again) > probe.atol, kept):
            raise CheckFailure(
                f"{label} dropped exactly the same units in two training calls: draw a new "
                "mask on every call, with a keras.random.SeedGenerator made in __init__ and "
                "passed as seed=self.seed_generator (a fixed integer seed repeats the mask)."
            )
        verified.append("a new mask each call")
    return verified


def _judge_gaussian(probe, label, kind, training, big) -> list[str]:
    config = probe.reference.get_config()
    what = f"{label}(x, training=True) on a {big.shape} input"
    out = _judge_shape(probe, f"the output of {what}", training["output"], big.shape)
    if kind == "additive":
        std, noise, name = float(config["stddev"]), out.astype("float64") - big, "output - x"
    else:
        rate = float(config["rate"])
        std = math.sqrt(rate / (1.0 - rate))
        noise, name = out.astype("float64") / big - 1.0, "output / x - 1"
    n = noise.size
    mean, mean_margin = float(noise.mean()), std * gaussian_mean_margin(n)
    rms = math.sqrt(float(np.mean(np.square(noise))))
    lo, hi = _noise_range(n, std)
    reason = None
    if not lo <= rms <= hi:
        reason = _recognise_noise_std(probe, noise, training=True, x=big)
        problem = (f"its root mean square is {rms:.4g}, outside [{lo:.4g}, {hi:.4g}] "
                   f"around the standard deviation {std:g}")
    elif abs(mean) >= mean_margin:
        problem = (f"its mean is {mean:.4g}, outside 0 \u00b1 {mean_margin:.4g}: the noise "
                   "must have mean 0")
    else:
        problem = None
    if problem:
        raise CheckFailure(
            f"the noise of {what} ({name}, {n} values) does not look like "
            f"N(0, {std:g}**2): {problem} (a correct layer fails this with probability below "
            f"{FALSE_FAILURE:g})." + (f"\n  Likely mistake: {reason}" if reason else "")
        )
    again = _judge_shape(probe, f"the output of the other training call {what}", training["again"],
                         big.shape)
    if np.array_equal(again, out):
        raise CheckFailure(
            f"{label} added exactly the same noise in two training calls: draw new noise on "
            "every call, with a keras.random.SeedGenerator made in __init__ and passed as "
            "seed=self.seed_generator (a fixed integer seed repeats the draw)."
        )
    return [f"training noise mean {mean:.3g}, std {rms:.3g} (stddev {std:g}) over {n} draws",
            "new noise each call"]


def judge(probe: Probe, payload: dict) -> list[str]:
    __tracebackhide__ = True
    kind = kind_of(probe)
    label, x = payload.get("label", probe.label), probe.x
    big, cotangent = large_input(probe), large_cotangent(probe)
    shape = _judge_identity(probe, kind, f"{label}(x, training=False)", payload["inference"], x)
    _judge_identity(probe, kind, f"{label}(x, training=False) on a {big.shape} input",
                    payload["inference_large"], big)
    verified = [f"inference returns the input {shape}"]

    if True in probe.training_modes:
        training = payload.get("training")
        if not training:
            raise CheckFailure("the evidence has no training call.")
        if kind == "dropout":
            verified += _judge_dropout(probe, label, training, big)
        else:
            verified += _judge_gaussian(probe, label, kind, training, big)
        dx = training.get("input_gradient")
        if dx is None:
            raise CheckFailure(
                f"the gradient of {label}'s output with respect to the input is None "
                "(training): the input does not reach the output through keras.ops.")
        out = np.asarray(training["output"], "float64")
        # d(out)/dx of this very call: out / x (the kept-and-scaled mask, or the
        # multiplicative noise), or 1 for additive noise.
        scale = 1.0 if kind == "additive" else out / big
        compare_arrays(
            "the gradient with respect to the input (training)", np.asarray(dx),
            (scale * cotangent).astype("float32"), GRAD_RTOL, GRAD_ATOL,
            against="the scale of the same call (output / x) times the cotangent")
    if False in probe.training_modes:
        dx = payload.get("inference_gradient")
        if dx is None:
            raise CheckFailure(
                f"the gradient of {label}'s output with respect to the input is None "
                "(inference): return the input itself when not training.")
        compare_arrays("the gradient with respect to the input (inference)", np.asarray(dx),
                       cotangent, GRAD_RTOL, GRAD_ATOL,
                       against="the cotangent (the layer is the identity at inference)")
    verified.append("gradient w.r.t. the input in "
                    + " and ".join("training" if t else "inference"
                                   for t in probe.training_modes))
    verified.append(judge_config(probe, payload, x))
    return verified


FAMILY = register_family(LayerFamily(
    "stochastic", collect, judge,
    "inference identity, training statistics within stated bounds, a new draw each call, "
    "gradient of the same call, config round trip"))
