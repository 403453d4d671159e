"""Unit tests of kcourse.checks: a corpus of student layers, right and wrong.

Each student mistake is a small keras.layers.Layer written below; the tests
assert that `checks.check_layer` refuses it with a message naming the mistake.
Runs on the tensorflow and jax backends (KERAS_BACKEND).
"""

from __future__ import annotations

import types

import keras
import numpy as np
import pytest

from kcourse import checks
from kcourse.checks._compare import describe_mismatch

BACKEND = keras.config.backend()
CONFIG_KEYS = ("units", "activation", "use_bias")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def check_dense(student, input_shape=(4, 5), **options):
    """check_layer against the built-in Dense configured like `student`."""
    reference = keras.layers.Dense(
        student.units, activation=student.activation_arg, use_bias=student.use_bias
    )
    checks.check_layer(student, reference, input_shape, config_keys=CONFIG_KEYS, **options)


# ------------------------------------------------------------------ the corpus of layers


class StudentDense(keras.layers.Layer):
    """A correct re-implementation of keras.layers.Dense."""

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation_arg = activation
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel"
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def linear(self, inputs):
        z = keras.ops.matmul(inputs, self.kernel)
        return z + self.bias if self.use_bias else z

    def call(self, inputs):
        return self.activation(self.linear(inputs))

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


class BiasNotAdded(StudentDense):
    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel))


class KernelCreatedTransposed(StudentDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(self.units, input_shape[-1]), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = keras.ops.matmul(inputs, keras.ops.transpose(self.kernel))
        return self.activation(z + self.bias)


class KernelUsedTransposed(StudentDense):
    def call(self, inputs):
        z = keras.ops.matmul(inputs, keras.ops.transpose(self.kernel))
        return self.activation(z + self.bias)


class ActivationMissing(StudentDense):
    def call(self, inputs):
        return self.linear(inputs)


class SigmoidInsteadOfActivation(StudentDense):
    def call(self, inputs):
        return keras.activations.sigmoid(self.linear(inputs))


class ActivationBeforeBias(StudentDense):
    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel)) + self.bias


class SummedOverUnits(StudentDense):
    def call(self, inputs):
        return keras.ops.sum(self.activation(self.linear(inputs)), axis=-1)


class OnlyFirstUnit(StudentDense):
    def call(self, inputs):
        return self.activation(self.linear(inputs))[:, :1]


class NotImplementedYet(StudentDense):
    def call(self, inputs):
        raise NotImplementedError()


class ForgotReturn(StudentDense):
    def call(self, inputs):
        self.activation(self.linear(inputs))  # noqa: B018 - the mistake under test


class BuildUsesTF1Api(StudentDense):
    def build(self, input_shape):
        input_dim = input_shape.as_list()[-1]
        self.kernel = self.add_weight(shape=(input_dim, self.units), name="kernel")


class KernelTimesInputs(StudentDense):
    def call(self, inputs):
        return keras.ops.matmul(self.kernel, inputs)


class NonTrainableKernel(StudentDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel", trainable=False
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")


class NoBiasWeight(StudentDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel))


class ConfigStoresFunction(StudentDense):
    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class ConfigStoresArgument(StudentDense):
    """Stores activation=None as given; Keras stores the name 'linear'."""

    def get_config(self):
        return {**super().get_config(), "activation": self.activation_arg}


class KernelThroughNumPy(StudentDense):
    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, np.asarray(self.kernel)) + self.bias)


class ReturnsZeros(StudentDense):
    def call(self, inputs):
        return keras.ops.zeros_like(self.linear(inputs))


class ReturnsFloat16(StudentDense):
    def call(self, inputs):
        return keras.ops.cast(self.activation(self.linear(inputs)), "float16")


# Shortcuts: the built-in layer (or the instructors' reference) does the work.


class CallsBuiltinDense(StudentDense):
    def call(self, inputs):
        return keras.layers.Dense(self.units, activation=self.activation_arg)(inputs)


