"""Check a student's component against the built-in Keras component.

Every graded test cell reaches its verdict through a function of this module:

    check_layer(student_layer, keras_layer, input_shape)   a layer, against Keras
    check_architecture(model, expected_layers)             layer types, shapes, params
    check_accuracy(model, x, y, at_least)                  trained accuracy on held-out data
    check_same_predictions(model_a, model_b, x)            e.g. a model and its reloaded copy
    check_history(history, metrics, epochs)                what `fit` recorded
    check_model_style(model, style)                        sequential, functional, subclassed
    check_saved_model_file(path)                           a Keras 3 .keras archive

A check either prints one line saying what it verified, or raises
`CheckFailure` (an AssertionError, so nbgrader marks the cell failed) with a
message a student can act on. Wrong arguments to a check raise
`CheckUsageError` instead, naming the argument.

Each check has a student side (run the student's code, collect what it produced)
and a judge (compare that with Keras). In a student's session both run here;
under `kcourse grade` the student side records evidence (kcourse.evidence) and
the grader calls the judge (JUDGES below) in its own process.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Sequence
from contextlib import contextmanager

import keras
import numpy as np

from . import _gradients as autodiff
from . import evidence, mistakes
from ._compare import ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, allclose, describe_mismatch
from .determinism import disable_tf32

__all__ = [
    "ATOL", "RTOL", "GRAD_ATOL", "GRAD_RTOL", "CheckFailure", "CheckUsageError",
    "check_layer", "compare_layers", "check_architecture", "check_accuracy",
    "check_same_predictions", "check_history", "check_model_style", "check_saved_model_file",
]

PASS_MARK = "\u2714"  # a heavy check mark


class CheckFailure(AssertionError):
    """The student's component does not behave like the built-in one."""


class CheckUsageError(ValueError):
    """A check was called with arguments it cannot use."""


# --------------------------------------------------------------------------- arguments


def _require_layer(obj, role: str) -> None:
    if isinstance(obj, type) and issubclass(obj, keras.layers.Layer):
        raise CheckUsageError(
            f"{role} must be a layer instance, e.g. {obj.__name__}(units=3), not the class "
            f"{obj.__name__} itself."
        )
    if not isinstance(obj, keras.layers.Layer):
        raise CheckUsageError(
            f"{role} must be a keras.layers.Layer instance; got {type(obj).__name__}."
        )


def _require_model(obj, role: str = "model") -> None:
    if not isinstance(obj, keras.Model):
        raise CheckUsageError(f"{role} must be a keras.Model; got {type(obj).__name__}.")


def _as_inputs(input_shape, inputs, rng) -> np.ndarray:
    if inputs is not None:
        try:
            x = np.asarray(keras.ops.convert_to_numpy(inputs), dtype="float32")
        except Exception as error:
            raise CheckUsageError(f"inputs must be a numeric array; {error}") from None
        if input_shape is not None and tuple(x.shape) != tuple(input_shape):
            raise CheckUsageError(
                f"inputs have shape {tuple(x.shape)} but input_shape is {tuple(input_shape)}."
            )
        if not np.all(np.isfinite(x)):
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
            raise CheckUsageError(
                f"inputs contain NaN or infinity (first at index {index}); "
                "a comparison on them would say nothing."
            )
        return x
    if input_shape is None:
        raise CheckUsageError("give input_shape (batch included), e.g. input_shape=(4, 5).")
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise CheckUsageError(
            "input_shape must be a tuple of positive integers, batch included; "
            f"got {input_shape!r}."
        ) from None
    if len(shape) < 2 or any(d < 1 for d in shape):
        raise CheckUsageError(
            f"input_shape must be a tuple of positive integers with the batch first, "
            f"e.g. (4, 5); got {input_shape!r}."
        )
    return rng.standard_normal(shape).astype("float32")


# --------------------------------------------------------------------- running student code


