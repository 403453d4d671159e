"""Convolution (notebook 03): the built-ins against themselves, and named mistakes.

Runs on the tensorflow and jax backends (KERAS_BACKEND). Every configuration the
notebook grades passes when Keras is compared with itself (the layer check and the
function check). `student_conv` below is a keras.ops convolution written like a
student's (a sum over kernel offsets of strided slices) with one classic mistake
switched on at a time; the checker must name each, through the layer check
(checks/mistakes/conv.py, `suspects`) and the function check (`function_suspects`).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kcourse import checks
from kcourse.checks.mistakes import conv as conv_mistakes


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


# ------------------------------------------------------- what the notebook grades, on Keras

#: (Conv2D arguments, input shape) of every check_layer call in 03_convolution.
LAYER_CASES = [
    ({"filters": 4, "kernel_size": 3, "activation": "relu"}, (2, 6, 6, 3)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 6, 6, 2)),
    ({"filters": 3, "kernel_size": (2, 3), "padding": "same"}, (2, 5, 6, 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "activation": "tanh"}, (2, 7, 8, 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
     (1, 7, 6, 3)),
    ({"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 7, 7, 2)),
    ({"filters": 2, "kernel_size": (3, 2), "dilation_rate": (2, 1), "use_bias": False},
     (1, 8, 6, 3)),
    ({"filters": 5, "kernel_size": 1, "activation": "sigmoid"}, (3, 4, 4, 3)),
    ({"filters": 2, "kernel_size": 4, "strides": (1, 2), "padding": "same"}, (2, 5, 8, 1)),
]

#: (x shape, kernel shape, kwargs) of every check_function call in 03_convolution.
FUNCTION_CASES = [
    ((1, 5, 5, 1), (3, 3, 1, 1), {}),
    ((2, 6, 5, 3), (3, 3, 3, 2), {"strides": 2, "padding": "same"}),
    ((2, 4, 4, 1), (2, 2, 1, 1), {"padding": "same"}),
    ((1, 7, 6, 2), (3, 2, 2, 3), {}),
    ((2, 6, 7, 2), (2, 3, 2, 2), {"padding": "same"}),
    ((1, 8, 8, 1), (3, 3, 1, 2), {"strides": 2}),
    ((2, 7, 6, 3), (3, 3, 3, 1), {"strides": (1, 2), "padding": "same"}),
    ((1, 5, 9, 2), (1, 4, 2, 2), {"strides": (2, 3), "padding": "same"}),
    ((1, 3, 3, 1), (3, 3, 1, 1), {}),
    ((2, 6, 6, 2), (3, 3, 2, 4), {"padding": "same"}),
    ((1, 7, 8, 3), (3, 3, 3, 2), {"strides": 2}),
    ((1, 7, 7, 1), (3, 3, 1, 2), {"dilation_rate": 2}),
    ((2, 6, 6, 3), (3, 3, 3, 2), {"strides": 2, "padding": "same"}),
    ((1, 5, 8, 2), (2, 3, 2, 3), {"padding": "same"}),
    ((2, 9, 7, 2), (3, 2, 2, 2), {"strides": (2, 1)}),
    ((1, 8, 8, 2), (3, 3, 2, 2), {"dilation_rate": 2, "padding": "same"}),
    ((2, 9, 6, 1), (2, 3, 1, 2), {"dilation_rate": (3, 1), "padding": "same"}),
    ((1, 4, 4, 2), (4, 4, 2, 1), {}),
]


@pytest.mark.parametrize(("arguments", "shape"), LAYER_CASES,
                         ids=[str(i) for i in range(len(LAYER_CASES))])
def test_builtin_conv2d_passes_against_itself(arguments, shape):
    verified = checks.compare_layers(keras.layers.Conv2D(**arguments),
                                     keras.layers.Conv2D(**arguments), shape,
                                     builtin_forbidden=False, config_keys=tuple(arguments))
    assert "compute_output_shape" not in verified  # Keras' own rule: nothing to check
    assert any(v.startswith("output ") for v in verified)


def test_builtin_conv2d_meets_the_contract_the_notebook_grades():
    arguments = {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                 "activation": "relu"}
    verified = checks.compare_layers(keras.layers.Conv2D(**arguments),
                                     keras.layers.Conv2D(**arguments), (2, 6, 6, 2),
                                     builtin_forbidden=False, contract=True)
    assert verified[-1].startswith("layer contract")


@pytest.mark.parametrize(("x_shape", "k_shape", "kwargs"), FUNCTION_CASES,
                         ids=[str(i) for i in range(len(FUNCTION_CASES))])
def test_keras_ops_conv_passes_against_itself(x_shape, k_shape, kwargs):
    verified = checks.compare_functions(keras.ops.conv, keras.ops.conv, (x_shape, k_shape),
                                        kwargs=kwargs, check_shortcuts=False)
    assert verified[0].startswith("output float32")


@pytest.mark.parametrize(("x_shape", "k_shape", "kwargs"), FUNCTION_CASES,
                         ids=[str(i) for i in range(len(FUNCTION_CASES))])
def test_the_correct_student_conv_passes(x_shape, k_shape, kwargs):
    checks.compare_functions(student_conv, keras.ops.conv, (x_shape, k_shape), kwargs=kwargs)


def test_keras_geometry_is_keras_own():
    for n in range(1, 10):
        for k in (1, 2, 3, 4):
            for s in (1, 2, 3):
                for padding in ("valid", "same"):
                    if padding == "valid" and k > n:
                        continue
                    layer = keras.layers.Conv1D(1, k, strides=s, padding=padding)
                    expected = layer.compute_output_shape((1, n, 1))[1]
                    assert conv_mistakes.keras_geometry(n, k, s, 1, padding)[0] == expected


def test_no_variant_explains_keras_own_output():
    """A suspect equal to Keras' result would name a mistake on a correct answer."""
    rng = np.random.default_rng(0)
    for x_shape, k_shape, kwargs in FUNCTION_CASES:
        x = rng.standard_normal(x_shape).astype("float32")
        kernel = rng.standard_normal(k_shape).astype("float32")
        expected = keras.ops.convert_to_numpy(keras.ops.conv(x, kernel, **kwargs))
        for suspect in conv_mistakes.function_suspects(kwargs):
            try:
                alternative = suspect.alternative(x, kernel)
            except conv_mistakes.NotApplicable:
                continue
            assert alternative.shape != expected.shape or not np.allclose(
                alternative, expected, 1e-4, 1e-4), (suspect.explanation, x_shape, kwargs)


