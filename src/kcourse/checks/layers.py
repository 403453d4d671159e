"""The layer check: one entry point, `check_layer`, for every kind of layer.

`check_layer(student, keras_layer, input_shape)` writes a *case* from the Keras
layer (its serialized config, the input, the seed, the modes, what is
forbidden) and picks a **family** from what the Keras layer holds, as Keras'
own `run_layer_test` counts them:

    recurrent   a keras.layers.RNN or Bidirectional (checks/recurrent.py)
    stochastic  has seed generators: Dropout, GaussianNoise (checks/stochastic.py)
    stateful    has non-trainable weights: BatchNormalization (checks/stateful.py)
    stateless   everything else: Dense, Conv2D, pooling, activations (checks/stateless.py)

A family is a `LayerFamily(name, collect, judge)` registered with
`register_family`. Both halves start from a `Probe`: the built-in layer rebuilt
from the case, built on the input and given random weights, and the random
streams of the seed. Helpers here (build, pair and copy weights, the config
round trip, initial weights) are shared by every family.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

from . import _gradients as autodiff
from . import mistakes
from ._compare import ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, compare_arrays
from ._protocol import CheckFailure, CheckUsageError, register, run
from ._student import SUPER_INIT_HINT, as_numpy, error_summary, reraise, run_student
from .shortcuts import forbidden_for, refuse_forbidden_source, refuse_shortcuts, watch_calls

# ------------------------------------------------------------------------------ families


@dataclass(frozen=True)
class LayerFamily:
    """How one kind of layer is probed (student side) and judged (pure)."""

    name: str
    collect: Callable  # (probe, student) -> payload dict
    judge: Callable  # (probe, payload) -> list of verified phrases
    describe: str = ""


FAMILIES: dict[str, LayerFamily] = {}


def register_family(family: LayerFamily) -> LayerFamily:
    FAMILIES[family.name] = family
    return family


def seed_generators(layer) -> list:
    found, seen = [], set()
    for sub in layer._flatten_layers(include_self=True, recursive=True):
        for generator in getattr(sub, "_seed_generators", []):
            if id(generator) not in seen:
                seen.add(id(generator))
                found.append(generator)
    return found


def family_of(reference) -> str:
    """The family that checks this built (Keras) layer."""
    if isinstance(reference, keras.layers.RNN | keras.layers.Bidirectional):
        return "recurrent"
    if seed_generators(reference):
        return "stochastic"
    if reference.non_trainable_weights:
        return "stateful"
    return "stateless"


# --------------------------------------------------------------------------------- probe


@dataclass
class Probe:
    """What both halves of a layer check start from, rebuilt from the case and the seed."""

    case: dict
    reference: keras.layers.Layer  # built, weights randomised
    x: np.ndarray
    inputs_rng: np.random.Generator
    weights_rng: np.random.Generator
    cotangent_rng: np.random.Generator
    label: str = "your layer"
    builtin: type | None = None  # refused inside the student's layer, if set
    extra: dict = field(default_factory=dict)
    seed: int = 0  # the seed this probe was made from (the case's, or one derived under grading)

    @property
    def training_modes(self) -> tuple[bool, ...]:
        return tuple(bool(t) for t in self.case["training_modes"])

    @property
    def rtol(self) -> float:
        return float(self.case["rtol"])

    @property
    def atol(self) -> float:
        return float(self.case["atol"])

    @property
    def options(self) -> dict:
        return self.case.get("options") or {}

    def fresh_reference(self):
        """Another copy of the built-in layer with the same (initial, randomised) weights."""
        clone = builtin_layer_from_config(self.case["reference"])
        build_on(clone, self.x)
        for target, source in zip(clone.weights, self.initial_weights, strict=True):
            target.assign(source)
        return clone

    @property
    def initial_weights(self) -> list[np.ndarray]:
        return self.extra["initial_weights"]


def case_rngs(seed: int):
    """(inputs, weights, cotangent) random generators for one check."""
    return (np.random.default_rng(seed), np.random.default_rng([seed, 1]),
            np.random.default_rng([seed, 2]))


def builtin_layer_from_config(serialized: dict):
    """A built-in Keras layer from keras.layers.serialize output; refuses anything else."""
    if not isinstance(serialized, dict) or serialized.get("module") != "keras.layers" \
            or serialized.get("registered_name") not in (None, serialized.get("class_name")):
        raise CheckUsageError("the reference must be a built-in keras.layers layer.")
    # A copy: some from_config methods (RNN's) edit the dict they are given.
    return keras.layers.deserialize(copy.deepcopy(serialized))


def as_inputs(input_shape, inputs, rng, integer_inputs=None) -> np.ndarray:
    """The check's input: the given `inputs`, or random of `input_shape`.

    float32 standard normal by default; int32 in [0, integer_inputs) when that
    option is set (indices, e.g. for Embedding).
    """
    if inputs is not None:
        try:
            dtype = "int32" if integer_inputs else "float32"
            x = np.asarray(keras.ops.convert_to_numpy(inputs), dtype=dtype)
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
    if integer_inputs:
        return rng.integers(0, int(integer_inputs), size=shape).astype("int32")
    return rng.standard_normal(shape).astype("float32")


def build_on(layer, x) -> None:
    if not layer.built:
        layer.build(x.shape)


def describe_weights(layer) -> str:
    if not layer.weights:
        return "no weights"
    return ", ".join(f"{w.name} {tuple(w.shape)}" for w in layer.weights)


def randomise(layer, rng) -> list[np.ndarray]:
    """Give the built-in layer non-trivial weights (Keras starts biases at zero)."""
    values = []
    for w in layer.weights:
        shape = tuple(w.shape)
        if "variance" in w.name:
            value = rng.uniform(0.5, 1.5, size=shape)
        else:
            value = 0.5 * rng.standard_normal(shape)
        value = value.astype(keras.backend.standardize_dtype(w.dtype))
        w.assign(value)
        values.append(value)
    return values


def make_probe(case: dict, seed: int) -> Probe:
    """Rebuild the built-in layer from the case, build it on the input, randomise its weights."""
    inputs_rng, weights_rng, cotangent_rng = case_rngs(seed)
    x = as_inputs(case["input_shape"], case["inputs"], inputs_rng,
                  (case.get("options") or {}).get("integer_inputs"))
    reference = builtin_layer_from_config(case["reference"])
    name = type(reference).__name__
    try:
        build_on(reference, x)
        reference(x, training=False)
    except Exception as error:
        raise CheckUsageError(
            f"keras.layers.{name} cannot be built on input shape {x.shape}: {error_summary(error)}"
        ) from None
    probe = Probe(case, reference, x, inputs_rng, weights_rng, cotangent_rng, seed=int(seed))
    probe.extra["initial_weights"] = randomise(reference, weights_rng)
    return probe


# ------------------------------------------------------------------- student-side helpers


def forward(layer, x, training, what: str, builtin=None, **kwargs):
    """Run layer(x); if `builtin` is given, fail when the student's code uses it."""
    __tracebackhide__ = True
    if builtin is None:
        return as_numpy(run_student(what, layer, x, training=training, **kwargs), what)
    error = None
    with watch_calls(builtin) as used:
        try:
            out = layer(x, training=training, **kwargs)
        except Exception as caught:
            error = caught
    if used:
        raise CheckFailure(
            f"{what} uses keras.layers.{builtin.__name__}, the layer you are asked to "
            "write: compute the result yourself with keras.ops."
        )
    if error is not None:
        run_student(what, reraise, error)
    return out if isinstance(out, list | tuple) else as_numpy(out, what)