def _student_frame(error: BaseException) -> str:
    """'in call, line 12: return x @ self.w' for the innermost frame of the student's code."""
    frames = [
        f for f in traceback.extract_tb(error.__traceback__)
        if "site-packages" not in f.filename and "/kcourse/" not in f.filename
        and "<frozen" not in f.filename
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (in {frame.name}, line {frame.lineno}: {(frame.line or '').strip()})"


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_WRAPPER_LINES = ("Exception encountered when calling", "Arguments received")


def _error_summary(error: BaseException) -> str:
    """The informative line of an exception (Keras wraps errors raised inside call())."""
    for line in _ANSI_ESCAPE.sub("", str(error)).splitlines():
        line = line.strip()
        if line and not line.startswith(_KERAS_WRAPPER_LINES):
            return line
    return ""


def _run_student(what: str, fn, *args, **kwargs):
    """Call student code; turn its exceptions into one readable CheckFailure."""
    try:
        return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except NotImplementedError:
        raise CheckFailure(
            f"{what} raised NotImplementedError: replace `raise NotImplementedError()` "
            "with your implementation."
        ) from None
    except Exception as error:
        raise CheckFailure(
            f"{what} raised {type(error).__name__}: {_error_summary(error)}"
            f"{_student_frame(error)}"
        ) from None


def _numpy(value, what: str) -> np.ndarray:
    if value is None:
        raise CheckFailure(f"{what} returned None: did you forget `return`?")
    try:
        return np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:
        raise CheckFailure(
            f"{what} returned {type(value).__name__}, not a tensor."
        ) from None


# ------------------------------------------------------------------------------ shortcuts


@contextmanager
def _watch_calls(cls):
    """Record whether `cls.build` or `cls.call` runs inside the block (the built-in was used)."""
    used = []
    originals = {name: cls.__dict__.get(name) for name in ("build", "call")}

    def watching(name, original):
        def watched(self, *args, **kwargs):
            used.append(name)
            return original(self, *args, **kwargs)
        return watched

    for name in originals:
        setattr(cls, name, watching(name, getattr(cls, name)))
    try:
        yield used
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)


def _uses_reference_module(cls) -> bool:
    """True if the class, its bases, or names its methods use come from kcourse.reference."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("kcourse.reference"):
            return True
        if klass.__module__.startswith(("keras", "builtins")):
            continue
        for attribute in vars(klass).values():
            code = getattr(attribute, "__code__", None)
            scope = getattr(attribute, "__globals__", {})
            for name in code.co_names if code else ():
                obj = scope.get(name)
                module = getattr(obj, "__name__", "") if isinstance(obj, type(json)) else ""
                module = module or getattr(obj, "__module__", "") or ""
                if module.startswith("kcourse.reference"):
                    return True
    return False


def refuse_shortcuts(student, reference) -> None:
    """Fail if the student's layer is, wraps or subclasses the layer it re-implements."""
    builtin = type(reference)
    name = f"keras.layers.{builtin.__name__}"
    if _uses_reference_module(type(student)):
        raise CheckFailure(
            "your layer uses kcourse.reference, the instructors' solutions. "
            "Write the layer yourself; the reference is not available when grading."
        )
    if isinstance(student, builtin):
        raise CheckFailure(
            f"your layer is (a subclass of) {name}, the layer you are asked to write. "
            "Subclass keras.layers.Layer instead."
        )
    for inner in student._flatten_layers(include_self=False, recursive=True):
        if isinstance(inner, builtin):
            raise CheckFailure(
                f"your layer contains a {name} ({inner.name!r}): write the computation "
                "yourself with keras.ops instead of wrapping the built-in layer."
            )


# ------------------------------------------------------------------------------- weights


def _describe_weights(layer) -> str:
    if not layer.weights:
        return "no weights"
    return ", ".join(f"{w.name} {tuple(w.shape)}" for w in layer.weights)


def _randomise(layer, rng) -> None:
    """Give the reference non-trivial weights (Keras starts biases at zero, hiding mistakes)."""
    for w in layer.weights:
        shape = tuple(w.shape)
        if "variance" in w.name:
            value = rng.uniform(0.5, 1.5, size=shape)
        else:
            value = 0.5 * rng.standard_normal(shape)
        w.assign(value.astype(keras.backend.standardize_dtype(w.dtype)))