# --------------------------------------------------------------- a student's convolution


def _pads(n, k, s, d, padding, mistake):
    effective = (k - 1) * d + 1
    if padding == "valid":
        if mistake == "valid_padded":
            return _pads(n, k, s, d, "same", None)
        return 0, 0
    out = n // s if mistake == "floor_same" else -(-n // s)
    total = max((out - 1) * s + effective - n, 0)
    if mistake == "top_left":
        return total - total // 2, total // 2
    if mistake == "stride1_padding":
        return (effective - 1) // 2, effective - 1 - (effective - 1) // 2
    if mistake == "symmetric_half_kernel":
        return effective // 2, effective // 2
    if mistake == "symmetric_dropped":
        return total // 2, total // 2
    if mistake == "same_ignored":
        return 0, 0
    return total // 2, total - total // 2


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def student_conv(x, kernel, strides=1, padding="valid", dilation_rate=1, mistake=None):
    """A sum over kernel offsets of strided slices times kernel[u, v], one mistake at a time."""
    strides, dilation = _pair(strides), _pair(dilation_rate)
    if mistake == "strides_ignored":
        strides = (1, 1)
    if mistake == "dilation_ignored":
        dilation = (1, 1)
    if mistake == "flipped":
        kernel = kernel[::-1, ::-1]
    if mistake == "swapped":
        kernel = keras.ops.transpose(kernel, (1, 0, 2, 3))
    kh, kw, cin, filters = kernel.shape
    pads = [_pads(n, k, s, d, padding, mistake)
            for n, k, s, d in zip(x.shape[1:3], (kh, kw), strides, dilation, strict=True)]
    x = keras.ops.pad(x, [(0, 0), *pads, (0, 0)])
    (sh, sw), (dh, dw) = strides, dilation
    out_h = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
    out_w = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    if mistake == "short_by_one":
        out_h, out_w = out_h - 1, out_w - 1
    if mistake == "stride_not_in_index":  # the right output size, windows 1 apart
        sh, sw = 1, 1
    slices = [x[:, u * dh:u * dh + (out_h - 1) * sh + 1:sh, v * dw:v * dw + (out_w - 1) * sw + 1:sw]
              for u in range(kh) for v in range(kw)]
    if mistake == "patch_order":  # patches (c, u, v), kernel rows (u, v, c)
        patches = keras.ops.reshape(keras.ops.stack(slices, axis=-1),
                                    (-1, out_h, out_w, kh * kw * cin))
        return keras.ops.matmul(patches, keras.ops.reshape(kernel, (kh * kw * cin, filters)))
    out = 0.0
    for index, piece in enumerate(slices):
        out = out + keras.ops.matmul(piece, kernel[index // kw, index % kw])
    return out


class StudentConv2D(keras.layers.Layer):
    """Conv2D on student_conv, with one mistake (of the convolution, bias or activation)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), activation=None, use_bias=True, mistake=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, _pair(kernel_size)
        self.strides, self.padding = _pair(strides), padding
        self.dilation_rate = _pair(dilation_rate)
        self.activation = keras.activations.get(activation)
        self.use_bias, self.mistake = use_bias, mistake

    def build(self, input_shape):
        shape = (*self.kernel_size, input_shape[-1], self.filters)
        if self.mistake == "pytorch_layout":
            shape = (self.filters, input_shape[-1], *self.kernel_size)
        self.kernel = self.add_weight(shape=shape, initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = student_conv(inputs, self.kernel, self.strides, self.padding, self.dilation_rate,
                         self.mistake)
        if self.mistake == "activation_before_bias":
            return self.activation(z) + self.bias
        if self.use_bias and self.mistake != "no_bias":
            z = z + self.bias
        return z if self.mistake == "no_activation" else self.activation(z)

    def compute_output_shape(self, input_shape):
        sizes = [conv_mistakes.keras_geometry(n, k, s, d, self.padding)[0] for n, k, s, d in
                 zip(input_shape[1:3], self.kernel_size, self.strides, self.dilation_rate,
                     strict=True)]
        return (input_shape[0], *sizes, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, dilation_rate=self.dilation_rate,
                      activation=keras.activations.serialize(self.activation),
                      use_bias=self.use_bias, mistake=self.mistake)
        return config


@pytest.mark.parametrize(("arguments", "shape"), LAYER_CASES,
                         ids=[str(i) for i in range(len(LAYER_CASES))])
def test_the_correct_student_layer_passes(arguments, shape):
    checks.compare_layers(StudentConv2D(**arguments), keras.layers.Conv2D(**arguments), shape,
                          config_keys=tuple(arguments))


SHIFTED = r"more zeros before \(top/left\) the input than Keras puts there"

#: (mistake, Conv2D arguments, input shape, regex of the message naming it)
LAYER_MISTAKES = [
    ("flipped", {"filters": 2, "kernel_size": 3}, (2, 5, 5, 2),
     r"Likely mistake: the kernel is flipped: Keras' convolution layers compute a "
     r"cross-correlation"),
    ("top_left", {"filters": 3, "kernel_size": (2, 3), "padding": "same"}, (2, 5, 6, 2),
     r"extra padding row/column went on the top/left"),
    # n even, k = 3, s = 2: top/left, stride-1 and k // 2 padding give the same windows
    ("top_left", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 6, 6, 2), SHIFTED),
    ("stride1_padding", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 6, 6, 2), SHIFTED),
    ("symmetric_half_kernel", {"filters": 2, "kernel_size": 3, "strides": 2,
                               "padding": "same"}, (2, 6, 6, 2), SHIFTED),
    ("symmetric_half_kernel", {"filters": 2, "kernel_size": 4, "padding": "same"},
     (2, 5, 5, 1), r"padded k // 2 on both sides"),
    ("symmetric_dropped", {"filters": 2, "kernel_size": 4, "padding": "same"}, (2, 5, 5, 1),
     r"odd padding row/column was dropped"),
    ("patch_order", {"filters": 2, "kernel_size": 3}, (2, 5, 5, 3),
     r"patches' columns and the reshaped kernel's rows are in different orders"),
    ("swapped", {"filters": 2, "kernel_size": 3}, (2, 5, 5, 2),
     r"kernel's two spatial axes are swapped"),
    ("dilation_ignored", {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                          "padding": "same"}, (2, 7, 7, 2), r"dilation_rate was ignored"),
    ("dilation_ignored", {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (2, 7, 7, 2),
     r"dilation_rate was ignored"),
    ("strides_ignored", {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 7, 8, 2),
     r"strides were ignored"),
    ("stride_not_in_index", {"filters": 2, "kernel_size": 3, "strides": (1, 2),
                             "padding": "same"}, (2, 5, 8, 1),
     r"windows do not move by the stride"),
    ("strides_ignored", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (1, 7, 6, 3), r"strides were ignored"),
    ("same_ignored", {"filters": 2, "kernel_size": 3, "padding": "same"}, (2, 6, 6, 2),
     r"padding='same' was ignored"),
    ("valid_padded", {"filters": 2, "kernel_size": 3}, (2, 6, 6, 2),
     r"padded although padding='valid'"),
    ("short_by_one", {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 7, 8, 2),
     r"output size is one too small"),
    ("floor_same", {"filters": 2, "kernel_size": 5, "strides": 2, "padding": "same"},
     (1, 7, 7, 2), r"ceil\(n / s\), not floor\(n / s\)"),
    # floor(7 / 2) = 3 windows of 3 fit without padding: the same output as no padding at all
    ("floor_same", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (1, 7, 7, 2), r"padding='same' was ignored .* \(not floor\(n / s\)"),
    ("no_bias", {"filters": 2, "kernel_size": 3}, (2, 5, 5, 2),
     r"the bias \(one per filter\) was not added"),
    ("no_activation", {"filters": 2, "kernel_size": 3, "activation": "relu"}, (2, 5, 5, 2),
     r"activation 'relu' was not applied"),
    ("activation_before_bias", {"filters": 2, "kernel_size": 3, "activation": "tanh"},
     (2, 5, 5, 2), r"activation was applied before the bias"),
    ("pytorch_layout", {"filters": 4, "kernel_size": 3}, (1, 5, 5, 2),
     r"make it \(kernel_height, kernel_width, input_shape\[-1\], filters\), Keras' layout "
     r"\(not \(filters, in_channels, kernel_height, kernel_width\) as in PyTorch\)"),
]


@pytest.mark.parametrize(("mistake", "arguments", "shape", "match"), LAYER_MISTAKES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(LAYER_MISTAKES)])
def test_layer_mistake_is_named(mistake, arguments, shape, match):
    with pytest.raises(checks.CheckFailure, match=match):
        checks.compare_layers(StudentConv2D(mistake=mistake, **arguments),
                              keras.layers.Conv2D(**arguments), shape)


#: (mistake, x shape, kernel shape, kwargs, regex): each named by the function check,
#: those that change the output shape too (the shape check asks the suspects).
FUNCTION_MISTAKES = [
    ("flipped", (1, 5, 5, 2), (3, 3, 2, 2), {}, r"the kernel is flipped"),
    ("top_left", (2, 4, 4, 1), (2, 2, 1, 1), {"padding": "same"},
     r"extra padding row/column went on the top/left"),
    ("top_left", (2, 6, 5, 3), (3, 3, 3, 2), {"strides": 2, "padding": "same"},
     r"extra padding row/column went on the top/left|" + SHIFTED),
    ("stride1_padding", (2, 6, 6, 3), (3, 3, 3, 2), {"strides": 2, "padding": "same"},
     SHIFTED),
    ("patch_order", (2, 6, 6, 2), (3, 3, 2, 4), {"padding": "same"},
     r"patches' columns and the reshaped kernel's rows"),
    ("swapped", (1, 5, 5, 2), (3, 3, 2, 2), {}, r"spatial axes are swapped"),
    ("dilation_ignored", (1, 8, 8, 2), (3, 3, 2, 2), {"dilation_rate": 2, "padding": "same"},
     r"dilation_rate was ignored"),
    ("strides_ignored", (1, 7, 8, 3), (3, 3, 3, 2), {"strides": 2}, r"strides were ignored"),
    ("stride_not_in_index", (1, 7, 8, 3), (3, 3, 3, 2), {"strides": 2},
     r"windows do not move by the stride"),
    ("short_by_one", (1, 7, 8, 3), (3, 3, 3, 2), {"strides": 2}, r"one too small"),
]


@pytest.mark.parametrize(("mistake", "x_shape", "k_shape", "kwargs", "match"),
                         FUNCTION_MISTAKES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(FUNCTION_MISTAKES)])
def test_function_mistake_is_named(mistake, x_shape, k_shape, kwargs, match):
    def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
        return student_conv(x, kernel, strides, padding, dilation_rate, mistake)

    with pytest.raises(checks.CheckFailure, match=match):
        checks.compare_functions(conv2d, keras.ops.conv, (x_shape, k_shape), kwargs=kwargs)


def test_conv1d_suspects_still_apply():
    """conv.py serves Conv1D too (rank 1: no swapped axes, the rest as for Conv2D)."""
    class FlippedConv1D(keras.layers.Layer):
        def __init__(self, filters, kernel_size, **kwargs):
            super().__init__(**kwargs)
            self.filters, self.kernel_size = filters, kernel_size

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(self.kernel_size, input_shape[-1],
                                                 self.filters), name="kernel")
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros",
                                        name="bias")

        def call(self, x):
            k = self.kernel_size
            n = x.shape[1] - k + 1
            out = self.bias
            for u in range(k):
                out = out + keras.ops.matmul(x[:, u:u + n], self.kernel[k - 1 - u])
            return out

        def get_config(self):
            return {**super().get_config(), "filters": self.filters,
                    "kernel_size": self.kernel_size}

    with pytest.raises(checks.CheckFailure, match=r"the kernel is flipped"):
        checks.compare_layers(FlippedConv1D(2, 3), keras.layers.Conv1D(2, 3), (2, 7, 2))


# ------------------------------------------------- disguised shortcuts, as the grader scans


#: name -> (source of a solution cell, the dotted name the grader must name). Each runs in
#: the kernel too (where the check refuses most of them at once); the grader refuses all.
DISGUISED = {
    "ops_conv_in_layer_call": (
        "class Conv2D(keras.layers.Layer):\n    def call(self, x):\n"
        "        return keras.ops.conv(x, self.kernel, self.strides, self.padding)\n",
        "keras.ops.conv"),
    "ops_nn_conv": ("from keras import ops\ny = ops.nn.conv(x, k)\n", "keras.ops.nn.conv"),
    "tensorflow_alias_at_module_level": (
        "import tensorflow as tf\nconv = tf.nn.conv2d\n\n"
        "def conv2d_naive(x, kernel, strides=1, padding='valid'):\n"
        "    return conv(x, kernel, strides, padding.upper())\n", "tf.nn.conv2d"),
    "tensorflow_from_import": ("from tensorflow.nn import conv2d as c\n", "tf.nn.conv2d"),
    "tf_keras_layer": ("import tensorflow as tf\nBase = tf.keras.layers.Conv2D\n",
                       "keras.layers.Conv2D"),
    "convolution2d_alias": ("class Conv2D(keras.layers.Convolution2D):\n    pass\n",
                            "keras.layers.Convolution2D"),
    "jax_lax_module_alias": ("import jax.lax as L\ny = L.conv_general_dilated(x, k, (1, 1), "
                             "'VALID')\n", "jax.lax.conv_general_dilated"),
    "jax_patches": ("from jax import lax\np = lax.conv_general_dilated_patches(x, (3, 3), "
                    "(1, 1), 'VALID')\n", "jax.lax.conv_general_dilated_patches"),
    "keras_extract_patches": ("from keras.ops import image\np = image.extract_patches(x, 3)\n",
                              "keras.ops.image.extract_patches"),
    "tf_extract_patches": ("import tensorflow as tf\np = tf.image.extract_patches(x, [1, 3, 3, "
                           "1], [1] * 4, [1] * 4, 'VALID')\n", "tf.image.extract_patches"),
    "scipy_signal_module": ("from scipy import signal\ny = signal.correlate2d(a, b)\n",
                            "scipy.signal.correlate2d"),
    "scipy_fft_convolution": ("import scipy.signal as ss\ny = ss.fftconvolve(a, b)\n",
                              "scipy.signal.fftconvolve"),
    "scipy_ndimage": ("from scipy.ndimage import correlate\ny = correlate(a, b)\n",
                      "scipy.ndimage.correlate"),
    "numpy_correlate": ("import numpy as np\ny = np.correlate(row, kernel_row, 'valid')\n",
                        "numpy.correlate"),
    "conv_transpose": ("y = keras.ops.conv_transpose(x, k[::-1, ::-1], 1)\n",
                       "keras.ops.conv_transpose"),
    "getattr_concatenated": ('op = getattr(keras.ops, "co" + "nv")\n', "keras.ops.conv"),
    "globals_literal": ('op = globals()["keras"].ops.conv\n', "keras.ops.conv"),
}


@pytest.mark.parametrize("name", list(DISGUISED))
def test_disguised_conv_shortcut_is_refused_by_the_grader(name):
    from kcourse.checks.functions import default_forbidden
    from kcourse.checks.shortcuts import forbidden_for
    from kcourse.grading import static

    source, named = DISGUISED[name]
    for forbidden in (forbidden_for(keras.layers.Conv2D), default_forbidden("keras.ops.conv")):
        findings = static.scan(source, forbidden)
        assert findings, f"{name}: not refused"
        assert static.canonical(named) in {static.canonical(f.name) for f in findings}, (
            name, [f.describe() for f in findings])


def test_the_solution_cells_use_no_shortcut():
    """The instructor's cells (NumPy loops, keras.ops.take, np.tensordot) are accepted."""
    from kcourse import authoring
    from kcourse.checks.shortcuts import forbidden_for
    from kcourse.grading import static

    script = authoring.twin(next((authoring.paths.solutions_dir() / "03_convolution")
                                 .glob("*.ipynb")))
    nb = authoring.from_script(script)
    cells = authoring.nbgrader_cells(nb, "solution")
    assert len(cells) == 4
    for cell in cells:
        assert static.scan(authoring.without_markers(cell.source),
                           forbidden_for(keras.layers.Conv2D)) == [], cell.source[:80]
