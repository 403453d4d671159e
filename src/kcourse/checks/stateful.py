"""Stateful layers: layers with non-trainable weights (BatchNormalization).

Both sides start from the same initial weights (the probe's randomised ones)
and are stepped identically. Probes, in the order they are judged:

1. weight layout: the weights in Keras' order (BatchNormalization:
   [gamma, beta, moving_mean, moving_variance]);
2. training: `steps` calls (case["options"].get("steps", 3)) with
   training=True, each on a fresh input of the case's shape; after each call
   the output and every non-trainable weight (the state) are compared;
3. inference on x after those steps: the output (which uses the moving
   statistics) and the state, which must not change;
4. frozen: from the initial weights, with trainable=False, a call with
   training=True must behave like inference and change no state;
5. gradients of sum(output * c) w.r.t. the input and the trainable weights,
   each mode from the initial weights (a training call on TensorFlow updates
   the state, so the weights are restored around each gradient);
6. get_config/from_config round trip, in inference with the initial weights.
"""

from __future__ import annotations

import keras
import numpy as np

from . import mistakes
from ._compare import compare_arrays
from ._protocol import CheckFailure
from .layers import (
    LayerFamily,
    Probe,
    build_student,
    collect_config,
    copy_weights,
    forward,
    judge_config,
    judge_gradients,
    judge_output,
    reference_gradients,
    register_family,
    weight_gradients,
)

DEFAULT_STEPS = 3


def _steps(probe: Probe) -> int:
    steps = int(probe.options.get("steps", DEFAULT_STEPS))
    return max(steps, 1)


def step_inputs(probe: Probe) -> list[np.ndarray]:
    """The inputs of the training calls: fresh draws of the case's shape (same on both sides)."""
    if "step_inputs" not in probe.extra:
        shape = probe.x.shape
        probe.extra["step_inputs"] = [
            probe.inputs_rng.standard_normal(shape).astype("float32") for _ in range(_steps(probe))
        ]
    return probe.extra["step_inputs"]


def _numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def _state_of(weights) -> list[np.ndarray]:
    return [_numpy(w) for w in weights]


# ------------------------------------------------------------------------- student side


def collect(probe: Probe, student) -> dict:
    __tracebackhide__ = True
    label, x = probe.label, probe.x
    inputs = step_inputs(probe)
    pairs = build_student(probe, student)
    state = [s for s, r in pairs if not r.trainable]

    def restore():
        copy_weights(pairs, probe.initial_weights)

    payload = {"weight_order": [w.name for w in student.weights], "steps": []}
    for k, x_k in enumerate(inputs, start=1):
        out = forward(student, x_k, True, f"{label}(x, training=True) in training step {k}",
                      probe.builtin)
        payload["steps"].append({"output": out, "state": _state_of(state)})
    payload["inference"] = {
        "output": forward(student, x, False, f"{label}(x, training=False) after "
                          f"{len(inputs)} training steps", probe.builtin),
        "state": _state_of(state),
    }
    restore()
    student.trainable = False
    try:
        out = forward(student, x, True, f"{label}(x, training=True) with trainable=False",
                      probe.builtin)
    finally:
        student.trainable = True
    payload["frozen"] = {"output": out, "state": _state_of(state)}
    restore()

    outputs = [step["output"] for step in payload["steps"]]
    outputs += [payload["inference"]["output"], payload["frozen"]["output"]]
    if any(np.shape(out) != x.shape for out in outputs):
        return payload  # the judge reports the shape; gradients would not line up
    cotangent = probe.cotangent_rng.standard_normal(x.shape).astype("float32")
    trainable, payload["gradients"] = weight_gradients(probe, student, pairs, cotangent,
                                                       after_each=restore)
    payload["weight_names"] = [s.name for _, s in trainable]
    payload.update(collect_config(probe, student))
    return payload


# ------------------------------------------------------------------------------- judge


def _judge_layout(probe: Probe, payload: dict, label: str) -> str:
    expected = [w.name for w in probe.reference.weights]
    got = list(payload.get("weight_order") or [])
    if sorted(got) == sorted(expected) and got != expected:
        raise CheckFailure(
            f"{label} creates its weights in the order [{', '.join(got)}]; Keras' layout is "
            f"[{', '.join(expected)}]. Create them in that order in build(): "
            "get_weights() and set_weights() rely on it."
        )
    return f"weight layout [{', '.join(expected)}]"