_GLOBAL_DENSE = keras.layers.Dense(3)


class CallsGlobalBuiltinDense(StudentDense):
    def call(self, inputs):
        return _GLOBAL_DENSE(inputs)


class SubclassesDense(keras.layers.Dense):
    activation_arg = None


class WrapsDense(StudentDense):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.inner = keras.layers.Dense(units)

    def call(self, inputs):
        return self.inner(inputs)


# Stand-ins for kcourse.reference (not imported: students never have it).
fake_reference = types.ModuleType("kcourse.reference.dense")
fake_reference.Dense = StudentDense


def _fake_reference_call(layer, inputs):
    return layer.activation(layer.linear(inputs))


_fake_reference_call.__module__ = "kcourse.reference.dense"


class UsesReferenceModule(StudentDense):
    def call(self, inputs):
        return fake_reference.Dense.call(self, inputs)


class UsesReferenceFunction(StudentDense):
    def call(self, inputs):
        return _fake_reference_call(self, inputs)


ClassFromReference = type(
    "Dense", (StudentDense,), {"__module__": "kcourse.reference.fake"}
)


def _ids(cases):
    """Test ids: each case's student layer class and activation."""
    return [f"{type(case[0]).__name__}-{case[0].activation_arg or 'linear'}" for case in cases]


# ------------------------------------------------------------------------ correct layer


@pytest.mark.parametrize(
    ("units", "activation", "use_bias", "input_shape"),
    [
        (3, None, True, (4, 5)),
        (3, "relu", True, (4, 5)),
        (4, "softmax", True, (4, 5)),
        (2, "tanh", True, (2, 3, 5)),
        (2, None, False, (3, 4)),
        (5, "relu", False, (2, 3, 5)),
        (1, "relu", True, (1, 7)),
    ],
)
def test_correct_dense_passes(units, activation, use_bias, input_shape, capsys):
    student = StudentDense(units, activation=activation, use_bias=use_bias)
    check_dense(student, input_shape)
    out = capsys.readouterr().out
    assert out.startswith("\u2714 StudentDense matches keras.layers.Dense: ")
    assert f"input {input_shape}" in out
    output_shape = (*input_shape[:-1], units)
    assert f"output {output_shape} float32 in inference and training" in out
    assert "gradients w.r.t. the input, 'kernel'" in out
    assert ("'bias'" in out) == use_bias
    assert "get_config/from_config round trip (units, activation, use_bias)" in out
    assert out.count("\n") == 1


def test_correct_dense_passes_on_given_inputs(capsys):
    inputs = np.linspace(-2.0, 2.0, 15, dtype="float32").reshape(3, 5)
    check_dense(StudentDense(2, activation="relu"), None, inputs=inputs)
    assert capsys.readouterr().out.startswith("\u2714 StudentDense matches")


def test_compare_layers_returns_what_was_verified():
    verified = checks.compare_layers(
        StudentDense(3), keras.layers.Dense(3), (4, 5), training_modes=(False,)
    )
    assert verified[0] == "input (4, 5)"
    assert verified[1] == "weights kernel (5, 3), bias (3,)"
    assert verified[2] == "output (4, 3) float32 in inference"
    assert verified[-2] == "get_config/from_config round trip"
    assert verified[-1] == "initial weights (kernel glorot_uniform, bias zeros)"


# ------------------------------------------------------------------------------ mistakes


