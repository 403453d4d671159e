"""The protocol itself: one verdict whether judged in the notebook or by the grader.

The grader judges a payload that went through JSON (tuples become lists,
arrays base64), from the instructor's copy of the case, in another process:
these tests replay that path in-process and require the same verdict.
"""

from __future__ import annotations

import json

import keras
import pytest

from kcourse import checks, evidence
from kcourse.checks import layers
from kcourse.checks._protocol import CheckFailure


def _through_json(value):
    return evidence.from_json(json.loads(json.dumps(evidence.to_json(value))))


def _grader_verdict(case, payload, seed):
    return checks.judge_case("layer", _through_json(case), _through_json(payload), seed)


GRADED = [
    (lambda: keras.layers.Conv2D(2, (2, 3), strides=(1, 2), padding="same"), (1, 5, 6, 2),
     ("filters", "kernel_size", "strides", "padding")),
    (lambda: keras.layers.Dense(3, activation="relu"), (4, 5), ("units", "activation")),
    (lambda: keras.layers.AveragePooling2D((2, 2)), (2, 4, 4, 1), ("pool_size",)),
]


@pytest.mark.parametrize(("make", "shape", "keys"), GRADED, ids=["conv", "dense", "pool"])
def test_grader_reaches_the_notebook_verdict_on_a_json_payload(make, shape, keys):
    case = layers.layer_case(make(), shape, config_keys=keys)
    payload = layers.collect_layer(case, 11, make(), builtin_forbidden=False)
    in_notebook = checks.judge_case("layer", case, payload, 11)
    assert _grader_verdict(case, payload, 11) == in_notebook


def test_grader_names_the_same_mistake_as_the_notebook():
    class NoBias(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.kernel)

    case = layers.layer_case(keras.layers.Dense(3), (4, 5))
    payload = layers.collect_layer(case, 5, NoBias(3))
    with pytest.raises(CheckFailure) as notebook:
        checks.judge_case("layer", case, payload, 5)
    with pytest.raises(CheckFailure) as grader:
        _grader_verdict(case, payload, 5)
    assert "the bias was not added" in str(notebook.value)
    assert str(grader.value) == str(notebook.value)


def test_a_payload_judged_with_another_seed_fails():
    """Evidence is bound to the seed: replaying it under another nonce cannot pass."""
    case = layers.layer_case(keras.layers.Dense(3), (4, 5))
    payload = layers.collect_layer(case, 1, keras.layers.Dense(3), builtin_forbidden=False)
    with pytest.raises(CheckFailure, match="does not match Keras"):
        checks.judge_case("layer", case, payload, 2)


def test_recorded_failure_is_the_verdict():
    with pytest.raises(CheckFailure, match="^your Dense raised"):
        checks.judge_case("layer", {}, {"failure": "your Dense raised"}, 0)


def test_judge_switches_tf32_off(monkeypatch):
    from kcourse.determinism import tf32_state

    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(True)
    else:
        import jax

        jax.config.update("jax_default_matmul_precision", "default")
    assert tf32_state() != "off"
    case = layers.layer_case(keras.layers.Dense(2), (2, 3))
    payload = layers.collect_layer(case, 0, keras.layers.Dense(2), builtin_forbidden=False)
    checks.judge_case("layer", case, payload, 0)
    assert tf32_state() == "off"


def _switch_tf32_on():
    if keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(True)
    else:
        import jax

        jax.config.update("jax_default_matmul_precision", "default")


def test_the_students_half_is_collected_with_tf32_off():
    """On a GPU, TF32 on while the student's layer runs would fail a correct layer.

    Seen on an H100 (JAX): a built-in LSTM compared with itself failed, its input gradient
    off by 1.6e-5 (tolerance 1.05e-5), because only the judge had switched TF32 off.
    """
    from kcourse.determinism import tf32_state

    seen = []
    kind = "tf32-probe"

    @checks.register(kind)
    def judge(case, payload, seed):
        return "probe judged"

    def collect(seed):
        seen.append(tf32_state())
        return {}

    try:
        _switch_tf32_on()
        assert tf32_state() != "off"
        checks._protocol.run(kind, {"seed": 0}, collect)
        assert seen == ["off"]
    finally:
        checks.JUDGES.pop(kind, None)


def test_every_family_and_kind_is_registered():
    assert {"stateless", "stateful", "stochastic", "recurrent"} <= set(checks.FAMILIES)
    assert {"layer", "architecture", "accuracy", "same_predictions", "history", "model_style",
            "saved_model_file"} <= set(checks.JUDGES)


@pytest.mark.parametrize(("layer", "family"), [
    (keras.layers.Dense(2), "stateless"),
    (keras.layers.BatchNormalization(), "stateful"),
    (keras.layers.Dropout(0.5), "stochastic"),
    (keras.layers.GaussianNoise(0.1), "stochastic"),
    (keras.layers.LSTM(2), "recurrent"),
    (keras.layers.Bidirectional(keras.layers.GRU(2)), "recurrent"),
])
def test_family_is_picked_from_the_keras_layer(layer, family):
    case = layers.layer_case(layer, (2, 3, 4))
    assert case["family"] == family


def test_case_names_what_the_exercise_forbids():
    case = layers.layer_case(keras.layers.Conv2D(2, 3), (1, 5, 5, 1))
    assert {"keras.layers.Conv2D", "keras.ops.conv", "tf.nn.conv2d", "keras.src",
            "kcourse.reference"} <= set(case["forbidden"])
    json.dumps(evidence.to_json(case))  # the case is JSON-safe