def _pair_weights(student, reference, label: str):
    """Match student weights to reference weights (by name, else by order), or explain why not."""
    s_weights, r_weights = list(student.weights), list(reference.weights)
    if len(s_weights) != len(r_weights):
        hint = ""
        if not s_weights:
            hint = " Create them in build() with self.add_weight(shape=..., name=...)."
        raise CheckFailure(
            f"{label} has {len(s_weights)} weight(s) ({_describe_weights(student)}) but "
            f"keras.layers.{type(reference).__name__} with this configuration has "
            f"{len(r_weights)} ({_describe_weights(reference)}).{hint}"
        )
    s_names = [w.name for w in s_weights]
    r_names = [w.name for w in r_weights]
    if sorted(s_names) == sorted(r_names) and len(set(r_names)) == len(r_names):
        by_name = {w.name: w for w in s_weights}
        pairs = [(by_name[w.name], w) for w in r_weights]
    else:
        pairs = list(zip(s_weights, r_weights, strict=True))
    for s, r in pairs:
        s_shape, r_shape = tuple(s.shape), tuple(r.shape)
        if s_shape != r_shape:
            hint = ""
            if s_shape == r_shape[::-1] and len(r_shape) == 2:
                hint = (
                    f" Your {s.name} is transposed: Keras stores it as "
                    f"{r_shape} (input_dim, units)."
                )
            raise CheckFailure(
                f"{label}: weight {s.name!r} has shape {s_shape}, but Keras' {r.name!r} has "
                f"shape {r_shape}.{hint}"
            )
        if s.trainable != r.trainable:
            state = "trainable" if r.trainable else "non-trainable"
            raise CheckFailure(
                f"{label}: weight {s.name!r} should be {state}, as Keras' {r.name!r} is "
                f"(add_weight(..., trainable={r.trainable}))."
            )
    return pairs


def _copy_weights(pairs) -> None:
    for s, r in pairs:
        s.assign(keras.ops.convert_to_numpy(r).astype(keras.backend.standardize_dtype(s.dtype)))


# ---------------------------------------------------------------------------- comparison


def _compare_arrays(what: str, got, expected, rtol, atol, explain=None, against="Keras") -> None:
    if got.shape != expected.shape:
        raise CheckFailure(f"{what} has shape {got.shape}, expected {expected.shape}.")
    if allclose(got, expected, rtol, atol):
        return
    message = f"{what} does not match {against}.\n{describe_mismatch(got, expected, rtol, atol)}"
    reason = explain(got) if explain else None
    if reason:
        message += f"\n  Likely mistake: {reason}"
    raise CheckFailure(message)


def _forward(layer, x, training: bool, what: str, builtin=None):
    """Run layer(x); if `builtin` is given, fail when the student's code uses it."""
    if builtin is None:
        return _numpy(layer(x, training=training), what)
    error = None
    with _watch_calls(builtin) as used:
        try:
            out = layer(x, training=training)
        except Exception as caught:
            error = caught
    if used:
        raise CheckFailure(
            f"{what} uses keras.layers.{builtin.__name__}, the layer you are asked to "
            "write: compute the result yourself with keras.ops."
        )
    if error is not None:
        _run_student(what, _reraise, error)
    return _numpy(out, what)


def _reraise(error):
    raise error


def _gradients(layer, x, cotangent, training, what):
    try:
        return autodiff.vjp(layer, x, cotangent, training)
    except autodiff.UnsupportedBackend as error:
        raise CheckUsageError(str(error)) from None
    except Exception as error:
        raise CheckFailure(
            f"computing gradients through {what} failed with {type(error).__name__}: "
            f"{_error_summary(error)}. "
            "Use keras.ops (not NumPy) inside call() so Keras can differentiate it."
        ) from None


# ------------------------------------------------------------------- the layer check
# The student side runs the student's layer and returns evidence; the judge compares
# evidence with the built-in layer. Both halves derive the input, the weights and the
# gradient's cotangent from the same seed, each from its own random stream.


def _case_rngs(seed: int):
    """(inputs, weights, cotangent) random generators for one check."""
    return (np.random.default_rng(seed), np.random.default_rng([seed, 1]),
            np.random.default_rng([seed, 2]))


def _prepare_reference(reference, x, weights_rng) -> None:
    """Build the built-in layer on x.shape and give it random weights (usage errors if it can't)."""
    try:
        if not reference.built:
            reference.build(x.shape)
    except Exception as error:
        raise CheckUsageError(
            f"keras.layers.{type(reference).__name__} cannot be built on input shape "
            f"{x.shape}: {_error_summary(error)}"
        ) from None
    try:
        # A reference built beforehand for another shape would otherwise be reported
        # as a weight-shape mistake of the student's.
        reference(x, training=False)
    except Exception as error:
        raise CheckUsageError(
            f"keras.layers.{type(reference).__name__} (built with weights "
            f"{_describe_weights(reference)}) cannot be applied to input shape {x.shape}: "
            f"{_error_summary(error)}"
        ) from None
    _randomise(reference, weights_rng)


