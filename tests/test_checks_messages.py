"""What a student sees: each realistic Dense mistake gets a message that names it.

The mistakes are the ones a new user made on 01_dense: forgotten
super().__init__, weights of the wrong shape, a get_config without "units", an
initializer other than the specification's, a layer that breaks the layer
contract. A failing check renders as its message alone in IPython.
"""

from __future__ import annotations

import keras
import pytest

from kcourse import checks
from kcourse.checks._student import error_summary

CONFIG_KEYS = ("units", "activation", "use_bias")


class Dense(keras.layers.Layer):
    """A correct Dense, the base of the faulty variants below."""

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, use_bias=self.use_bias,
                      activation=keras.activations.serialize(self.activation))
        return config


class SuperInitForgotten(Dense):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias


class BuildWithBatchSize(Dense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[0], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class WeightsInInit(Dense):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(units, activation, use_bias, **kwargs)
        self.kernel = self.add_weight(shape=(64, units), name="kernel")
        self.bias = self.add_weight(shape=(units,), initializer="zeros", name="bias")

    def build(self, input_shape):
        pass


class ConfigWithoutUnits(Dense):
    def get_config(self):
        config = keras.layers.Layer.get_config(self)
        config.update(use_bias=self.use_bias,
                      activation=keras.activations.serialize(self.activation))
        return config


class BiasOnes(Dense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="ones", name="bias")


class KernelZeros(Dense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class KernelRandomNormal(Dense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="random_normal", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class KernelTooWide(Dense):
    """Uniform in [-1, 1]: beyond the Glorot limit sqrt(6 / (fan_in + fan_out))."""

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel",
            initializer=keras.initializers.RandomUniform(-1.0, 1.0))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class NoComputeOutputShape(Dense):
    compute_output_shape = keras.layers.Layer.compute_output_shape


class CastsToFloat32(Dense):
    def call(self, inputs):
        return keras.ops.cast(super().call(inputs), "float32")


class BranchesOnTensorValues(Dense):
    """Eager-only code: a Python `if` on a tensor's value breaks symbolic and compiled calls."""

    def call(self, inputs):
        if float(keras.ops.convert_to_numpy(keras.ops.max(inputs))) > 1e9:
            inputs = inputs / 1e9
        return super().call(inputs)


MESSAGES = [
    (SuperInitForgotten, r"is not set up as a Keras layer: call super\(\)\.__init__\(\*\*kwargs\)"),
    (BuildWithBatchSize, r"weight 'kernel' has shape \(4, 3\), but Keras' 'kernel' has shape "
     r"\(5, 3\) for input shape \(4, 5\)\. In build\(\), make it \(input_shape\[-1\], units\)"),
    (WeightsInInit, r"weight 'kernel' has shape \(64, 3\).*make it \(input_shape\[-1\], units\)"),
    (ConfigWithoutUnits, r"get_config\(\) has no 'units' entry, so ConfigWithoutUnits\(\*\*config\)"
     r" is called without it"),
    (BiasOnes, r"the initial 'bias' is not all zeros \(the specification says "
     r"initializer='zeros'\)"),
    (KernelZeros, r"the initial 'kernel' is all zeros \(the specification says "
     r"initializer='glorot_uniform'\)"),
    (KernelRandomNormal, r"the initial 'kernel' has a spread .* far below what glorot_uniform "
     r"gives"),
    (KernelTooWide, r"the initial 'kernel' has values up to .* beyond the glorot_uniform limit"),
]


@pytest.mark.parametrize(("cls", "match"), MESSAGES, ids=[c.__name__ for c, _ in MESSAGES])
def test_realistic_mistake_is_named(cls, match):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(cls(3, activation="relu"), keras.layers.Dense(3, activation="relu"),
                           (4, 5), config_keys=CONFIG_KEYS)


def test_initializer_check_can_be_switched_off_for_exercises_that_do_not_fix_it(capsys):
    checks.check_layer(BiasOnes(3), keras.layers.Dense(3), (4, 5), initializers=False)
    assert "initial weights" not in capsys.readouterr().out


@pytest.mark.parametrize(("cls", "match"), [
    (NoComputeOutputShape, r"layer contract, mixed precision: .*symbolic output spec says "
     r"float32 \(4, 3\) but calling it gives float16 \(4, 3\)\. Define compute_output_shape"),
    (CastsToFloat32, r"layer contract, mixed precision: with dtype='mixed_float16' your "
     r"CastsToFloat32 returns float32; Keras' layer returns float16"),
    # JAX traces the gradient, so there the eager-only code fails one probe earlier.
    (BranchesOnTensorValues, r"layer contract, (symbolic input|compiled step): your "
     r"BranchesOnTensorValues "
     r"failed with .*keras.ops only|computing gradients through your "
     r"BranchesOnTensorValues failed .*Use keras.ops \(not NumPy\)"),
])
def test_layer_contract_failures_are_named(cls, match):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(cls(3, activation="relu"), keras.layers.Dense(3, activation="relu"),
                           (4, 5), contract=True)


def test_correct_layer_meets_the_layer_contract(capsys):
    checks.check_layer(Dense(3, activation="relu"), keras.layers.Dense(3, activation="relu"),
                       (4, 5), contract=True)
    assert "layer contract (mixed precision, symbolic input, jit-compiled step, serialization)" \
        in capsys.readouterr().out


def test_failure_renders_as_its_message_alone_in_ipython():
    pytest.importorskip("IPython")
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.user_ns.update(checks=checks, keras=keras, BiasOnes=BiasOnes)
    shell.run_cell("import sys; sys.stderr = sys.stdout")  # IPython writes tracebacks there
    import contextlib
    import io

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        result = shell.run_cell(
            "checks.check_layer(BiasOnes(3), keras.layers.Dense(3), (4, 5))")
    assert isinstance(result.error_in_exec, checks.CheckFailure)
    text = captured.getvalue()
    assert "CheckFailure: your BiasOnes: the initial 'bias' is not all zeros" in text
    assert "kcourse" not in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1


def test_error_summary_keeps_the_cause_of_a_deserialization_error():
    error = TypeError(
        "\x1b[1mCould not locate class 'Dense'.\x1b[0m Make sure custom classes are decorated. "
        "Exception encountered: Dense.__init__() missing 1 required positional argument: "
        "'units'")
    summary = error_summary(error)
    assert "\x1b" not in summary
    assert summary.endswith("Cause: Dense.__init__() missing 1 required positional argument: "
                            "'units'")


def test_error_inside_call_points_at_the_student_line():
    class Broken(Dense):
        def call(self, inputs):
            return keras.ops.matmul(inputs, self.kernel) + self.missing_attribute

    with pytest.raises(checks.CheckFailure, match=r"raised AttributeError: .*missing_attribute.*"
                       r"\(in call, line \d+: return keras\.ops\.matmul\(inputs, self\.kernel\) "
                       r"\+ self\.missing_attribute\)"):
        checks.check_layer(Broken(3), keras.layers.Dense(3), (4, 5))


def test_forbidden_op_in_the_class_source_is_refused_in_the_kernel():
    class UsesDenseOp(Dense):
        def call(self, inputs):
            return keras.ops.nn.dense(inputs, self.kernel, self.bias)  # noqa: F821

    with pytest.raises(checks.CheckFailure, match=r"your UsesDenseOp: line \d+ \(`return "
                       r"keras\.ops\.nn\.dense.*uses keras\.ops\.nn\.dense, which this exercise "
                       r"forbids.*Grading refuses it too"):
        checks.check_layer(UsesDenseOp(3), keras.layers.Dense(3), (4, 5))


def test_computed_getattr_in_the_class_source_is_refused_in_the_kernel():
    class ComputedName(Dense):
        def call(self, inputs):
            layer = getattr(keras.layers, "De" + "nse")
            return super().call(inputs) + 0 * len(str(layer))

    with pytest.raises(checks.CheckFailure, match=r"your ComputedName: line \d+ .*Grading "
                       r"refuses it too"):
        checks.check_layer(ComputedName(3), keras.layers.Dense(3), (4, 5))


class KwargsDropped(Dense):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(units, activation, use_bias)  # name, dtype, trainable lost


class ConfigFromScratch(Dense):
    def get_config(self):
        return {"units": self.units, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation)}


class OutputShapeDropsLeadingAxes(Dense):
    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)


@pytest.mark.parametrize(("cls", "shape", "match"), [
    (KwargsDropped, (4, 5), r"from_config\(config\) built a layer named .*your __init__ drops "
     r"the keyword arguments Keras gives it \(name, dtype, trainable\)\. Pass them on: "
     r"super\(\)\.__init__\(\*\*kwargs\)"),
    (ConfigFromScratch, (4, 5), r"get_config\(\) has no 'name', 'trainable', 'dtype': start "
     r"from config = super\(\)\.get_config\(\)"),
    (OutputShapeDropsLeadingAxes, (2, 3, 5), r"compute_output_shape\(\(2, 3, 5\)\) returned "
     r"\[2, 3\]; Keras' layer says \[2, 3, 3\]"),
])
def test_half_understood_layer_protocol_is_named(cls, shape, match):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(cls(3), keras.layers.Dense(3), shape)


def test_a_correct_compute_output_shape_is_verified(capsys):
    checks.check_layer(Dense(3), keras.layers.Dense(3), (2, 3, 5))
    assert "; compute_output_shape;" in capsys.readouterr().out
