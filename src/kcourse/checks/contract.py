"""The layer contract: what Keras' own layer tests verify of every built-in layer.

`check_layer(..., contract=True)` adds four probes, each run on a fresh copy of
the student's layer made with `from_config(get_config())`:

    mixed precision   under dtype="mixed_float16" the output is float16, float
                      weights stay float32, and the symbolic output spec
                      (compute_output_spec) says the same dtype and shape
    symbolic input    the layer called on keras.Input inside a Functional model
                      gives the output shape Keras' layer gives
    compiled step     a model of the layer trains one step with jit_compile=True
                      and the loss is finite (JAX always compiles with XLA; TensorFlow
                      falls back to a tf.function graph when op determinism is on, as
                      in the course kernel: still no eager-only code allowed)
    serialization     keras.saving.serialize_keras_object -> JSON ->
                      deserialize_keras_object rebuilds a layer computing the same output

Each probe's expectation is computed by running the same probe on the built-in
layer, so the contract is exactly the one Keras' layer meets.
"""

from __future__ import annotations

import json
import logging
import warnings

import keras
import numpy as np

from .. import evidence
from ._compare import ATOL, RTOL, compare_arrays
from ._protocol import CheckFailure
from ._student import error_summary, student_frame

PROBES = {"mixed_precision": "mixed precision", "symbolic": "symbolic input",
          "compiled_step": "compiled step", "serialization": "serialization"}


def _fresh(layer, **overrides):
    config = dict(layer.get_config())
    config.pop("name", None)
    config.update(overrides)
    return type(layer).from_config(config)


def _failed(error: BaseException) -> dict:
    return {"error": f"{type(error).__name__}: {error_summary(error)}{student_frame(error)}"}


def _dtype(value) -> str:
    return keras.backend.standardize_dtype(value.dtype)


def _first(out):
    return out[0] if isinstance(out, list | tuple) else out


def _mixed_precision(layer, x) -> dict:
    try:
        mixed = _fresh(layer, dtype="mixed_float16")
        out = _first(mixed(x))
        spec = _first(mixed.compute_output_spec(keras.KerasTensor(x.shape, dtype=str(x.dtype))))
        return {"output_dtype": _dtype(out), "spec_dtype": _dtype(spec),
                "output_shape": list(out.shape), "spec_shape": list(spec.shape),
                "weight_dtypes": sorted({_dtype(w) for w in mixed.weights
                                         if "float" in _dtype(w)})}
    except Exception as error:
        return _failed(error)


def _symbolic(layer, x) -> dict:
    try:
        inputs = keras.Input(shape=x.shape[1:], dtype=str(x.dtype))
        outputs = _first(_fresh(layer)(inputs))
        model = keras.Model(inputs, outputs)
        predicted = _first(model(x, training=False))  # eager: no predict() graph to trace
        return {"symbolic_shape": [None if d is None else int(d) for d in outputs.shape],
                "predicted_shape": list(np.shape(predicted))}
    except Exception as error:
        return _failed(error)


def _compiled_step(layer, x, rng) -> dict:
    try:
        inputs = keras.Input(shape=x.shape[1:], dtype=str(x.dtype))
        outputs = _first(_fresh(layer)(inputs))
        model = keras.Model(inputs, outputs)
        y = rng.standard_normal(tuple(int(d) for d in (x.shape[0], *outputs.shape[1:])))
        # Keras warns when it falls back from XLA (TensorFlow with op determinism on, as in
        # the course kernel) and when a layer has no weights to train, and TensorFlow's
        # logger when a notebook's contract checks trace more than five train steps
        # (a stored output nbval would compare): none of it is news here.
        tf_logger = logging.getLogger("tensorflow")
        tf_level = tf_logger.level
        try:
            tf_logger.setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                model.compile(optimizer="sgd", loss="mse", jit_compile=True)
                loss = model.train_on_batch(x, y.astype("float32"))
        finally:
            tf_logger.setLevel(tf_level)
        loss = float(np.asarray(_first(loss)))
        return {"loss_finite": bool(np.isfinite(loss))}
    except Exception as error:
        return _failed(error)


def _serialization(layer, x, weights) -> dict:
    try:
        serialized = keras.saving.serialize_keras_object(layer)
        text = json.dumps(serialized)
        rebuilt = keras.saving.deserialize_keras_object(
            json.loads(text), custom_objects={type(layer).__name__: type(layer)})
        if type(rebuilt) is not type(layer):
            return {"error": f"deserialization gave a {type(rebuilt).__name__}"}
        if not rebuilt.built:  # a registered class comes back built from its build_config
            rebuilt.build(x.shape)
        if len(rebuilt.weights) != len(weights):
            return {"error": f"the rebuilt layer has {len(rebuilt.weights)} weights, "
                             f"not {len(weights)}"}
        for target, value in zip(rebuilt.weights, weights, strict=True):
            target.assign(np.asarray(value).astype(_dtype(target)))
        return {"output": np.asarray(keras.ops.convert_to_numpy(_first(rebuilt(x))))}
    except Exception as error:
        return _failed(error)


