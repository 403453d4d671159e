"""The function check (checks/functions.py): Keras functions against themselves, faulty
variants named, shortcuts refused, the grading round trip.

Runs on the tensorflow and jax backends (KERAS_BACKEND). The student functions below
are written with keras.ops only; each faulty one makes one classic mistake, and the
checker must name it.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops

from kcourse import checks, evidence
from kcourse.checks import functions
from kcourse.grading import static

SHAPE = (4, 5)  # one shape for most probes: on JAX every new shape compiles every op again


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


# ------------------------------------------------------------ built-ins against themselves

BUILTINS = [
    (keras.activations.relu, (SHAPE,), {}, {"extreme": True, "dtypes": ("float32", "float16")}),
    (keras.activations.leaky_relu, (SHAPE,), {}, {"extreme": True}),
    (keras.activations.leaky_relu, (SHAPE,), {"negative_slope": 0.1}, {}),
    (keras.activations.elu, (SHAPE,), {}, {"extreme": True, "dtypes": ("float32", "float16")}),
    (keras.activations.elu, (SHAPE,), {"alpha": 0.5}, {}),
    (keras.activations.sigmoid, (SHAPE,), {}, {"extreme": True}),
    (keras.activations.tanh, (SHAPE,), {}, {"extreme": True, "dtypes": ("float32", "float16")}),
    (keras.activations.gelu, (SHAPE,), {}, {"extreme": True}),
    (keras.activations.gelu, (SHAPE,), {"approximate": True}, {}),
    (keras.ops.gelu, (SHAPE,), {}, {}),
    (keras.activations.softmax, (SHAPE,), {}, {"extreme": True, "dtypes": ("float32", "float16")}),
    (keras.activations.softmax, (SHAPE,), {"axis": 0}, {"extreme": True}),
    (keras.ops.softmax, ((2, 3, 4),), {"axis": 1}, {"extreme": True}),
    (keras.ops.relu, ([[-2.0, -0.5, 0.5, 3.0]],), {}, {}),
    (keras.ops.conv, ((2, 6, 6, 3), (3, 3, 3, 4)), {}, {}),
    (keras.ops.conv, ((2, 7, 7, 3), (3, 3, 3, 4)), {"strides": 2, "padding": "same"},
     {"dtypes": ("float32", "float16")}),
    (keras.ops.conv, ((1, 5, 6, 2), (2, 3, 2, 3)), {"strides": (1, 2), "padding": "valid"},
     {"extreme": True}),
    (keras.ops.conv, ((1, 7, 7, 1), (3, 3, 1, 2)), {"dilation_rate": 2}, {}),
]


@pytest.mark.parametrize(("fn", "inputs", "kwargs", "options"), BUILTINS,
                         ids=[f"{i}-{fn.__name__}" for i, (fn, *_) in enumerate(BUILTINS)])
def test_builtin_function_passes_against_itself(fn, inputs, kwargs, options):
    verified = checks.compare_functions(fn, fn, inputs, kwargs=kwargs, check_shortcuts=False,
                                        **options)
    assert verified[0].startswith("output ")
    assert any(v.startswith("gradients w.r.t.") for v in verified)
    if options.get("extreme"):
        assert verified[-1].startswith("extreme inputs")


def test_the_case_names_the_function_and_is_json_safe():
    case = functions.function_case(keras.ops.softmax, ((2, 3),), kwargs={"axis": 0})
    assert case["function"] == "keras.ops.softmax"
    assert json.loads(json.dumps(case)) == case
    assert functions.function_case(keras.activations.relu, (SHAPE,))["function"] \
        == "keras.activations.relu"
    assert functions.function_case("keras.ops.conv", ((1, 4, 4, 1), (2, 2, 1, 1)))[
        "inputs"] == [{"shape": [1, 4, 4, 1]}, {"shape": [2, 2, 1, 1]}]
    explicit = functions.function_case(keras.ops.relu, (np.array([[1.0, -2.0]]),))
    assert explicit["inputs"] == [{"values": [[1.0, -2.0]], "dtype": "float32"}]


# ----------------------------------------------------------------- student functions


def relu(x):
    return ops.maximum(x, 0.0)


def leaky_relu(x, negative_slope=0.2):
    return ops.where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    return ops.where(x > 0, x, alpha * ops.expm1(ops.minimum(x, 0.0)))


def sigmoid(x):
    z = ops.exp(-ops.abs(x))
    return ops.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x):
    return 2.0 * sigmoid(2.0 * x) - 1.0


def gelu(x, approximate=False):
    if approximate:
        return 0.5 * x * (1.0 + ops.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2.0)))


def softmax(x, axis=-1):
    e = ops.exp(x - ops.max(x, axis=axis, keepdims=True))
    return e / ops.sum(e, axis=axis, keepdims=True)


def naive_conv(inputs, kernel, strides=1, padding="valid"):
    """Valid cross-correlation by loops over the kernel (a 03-style solution), NHWC."""
    kh, kw = kernel.shape[0], kernel.shape[1]
    h, w = inputs.shape[1], inputs.shape[2]
    rows, cols = (h - kh) // strides + 1, (w - kw) // strides + 1
    out = 0.0
    for u in range(kh):
        for v in range(kw):
            patch = inputs[:, u:u + (rows - 1) * strides + 1:strides,
                           v:v + (cols - 1) * strides + 1:strides, :]
            out = out + ops.einsum("bhwc,cf->bhwf", patch, kernel[u, v])
    return out


GOOD = [
    (relu, keras.activations.relu, {}),
    (leaky_relu, keras.activations.leaky_relu, {"negative_slope": 0.3}),
    (elu, keras.activations.elu, {"alpha": 0.5}),
    (sigmoid, keras.activations.sigmoid, {}),
    (tanh, keras.activations.tanh, {}),
    (gelu, keras.activations.gelu, {}),
    (gelu, keras.activations.gelu, {"approximate": True}),
    (softmax, keras.activations.softmax, {}),
    (softmax, keras.activations.softmax, {"axis": 0}),
]


@pytest.mark.parametrize(("student", "reference", "kwargs"), GOOD,
                         ids=[f"{i}-{s.__name__}" for i, (s, *_) in enumerate(GOOD)])
def test_correct_functions_pass_on_extreme_inputs_and_float16(student, reference, kwargs):
    verified = checks.compare_functions(student, reference, (SHAPE,), kwargs=kwargs,
                                        extreme=True, dtypes=("float32", "float16"))
    assert "float16 (4, 5)" in verified[0]


def test_a_loop_convolution_passes_against_keras_ops_conv():
    checks.compare_functions(naive_conv, keras.ops.conv, ((2, 7, 7, 3), (3, 3, 3, 4)),
                             kwargs={"strides": 2})


def test_check_function_prints_one_line(capsys):
    checks.check_function(softmax, keras.activations.softmax, (SHAPE,), kwargs={"axis": 0})
    out = capsys.readouterr().out.strip()
    assert out.startswith("\u2714 softmax matches keras.activations.softmax(axis=0)")
    assert "\n" not in out


# --------------------------------------------------------------------- faulty variants


def unshifted_softmax(x, axis=-1):
    e = ops.exp(x)
    return e / ops.sum(e, axis=axis, keepdims=True)


def global_max_softmax(x, axis=-1):
    e = ops.exp(x - ops.max(x))
    return e / ops.sum(e, axis=axis, keepdims=True)


def last_axis_softmax(x, axis=-1):
    return softmax(x, axis=-1)


def slope_on_positive_side(x, negative_slope=0.2):
    return ops.where(x > 0, negative_slope * x, x)


def leaky_with_layer_default(x, negative_slope=0.2):
    return ops.where(x > 0, x, 0.3 * x)


def elu_without_exp_branch(x, alpha=1.0):
    return ops.maximum(x, 0.0)


def elu_without_minus_one(x, alpha=1.0):
    return ops.where(x > 0, x, alpha * ops.exp(ops.minimum(x, 0.0)))


def elu_unsafe_where(x, alpha=1.0):
    return ops.where(x > 0, x, alpha * (ops.exp(x) - 1.0))


def gelu_always_approximate(x, approximate=False):
    return gelu(x, approximate=True)


def gelu_always_exact(x, approximate=False):
    return gelu(x, approximate=False)


def naive_tanh(x):
    return (ops.exp(x) - ops.exp(-x)) / (ops.exp(x) + ops.exp(-x))


def tanh_forgot_two(x):
    return 2.0 * sigmoid(x) - 1.0


def sigmoid_wrong_sign(x):
    return 1.0 / (1.0 + ops.exp(x))


def naive_sigmoid(x):
    return 1.0 / (1.0 + ops.exp(-x))


def relu_wrong_side(x):
    return ops.minimum(x, 0.0)


def float32_softmax(x, axis=-1):
    return softmax(ops.cast(x, "float32"), axis=axis)


def transposed_softmax(x, axis=-1):
    return ops.transpose(softmax(x, axis=axis))


def numpy_relu(x):
    return ops.convert_to_tensor(np.maximum(ops.convert_to_numpy(x), 0.0))


FAULTY = [
    (unshifted_softmax, keras.activations.softmax, {}, {"extreme": True},
     r"without the max shift"),
    (global_max_softmax, keras.activations.softmax, {}, {"extreme": True},
     r"whole tensor, not along the axis"),
    (last_axis_softmax, keras.activations.softmax, {"axis": 0}, {}, r"over axis 1, not over"),
    (slope_on_positive_side, keras.activations.leaky_relu, {}, {}, r"on the positive side"),
    (leaky_with_layer_default, keras.activations.leaky_relu, {}, {},
     r"slope used is 0.3, not negative_slope=0.2"),
    (elu_without_exp_branch, keras.activations.elu, {}, {},
     r"alpha \* \(exp\(x\) - 1\) is missing"),
    (elu_without_minus_one, keras.activations.elu, {}, {}, r"'- 1' is missing"),
    (elu_unsafe_where, keras.activations.elu, {}, {"extreme": True},
     r"gradient .* is NaN.*both branches are differentiated"),
    (gelu_always_approximate, keras.activations.gelu, {}, {},
     r"tanh approximation was used where the exact form is asked"),
    (gelu_always_exact, keras.activations.gelu, {"approximate": True}, {},
     r"exact form .* was used, but approximate=True"),
    (naive_tanh, keras.activations.tanh, {}, {"extreme": True},
     r"(?s)is NaN.*Likely mistake.*overflows"),
    (tanh_forgot_two, keras.activations.tanh, {}, {}, r"2 \* sigmoid\(x\) - 1 is tanh\(x / 2\)"),
    (sigmoid_wrong_sign, keras.activations.sigmoid, {}, {}, r"sign of the exponent"),
    (naive_sigmoid, keras.activations.sigmoid, {}, {"extreme": True},
     r"gradient .* is NaN .*backward pass"),
    (relu_wrong_side, keras.activations.relu, {}, {}, r"positive inputs were zeroed"),
    (float32_softmax, keras.activations.softmax, {}, {"dtypes": ("float16",)},
     r"dtype float32, expected float16"),
    (transposed_softmax, keras.activations.softmax, {}, {}, r"shape \(5, 4\), expected \(4, 5\)"),
    (numpy_relu, keras.activations.relu, {}, {}, r"gradient|keras\.ops"),
]


@pytest.mark.parametrize(("student", "reference", "kwargs", "options", "names"), FAULTY,
                         ids=[s.__name__ for s, *_ in FAULTY])
def test_faulty_function_fails_naming_its_mistake(student, reference, kwargs, options, names):
    with pytest.raises(checks.CheckFailure, match=names):
        checks.compare_functions(student, reference, (SHAPE,), kwargs=kwargs, **options)


def test_a_student_error_points_at_the_student_line():
    def broken(x):
        return ops.exp(x) + undefined_name  # noqa: F821

    with pytest.raises(checks.CheckFailure, match=r"NameError.*in broken, line \d+"):
        checks.compare_functions(broken, keras.activations.relu, (SHAPE,))


def test_a_placeholder_says_to_replace_it():
    def placeholder(x):
        raise NotImplementedError()

    with pytest.raises(checks.CheckFailure, match=r"replace `raise NotImplementedError\(\)`"):
        checks.compare_functions(placeholder, keras.activations.relu, (SHAPE,))


# ------------------------------------------------------------------------- shortcuts


ALIAS = keras.ops.softmax


def _hidden_helper(x, axis):
    return ALIAS(x, axis=axis)


def softmax_through_helper(x, axis=-1):
    return _hidden_helper(x, axis)


def softmax_by_getattr(x, axis=-1):
    return getattr(keras.ops, "soft" + "max")(x, axis=axis)


def relu_direct(x):
    return keras.activations.relu(x)


def elu_through_celu(x, alpha=1.0):
    return keras.ops.celu(x, alpha=alpha)


def sigmoid_through_builtin_layer(x):
    return keras.layers.Activation("sigmoid")(x)


SHORTCUTS = [
    (softmax_through_helper, keras.activations.softmax, r"uses keras\.ops\.softmax"),
    (softmax_by_getattr, keras.activations.softmax, r"keras\.ops\.softmax.*forbids"),
    (relu_direct, keras.activations.relu, r"keras\.activations\.relu.*forbids"),
    (elu_through_celu, keras.activations.elu, r"keras\.ops\.celu"),
    (sigmoid_through_builtin_layer, keras.activations.sigmoid, r"keras\.layers\.Activation"),
    (keras.ops.relu, keras.activations.relu, r"is keras\.ops\.relu itself"),
    (keras.layers.ReLU(), keras.activations.relu, r"keras\.layers\.ReLU itself"),
]


@pytest.mark.parametrize(("student", "reference", "names"), SHORTCUTS,
                         ids=[f"{i}" for i in range(len(SHORTCUTS))])
def test_shortcuts_are_refused_in_the_kernel(student, reference, names):
    with pytest.raises(checks.CheckFailure, match=names):
        checks.compare_functions(student, reference, (SHAPE,))


def test_default_forbidden_names_cover_the_equivalents():
    forbidden = functions.default_forbidden("keras.activations.softmax")
    for name in ("keras.activations.softmax", "keras.ops.softmax", "keras.ops.nn.softmax",
                 "tf.nn.softmax", "jax.nn.softmax", "keras.layers.Softmax",
                 "keras.layers.Activation", "keras.ops.log_softmax", "keras.src"):
        assert name in forbidden, name
    conv = functions.default_forbidden("keras.ops.conv")
    for name in ("keras.ops.conv", "keras.layers.Conv2D", "tf.nn.conv2d",
                 "jax.lax.conv_general_dilated"):
        assert name in conv, name
    assert "jax.grad" in functions.default_forbidden("keras.activations.tanh", "derivative")
    extra = functions.function_case(keras.ops.conv, ((1, 4, 4, 1), (2, 2, 1, 1)),
                                    forbidden=["keras.ops.image.extract_patches"])
    assert "keras.ops.image.extract_patches" in extra["forbidden"]
    assert "keras.ops.conv" in extra["forbidden"]


def test_the_grader_static_scan_refuses_disguised_shortcuts():
    forbidden = functions.default_forbidden("keras.activations.tanh")
    for source in ("import tensorflow as tf\ndef tanh(x):\n    return tf.math.tanh(x)\n",
                   "from keras import ops as o\ndef tanh(x):\n    return o.tanh(x)\n",
                   "import jax.numpy as jnp\ndef tanh(x):\n    return jnp.tanh(x)\n",
                   "import keras\nt = keras.activations.tanh\n"):
        assert static.scan(source, forbidden), source
    assert not static.scan("import keras\ndef tanh(x):\n    return 2 * keras.ops.sigmoid(2 * x)"
                           " - 1\n", forbidden)


# ---------------------------------------------------------------------- derivatives


def d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def d_tanh(x):
    return 1.0 - tanh(x) ** 2


def d_elu(x, alpha=1.0):
    return ops.where(x > 0, ops.ones_like(x), alpha * ops.exp(ops.minimum(x, 0.0)))


def d_gelu(x, approximate=False):
    cdf = 0.5 * (1.0 + ops.erf(x / math.sqrt(2.0)))
    return cdf + x * ops.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def d_tanh_without_square(x):
    return 1.0 - tanh(x)


def d_gelu_product_rule_forgotten(x, approximate=False):
    return 0.5 * (1.0 + ops.erf(x / math.sqrt(2.0)))


def d_sigmoid_by_autodiff(x):
    import jax

    return jax.grad(lambda v: ops.sum(sigmoid(v)))(x)


@pytest.mark.parametrize(("student", "reference", "kwargs"), [
    (d_sigmoid, keras.activations.sigmoid, {}), (d_tanh, keras.activations.tanh, {}),
    (d_elu, keras.activations.elu, {"alpha": 0.5}), (d_gelu, keras.activations.gelu, {}),
], ids=["sigmoid", "tanh", "elu", "gelu"])
def test_analytic_derivatives_match_autodiff(student, reference, kwargs):
    verified = checks.compare_functions(student, reference, SHAPE, kwargs=kwargs,
                                        derivative=True, extreme=True)
    assert verified[0].startswith("derivative ")


@pytest.mark.parametrize(("student", "reference", "names"), [
    (d_tanh_without_square, keras.activations.tanh, r"missing the square"),
    (d_gelu_product_rule_forgotten, keras.activations.gelu, r"product rule"),
    (sigmoid, keras.activations.sigmoid, r"sigmoid itself, not its derivative"),
    (d_sigmoid_by_autodiff, keras.activations.sigmoid, r"jax\.grad"),
], ids=["tanh", "gelu", "itself", "autodiff"])
def test_faulty_derivatives_are_named(student, reference, names):
    with pytest.raises(checks.CheckFailure, match=names):
        checks.compare_functions(student, reference, SHAPE, derivative=True)


# ------------------------------------------------------------------------- grading


def test_the_judge_works_on_recorded_evidence_with_another_seed():
    case = functions.function_case(keras.activations.softmax, (SHAPE,), kwargs={"axis": 0},
                                   extreme=True, label="your softmax")
    recorded_case = json.loads(json.dumps(evidence.to_json(case)))
    payload = functions.collect_function(case, 1234, softmax)
    recorded = evidence.from_json(json.loads(json.dumps(evidence.to_json(payload))))
    verified = checks.judge_case("function", recorded_case, recorded, 1234)
    assert verified[-1].startswith("extreme inputs")
    with pytest.raises(checks.CheckFailure):
        checks.judge_case("function", recorded_case, recorded, 99)  # other inputs
    bad = functions.collect_function(case, 1234, unshifted_softmax)
    with pytest.raises(checks.CheckFailure, match="without the max shift"):
        checks.judge_case("function", recorded_case, bad, 1234)


# ---------------------------------------------------------------------------- usage


def test_usage_errors_name_the_bad_argument():
    with pytest.raises(checks.CheckUsageError, match="public Keras function"):
        checks.check_function(relu, lambda x: x, (SHAPE,))
    with pytest.raises(checks.CheckUsageError, match="JSON-safe"):
        checks.check_function(relu, keras.activations.relu, (SHAPE,), kwargs={"f": object()})
    with pytest.raises(checks.CheckUsageError, match="dtypes"):
        checks.check_function(relu, keras.activations.relu, (SHAPE,), dtypes=("int8",))
    with pytest.raises(checks.CheckUsageError, match="one item per positional argument"):
        checks.check_function(relu, keras.activations.relu, SHAPE)
    with pytest.raises(checks.CheckUsageError, match="not the class"):
        checks.check_function(keras.layers.ReLU, keras.activations.relu, (SHAPE,))
    with pytest.raises(checks.CheckUsageError, match="elementwise"):
        checks.check_derivative(d_sigmoid, keras.ops.sum, SHAPE)


class SigmoidThroughBuiltin(keras.layers.Layer):
    def call(self, inputs):
        return keras.activations.sigmoid(inputs)


class SoftmaxThroughHelper(keras.layers.Layer):
    def call(self, inputs):
        return softmax_through_helper(inputs)


@pytest.mark.parametrize(("layer", "reference", "names"), [
    (SigmoidThroughBuiltin, lambda: keras.layers.Activation("sigmoid"),
     r"uses keras\.activations\.sigmoid"),
    (SoftmaxThroughHelper, keras.layers.Softmax, r"uses keras\.ops\.softmax"),
], ids=["sigmoid", "softmax"])
def test_a_layer_calling_a_forbidden_function_is_refused(layer, reference, names):
    with pytest.raises(checks.CheckFailure, match=names):
        checks.compare_layers(layer(), reference(), (4, 5))


def test_keras_calling_a_forbidden_function_for_a_legitimate_op_is_not_a_use():
    def tanh_from_sigmoid(x):
        return 2.0 * keras.ops.sigmoid(2.0 * x) - 1.0  # keras.ops.sigmoid calls tf/jax ops

    checks.compare_functions(tanh_from_sigmoid, keras.activations.tanh, (SHAPE,),
                             forbidden=["tf.nn.sigmoid", "tf.math.sigmoid", "jax.nn.sigmoid"])



KERAS_ELSEWHERE = r"""
import keras
from kcourse import checks
assert "site-packages" not in keras.__file__, keras.__file__

def softmax_through_helper(x, axis=-1):
    return keras.ops.softmax(x, axis=axis)

try:
    checks.compare_functions(softmax_through_helper, keras.activations.softmax, ((2, 5),))
except checks.CheckFailure as failure:
    print(failure)
"""


@pytest.mark.slow
def test_keras_installed_outside_site_packages_is_not_the_students_code(tmp_path):
    """Keras imported from a folder on PYTHONPATH (as `pip --target` installs it on the GPU
    machine) is a library, not the student's code.

    Found on that machine: paths holding neither "site-packages" nor "/lib/python3" counted
    as the student's, so Keras' own call of jax.nn.softmax was blamed on the student, not
    the keras.ops.softmax they wrote (and any forbidden function Keras calls inside an
    allowed op would have been). Here Keras is reached through a link in tmp_path.
    """
    import keras as keras_module

    (tmp_path / "keras").symlink_to(os.path.dirname(keras_module.__file__))
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(checks.__file__))))
    path = [str(tmp_path), src, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", KERAS_ELSEWHERE], capture_output=True,
                          text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"uses keras\.ops\.softmax, which this exercise forbids", done.stdout), (
        done.stdout + done.stderr[-2000:])
