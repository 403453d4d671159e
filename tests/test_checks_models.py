"""The model checks: architecture and compile settings, accuracy, predictions, history, style.

Each check is proved on correct models (it passes and says what it verified)
and on a corpus of faulty ones (it fails with a message naming the mistake).
Runs on the tensorflow and jax backends (KERAS_BACKEND).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kcourse import checks, evidence
from kcourse.grading import verdicts as verdicts_module


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


class Dense(keras.layers.Layer):
    """A student's Dense written from keras.layers.Layer (correct unless told otherwise)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 apply_activation=True, **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = int(units), bool(use_bias)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = kernel_initializer
        self.apply_activation = apply_activation

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel",
                                      initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.apply_activation else outputs

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation)}


def _classifier(output_units=2, layer=keras.layers.Dense, hidden_activation="relu", **kwargs):
    return keras.Sequential(
        [
            keras.Input((2,)),
            layer(4, activation=hidden_activation, name="hidden", **kwargs),
            layer(output_units, activation="softmax", name="output", **kwargs),
        ]
    )


ARCHITECTURE = [("Dense", (None, 4), 12), ("Dense", (None, 2), 10)]
WITH_SETTINGS = [
    ("Dense", (None, 4), 12, {"units": 4, "activation": "relu", "use_bias": True}),
    ("Dense", (None, 2), 10, {"units": 2, "activation": "softmax", "use_bias": True}),
]
SPEC = {"optimizer": "adam", "learning_rate": 1e-2, "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"]}


def _compiled(model=None, **settings):
    model = model if model is not None else _classifier(layer=Dense)
    defaults = {"optimizer": keras.optimizers.Adam(learning_rate=1e-2),
                "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    model.compile(**{k: v for k, v in {**defaults, **settings}.items() if v is not None})
    return model


# ---------------------------------------------------------------------------- architecture


def test_check_architecture_passes(capsys):
    checks.check_architecture(_classifier(), ARCHITECTURE)
    assert capsys.readouterr().out == "\u2714 architecture: 2 layers as specified, 22 parameters\n"


def test_check_architecture_accepts_wildcards(capsys):
    checks.check_architecture(_classifier(), [("Dense", None, None), ("Dense", [None, 2], 10)])
    assert capsys.readouterr().out.startswith("\u2714 architecture: 2 layers")


@pytest.mark.parametrize(
    ("expected", "match"),
    [
        (
            [*ARCHITECTURE, ("Dense", (None, 2), 6)],
            r"the model has 2 layer\(s\) \(Dense, Dense\); expected 3 \(Dense, Dense, Dense\)",
        ),
        (ARCHITECTURE[:1], r"the model has 2 layer\(s\) \(Dense, Dense\); expected 1 \(Dense\)"),
        (
            [ARCHITECTURE[0], ("Conv2D", (None, 2), 10)],
            r"layer 2 \('output'\) is a Dense; expected a Conv2D\.",
        ),
        (
            [ARCHITECTURE[0], ("Dense", (None, 3), 10)],
            r"layer 2 \('output'\) has output shape \(None, 2\); expected \(None, 3\)\.",
        ),
        (
            [("Dense", (None, 4), 13), ARCHITECTURE[1]],
            r"layer 1 \('hidden'\) has 12 parameters; expected 13\.",
        ),
    ],
    ids=["model-lacks-a-layer", "model-has-an-extra-layer", "type", "output-shape", "params"],
)
def test_check_architecture_names_the_difference(expected, match):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_architecture(_classifier(), expected)


def test_check_architecture_checks_the_input_shape(capsys):
    checks.check_architecture(_classifier(), ARCHITECTURE, input_shape=(None, 2))
    assert "input shape (None, 2)" in capsys.readouterr().out
    sequences = keras.Sequential([keras.Input((15, 14)), keras.layers.SimpleRNN(3)])
    with pytest.raises(checks.CheckFailure, match=(
            r"the model's input shape is \(None, 15, 14\); the specification says "
            r"\(None, 14, 14\) \(keras\.Input\(shape=\(14, 14\)\)")):
        checks.check_architecture(sequences, [("SimpleRNN", (None, 3), None)],
                                  input_shape=(None, 14, 14))


def test_check_architecture_on_unbuilt_model():
    model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2)])
    with pytest.raises(checks.CheckFailure, match=r"the model is not built yet"):
        checks.check_architecture(model, ARCHITECTURE)