def run_probes(layer, x, weights, seed) -> dict:
    """All four probes on `layer` (weights: its initial weights, in its own order)."""
    rng = np.random.default_rng([seed, 7])
    return {"mixed_precision": _mixed_precision(layer, x), "symbolic": _symbolic(layer, x),
            "compiled_step": _compiled_step(layer, x, rng),
            "serialization": _serialization(layer, x, weights)}


#: Keras' side of the contract for one (case, seed): the same for every student of a
#: grading batch (the seed comes from the batch's nonce), so the grader computes it once.
_EXPECTED: dict[tuple[str, int], dict] = {}


def _expected_probes(probe) -> dict:
    key = (json.dumps(evidence.to_json(probe.case), sort_keys=True), int(probe.seed))
    if key not in _EXPECTED:
        if len(_EXPECTED) > 64:
            _EXPECTED.clear()
        _EXPECTED[key] = run_probes(probe.fresh_reference(), probe.x, probe.initial_weights,
                                    int(probe.case["seed"]))
    return _EXPECTED[key]


def collect_contract(probe, student) -> dict:
    """Student side: the probes on copies of the student's layer (its weights in Keras' order)."""
    from .layers import pair_weights

    pairs = pair_weights(student, probe.reference, probe.label)
    by_student = {id(s): value for (s, _), value in zip(pairs, probe.initial_weights,
                                                         strict=True)}
    weights = [by_student[id(w)] for w in student.weights]
    return run_probes(student, probe.x, weights, int(probe.case["seed"]))


def judge_contract(probe, payload: dict) -> str:
    """Compare the student's probes with the same probes on the built-in layer."""
    label = probe.label
    expected = _expected_probes(probe)
    for name, shown in PROBES.items():
        got = payload.get(name) or {"error": "no result"}
        if "error" in got and "error" not in expected[name]:
            raise CheckFailure(f"layer contract, {shown}: {label} failed "
                               f"with {got['error']}.{_HINTS[name]}")
    mixed, mixed_ref = payload["mixed_precision"], expected["mixed_precision"]
    if "error" not in mixed_ref:
        if mixed["output_dtype"] != mixed_ref["output_dtype"]:
            raise CheckFailure(
                f"layer contract, mixed precision: with dtype='mixed_float16' {label} returns "
                f"{mixed['output_dtype']}; Keras' layer returns {mixed_ref['output_dtype']}. "
                "Compute in self.compute_dtype (keras.ops on the inputs Keras casts for you), "
                "do not cast to float32 yourself.")
        if mixed["weight_dtypes"] != mixed_ref["weight_dtypes"]:
            raise CheckFailure(
                f"layer contract, mixed precision: {label}'s weights are "
                f"{mixed['weight_dtypes']}; under mixed_float16 they must stay "
                f"{mixed_ref['weight_dtypes']} (add_weight without a dtype= argument).")
        if (mixed["spec_dtype"], mixed["spec_shape"]) != (mixed["output_dtype"],
                                                          mixed["output_shape"]):
            raise CheckFailure(
                f"layer contract, mixed precision: {label}'s symbolic output spec says "
                f"{mixed['spec_dtype']} {tuple(mixed['spec_shape'])} but calling it gives "
                f"{mixed['output_dtype']} {tuple(mixed['output_shape'])}. Define "
                "compute_output_shape(input_shape) so Keras can infer the output spec.")
    symbolic, symbolic_ref = payload["symbolic"], expected["symbolic"]
    if "error" not in symbolic_ref and symbolic != symbolic_ref:
        raise CheckFailure(
            f"layer contract, symbolic input: in a Functional model {label} gives "
            f"{symbolic}; Keras' layer gives {symbolic_ref}.")
    step = payload["compiled_step"]
    if "error" not in expected["compiled_step"] and not step.get("loss_finite"):
        raise CheckFailure(f"layer contract, compiled step: {label} trained one step with "
                           "jit_compile=True to a loss that is NaN or infinite.")
    if "error" not in expected["serialization"]:
        compare_arrays("layer contract, serialization: the output of the layer rebuilt by "
                       "deserialize_keras_object", np.asarray(payload["serialization"]["output"]),
                       expected["serialization"]["output"], RTOL, ATOL)
    return "layer contract (mixed precision, symbolic input, jit-compiled step, serialization)"


_HINTS = {
    "mixed_precision": " The layer must accept dtype='mixed_float16' through **kwargs "
                       "passed to super().__init__.",
    "symbolic": " Use keras.ops only (no NumPy, no Python branching on tensor values) and "
                "define compute_output_shape if Keras cannot infer the shape.",
    "compiled_step": " Inside a compiled step, call() must use keras.ops only (no NumPy, "
                     "no .numpy(), no Python float() of a tensor).",
    "serialization": " get_config() must return every constructor argument so that "
                     "from_config(get_config()) rebuilds the layer.",
}