MISTAKES = [
    (BiasNotAdded(3), (4, 5), r"Likely mistake: .*the bias was not added"),
    (BiasNotAdded(3, activation="relu"), (4, 5), r"the bias was not added"),
    (
        KernelCreatedTransposed(3),
        (4, 5),
        r"weight 'kernel' has shape \(3, 5\), but Keras' 'kernel' has shape \(5, 3\) for "
        r"input shape \(4, 5\)\. Your kernel is transposed.*make it \(input_shape\[-1\], units\)",
    ),
    (KernelUsedTransposed(5), (4, 5), r"Likely mistake: the kernel looks transposed"),
    (ActivationMissing(3, activation="relu"), (4, 5), r"activation 'relu' was not applied"),
    (ActivationMissing(3, activation="tanh"), (4, 5), r"activation 'tanh' was not applied"),
    (
        SigmoidInsteadOfActivation(3, activation="relu"),
        (4, 5),
        r"looks like 'sigmoid' was applied, but the layer was configured with "
        r"activation='relu'",
    ),
    (
        ActivationBeforeBias(3, activation="relu"),
        (4, 5),
        r"the activation was applied before the bias was added",
    ),
    (
        SummedOverUnits(3),
        (4, 5),
        r"has output shape \(4,\), expected \(4, 3\) \(input shape \(4, 5\)\)",
    ),
    (OnlyFirstUnit(3), (4, 5), r"has output shape \(4, 1\), expected \(4, 3\)"),
    (
        NotImplementedYet(3),
        (4, 5),
        r"raised NotImplementedError: replace `raise NotImplementedError\(\)`",
    ),
    (ForgotReturn(3), (4, 5), r"returned None: did you forget `return`\?"),
    (
        BuildUsesTF1Api(3),
        (4, 5),
        r"build\(input_shape=\(4, 5\)\) raised AttributeError: .*as_list.*"
        r"\(in build, line \d+: input_dim = input_shape\.as_list\(\)\[-1\]\)",
    ),
    (
        KernelTimesInputs(3),
        (4, 5),
        r"your KernelTimesInputs\(x\) raised \w+: .*"
        r"\(in call, line \d+: return keras\.ops\.matmul\(self\.kernel, inputs\)\)",
    ),
    (
        NonTrainableKernel(3),
        (4, 5),
        r"weight 'kernel' should be trainable, as Keras' 'kernel' is "
        r"\(add_weight\(\.\.\., trainable=True\)\)",
    ),
    (
        NoBiasWeight(3),
        (4, 5),
        r"has 1 weight\(s\) \(kernel \(5, 3\)\) but keras\.layers\.Dense with this "
        r"configuration has 2 \(kernel \(5, 3\), bias \(3,\)\)",
    ),
    (
        ConfigStoresFunction(3, activation="relu"),
        (4, 5),
        r"get_config\(\) is not JSON-serialisable .*keras\.activations\.serialize",
    ),
    (
        ConfigStoresArgument(3),
        (4, 5),
        r"get_config\(\)\['activation'\] is None; Keras stores 'linear'",
    ),
    (ReturnsZeros(3), (4, 5), r"the output is all zeros"),
    (ReturnsFloat16(3), (4, 5), r"has dtype float16, expected float32"),
]


@pytest.mark.parametrize(("student", "input_shape", "match"), MISTAKES, ids=_ids(MISTAKES))
def test_mistake_is_named(student, input_shape, match, capsys):
    with pytest.raises(checks.CheckFailure, match=match):
        check_dense(student, input_shape)
    assert capsys.readouterr().out == ""


def test_mistake_in_3d_input_is_named():
    with pytest.raises(checks.CheckFailure, match=r"the bias was not added"):
        check_dense(BiasNotAdded(2, activation="tanh"), (2, 3, 5))


def test_failure_reports_where_the_output_differs():
    with pytest.raises(checks.CheckFailure) as caught:
        check_dense(BiasNotAdded(3), (4, 5))
    message = str(caught.value)
    assert message.startswith("the output of your BiasNotAdded(x, training=False) does not match")
    assert "first mismatch at index (0, " in message
    assert "values differ; max abs error" in message


def test_failure_is_an_assertion_error_for_nbgrader():
    assert issubclass(checks.CheckFailure, AssertionError)
    assert issubclass(checks.CheckUsageError, ValueError)