def test_check_architecture_on_non_model_is_a_usage_error():
    with pytest.raises(checks.CheckUsageError, match=r"model must be a keras\.Model; got Dense"):
        checks.check_architecture(keras.layers.Dense(2), ARCHITECTURE)


@pytest.mark.parametrize("layer", [keras.layers.Dense, Dense], ids=["builtin", "student"])
def test_check_architecture_passes_with_settings_and_compile_spec(layer, capsys):
    model = _compiled(_classifier(layer=layer))
    own = ("Dense",) if layer is Dense else ()
    verified = checks.check_architecture(model, WITH_SETTINGS, own=own, compiled=SPEC)
    out = capsys.readouterr().out
    assert out.startswith("\u2714 architecture: 2 layers as specified, 22 parameters; "
                          "layer settings (activation, units, use_bias); ")
    assert out.rstrip().endswith("compiled with Adam (learning rate 0.01), loss "
                                 "sparse_categorical_crossentropy, metrics accuracy")
    assert ("your own Dense" in out) == (layer is Dense)
    assert verified is None  # checks print; they return nothing in a notebook


def test_settings_compare_names_loosely_and_numbers_exactly(capsys):
    model = _classifier(layer=Dense)
    checks.check_architecture(model, [("Dense", None, 12, {"activation": "ReLU"}),
                                      ("Dense", None, 10, {"units": 2.0})])
    assert capsys.readouterr().out.startswith("\u2714 architecture")
    with pytest.raises(checks.CheckFailure, match=r"layer 2 \('output'\) has units=2; the "
                                                  r"specification says units=3\."):
        checks.check_architecture(model, [ARCHITECTURE[0], ("Dense", None, None, {"units": 3})])


def test_settings_come_from_attributes_when_get_config_lacks_them():
    class Bare(keras.layers.Layer):  # no get_config override; stores its settings
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.activation = units, keras.activations.get("tanh")

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

        def call(self, inputs):
            return self.activation(keras.ops.matmul(inputs, self.kernel))

    model = keras.Sequential([keras.Input((2,)), Bare(3, name="bare")])
    with pytest.raises(checks.CheckFailure, match=r"layer 1 \('bare'\) has activation='tanh'; "
                                                  r"the specification says activation='relu'"):
        checks.check_architecture(model, [("Bare", (None, 3), 6, {"activation": "relu"})])
    with pytest.raises(checks.CheckFailure, match=r"layer 1 \('bare'\) has no 'use_bias' "
                                                  r"setting \(neither in get_config\(\) nor as an "
                                                  r"attribute\); the specification says "
                                                  r"use_bias=True"):
        checks.check_architecture(model, [("Bare", (None, 3), 6, {"use_bias": True})])


class SubclassedDense(keras.layers.Dense):
    """A 'student' Dense that only subclasses the built-in."""


SubclassedDense.__name__ = "Dense"


def _compiled_with_defaults():
    model = _classifier(layer=Dense)
    model.compile()
    return model


