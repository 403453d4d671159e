"""Stateless layers (Dense, Conv2D, pooling, activations, Softmax, Embedding).

Probes: the output in each training mode (shape, dtype, values), the gradient
of sum(output * c) for a random cotangent c with respect to the input and
every trainable weight in each mode, and the get_config/from_config round trip.
"""

from __future__ import annotations

import keras
import numpy as np

from ._protocol import CheckFailure
from .layers import (
    LayerFamily,
    Probe,
    build_student,
    collect_config,
    forward,
    judge_config,
    judge_gradients,
    judge_output,
    reference_gradients,
    register_family,
    weight_gradients,
)


def _output_shape(probe: Probe):
    return tuple(probe.reference.compute_output_shape(probe.x.shape))


def collect(probe: Probe, student) -> dict:
    __tracebackhide__ = True
    label, x = probe.label, probe.x
    pairs = build_student(probe, student)
    payload = {"outputs": [], "gradients": [], "weight_names": []}
    for training in probe.training_modes:
        payload["outputs"].append(
            forward(student, x, training, f"{label}(x, training={training})", probe.builtin))
    expected_shape = _output_shape(probe)
    if any(out.shape != expected_shape for out in payload["outputs"]):
        return payload  # the judge reports the shape; gradients would not line up
    cotangent = probe.cotangent_rng.standard_normal(expected_shape).astype("float32")
    trainable, payload["gradients"] = weight_gradients(probe, student, pairs, cotangent)
    payload["weight_names"] = [s.name for _, s in trainable]
    payload.update(collect_config(probe, student))
    return payload


def judge(probe: Probe, payload: dict) -> list[str]:
    __tracebackhide__ = True
    label, x, reference = payload.get("label", probe.label), probe.x, probe.reference
    modes = probe.training_modes
    if len(payload["outputs"]) != len(modes):
        raise CheckFailure("the evidence does not cover every mode.")
    shape = None
    for training, got in zip(modes, payload["outputs"], strict=True):
        expected = np.asarray(keras.ops.convert_to_numpy(reference(x, training=training)))
        shape = judge_output(probe, f"{label}(x, training={training})", got, expected)
    verified = [f"output {shape} in "
                + " and ".join("training" if t else "inference" for t in modes)]
    cotangent = probe.cotangent_rng.standard_normal(expected.shape).astype("float32")
    if len(payload["gradients"]) != len(modes):
        raise CheckFailure("the evidence has no gradients for every mode.")
    names = ["the input", *(f"{n!r}" for n in payload["weight_names"])]
    if x.dtype.kind != "f":
        names[0] = "(integer input: no gradient)"
    for training, got in zip(modes, payload["gradients"], strict=True):
        dx_ref, dw_ref = reference_gradients(reference, x, cotangent, training)
        if len(got["weights"]) != len(dw_ref) or len(names) != len(dw_ref) + 1:
            raise CheckFailure("the evidence has gradients for other weights than Keras'.")
        judge_gradients(probe, label, names, [got["input"], *got["weights"]], [dx_ref, *dw_ref],
                        "training" if training else "inference",
                        {"x": x, "cotangent": cotangent, "training": training})
    verified.append("gradients w.r.t. " + ", ".join(n for n in names if not n.startswith("(")))
    expected = np.asarray(keras.ops.convert_to_numpy(reference(x, training=False)))
    verified.append(judge_config(probe, payload, expected))
    return verified


FAMILY = register_family(LayerFamily(
    "stateless", collect, judge,
    "outputs in each mode, gradients w.r.t. input and weights, config round trip"))