def _student_layer_evidence(student, reference, x, cotangent_rng, training_modes,
                            builtin) -> dict:
    """Run the student's layer (reference already prepared); return what it produced.

    Raises CheckFailure when the student's code fails before producing comparable results.
    """
    label = f"your {type(student).__name__}"
    if not student.built:
        _run_student(f"{label}.build(input_shape={x.shape})", student.build, x.shape)
    # One forward pass before anything else: a layer that delegates to the
    # built-in layer is refused before its (missing) weights are discussed.
    _forward(student, x, False, f"{label}(x)", builtin)
    pairs = _pair_weights(student, reference, label)
    _copy_weights(pairs)
    evidence = {"label": label, "outputs": [], "gradients": [], "weight_names": []}
    for training in training_modes:
        evidence["outputs"].append(
            _forward(student, x, training, f"{label}(x, training={training})", builtin)
        )
    expected_shape = tuple(reference.compute_output_shape(x.shape))
    if any(out.shape != expected_shape for out in evidence["outputs"]):
        return evidence  # the judge reports the shape; gradients would not line up
    cotangent = cotangent_rng.standard_normal(expected_shape).astype("float32")
    s_by_ref = {id(r): s for s, r in pairs}
    s_trainable = [id(w) for w in student.trainable_weights]
    evidence["weight_names"] = [s_by_ref[id(r)].name for r in reference.trainable_weights]
    for training in training_modes:
        dx, dw = _gradients(student, x, cotangent, training, label)
        per_weight = [dw[s_trainable.index(id(s_by_ref[id(r)]))]
                      for r in reference.trainable_weights]
        evidence["gradients"].append({"input": dx, "weights": per_weight})

    config = _run_student(f"{label}.get_config()", student.get_config)
    if not isinstance(config, dict):
        raise CheckFailure(f"{label}.get_config() returned {type(config).__name__}, not a dict.")
    try:
        json.dumps(config)
    except TypeError as error:
        raise CheckFailure(
            f"{label}.get_config() is not JSON-serialisable ({error}); store names, "
            "e.g. keras.activations.serialize(self.activation), not objects."
        ) from None
    clone = _run_student(f"{type(student).__name__}.from_config(config)",
                         type(student).from_config, config)
    _run_student(f"the rebuilt layer's build({x.shape})", clone.build, x.shape)
    _copy_weights(_pair_weights(clone, reference, "the layer rebuilt from its config"))
    evidence["config"] = config
    evidence["clone_output"] = _numpy(
        _run_student("the rebuilt layer", clone, x, training=False), "the rebuilt layer"
    )
    return evidence


def _judge_layer(reference, x, cotangent_rng, evidence, training_modes, config_keys,
                 rtol, atol) -> list[str]:
    """Compare the student's evidence with the prepared built-in layer; raise CheckFailure."""
    label = evidence["label"]
    verified = [f"input {x.shape}"]
    verified.append(
        f"weights {_describe_weights(reference)}" if reference.weights else "no weights"
    )
    if len(evidence["outputs"]) != len(training_modes):
        raise CheckFailure("the evidence does not cover every mode.")
    for training, got in zip(training_modes, evidence["outputs"], strict=True):
        what = f"{label}(x, training={training})"
        expected = _numpy(reference(x, training=training), "the Keras layer")
        expected_dtype = keras.backend.standardize_dtype(expected.dtype)
        got_dtype = keras.backend.standardize_dtype(got.dtype)
        if got.shape != expected.shape:
            raise CheckFailure(
                f"{what} has output shape {got.shape}, expected {expected.shape} "
                f"(input shape {x.shape})."
            )
        if got_dtype != expected_dtype:
            raise CheckFailure(f"{what} has dtype {got_dtype}, expected {expected_dtype}.")

        def explain(got_values, x=x):
            return mistakes.recognise(
                reference, x, got_values, lambda a, b: allclose(a, b, rtol, atol)
            )

        _compare_arrays(f"the output of {what}", got, expected, rtol, atol, explain)
    verified.append(
        f"output {expected.shape} {got_dtype} in "
        + " and ".join("training" if t else "inference" for t in training_modes)
    )

    cotangent = cotangent_rng.standard_normal(expected.shape).astype("float32")
    if len(evidence["gradients"]) != len(training_modes):
        raise CheckFailure("the evidence has no gradients for every mode.")
    names = ["the input", *(f"{n!r}" for n in evidence["weight_names"])]
    for training, got in zip(training_modes, evidence["gradients"], strict=True):
        dx_ref, dw_ref = _gradients(reference, x, cotangent, training, "the Keras layer")
        where = "training" if training else "inference"
        if len(got["weights"]) != len(dw_ref) or len(names) != len(dw_ref) + 1:
            raise CheckFailure("the evidence has gradients for other weights than Keras'.")
        for name, g, g_ref in zip(names, [got["input"], *got["weights"]], [dx_ref, *dw_ref],
                                  strict=True):
            if g_ref is None:
                continue
            if g is None:
                raise CheckFailure(
                    f"the gradient of {label}'s output with respect to {name} is None "
                    f"({where}): that tensor does not reach the output through keras.ops."
                )
            _compare_arrays(
                f"the gradient with respect to {name} ({where})", g, g_ref, GRAD_RTOL, GRAD_ATOL
            )
    verified.append("gradients w.r.t. " + ", ".join(names))

    config, expected_config = evidence["config"], reference.get_config()
    for key in config_keys:
        if key not in config:
            raise CheckFailure(f"{label}.get_config() has no {key!r} entry.")
        if config[key] != expected_config[key]:
            raise CheckFailure(
                f"{label}.get_config()[{key!r}] is {config[key]!r}; Keras stores "
                f"{expected_config[key]!r}."
            )
    _compare_arrays(
        "the output of the layer rebuilt with from_config(get_config())",
        evidence["clone_output"], _numpy(reference(x, training=False), "the Keras layer"),
        RTOL, ATOL,
    )
    keys = f" ({', '.join(config_keys)})" if config_keys else ""
    verified.append(f"get_config/from_config round trip{keys}")
    return verified