# Each faulty model: (build the model, the check's message).
FAULTY_MODELS = {
    "hidden-layer-without-activation": (
        lambda: _compiled(_classifier(layer=Dense, hidden_activation=None)),
        r"layer 1 \('hidden'\) has activation='linear'; the specification says "
        r"activation='relu'\.",
    ),
    "built-in-dense-where-own-is-asked": (
        lambda: _compiled(_classifier()),
        r"layer 1 \('hidden'\) is keras\.layers\.Dense, Keras' built-in layer; this exercise "
        r"asks for your own Dense class",
    ),
    "subclass-of-the-built-in": (
        lambda: _compiled(_classifier(layer=SubclassedDense)),
        r"layer 1 \('hidden'\) is your Dense, but it subclasses Keras' built-in Dense: write it "
        r"from keras\.layers\.Layer\.",
    ),
    "not-compiled": (
        lambda: _classifier(layer=Dense),
        r"the model is not compiled; the specification asks for optimizer='adam', learning "
        r"rate 0\.01, loss='sparse_categorical_crossentropy', metrics=\['accuracy'\]",
    ),
    "compiled-with-defaults": (
        _compiled_with_defaults,
        r"the model is compiled with the RMSprop optimizer; the specification asks for "
        r"optimizer='adam'\. RMSprop is what compile\(\) uses when it is given no optimizer: "
        r"pass the optimizer argument\.",
    ),
    "optimizer-argument-dropped": (
        lambda: _compiled(optimizer=None),
        r"the model is compiled with the RMSprop optimizer; the specification asks for "
        r"optimizer='adam'\. RMSprop is what compile\(\) uses when it is given no optimizer",
    ),
    "optimizer-by-name-ignores-the-learning-rate": (
        lambda: _compiled(optimizer="adam"),
        r"the optimizer's learning rate is 0\.001 \(Adam's default, used when the optimizer is "
        r"given by name or without learning_rate\); the specification asks for 0\.01: pass "
        r"keras\.optimizers\.Adam\(learning_rate=0\.01\)\.",
    ),
    "other-learning-rate": (
        lambda: _compiled(optimizer=keras.optimizers.Adam(learning_rate=0.1)),
        r"the optimizer's learning rate is 0\.1; the specification asks for 0\.01",
    ),
    "other-optimizer": (
        lambda: _compiled(optimizer=keras.optimizers.SGD(learning_rate=1e-2)),
        r"the model is compiled with the SGD optimizer; the specification asks for "
        r"optimizer='adam'\.$",
    ),
    "learning-rate-schedule": (
        lambda: _compiled(optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.ExponentialDecay(1e-2, 10, 0.5))),
        r"the optimizer's learning rate is a ExponentialDecay schedule; the specification asks "
        r"for the constant learning_rate=0\.01",
    ),
    "other-loss": (
        lambda: _compiled(loss="mean_squared_error"),
        r"the model is compiled with loss 'mean_squared_error'; the specification asks for "
        r"loss='sparse_categorical_crossentropy'\.",
    ),
    "from-logits": (
        lambda: _compiled(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        r"the loss is configured with from_logits=True; the specification's loss has "
        r"from_logits=False \(the model's outputs are probabilities, not logits\)\.",
    ),
    "no-metrics": (
        lambda: _compiled(metrics=None),
        r"the model is compiled without metrics; the specification asks for "
        r"metrics=\['accuracy'\]\.",
    ),
    "extra-metric": (
        lambda: _compiled(metrics=["accuracy", "mse"]),
        r"the model is compiled with metrics \['accuracy', 'mse'\]; the specification asks for "
        r"metrics=\['accuracy'\]\.",
    ),
}


@pytest.mark.parametrize("mistake", sorted(FAULTY_MODELS))
def test_faulty_model_is_refused_with_the_mistake_named(mistake):
    build, match = FAULTY_MODELS[mistake]
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_architecture(build(), WITH_SETTINGS, own=("Dense",), compiled=SPEC)