def test_kernel_through_numpy_breaks_gradients():
    if BACKEND == "tensorflow":
        match = (
            r"the gradient of your KernelThroughNumPy's output with respect to 'kernel' is "
            r"None \(inference\): that tensor does not reach the output through keras\.ops"
        )
    else:
        match = (
            r"computing gradients through your KernelThroughNumPy failed with \w+: .*"
            r"Use keras\.ops \(not NumPy\) inside call\(\)"
        )
    with pytest.raises(checks.CheckFailure, match=match):
        check_dense(KernelThroughNumPy(3, activation="relu"))


# ----------------------------------------------------------------------------- shortcuts


SHORTCUTS = [
    (
        CallsBuiltinDense(3),
        # refused from its source first, as the grader's static scan would refuse it
        r"your CallsBuiltinDense: line \d+ \(`return keras\.layers\.Dense\(.*uses "
        r"keras\.layers\.Dense, which this exercise forbids",
    ),
    (CallsGlobalBuiltinDense(3), r"uses keras\.layers\.Dense, the layer you are asked"),
    (
        SubclassesDense(3),
        r"your layer is \(a subclass of\) keras\.layers\.Dense.*Subclass "
        r"keras\.layers\.Layer instead",
    ),
    (WrapsDense(3), r"your layer contains a keras\.layers\.Dense \('dense(_\d+)?'\)"),
    (UsesReferenceModule(3), r"your layer uses kcourse\.reference"),
    (UsesReferenceFunction(3), r"your layer uses kcourse\.reference"),
    (ClassFromReference(3), r"your layer uses kcourse\.reference"),
]


@pytest.mark.parametrize(("student", "match"), SHORTCUTS, ids=_ids(SHORTCUTS))
def test_shortcut_is_refused(student, match):
    originals = {name: keras.layers.Dense.__dict__[name] for name in ("build", "call")}
    with pytest.raises(checks.CheckFailure, match=match):
        check_dense(student)
    # The watch on keras.layers.Dense is taken off again.
    assert {name: keras.layers.Dense.__dict__[name] for name in originals} == originals


def test_correct_layer_does_not_count_as_using_the_reference():
    assert not checks.uses_reference_module(StudentDense)
    assert checks.uses_reference_module(UsesReferenceFunction)


# ---------------------------------------------------------------------------- usage errors


def _dense3():
    return keras.layers.Dense(3)


@pytest.mark.parametrize(
    ("student", "reference", "match"),
    [
        (lambda: StudentDense, _dense3,
         r"student must be a layer instance, e.g\. StudentDense\(units=3\)"),
        (lambda: (lambda x: x), _dense3, r"student must be a keras\.layers\.Layer instance; "
                                         r"got function"),
        (lambda: 3, _dense3, r"student must be a keras\.layers\.Layer instance; got int"),
        (lambda: StudentDense(3), lambda: keras.layers.Dense,
         r"reference must be a layer instance, e.g\. Dense\(units=3\)"),
        (lambda: StudentDense(3), lambda: "Dense",
         r"reference must be a keras\.layers\.Layer instance; got str"),
    ],
    ids=["student-class", "student-function", "student-int", "reference-class", "reference-str"],
)
def test_wrong_layer_arguments_are_usage_errors(student, reference, match):
    with pytest.raises(checks.CheckUsageError, match=match):
        checks.check_layer(student(), reference(), (4, 5))


@pytest.mark.parametrize(
    ("input_shape", "match"),
    [
        ((0, 3), r"input_shape must be a tuple of positive integers with the batch first, "
                 r"e\.g\. \(4, 5\); got \(0, 3\)"),
        ((4, -5), r"positive integers with the batch first.*got \(4, -5\)"),
        ((5,), r"positive integers with the batch first.*got \(5,\)"),
        ("abc", r"input_shape must be a tuple of positive integers, batch included; got 'abc'"),
        (5, r"input_shape must be a tuple of positive integers, batch included; got 5"),
        (None, r"give input_shape \(batch included\)"),
    ],
    ids=["zero", "negative", "no-batch", "str", "int", "none"],
)
def test_invalid_input_shape_is_a_usage_error(input_shape, match):
    with pytest.raises(checks.CheckUsageError, match=match):
        check_dense(StudentDense(3), input_shape)


