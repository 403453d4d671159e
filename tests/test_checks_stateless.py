"""The stateless family: built-in layers against themselves, and a conv/pooling corpus.

Runs on the tensorflow and jax backends (KERAS_BACKEND). The student layers
below are written with keras.ops only; the faulty ones make one classic mistake
each, and the checker must name it.
"""

from __future__ import annotations

import keras
import pytest

from kcourse import checks


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


# ------------------------------------------------------------ built-ins against themselves

BUILTINS = [
    (lambda: keras.layers.Dense(3, activation="relu"), (4, 5), {}),
    (lambda: keras.layers.Dense(2, use_bias=False), (2, 3, 4), {}),
    (lambda: keras.layers.Conv1D(3, 2, strides=2, padding="same"), (2, 7, 3), {}),
    (lambda: keras.layers.Conv2D(4, 3, activation="relu"), (2, 6, 6, 3), {}),
    (lambda: keras.layers.Conv2D(2, (2, 3), strides=2, padding="same"), (1, 5, 7, 2), {}),
    (lambda: keras.layers.Conv2D(2, 3, dilation_rate=2, use_bias=False), (1, 7, 7, 1), {}),
    (lambda: keras.layers.MaxPooling2D(), (2, 4, 4, 3), {}),
    (lambda: keras.layers.MaxPooling2D(3, strides=2, padding="same"), (1, 5, 5, 2), {}),
    (lambda: keras.layers.AveragePooling2D(3, strides=2, padding="same"), (1, 5, 5, 2), {}),
    (lambda: keras.layers.GlobalAveragePooling2D(), (2, 3, 3, 4), {}),
    (lambda: keras.layers.ReLU(), (3, 4), {}),
    (lambda: keras.layers.LeakyReLU(negative_slope=0.2), (3, 4), {}),
    (lambda: keras.layers.Softmax(), (3, 5), {}),
    (lambda: keras.layers.Activation("gelu"), (3, 5), {}),
    (lambda: keras.layers.Flatten(), (2, 3, 4), {}),
    (lambda: keras.layers.LayerNormalization(), (3, 6), {}),
    (lambda: keras.layers.Embedding(10, 4), (3, 5), {"integer_inputs": 10}),
]


@pytest.mark.parametrize(("make", "shape", "options"), BUILTINS,
                         ids=[f"{i}" for i in range(len(BUILTINS))])
def test_builtin_layer_passes_against_itself(make, shape, options):
    layer = make()
    verified = checks.compare_layers(layer, make(), shape, builtin_forbidden=False,
                                     options=options)
    assert checks.family_of(layer) == "stateless"
    assert any(v.startswith("output ") for v in verified)
    assert "get_config/from_config round trip" in verified


@pytest.mark.parametrize(("make", "shape", "options"), [BUILTINS[0], BUILTINS[3], BUILTINS[8],
                                                         BUILTINS[16]])
def test_builtin_layer_meets_the_layer_contract(make, shape, options):
    verified = checks.compare_layers(make(), make(), shape, builtin_forbidden=False,
                                     options=options, contract=True)
    assert verified[-1].startswith("layer contract")


# ---------------------------------------------------------------------------- Conv2D


def _same_padding(size, kernel, stride, dilation=1):
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


class StudentConv2D(keras.layers.Layer):
    """Conv2D (channels_last) as a sum over kernel positions of strided slices @ kernel[u, v]."""

    flip = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None,
                 use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) \
            else tuple(kernel_size)
        self.strides = (strides, strides) if isinstance(strides, int) else tuple(strides)
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(*self.kernel_size, input_shape[-1], self.filters),
                                      initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
        kh, kw = self.kernel_size
        sh, sw = self.strides
        kernel = self.kernel[::-1, ::-1] if self.flip else self.kernel
        x = inputs
        if self.padding == "same":
            top, bottom = _same_padding(x.shape[1], kh, sh)
            left, right = _same_padding(x.shape[2], kw, sw)
            x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
        out_h = (x.shape[1] - kh) // sh + 1
        out_w = (x.shape[2] - kw) // sw + 1
        out = 0.0
        for u in range(kh):
            for v in range(kw):
                patch = x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw, :]
                out = out + keras.ops.matmul(patch, kernel[u, v])
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, use_bias=self.use_bias,
                      activation=keras.activations.serialize(self.activation))
        return config


class FlippedKernelConv2D(StudentConv2D):
    """The textbook convolution: the kernel rotated by 180 degrees."""

    flip = True


class BiasForgottenConv2D(StudentConv2D):
    def call(self, inputs):
        saved, self.use_bias = self.use_bias, False
        try:
            return super().call(inputs)
        finally:
            self.use_bias = saved


def _conv(cls, **config):
    return cls(**config), keras.layers.Conv2D(**config)


@pytest.mark.parametrize(("config", "shape"), [
    ({"filters": 3, "kernel_size": 3}, (2, 6, 6, 2)),
    ({"filters": 2, "kernel_size": (2, 3), "strides": 2, "padding": "same",
      "activation": "relu"}, (1, 5, 7, 3)),
    ({"filters": 1, "kernel_size": 1, "use_bias": False}, (1, 1, 1, 1)),
])
def test_correct_conv2d_passes(config, shape, capsys):
    student, reference = _conv(StudentConv2D, **config)
    checks.check_layer(student, reference, shape, config_keys=("filters", "padding"))
    assert capsys.readouterr().out.startswith("\u2714 StudentConv2D matches keras.layers.Conv2D")