def test_compile_spec_accepts_synonyms_and_an_optimizer_instance(capsys):
    model = _compiled(loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    checks.check_architecture(model, ARCHITECTURE, compiled={
        "optimizer": keras.optimizers.Adam(learning_rate=1e-2),
        "loss": "SparseCategoricalCrossentropy", "metrics": "accuracy"})
    assert "compiled with Adam (learning rate 0.01)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("expected", "options", "match"),
    [
        ([("Dense", None)], {}, r"expected_layers\[0\] must be \(class name, output shape, "
                                r"parameters\)"),
        ([(Dense, None, 12), ARCHITECTURE[1]], {}, r"expected_layers\[0\]\[0\] must be a class "
                                                   r"name such as 'Dense'"),
        ([("Dense", None, 12, ["relu"]), ARCHITECTURE[1]], {},
         r"expected_layers\[0\]\[3\] must be a dict of settings"),
        ({"Dense": 1}, {}, r"expected_layers must be a list with one entry per layer"),
        (ARCHITECTURE, {"own": [Dense]}, r"own must be class names, e.g\. own=\('Dense',\)"),
        (ARCHITECTURE, {"compiled": "adam"}, r"compiled must be a dict such as"),
        (ARCHITECTURE, {"compiled": {"optimiser": "adam"}},
         r"compiled has unknown keys \['optimiser'\]"),
        (ARCHITECTURE, {"input_shape": (2,)}, r"input_shape must be a tuple whose first"),
    ],
    ids=["short-entry", "class-not-name", "settings-not-dict", "dict", "own-classes",
         "compiled-string", "compiled-typo", "input-shape-without-batch"],
)
def test_check_architecture_usage_errors(expected, options, match):
    with pytest.raises(checks.CheckUsageError, match=match):
        checks.check_architecture(_classifier(), expected, **options)


# -------------------------------------------------------------------------------- accuracy

# Two classes separated by the sign of the first feature, 20 examples each.
X_SEPARABLE = np.stack(
    [np.r_[np.linspace(-2.0, -0.1, 20), np.linspace(0.1, 2.0, 20)], np.tile([1.0, -1.0], 20)],
    axis=1,
).astype("float32")
Y_SEPARABLE = (X_SEPARABLE[:, 0] > 0).astype("int64")


def _linear_classifier(kernel, bias=(0.0, 0.0), output_units=2, activation="softmax",
                       layer=keras.layers.Dense, **kwargs):
    model = keras.Sequential(
        [keras.Input((2,)), layer(output_units, activation=activation, name="output", **kwargs)]
    )
    model.set_weights([np.asarray(kernel, "float32"), np.asarray(bias, "float32")])
    return model


def _failure(model, at_least=0.9, **options) -> str:
    with pytest.raises(checks.CheckFailure) as caught:
        checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=at_least, **options)
    return str(caught.value)


def test_check_accuracy_passes_for_a_perfect_classifier(capsys):
    model = _linear_classifier([[-1.0, 1.0], [0.0, 0.0]])
    checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=1.0)
    assert capsys.readouterr().out == "\u2714 held-out accuracy >= 1.00 on 40 examples\n"


def test_check_accuracy_passes_at_zero_for_any_model(capsys):
    model = _linear_classifier([[1.0, -1.0], [0.0, 0.0]])
    checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=0.0)
    assert capsys.readouterr().out.startswith("\u2714 held-out accuracy >= 0.00")


def test_check_accuracy_passes_for_a_trained_model(capsys):
    model = _compiled(_classifier(layer=Dense), optimizer=keras.optimizers.Adam(0.1))
    model.fit(X_SEPARABLE, Y_SEPARABLE, epochs=30, batch_size=8, verbose=0)
    checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=0.95, epochs_fixed=True)
    assert capsys.readouterr().out.startswith("\u2714 held-out accuracy >= 0.95 on 40")