def test_inputs_with_nan_are_a_usage_error():
    inputs = np.ones((4, 5), dtype="float32")
    inputs[2, 3] = np.nan
    with pytest.raises(
        checks.CheckUsageError, match=r"NaN or infinity \(first at index \(2, 3\)\)"
    ):
        check_dense(StudentDense(3), None, inputs=inputs)


def test_inputs_disagreeing_with_input_shape_are_a_usage_error():
    with pytest.raises(
        checks.CheckUsageError, match=r"inputs have shape \(4, 5\) but input_shape is \(4, 6\)"
    ):
        check_dense(StudentDense(3), (4, 6), inputs=np.zeros((4, 5), dtype="float32"))


def test_non_numeric_inputs_are_a_usage_error():
    with pytest.raises(checks.CheckUsageError, match=r"inputs must be a numeric array"):
        check_dense(StudentDense(3), None, inputs=[["a", "b"]])


def test_reference_that_cannot_be_built_is_a_usage_error():
    reference = keras.layers.BatchNormalization(axis=3)
    with pytest.raises(
        checks.CheckUsageError,
        match=r"keras\.layers\.BatchNormalization cannot be built on input shape \(4, 5\)",
    ):
        checks.check_layer(StudentDense(3), reference, (4, 5))


def test_reference_built_for_another_shape_is_a_usage_error():
    reference = keras.layers.Dense(3)
    reference.build((None, 7))
    with pytest.raises(
        checks.CheckUsageError,
        match=r"keras\.layers\.Dense cannot be built on input shape \(4, 5\): .*"
        r"expected axis -1 of input shape to have value 7",
    ):
        checks.check_layer(StudentDense(3), reference, (4, 5))


# ----------------------------------------------------------------------- mismatch reports


def test_describe_mismatch_reports_first_difference():
    expected = np.arange(6, dtype="float32").reshape(2, 3)  # [[0, 1, 2], [3, 4, 5]]
    got = expected.copy()
    got[1, 0] = 3.5  # first difference in row-major order
    got[1, 2] = -2.0  # largest difference: |-2 - 5| = 7
    report = describe_mismatch(got, expected, rtol=1e-4, atol=1e-5)
    lines = report.splitlines()
    assert lines[0] == "  first mismatch at index (1, 0): got 3.5, expected 3"
    assert lines[1] == (
        "  2 of 6 values differ; max abs error 7 (tolerance: |got - expected| <= 1e-05 + "
        "0.0001 * |expected|)"
    )
    assert len(lines) == 2


def test_describe_mismatch_ignores_differences_within_tolerance():
    expected = np.array([1.0, 2.0, 3.0])
    got = np.array([1.0 + 1e-7, 2.5, 3.0])
    report = describe_mismatch(got, expected, rtol=1e-4, atol=1e-5)
    assert "first mismatch at index (1,): got 2.5, expected 2" in report
    assert "1 of 3 values differ; max abs error 0.5" in report


def test_describe_mismatch_reports_nan():
    expected = np.ones((2, 2))
    got = expected.copy()
    got[0, 1] = np.nan
    got[1, 1] = 4.0
    report = describe_mismatch(got, expected, rtol=1e-4, atol=1e-5)
    lines = report.splitlines()
    assert lines[0] == "  got NaN at index (0, 1) (1 NaN values in all); expected 1"
    assert lines[1] == "  first mismatch at index (0, 1): got nan, expected 1"
    assert "2 of 4 values differ; max abs error 3 " in lines[2]