def compare_layers(
    student,
    reference,
    input_shape=None,
    *,
    inputs=None,
    seed: int = 0,
    training_modes: Sequence[bool] = (False, True),
    config_keys: Sequence[str] = (),
    rtol: float = RTOL,
    atol: float = ATOL,
    builtin_forbidden: bool = True,
) -> list[str]:
    """Compare two layers in this process; return what was verified, or raise CheckFailure.

    student, reference: layer instances with the same configuration.
    input_shape: (batch, ...) of the float32 test input (or give `inputs`).
    """
    _require_layer(student, "student")
    _require_layer(reference, "reference")
    disable_tf32()
    inputs_rng, weights_rng, cotangent_rng = _case_rngs(seed)
    x = _as_inputs(input_shape, inputs, inputs_rng)
    _prepare_reference(reference, x, weights_rng)
    builtin = type(reference) if builtin_forbidden else None
    evidence = _student_layer_evidence(student, reference, x, cotangent_rng,
                                       tuple(training_modes), builtin)
    _, _, cotangent_rng = _case_rngs(seed)
    return _judge_layer(reference, x, cotangent_rng, evidence, tuple(training_modes),
                        tuple(config_keys), rtol, atol)


def _layer_args(reference, input_shape, inputs, seed, training_modes, config_keys, rtol, atol):
    return {"reference": keras.layers.serialize(reference), "input_shape": input_shape,
            "inputs": inputs, "seed": seed, "training_modes": list(training_modes),
            "config_keys": list(config_keys), "rtol": rtol, "atol": atol}


def judge_layer_evidence(args: dict, payload: dict, seed: int) -> list[str]:
    """Grader side: rebuild the built-in layer from `args`, judge the student's `payload`."""
    reference = builtin_layer_from_config(args["reference"])
    inputs_rng, weights_rng, cotangent_rng = _case_rngs(seed)
    x = _as_inputs(args["input_shape"], args["inputs"], inputs_rng)
    _prepare_reference(reference, x, weights_rng)
    return _judge_layer(reference, x, cotangent_rng, payload, tuple(args["training_modes"]),
                        tuple(args["config_keys"]), args["rtol"], args["atol"])


def builtin_layer_from_config(serialized: dict):
    """A built-in Keras layer from keras.layers.serialize output; refuses anything else."""
    if not isinstance(serialized, dict) or serialized.get("module") != "keras.layers" \
            or serialized.get("registered_name") not in (None, serialized.get("class_name")):
        raise CheckUsageError("the reference must be a built-in keras.layers layer.")
    return keras.layers.deserialize(serialized)