def _state_weights(probe: Probe, reference) -> list:
    """The state of a copy of the built-in layer: the weights not trainable in probe.reference.

    (A frozen copy reports all its weights as non-trainable; its state is the same ones.)
    """
    return [w for w, r in zip(reference.weights, probe.reference.weights, strict=True)
            if not r.trainable]


def _judge_state(probe: Probe, when: str, got_state, reference, inputs: dict) -> None:
    """Each non-trainable weight of the student equals Keras' (naming a recognised mistake)."""
    state_weights = _state_weights(probe, reference)
    if len(got_state) != len(state_weights):
        raise CheckFailure("the evidence does not hold every non-trainable weight.")

    def close(a, b):
        return a.shape == b.shape and np.allclose(a, b, probe.rtol, probe.atol)

    for got, w in zip(got_state, state_weights, strict=True):
        def explain(values, name=w.name):
            return mistakes.recognise(probe.reference, values, close, target=name, **inputs)

        compare_arrays(f"{w.name} {when}", np.asarray(got), _numpy(w), probe.rtol, probe.atol,
                       explain)


def _state_inputs(probe: Probe, reference) -> dict:
    return {w.name: _numpy(w) for w in _state_weights(probe, reference)}


def judge(probe: Probe, payload: dict) -> list[str]:
    __tracebackhide__ = True
    label, x = payload.get("label", probe.label), probe.x
    verified = [_judge_layout(probe, payload, label)]
    state_names = ", ".join(w.name for w in probe.reference.non_trainable_weights)

    # 2. training steps
    reference = probe.fresh_reference()
    inputs = step_inputs(probe)
    if len(payload.get("steps") or []) != len(inputs):
        raise CheckFailure("the evidence does not cover every training step.")
    shape = None
    for k, (x_k, got) in enumerate(zip(inputs, payload["steps"], strict=True), start=1):
        explain_inputs = {"x": x_k, "training": True, "frozen": False,
                          **_state_inputs(probe, reference)}
        expected = _numpy(reference(x_k, training=True))
        shape = judge_output(probe, f"{label}(x, training=True) in training step {k}",
                             got["output"], expected, explain_inputs)
        _judge_state(probe, f"after training step {k}", got["state"], reference,
                     explain_inputs)
    verified.append(f"output {shape} and {state_names} over {len(inputs)} training steps")

    # 3. inference after the steps
    explain_inputs = {"x": x, "training": False, "frozen": False, **_state_inputs(probe, reference)}
    expected = _numpy(reference(x, training=False))
    judge_output(probe, f"{label}(x, training=False) after {len(inputs)} training steps",
                 payload["inference"]["output"], expected, explain_inputs)
    _judge_state(probe, "after an inference call (it must not change)",
                 payload["inference"]["state"], reference, explain_inputs)
    verified.append("inference with the moving statistics, state unchanged")

    # 4. frozen
    frozen = probe.fresh_reference()
    frozen.trainable = False
    explain_inputs = {"x": x, "training": True, "frozen": True, **_state_inputs(probe, frozen)}
    expected = _numpy(frozen(x, training=True))
    judge_output(probe, f"{label}(x, training=True) with trainable=False",
                 payload["frozen"]["output"], expected, explain_inputs)
    _judge_state(probe, "after a call with trainable=False (it must not change)",
                 payload["frozen"]["state"], frozen, explain_inputs)
    verified.append("frozen (trainable=False) runs in inference mode")

    # 5. gradients, each mode from the initial weights
    modes = probe.training_modes
    gradients = payload.get("gradients") or []
    if len(gradients) != len(modes):
        raise CheckFailure("the evidence has no gradients for every mode.")
    cotangent = probe.cotangent_rng.standard_normal(x.shape).astype("float32")
    names = ["the input", *(f"{n!r}" for n in payload["weight_names"])]
    for training, got in zip(modes, gradients, strict=True):
        dx_ref, dw_ref = reference_gradients(probe.fresh_reference(), x, cotangent, training)
        if len(got["weights"]) != len(dw_ref) or len(names) != len(dw_ref) + 1:
            raise CheckFailure("the evidence has gradients for other weights than Keras'.")
        judge_gradients(probe, label, names, [got["input"], *got["weights"]], [dx_ref, *dw_ref],
                        "training" if training else "inference")
    verified.append("gradients w.r.t. " + ", ".join(names))

    # 6. config round trip, in inference from the initial weights
    expected = _numpy(probe.fresh_reference()(x, training=False))
    verified.append(judge_config(probe, payload, expected))
    return verified


FAMILY = register_family(LayerFamily(
    "stateful", collect, judge,
    "output and state over training steps, inference, frozen, gradients, config round trip"))