def test_check_accuracy_fails_below_the_threshold_and_says_what_was_measured():
    # All-zero weights: every prediction is a tie, argmax says class 0.
    model = _linear_classifier(np.zeros((2, 2)))
    accuracy = np.mean(Y_SEPARABLE == 0)
    message = _failure(model)
    assert message.startswith(
        f"held-out accuracy is {accuracy:.3f} on 40 examples, below the required 0.90. "
        "The model is not compiled.\nLikely causes:\n"
    )
    assert "  - the model is not compiled, so it was never trained" in message
    assert "the weights sequential" in message and "/output/kernel are all zeros" in message
    assert "  - it predicts class 0 for every example." in message
    assert "Train for more epochs" not in message


def test_check_accuracy_fails_for_a_backwards_classifier():
    model = _linear_classifier([[1.0, -1.0], [0.0, 0.0]])
    assert "accuracy is 0.000 on 40 examples, below the required 0.50" in _failure(model, 0.5)


def test_check_accuracy_names_a_model_that_was_compiled_but_never_fitted():
    model = _compiled(_classifier(layer=Dense))
    message = _failure(model)
    assert ("The model is compiled with optimizer Adam (learning rate 0.01), loss "
            "'sparse_categorical_crossentropy', metrics accuracy and its optimizer made 0 "
            "steps.") in message
    assert "its optimizer made 0 steps: this model was never trained. Fit the model you pass " \
           "to the check, not a copy or a new one." in message


def test_check_accuracy_names_zero_kernels_after_training():
    model = _compiled(_classifier(layer=Dense, kernel_initializer="zeros"))
    model.fit(X_SEPARABLE, Y_SEPARABLE, epochs=3, batch_size=8, verbose=0)
    message = _failure(model)
    assert "made 15 steps" in message
    assert "/hidden/kernel, " in message and "/output/kernel are all zeros: weights that start " \
                                             "at zero give every unit the same value" in message
    assert "never trained" not in message


def test_check_accuracy_names_an_activation_that_call_does_not_apply():
    model = _linear_classifier([[1.0, -1.0], [0.0, 0.0]], layer=Dense, apply_activation=False)
    message = _failure(model, 0.5)
    assert ("its outputs are not probabilities (values from -2 to 2, rows summing to 0 to 0) "
            "although the last layer is configured with activation='softmax': does its call() "
            "apply self.activation?") in message


def test_check_accuracy_names_a_linear_output_layer():
    model = _linear_classifier([[1.0, -1.0], [0.0, 0.0]], activation=None)
    message = _failure(model, 0.5)
    assert "the last layer has activation='linear'; the loss expects probabilities, so end " \
           "the model with activation='softmax'." in message


def test_check_accuracy_names_a_loss_unfit_for_integer_labels():
    model = _compiled(_classifier(layer=Dense), loss="mean_squared_error", metrics=None)
    assert "it is compiled with loss 'mean_squared_error': integer labels 0 to k-1 need " \
           "'sparse_categorical_crossentropy'." in _failure(model)


@pytest.mark.parametrize("epochs_fixed", [True, False])
def test_check_accuracy_advises_more_epochs_only_where_the_epochs_are_free(epochs_fixed):
    # Trained one step with a tiny learning rate: no named cause, only too little training.
    model = _compiled(_classifier(layer=Dense), optimizer=keras.optimizers.Adam(1e-4))
    model.set_weights([np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]], "float32"),
                       np.zeros(4, "float32"),
                       np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]], "float32"),
                       np.zeros(2, "float32")])
    model.fit(X_SEPARABLE[:8], Y_SEPARABLE[:8], epochs=1, batch_size=8, verbose=0)
    message = _failure(model, 0.99, epochs_fixed=epochs_fixed)
    assert "Likely causes" not in message
    assert ("Train for more epochs" in message) == (not epochs_fixed)
    assert ("The notebook fixes the number of epochs, so the cause is in the model or its "
            "compile settings" in message) == epochs_fixed


def test_check_accuracy_fails_on_nan_predictions():
    model = _linear_classifier(np.full((2, 2), np.nan))
    with pytest.raises(checks.CheckFailure, match=r"the model predicts NaN or infinity"):
        checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=0.5)