def check_layer(student, reference, input_shape=None, *, inputs=None, seed: int = 0,
                training_modes: Sequence[bool] = (False, True), config_keys: Sequence[str] = (),
                rtol: float = RTOL, atol: float = ATOL) -> None:
    """Check a student's layer against the built-in Keras layer; print what was verified.

    student:     an instance of the student's layer, e.g. Dense(units=3, activation="relu")
    reference:   the built-in layer with the same configuration, e.g.
                 keras.layers.Dense(units=3, activation="relu")
    input_shape: (batch, ...) of the float32 random test input, e.g. (4, 5)
    inputs:      a specific float32 input instead (finite values only)
    seed:        seed of the input, the weights and the gradient's cotangent
    config_keys: get_config() entries that must equal Keras' (e.g. "units", "activation")

    Weights are created by both layers' build(), the Keras weights are randomised
    and copied into the student's layer in Keras layout, then outputs (training
    and inference), output shape and dtype, gradients with respect to the
    input and every trainable weight, and the get_config/from_config round trip
    are compared. Raises CheckFailure naming the first difference.
    """
    _require_layer(student, "student")
    _require_layer(reference, "reference")
    if inputs is not None:
        inputs = _as_inputs(input_shape, inputs, None)
    args = _layer_args(reference, input_shape, inputs, seed, training_modes, config_keys,
                       rtol, atol)

    def student_side(seed_here):
        refuse_shortcuts(student, reference)
        disable_tf32()
        inputs_rng, weights_rng, cotangent_rng = _case_rngs(seed_here)
        x = _as_inputs(input_shape, inputs, inputs_rng)
        _prepare_reference(reference, x, weights_rng)
        return _student_layer_evidence(student, reference, x, cotangent_rng,
                                       tuple(training_modes), type(reference))

    def judge(payload, seed_here):
        inputs_rng, weights_rng, cotangent_rng = _case_rngs(seed_here)
        x = _as_inputs(input_shape, inputs, inputs_rng)
        # reference is already built and randomised identically by the student side
        return _judge_layer(reference, x, cotangent_rng, payload, tuple(training_modes),
                            tuple(config_keys), rtol, atol)

    verified = _run_check("layer", args, seed, student_side, judge)
    if verified is not None:
        builtin_name = f"keras.layers.{type(reference).__name__}"
        summary = "; ".join(verified)
        print(f"{PASS_MARK} {type(student).__name__} matches {builtin_name}: {summary}")


def _run_check(kind: str, args: dict, seed: int, student_side, judge):
    """Student side, then judge here; under grading, record evidence instead of judging."""
    position = evidence.next_position()
    seed_here = evidence.seed_here(seed, position)
    if evidence.grading():
        try:
            payload = student_side(seed_here)
        except (CheckFailure, CheckUsageError) as failure:
            payload = {"failure": str(failure)}
        evidence.record(kind, position, args, payload)
        print(f"(recorded for grading: {kind} check {position[1] + 1} of this cell)")
        return None
    return judge(student_side(seed_here), seed_here)


# --------------------------------------------------------------------------------- models
# Each model check: argument validation, a student side that reads the student's model
# (its evidence), and a judge that decides from the evidence and the check's arguments.


def _layer_summary(layer) -> list:
    try:
        shape = list(layer.output.shape)
    except Exception:
        shape = None
    return [type(layer).__name__, shape, int(layer.count_params()) if layer.built else 0,
            layer.name]


def _architecture_evidence(model) -> dict:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    return {"built": bool(model.built), "layers": [_layer_summary(layer) for layer in layers]}


def _judge_architecture(args, payload, seed=None) -> str:
    expected_layers = args["expected"]
    if not payload["built"]:
        raise CheckFailure(
            "the model is not built yet: give it an input shape (keras.Input) or call it once."
        )
    layers = payload["layers"]
    if len(layers) != len(expected_layers):
        got_types = ", ".join(layer[0] for layer in layers) or "none"
        raise CheckFailure(
            f"the model has {len(layers)} layer(s) ({got_types}); expected "
            f"{len(expected_layers)} ({', '.join(e[0] for e in expected_layers)})."
        )
    for index, ((got_kind, got_shape, got_params, name), (kind, shape, params)) in enumerate(
        zip(layers, expected_layers, strict=True), start=1
    ):
        where = f"layer {index} ({name!r})"
        if got_kind != kind:
            raise CheckFailure(f"{where} is a {got_kind}; expected a {kind}.")
        if shape is not None and got_shape is not None and tuple(got_shape) != tuple(shape):
            raise CheckFailure(
                f"{where} has output shape {tuple(got_shape)}; expected {tuple(shape)}."
            )
        if params is not None and got_params != params:
            raise CheckFailure(f"{where} has {got_params} parameters; expected {params}.")
    total = sum(int(e[2] or 0) for e in expected_layers)
    return f"architecture: {len(layers)} layers as specified, {total} parameters"