@pytest.mark.parametrize(("cls", "config", "match"), [
    (FlippedKernelConv2D, {"filters": 2, "kernel_size": 3}, r"Likely mistake: the kernel is "
     r"flipped: Keras' convolution layers compute a cross-correlation"),
    (BiasForgottenConv2D, {"filters": 2, "kernel_size": 3}, r"the bias \(one per filter\) was "
     r"not added"),
])
def test_conv2d_mistake_is_named(cls, config, match):
    student, reference = _conv(cls, **config)
    with pytest.raises(checks.CheckFailure, match=match):
        checks.check_layer(student, reference, (2, 5, 5, 2))


def test_conv2d_kernel_in_pytorch_layout_is_named_with_the_rule():
    class ChannelsFirstKernel(StudentConv2D):
        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(self.filters, input_shape[-1], *self.kernel_size), name="kernel")
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    student, reference = _conv(ChannelsFirstKernel, filters=4, kernel_size=3)
    with pytest.raises(checks.CheckFailure, match=r"make it \(kernel_height, kernel_width, "
                       r"input_shape\[-1\], filters\)"):
        checks.check_layer(student, reference, (1, 5, 5, 2))


# ------------------------------------------------------------------------------ pooling


class StudentAveragePooling2D(keras.layers.Layer):
    """Average pooling: window sums of the zero-padded input / number of real inputs in it."""

    divide_by_area = False

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = tuple(pool_size) if not isinstance(pool_size, int) \
            else (pool_size, pool_size)
        strides = strides if strides is not None else self.pool_size
        self.strides = tuple(strides) if not isinstance(strides, int) else (strides, strides)
        self.padding = padding

    def _window_sums(self, x):
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        if self.padding == "same":
            top, bottom = _same_padding(x.shape[1], kh, sh)
            left, right = _same_padding(x.shape[2], kw, sw)
            x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
        out_h = (x.shape[1] - kh) // sh + 1
        out_w = (x.shape[2] - kw) // sw + 1
        total = 0.0
        for u in range(kh):
            for v in range(kw):
                total = total + x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw]
        return total

    def call(self, inputs):
        sums = self._window_sums(inputs)
        if self.divide_by_area:
            return sums / float(self.pool_size[0] * self.pool_size[1])
        counts = self._window_sums(keras.ops.ones_like(inputs))
        return sums / counts

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding)
        return config


class PaddedZerosAveragePooling2D(StudentAveragePooling2D):
    divide_by_area = True


@pytest.mark.parametrize(("config", "shape"), [
    ({"pool_size": (2, 2)}, (2, 4, 4, 3)),
    ({"pool_size": (3, 3), "strides": (2, 2), "padding": "same"}, (1, 5, 5, 2)),
    ({"pool_size": (2, 2), "padding": "same"}, (1, 3, 3, 1)),
])
def test_correct_average_pooling_passes(config, shape, capsys):
    checks.check_layer(StudentAveragePooling2D(**config), keras.layers.AveragePooling2D(**config),
                       shape, config_keys=("padding",))
    assert "\u2714 StudentAveragePooling2D matches" in capsys.readouterr().out


def test_average_pooling_over_padded_zeros_is_named():
    config = {"pool_size": (3, 3), "strides": (2, 2), "padding": "same"}
    with pytest.raises(checks.CheckFailure, match=r"divided by the full pool area: Keras averages "
                       r"only the input values inside the window"):
        checks.check_layer(PaddedZerosAveragePooling2D(**config),
                           keras.layers.AveragePooling2D(**config), (1, 5, 5, 2))


def test_average_pooling_that_ignores_strides_is_named():
    class IgnoresStrides(StudentAveragePooling2D):
        def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
            super().__init__(pool_size, strides, padding, **kwargs)
            self.configured_strides, self.strides = self.strides, self.pool_size

        def get_config(self):
            config = super().get_config()
            config["strides"] = self.configured_strides
            return config

    config = {"pool_size": (2, 2), "strides": (1, 1)}
    with pytest.raises(checks.CheckFailure, match=r"has output shape"):
        checks.check_layer(IgnoresStrides(**config), keras.layers.AveragePooling2D(**config),
                           (1, 4, 4, 1))


# --------------------------------------------------------------------------- Embedding


class StudentEmbedding(keras.layers.Layer):
    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = input_dim, output_dim

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer="uniform", name="embeddings")

    def call(self, inputs):
        return keras.ops.take(self.embeddings, keras.ops.cast(inputs, "int32"), axis=0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim)
        return config


def test_embedding_with_integer_inputs_passes(capsys):
    checks.check_layer(StudentEmbedding(10, 4), keras.layers.Embedding(10, 4), (3, 5),
                       options={"integer_inputs": 10})
    out = capsys.readouterr().out
    assert "\u2714 StudentEmbedding matches keras.layers.Embedding" in out
    assert "gradients w.r.t. 'embeddings'" in out


def test_embedding_transposed_table_is_refused():
    class Transposed(StudentEmbedding):
        def build(self, input_shape):
            self.embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                              name="embeddings")

    with pytest.raises(checks.CheckFailure, match=r"weight 'embeddings' has shape \(4, 10\)"):
        checks.check_layer(Transposed(10, 4), keras.layers.Embedding(10, 4), (3, 5),
                           options={"integer_inputs": 10})