def test_check_accuracy_refuses_a_single_output_unit():
    model = _linear_classifier([[1.0], [0.0]], [0.0], output_units=1, activation="sigmoid")
    with pytest.raises(
        checks.CheckFailure,
        match=r"predictions have shape \(40, 1\): with one output unit argmax always says class 0",
    ):
        checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=0.5)


@pytest.mark.parametrize(
    ("y", "at_least", "match"),
    [
        (np.eye(2)[Y_SEPARABLE], 0.5, r"y must be integer labels of shape \(n,\); got shape "
                                      r"\(40, 2\)"),
        (Y_SEPARABLE, 90, r"at_least must be in \[0, 1\]; got 90"),
        (Y_SEPARABLE, -0.1, r"at_least must be in \[0, 1\]; got -0\.1"),
    ],
    ids=["one-hot-y", "percent", "negative"],
)
def test_check_accuracy_usage_errors(y, at_least, match):
    model = _linear_classifier([[-1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(checks.CheckUsageError, match=match):
        checks.check_accuracy(model, X_SEPARABLE, y, at_least=at_least)


def test_check_accuracy_on_non_model_is_a_usage_error():
    with pytest.raises(checks.CheckUsageError, match=r"model must be a keras\.Model; got str"):
        checks.check_accuracy("model", X_SEPARABLE, Y_SEPARABLE, at_least=0.5)


# ------------------------------------------------------------------------ same predictions


def test_check_same_predictions_passes_for_a_clone(capsys):
    model = _classifier()
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    checks.check_same_predictions(model, clone, X_SEPARABLE)
    assert capsys.readouterr().out == (
        "\u2714 both models give the same predictions on 40 examples (two independent models)\n"
    )


def test_check_same_predictions_passes_for_a_model_loaded_from_its_file(tmp_path, capsys):
    model = _compiled(_classifier(layer=Dense))
    model.fit(X_SEPARABLE, Y_SEPARABLE, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    checks.check_saved_model_file(path)
    reloaded = keras.saving.load_model(path, custom_objects={"Dense": Dense})
    checks.check_same_predictions(model, reloaded, X_SEPARABLE)
    out = capsys.readouterr().out.splitlines()
    assert out == ["\u2714 model.keras is a .keras archive (config.json, model.weights.h5)",
                   "\u2714 both models give the same predictions on 40 examples (two independent "
                   "models)"]


def test_check_same_predictions_refuses_the_original_model_itself():
    model = _classifier()
    with pytest.raises(checks.CheckFailure, match=(
        r"^the second model is the very same Python object as the first: it was not loaded "
        r"from the file\. Return what keras\.saving\.load_model\(path\) gives back, not the "
        r"model you saved\.$"
    )):
        checks.check_same_predictions(model, model, X_SEPARABLE)


def test_check_same_predictions_refuses_a_model_sharing_the_variables():
    model = _classifier()
    rewrapped = keras.Sequential([keras.Input((2,)), *model.layers])
    with pytest.raises(checks.CheckFailure, match=(
        r"the second model shares 4 of its 4 variables with the first: it was not loaded from "
        r"the file but built from the first model's layers"
    )):
        checks.check_same_predictions(model, rewrapped, X_SEPARABLE)


def test_check_same_predictions_can_allow_shared_variables(capsys):
    model = _classifier()
    checks.check_same_predictions(model, model, X_SEPARABLE, independent=False)
    assert capsys.readouterr().out == (
        "\u2714 both models give the same predictions on 40 examples\n"
    )


def test_check_same_predictions_fails_when_weights_differ():
    model = _linear_classifier([[-1.0, 1.0], [0.0, 0.0]])
    other = _linear_classifier([[-1.0, 1.0], [0.0, 0.0]], bias=[1.0, 0.0])
    # First example x = (-2, 1): logits (2, -2) and (3, -2); p(class 0) = sigmoid(4), sigmoid(5).
    assert tuple(X_SEPARABLE[0]) == (-2.0, 1.0)
    expected, got = 1 / (1 + np.exp(-4.0)), 1 / (1 + np.exp(-5.0))
    with pytest.raises(checks.CheckFailure) as caught:
        checks.check_same_predictions(model, other, X_SEPARABLE)
    lines = str(caught.value).splitlines()
    assert lines[0] == (
        "the second model's predict(x) does not match the first model's predict(x)."
    )
    assert lines[1].startswith(f"  first mismatch at index (0, 0): got {got:.6g}, ")
    assert lines[1].endswith(f", expected {expected:.6g}")
    assert lines[2].startswith("  80 of 80 values differ")


def test_check_same_predictions_fails_on_different_output_shapes():
    with pytest.raises(checks.CheckFailure, match=r"has shape \(40, 3\), expected \(40, 2\)"):
        checks.check_same_predictions(_classifier(), _classifier(output_units=3), X_SEPARABLE)


def test_check_same_predictions_on_non_model_is_a_usage_error():
    with pytest.raises(checks.CheckUsageError, match=r"other must be a keras\.Model; got ndarray"):
        checks.check_same_predictions(_classifier(), X_SEPARABLE, X_SEPARABLE)


# --------------------------------------------------------------------------------- history


@pytest.fixture(scope="module")
def history():
    keras.utils.set_random_seed(0)
    model = _classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(
        X_SEPARABLE[::2], Y_SEPARABLE[::2],
        validation_data=(X_SEPARABLE[1::2], Y_SEPARABLE[1::2]),
        epochs=2, batch_size=20, verbose=0,
    )


ALL_METRICS = ["loss", "accuracy", "val_loss", "val_accuracy"]


def test_check_history_passes(history, capsys):
    checks.check_history(history, ALL_METRICS, epochs=2)
    assert capsys.readouterr().out == (
        "\u2714 history has loss, accuracy, val_loss, val_accuracy for 2 epochs\n"
    )


def test_check_history_accepts_one_metric_name(history, capsys):
    checks.check_history(history, "val_accuracy", epochs=2)
    assert capsys.readouterr().out == "\u2714 history has val_accuracy for 2 epochs\n"


def test_check_history_fails_on_missing_metric(history):
    with pytest.raises(
        checks.CheckFailure,
        match=r"history\.history has no 'val_auc'; it has "
        r"\['accuracy', 'loss', 'val_accuracy', 'val_loss'\]",
    ):
        checks.check_history(history, [*ALL_METRICS, "val_auc"], epochs=2)


def test_check_history_fails_on_wrong_epoch_count(history):
    with pytest.raises(
        checks.CheckFailure,
        match=r"history\.history\['loss'\] has 2 values; expected one per epoch \(3\)",
    ):
        checks.check_history(history, ALL_METRICS, epochs=3)


def test_check_history_fails_on_non_history(history):
    with pytest.raises(
        checks.CheckFailure,
        match=r"expected the History object that model\.fit returns; got dict",
    ):
        checks.check_history(history.history, ALL_METRICS, epochs=2)


# ------------------------------------------------------------------------ style, saved file


class Subclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4, activation="relu")

    def call(self, inputs):
        return self.hidden(inputs)


def _functional():
    inputs = keras.Input((2,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


@pytest.mark.parametrize(
    ("build", "style"),
    [(_classifier, "sequential"), (_functional, "functional"), (Subclassed, "subclassed")],
)
def test_check_model_style(build, style, capsys):
    checks.check_model_style(build(), style)
    assert capsys.readouterr().out == f"\u2714 {style} model\n"
    other = "functional" if style != "functional" else "sequential"
    with pytest.raises(checks.CheckFailure, match=rf"the model is {style}; this exercise asks "
                                                  rf"for a {other} model"):
        checks.check_model_style(build(), other)


def test_check_saved_model_file_names_what_is_missing(tmp_path):
    with pytest.raises(checks.CheckFailure, match=r"no file at .*m\.keras: was model\.save"):
        checks.check_saved_model_file(tmp_path / "m.keras")
    with pytest.raises(checks.CheckFailure, match=r"m\.h5 should end in \.keras"):
        checks.check_saved_model_file(tmp_path / "m.h5")
    (tmp_path / "m.keras").write_text("not a zip")
    with pytest.raises(checks.CheckFailure, match=r"m\.keras is not a \.keras archive"):
        checks.check_saved_model_file(tmp_path / "m.keras")


# ---------------------------------------------------------------- recorded and judged apart


def test_judges_decide_from_recorded_evidence_alone(tmp_path, monkeypatch):
    """Under grading the payload is recorded as JSON; the judge decides from it and the case."""
    path = tmp_path / "evidence.jsonl"
    monkeypatch.setenv(evidence.ENV_FILE, str(path))
    monkeypatch.setenv(evidence.ENV_NONCE, "nonce")
    evidence.enter_cell("cell")
    try:
        good = _compiled(_classifier(layer=Dense))
        bad = _classifier()
        bad.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        for model in (good, bad):
            checks.check_architecture(model, WITH_SETTINGS, own=("Dense",), compiled=SPEC)
            checks.check_accuracy(model, X_SEPARABLE, Y_SEPARABLE, at_least=0.0)
            checks.check_same_predictions(model, model, X_SEPARABLE)
    finally:
        evidence.enter_cell(None)
        monkeypatch.delenv(evidence.ENV_FILE)
    records = evidence.read(path)
    assert [r["kind"] for r in records] == ["architecture", "accuracy", "same_predictions"] * 2
    # The grader's own path: the instructor's case (here the same) and the recorded payload.
    verdicts = [(verdicts_module.judge_one(r, r, "nonce") or "pass").split(":")[0]
                for r in records]
    assert verdicts == [
        "pass", "pass", "the second model is the very same Python object as the first",
        "layer 1 ('hidden') is keras.layers.Dense, Keras' built-in layer; this exercise asks "
        "for your own Dense class (the one you wrote above)", "pass",
        "the second model is the very same Python object as the first",
    ]


def test_check_history_verifies_the_training_and_validation_data(history, capsys):
    checks.check_history(history, "val_loss", epochs=2, train_size=20, batch_size=20,
                         validation_data=(X_SEPARABLE[1::2], Y_SEPARABLE[1::2]))
    out = capsys.readouterr().out
    assert "2 optimizer steps" in out and "validated on the validation set" in out


def test_check_history_names_training_on_other_data(history):
    # 20 training examples in batches of 10 would make 4 steps; fit made 2.
    with pytest.raises(checks.CheckFailure, match=r"the optimizer made 2 steps; fit on the 20 "
                       r"training examples with batch_size=10 for 2 epochs makes 4"):
        checks.check_history(history, "loss", epochs=2, train_size=20, batch_size=10)


def test_check_history_names_validation_on_other_data(history):
    with pytest.raises(checks.CheckFailure, match=r"fit was validated on other data"):
        checks.check_history(history, "val_loss", epochs=2,
                             validation_data=(X_SEPARABLE[::2], Y_SEPARABLE[::2]))


def test_check_model_style_names_dropped_kwargs():
    class DropsKwargs(keras.Model):
        def __init__(self, **kwargs):
            super().__init__()
            self.out = keras.layers.Dense(2)

        def call(self, inputs):
            return self.out(inputs)

    with pytest.raises(checks.CheckFailure, match=r"made with name='mine' but is named .*Pass "
                       r"them on: super\(\)\.__init__\(\*\*kwargs\)"):
        checks.check_model_style(DropsKwargs(name="mine"), "subclassed", name="mine")