def check_architecture(model, expected_layers: Sequence[tuple]) -> None:
    """Check a built model's layers, in order, against (type name, output shape, params).

    expected_layers: e.g. [("Dense", (None, 32), 2080), ("Dense", (None, 10), 330)].
    InputLayer is skipped. Output shapes include the batch dimension as None; None
    for a shape or a count skips that comparison.
    """
    _require_model(model)
    args = {"expected": [[k, list(s) if s is not None else None, p]
                         for k, s, p in expected_layers]}
    _report(_run_check("architecture", args, 0, lambda _: _architecture_evidence(model),
                       lambda payload, _: _judge_architecture(args, payload)))


def _predict(model, x, what="model.predict(x)"):
    return _numpy(_run_student(what, model.predict, x, verbose=0), what)


def _judge_accuracy(args, payload, seed=None) -> str:
    y, at_least = np.asarray(args["y"]), args["at_least"]
    if payload.get("x_digest") != args["x_digest"]:
        raise CheckFailure("the predictions were made on other inputs than the check's.")
    probabilities = np.asarray(payload["predictions"])
    if probabilities.ndim != 2 or probabilities.shape[0] != len(y):
        raise CheckFailure(
            f"the model's predictions have shape {probabilities.shape}; expected "
            f"({len(y)}, number_of_classes)."
        )
    if probabilities.shape[1] < 2:
        raise CheckFailure(
            f"the model's predictions have shape {probabilities.shape}: with one output unit "
            "argmax always says class 0. End the model with one unit per class and "
            "activation=\"softmax\"."
        )
    if not np.all(np.isfinite(probabilities)):
        raise CheckFailure(
            "the model predicts NaN or infinity: training diverged (learning rate too high?)."
        )
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y))
    if accuracy < at_least:
        raise CheckFailure(
            f"held-out accuracy is {accuracy:.3f}, below the required {at_least:.2f}. "
            "Train for more epochs, or check the loss (integer labels need "
            "sparse_categorical_crossentropy) and the output activation (softmax)."
        )
    return f"held-out accuracy >= {at_least:.2f} on {len(y)} examples"


def check_accuracy(model, x, y, at_least: float) -> None:
    """Check classification accuracy on held-out data: argmax(model(x)) == y.

    x: inputs the model accepts; y: integer labels (n,); at_least: threshold in [0, 1].
    """
    _require_model(model)
    y = np.asarray(y)
    if y.ndim != 1:
        raise CheckUsageError(f"y must be integer labels of shape (n,); got shape {y.shape}.")
    if not 0.0 <= at_least <= 1.0:
        raise CheckUsageError(f"at_least must be in [0, 1]; got {at_least}.")
    args = {"y": y.astype("int64"), "at_least": float(at_least), "x_digest": evidence.digest(x)}

    def student_side(_):
        return {"predictions": _predict(model, x), "x_digest": evidence.digest(x)}

    _report(_run_check("accuracy", args, 0, student_side,
                       lambda payload, _: _judge_accuracy(args, payload)))


def _judge_same_predictions(args, payload, seed=None) -> str:
    if payload.get("x_digest") != args["x_digest"]:
        raise CheckFailure("the predictions were made on other inputs than the check's.")
    expected, got = np.asarray(payload["first"]), np.asarray(payload["second"])
    _compare_arrays(
        "the second model's predict(x)", got, expected, args["rtol"], args["atol"],
        against="the first model's predict(x)",
    )
    return f"both models give the same predictions on {len(expected)} examples"