def pair_weights(student, reference, label: str, input_shape=None):
    """Match student weights to the built-in's (by name, else by order), or explain why not."""
    s_weights, r_weights = list(student.weights), list(reference.weights)
    builtin = f"keras.layers.{type(reference).__name__}"
    if len(s_weights) != len(r_weights):
        hint = ""
        if not s_weights:
            hint = " Create them in build() with self.add_weight(shape=..., name=...)."
        raise CheckFailure(
            f"{label} has {len(s_weights)} weight(s) ({describe_weights(student)}) but "
            f"{builtin} with this configuration has {len(r_weights)} "
            f"({describe_weights(reference)}).{hint}"
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
            where = f" for input shape {tuple(input_shape)}" if input_shape is not None else ""
            hint = ""
            if s_shape == r_shape[::-1] and len(r_shape) == 2:
                hint = (f" Your {s.name} is transposed: Keras stores it as "
                        f"{r_shape}.")
            rule = mistakes.weight_rule(reference, r.name)
            if rule:
                hint += f" In build(), make it {rule}."
            raise CheckFailure(
                f"{label}: weight {s.name!r} has shape {s_shape}, but Keras' {r.name!r} has "
                f"shape {r_shape}{where}.{hint}"
            )
        if s.trainable != r.trainable:
            state = "trainable" if r.trainable else "non-trainable"
            raise CheckFailure(
                f"{label}: weight {s.name!r} should be {state}, as Keras' {r.name!r} is "
                f"(add_weight(..., trainable={r.trainable}))."
            )
    return pairs


def copy_weights(pairs, values=None) -> None:
    """Assign the built-in's weights (or `values`, in the same order) to the student's."""
    for index, (s, r) in enumerate(pairs):
        value = values[index] if values is not None else keras.ops.convert_to_numpy(r)
        s.assign(np.asarray(value).astype(keras.backend.standardize_dtype(s.dtype)))


def build_student(probe: Probe, student, call=None) -> list:
    """Build the student's layer on the input, refuse shortcuts, pair and copy weights.

    call(layer, what): how the family runs one inference call (default: `forward` with
    the probe's call_kwargs). Returns the weight pairs (student, built-in) in the
    built-in's order. The student's initial weight values are kept in
    probe.extra["student_initial"].
    """
    __tracebackhide__ = True
    if probe.builtin is not None:
        refuse_shortcuts(student, probe.reference)
        refuse_forbidden_source(type(student), probe.case.get("forbidden") or ())
    call = call or (lambda layer, what: forward(layer, probe.x, False, what, probe.builtin,
                                                **probe.extra.get("call_kwargs", {})))
    label, x = probe.label, probe.x
    try:
        built = student.built
        student._flatten_layers()  # a Layer whose __init__ ran
    except AttributeError:
        raise CheckFailure(f"{label} is not set up as a Keras layer: {SUPER_INIT_HINT}") from None
    if not built:
        run_student(f"{label}.build(input_shape={x.shape})", student.build, x.shape)
    # One forward pass first: a layer that delegates to the built-in layer (or calls a
    # forbidden function from its own code) is refused before its (missing) weights are
    # discussed; a weight of the wrong shape is named with its rule before the raw error
    # the forward pass gave.
    from .functions import refuse_forbidden_calls  # functions.py does not import layers

    error = None
    forbidden = (probe.case.get("forbidden") or ()) if probe.builtin is not None else ()
    with refuse_forbidden_calls(forbidden, label):
        try:
            call(student, f"{label}(x)")
        except CheckFailure as failure:
            if "uses keras.layers." in str(failure):
                raise
            error = failure
    probe.extra["student_initial"] = [
        (w.name, np.asarray(keras.ops.convert_to_numpy(w))) for w in student.weights
    ]
    pairs = pair_weights(student, probe.reference, label, x.shape)
    if error is not None:
        raise error
    copy_weights(pairs, probe.initial_weights)
    return pairs


def student_gradients(layer, x, cotangent, training, label, **kwargs):
    try:
        return autodiff.vjp(layer, x, cotangent, training, **kwargs)
    except autodiff.UnsupportedBackend as error:
        raise CheckUsageError(str(error)) from None
    except Exception as error:
        raise CheckFailure(
            f"computing gradients through {label} failed with {type(error).__name__}: "
            f"{error_summary(error)}. "
            "Use keras.ops (not NumPy) inside call() so Keras can differentiate it."
        ) from None


def weight_gradients(probe: Probe, student, pairs, cotangent, after_each=None, **kwargs):
    """The student's gradients in each training mode, in the built-in's trainable-weight order.

    Returns ([(built-in weight, student weight)], [{"input": dx, "weights": [dw, ...]}]
    per mode). after_each() runs after each mode (e.g. to restore state a call changed).
    """
    by_reference = {id(r): s for s, r in pairs}
    trainable_ids = [id(w) for w in student.trainable_weights]
    trainable = []
    for r in probe.reference.trainable_weights:
        s = by_reference[id(r)]
        if id(s) not in trainable_ids:
            raise CheckFailure(f"{probe.label}: weight {s.name!r} should be trainable.")
        trainable.append((r, s))
    gradients = []
    for training in probe.training_modes:
        dx, dw = student_gradients(student, probe.x, cotangent, training, probe.label, **kwargs)
        if after_each is not None:
            after_each()
        gradients.append({"input": dx,
                          "weights": [dw[trainable_ids.index(id(s))] for _, s in trainable]})
    return trainable, gradients


def reference_gradients(layer, x, cotangent, training, **kwargs):
    return autodiff.vjp(layer, x, cotangent, training, **kwargs)


def collect_config(probe: Probe, student, first_output=None) -> dict:
    """get_config(), its JSON form, and the output of from_config(config) with the same weights.

    first_output(layer, what) -> ndarray: the layer's (first) output in inference
    (default: `forward`; families whose layers return lists pass their own).
    """
    __tracebackhide__ = True
    label, x = probe.label, probe.x
    name = type(student).__name__
    config = run_student(f"{label}.get_config()", student.get_config)
    if not isinstance(config, dict):
        raise CheckFailure(f"{label}.get_config() returned {type(config).__name__}, not a dict.")
    try:
        json.dumps(config)
    except TypeError as error:
        raise CheckFailure(
            f"{label}.get_config() is not JSON-serialisable ({error}); store names and "
            "numbers (e.g. keras.activations.serialize(self.activation)), and wrapped "
            "layers as keras.layers.serialize(layer), not objects."
        ) from None
    try:
        clone = type(student).from_config(config)
    except Exception as error:
        missing = _missing_argument(error)
        if missing:
            raise CheckFailure(
                f"{name}.from_config(config) failed: {label}.get_config() has no {missing!r} "
                f"entry, so {name}(**config) is called without it. Add {missing!r} to the "
                "dict get_config() returns."
            ) from None
        run_student(f"{name}.from_config(config)", reraise, error)
    clone_name = getattr(clone, "name", None)
    if not clone.built:
        run_student(f"the rebuilt layer's build({x.shape})", clone.build, x.shape)
    clone_pairs = pair_weights(clone, probe.reference, "the layer rebuilt from its config")
    copy_weights(clone_pairs, probe.initial_weights)
    first_output = first_output or (lambda layer, what: forward(
        layer, x, False, what, **probe.extra.get("call_kwargs", {})))
    out = first_output(clone, "the layer rebuilt from its config")
    return {"config": config, "clone_output": out, "clone_name": clone_name}


def _missing_argument(error: BaseException) -> str | None:
    text = str(error)
    marker = "missing 1 required positional argument: '"
    if isinstance(error, TypeError) and marker in text:
        return text.split(marker, 1)[1].split("'", 1)[0]
    return None


def _output_shape_rule(student, probe: Probe):
    """What the student's own compute_output_shape says for the input shape, if defined."""
    method = getattr(type(student), "compute_output_shape", None)
    if method is None or (getattr(method, "__module__", "") or "").startswith("keras"):
        return None  # Keras' own (it traces call): nothing of the student's to check
    shape = run_student(f"{probe.label}.compute_output_shape({probe.x.shape})",
                        student.compute_output_shape, probe.x.shape)
    if shape is None:  # a forgotten return: judged as a wrong rule, not skipped
        return "None"
    return _json_form([None if d is None else int(d) for d in shape]
                      if isinstance(shape, tuple | list) and all(
                          d is None or isinstance(d, int | np.integer) for d in shape)
                      else shape)


def initial_weight_values(probe: Probe) -> list:
    """The student's weights as build() made them, as [name, array] pairs."""
    return [[name, value] for name, value in probe.extra.get("student_initial", [])]


# --------------------------------------------------------------------------- judge helpers


def judge_config(probe: Probe, payload: dict, expected_output) -> str:
    """get_config keys equal Keras', and from_config(get_config()) computes the same output."""
    label = payload.get("label", probe.label)
    # Compare JSON forms: under grading the payload went through JSON (tuples became lists).
    config = _json_form(payload["config"])
    expected_config = _json_form(probe.reference.get_config())
    missing = [key for key in ("name", "trainable", "dtype")
               if key in expected_config and key not in config]
    if missing:
        raise CheckFailure(
            f"{label}.get_config() has no {', '.join(repr(k) for k in missing)}: start from "
            "config = super().get_config() (it holds name, trainable and dtype) and add your "
            "own arguments to it.")
    if "clone_name" in payload and payload["clone_name"] != config.get("name"):
        raise CheckFailure(
            f"{label}.from_config(config) built a layer named {payload['clone_name']!r}, not "
            f"{config.get('name')!r}: your __init__ drops the keyword arguments Keras gives it "
            "(name, dtype, trainable). Pass them on: super().__init__(**kwargs).")
    keys = tuple(probe.case.get("config_keys") or ())
    for key in keys:
        if key not in config:
            raise CheckFailure(f"{label}.get_config() has no {key!r} entry.")
        if config[key] != expected_config[key]:
            raise CheckFailure(
                f"{label}.get_config()[{key!r}] is {config[key]!r}; Keras stores "
                f"{expected_config[key]!r}."
            )
    compare_arrays(
        "the output of the layer rebuilt with from_config(get_config())",
        np.asarray(payload["clone_output"]), expected_output, RTOL, ATOL,
    )
    shown = f" ({', '.join(keys)})" if keys else ""
    return f"get_config/from_config round trip{shown}"


def _json_form(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return value


def judge_initializers(probe: Probe, payload: dict) -> str | None:
    """Each weight as build() made it is plausible for the initializer Keras' config names."""
    if not probe.case.get("initializers", True):
        return None
    initial = payload.get("initial_weights") or []
    by_name = {name: np.asarray(value) for name, value in initial}
    config = probe.reference.get_config()
    checked = []
    for index, w in enumerate(probe.reference.weights):
        spec = config.get(f"{w.name}_initializer")
        value = by_name.get(w.name)
        if value is None and index < len(initial):
            value = np.asarray(initial[index][1])
        if spec is None or value is None or value.shape != tuple(w.shape) \
                or w.name in probe.extra.get("initializers_checked", ()):
            continue  # a family that checks a weight's initial values itself lists it
        problem = mistakes.initializer_problem(spec, value)
        if problem:
            raise CheckFailure(
                f"{payload.get('label', probe.label)}: the initial {w.name!r} {problem} "
                f"(the specification says initializer={mistakes.initializer_name(spec)!r})."
            )
        checked.append(f"{w.name} {mistakes.initializer_name(spec)}")
    return f"initial weights ({', '.join(checked)})" if checked else None


def judge_output(probe: Probe, what: str, got, expected, explain_inputs: dict | None = None):
    """Shape, dtype and values of one output, naming a recognised mistake."""
    got, expected = np.asarray(got), np.asarray(expected)
    inputs = explain_inputs if explain_inputs is not None else {"x": probe.x}

    def explain(values):
        return mistakes.recognise(
            probe.reference, values,
            lambda a, b: a.shape == b.shape and np.allclose(a, b, probe.rtol, probe.atol,
                                                         equal_nan=True),
            **inputs,
        )

    if got.shape != expected.shape:
        # A suspect may give the student's shape (strides of 1, the other padding, ...).
        reason = explain(got) if got.dtype.kind in "fiub" else None
        raise CheckFailure(
            f"{what} has output shape {got.shape}, expected {expected.shape} "
            f"(input shape {probe.x.shape})."
            + (f"\n  Likely mistake: {reason}" if reason else "")
        )
    got_dtype = keras.backend.standardize_dtype(got.dtype)
    expected_dtype = keras.backend.standardize_dtype(expected.dtype)
    if got_dtype != expected_dtype:
        raise CheckFailure(f"{what} has dtype {got_dtype}, expected {expected_dtype}.")

    compare_arrays(f"the output of {what}", got, expected, probe.rtol, probe.atol, explain)
    return f"{expected.shape} {got_dtype}"


def judge_gradients(probe: Probe, label, names, got_list, expected_list, where: str,
                    explain_inputs: dict | None = None) -> None:
    """Compare each gradient; names[0] is the input's.

    explain_inputs: when given, a wrong gradient with respect to the input is explained
    by the suspects whose target is "input_gradient", called with these inputs (the
    stateless family passes x, cotangent and training).
    """
    def explain(values):
        return mistakes.recognise(
            probe.reference, values,
            lambda a, b: a.shape == b.shape and np.allclose(a, b, GRAD_RTOL, GRAD_ATOL),
            target="input_gradient", **explain_inputs)

    for index, (name, g, g_ref) in enumerate(zip(names, got_list, expected_list, strict=True)):
        if g_ref is None:
            continue
        if g is None:
            raise CheckFailure(
                f"the gradient of {label}'s output with respect to {name} is None "
                f"({where}): that tensor does not reach the output through keras.ops."
            )
        compare_arrays(f"the gradient with respect to {name} ({where})",
                       np.asarray(g), g_ref, GRAD_RTOL, GRAD_ATOL,
                       explain if index == 0 and explain_inputs is not None else None)


# ------------------------------------------------------------------------ the entry point


def layer_case(reference, input_shape=None, inputs=None, *, seed=0, training_modes=(False, True),
               config_keys=(), rtol=RTOL, atol=ATOL, initializers=True, contract=False,
               options=None) -> dict:
    """The JSON-safe case of a layer check; the family is picked from the built-in layer."""
    serialized = keras.layers.serialize(reference)
    probe_layer = builtin_layer_from_config(serialized)
    x = as_inputs(input_shape, inputs, np.random.default_rng(0),
                  (options or {}).get("integer_inputs"))
    try:
        build_on(probe_layer, x)
    except Exception as error:
        raise CheckUsageError(
            f"keras.layers.{type(reference).__name__} cannot be built on input shape "
            f"{x.shape}: {error_summary(error)}"
        ) from None
    return {
        "reference": serialized, "family": family_of(probe_layer),
        "input_shape": list(input_shape) if input_shape is not None else None,
        "inputs": inputs, "seed": int(seed),
        "training_modes": [bool(t) for t in training_modes],
        "config_keys": list(config_keys), "rtol": float(rtol), "atol": float(atol),
        "initializers": bool(initializers), "contract": bool(contract),
        "forbidden": forbidden_for(type(reference)), "options": dict(options or {}),
    }


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


def collect_layer(case: dict, seed: int, student, builtin_forbidden: bool = True) -> dict:
    """Student side of a layer check: run the family's probes on the student's layer."""
    __tracebackhide__ = True
    probe = make_probe(case, seed)
    probe.label = f"your {type(student).__name__}"
    probe.builtin = type(probe.reference) if builtin_forbidden else None
    family = FAMILIES[case["family"]]
    payload = family.collect(probe, student)
    payload["label"] = probe.label
    payload["class_name"] = type(student).__name__
    payload["initial_weights"] = initial_weight_values(probe)
    payload["output_shape_rule"] = _output_shape_rule(student, probe)
    if case.get("contract"):
        from .contract import collect_contract
        payload["contract"] = collect_contract(probe, student)
    return payload


@register("layer")
def judge_layer(case: dict, payload: dict, seed: int) -> list[str]:
    """Judge side of a layer check: pure function of the case, the payload and the seed."""
    __tracebackhide__ = True
    probe = make_probe(case, seed)
    probe.label = str(payload.get("label", "your layer"))
    family = FAMILIES.get(case.get("family"))
    if family is None:
        raise CheckUsageError(f"unknown layer family {case.get('family')!r}")
    verified = [f"input {probe.x.shape}", f"weights {describe_weights(probe.reference)}"
                if probe.reference.weights else "no weights"]
    verified += family.judge(probe, payload)
    rule = payload.get("output_shape_rule")
    if rule is not None:
        expected = _json_form(probe.reference.compute_output_shape(probe.x.shape))
        if _json_form(rule) != expected:
            raise CheckFailure(
                f"{probe.label}.compute_output_shape({probe.x.shape}) returned {rule}; Keras' "
                f"layer says {expected}. The rule must hold for every input shape (keep the "
                "leading axes: (batch, ..., input_dim) -> (batch, ..., units) for Dense).")
        verified.append("compute_output_shape")
    initial = judge_initializers(probe, payload)
    if initial:
        verified.append(initial)
    if case.get("contract"):
        from .contract import judge_contract
        verified.append(judge_contract(probe, payload.get("contract") or {}))
    return verified


def check_layer(student, reference, input_shape=None, *, inputs=None, seed: int = 0,
                training_modes: Sequence[bool] = (False, True), config_keys: Sequence[str] = (),
                rtol: float = RTOL, atol: float = ATOL, initializers: bool = True,
                contract: bool = False, options: dict | None = None) -> None:
    """Check a student's layer against the built-in Keras layer; print what was verified.

    student:      an instance of the student's layer, e.g. Dense(units=3, activation="relu")
    reference:    the built-in layer with the same configuration, e.g.
                  keras.layers.Dense(units=3, activation="relu"); only its config is used
    input_shape:  (batch, ...) of the float32 random test input, e.g. (4, 5)
    inputs:       a specific float32 input instead (finite values only)
    seed:         seed of the input, the weights and the gradient's cotangent
    config_keys:  get_config() entries that must equal Keras' (e.g. "units", "activation")
    initializers: check the student's initial weights against the initializers Keras'
                  config names (zeros exactly; uniform ones within their limit)
    contract:     also check the layer contract (mixed precision, jit-compiled training
                  step, symbolic inputs, serialization): see checks/contract.py
    options:      family options (e.g. {"steps": 3} for stateful layers)

    The probes depend on the family of the Keras layer (see this module's docstring).
    Raises CheckFailure naming the first difference.
    """
    __tracebackhide__ = True
    _require_layer(student, "student")
    _require_layer(reference, "reference")
    if inputs is not None:
        inputs = as_inputs(input_shape, inputs, None, (options or {}).get("integer_inputs"))
    case = layer_case(reference, input_shape, inputs, seed=seed, training_modes=training_modes,
                      config_keys=config_keys, rtol=rtol, atol=atol, initializers=initializers,
                      contract=contract, options=options)
    title = f"{type(student).__name__} matches keras.layers.{type(reference).__name__}"
    run("layer", case, lambda seed_here: collect_layer(case, seed_here, student), title=title)


def compare_layers(student, reference, input_shape=None, *, inputs=None, seed: int = 0,
                   training_modes: Sequence[bool] = (False, True),
                   config_keys: Sequence[str] = (), rtol: float = RTOL, atol: float = ATOL,
                   builtin_forbidden: bool = True, initializers: bool = True,
                   contract: bool = False, options: dict | None = None) -> list[str]:
    """Compare two layers in this process; return what was verified, or raise CheckFailure.

    The same case, collect and judge as check_layer, without printing or recording;
    builtin_forbidden=False lets a built-in layer be compared with itself (self-tests).
    """
    from ._protocol import judge_case

    _require_layer(student, "student")
    _require_layer(reference, "reference")
    if inputs is not None:
        inputs = as_inputs(input_shape, inputs, None, (options or {}).get("integer_inputs"))
    case = layer_case(reference, input_shape, inputs, seed=seed, training_modes=training_modes,
                      config_keys=config_keys, rtol=rtol, atol=atol, initializers=initializers,
                      contract=contract, options=options)
    payload = collect_layer(case, seed, student, builtin_forbidden)
    return judge_case("layer", case, payload, seed)