def check_same_predictions(model, other, x, *, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Check two models give the same predictions on x (e.g. after save and load)."""
    _require_model(model, "model")
    _require_model(other, "other")
    args = {"rtol": rtol, "atol": atol, "x_digest": evidence.digest(x)}

    def student_side(_):
        return {"first": _predict(model, x),
                "second": _predict(other, x, "the second model's predict(x)"),
                "x_digest": evidence.digest(x)}

    _report(_run_check("same_predictions", args, 0, student_side,
                       lambda payload, _: _judge_same_predictions(args, payload)))


def _judge_history(args, payload, seed=None) -> str:
    metrics, epochs = args["metrics"], args["epochs"]
    if not payload["is_history"]:
        raise CheckFailure(
            f"expected the History object that model.fit returns; got {payload['type']}."
        )
    recorded = payload["history"]
    for name in metrics:
        if name not in recorded:
            raise CheckFailure(
                f"history.history has no {name!r}; it has {sorted(recorded)}. "
                "Compile with the metric and pass validation data to fit."
            )
        if len(recorded[name]) != epochs:
            raise CheckFailure(
                f"history.history[{name!r}] has {len(recorded[name])} values; expected one per "
                f"epoch ({epochs})."
            )
    return f"history has {', '.join(metrics)} for {epochs} epochs"


def check_history(history, metrics: Sequence[str], epochs: int) -> None:
    """Check a keras.callbacks.History recorded `metrics` for `epochs` epochs.

    metrics: names such as ["loss", "val_accuracy"], or a single name.
    """
    if isinstance(metrics, str):
        metrics = [metrics]  # not its characters
    args = {"metrics": list(metrics), "epochs": int(epochs)}

    def student_side(_):
        is_history = isinstance(history, keras.callbacks.History)
        record = {k: [float(v) for v in values] for k, values in history.history.items()} \
            if is_history else {}
        return {"is_history": is_history, "type": type(history).__name__, "history": record}

    _report(_run_check("history", args, 0, student_side,
                       lambda payload, _: _judge_history(args, payload)))


#: How each way of writing a model shows in its type.
MODEL_STYLES = ("sequential", "functional", "subclassed")


def model_style(model) -> str:
    """'sequential', 'functional' or 'subclassed' (a keras.Model subclass with its own call)."""
    if isinstance(model, keras.Sequential):
        return "sequential"
    if type(model).__name__ == "Functional" and type(model).__module__.startswith("keras."):
        return "functional"
    return "subclassed"


_HOW = {
    "sequential": "keras.Sequential([...])",
    "functional": "keras.Model(inputs, outputs) from keras.Input and layer calls",
    "subclassed": "a subclass of keras.Model with layers made in __init__ and used in call",
}


def _judge_model_style(args, payload, seed=None) -> str:
    style, got = args["style"], payload["style"]
    if got != style:
        raise CheckFailure(
            f"the model is {got}; this exercise asks for a {style} model: {_HOW[style]}."
        )
    if style == "subclassed" and not payload["defines_call"]:
        raise CheckFailure(f"{payload['class_name']} does not define call(self, inputs).")
    return f"{style} model"


def check_model_style(model, style: str) -> None:
    """Check a model was written the asked way: sequential, functional or subclassed."""
    _require_model(model)
    if style not in MODEL_STYLES:
        raise CheckUsageError(f"style must be one of {MODEL_STYLES}; got {style!r}.")
    args = {"style": style}

    def student_side(_):
        return {"style": model_style(model), "defines_call": "call" in vars(type(model)),
                "class_name": type(model).__name__}

    _report(_run_check("model_style", args, 0, student_side,
                       lambda payload, _: _judge_model_style(args, payload)))


def _judge_saved_model_file(args, payload, seed=None) -> str:
    name = payload["name"]
    if payload["suffix"] != ".keras":
        raise CheckFailure(f"{name} should end in .keras, the Keras 3 saving format.")
    if not payload["is_file"]:
        raise CheckFailure(f"no file at {payload['path']}: was model.save(path) called?")
    if not payload["is_zip"]:
        raise CheckFailure(f"{name} is not a .keras archive (a zip file).")
    missing = {"config.json", "model.weights.h5"} - set(payload["names"])
    if missing:
        raise CheckFailure(f"{name} lacks {sorted(missing)}; save it with model.save(path).")
    return f"{name} is a .keras archive (config.json, model.weights.h5)"


def check_saved_model_file(path) -> None:
    """Check `path` is a Keras 3 `.keras` archive (zip with config.json and model.weights.h5)."""
    import zipfile
    from pathlib import Path

    path = Path(path)

    def student_side(_):
        is_file = path.is_file()
        is_zip = is_file and zipfile.is_zipfile(path)
        names = zipfile.ZipFile(path).namelist() if is_zip else []
        return {"name": path.name, "path": str(path), "suffix": path.suffix,
                "is_file": is_file, "is_zip": is_zip, "names": names}

    _report(_run_check("saved_model_file", {}, 0, student_side,
                       lambda payload, _: _judge_saved_model_file({}, payload)))


def _report(verified) -> None:
    if verified is not None:
        print(f"{PASS_MARK} {verified}")


#: kind -> judge(args, payload, seed): what the grader calls on recorded evidence.
JUDGES = {
    "layer": judge_layer_evidence,
    "architecture": _judge_architecture,
    "accuracy": _judge_accuracy,
    "same_predictions": _judge_same_predictions,
    "history": _judge_history,
    "model_style": _judge_model_style,
    "saved_model_file": _judge_saved_model_file,
}
