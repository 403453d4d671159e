# GENERATED from solutions/03_convolution/03_convolution.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "03 · Convolution from the inside: write `Conv2D` yourself".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import keras
import numpy as np

SOURCE = "solutions/03_convolution/03_convolution.py"


def as_pair(value):
    """3 -> (3, 3); (2, 1) or [2, 1] -> (2, 1)."""
    if isinstance(value, int):
        return (value, value)
    first, second = value
    return (int(first), int(second))


def conv_output_size(size, kernel_size, stride, padding, dilation=1):
    """Output length along one axis of a convolution (padding "valid" or "same")."""
    effective = (kernel_size - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    return (size - effective) // stride + 1


def same_padding(size, kernel_size, stride, dilation=1):
    """(before, after) zeros that padding="same" adds along one axis; the extra one after."""
    effective = (kernel_size - 1) * dilation + 1
    out = conv_output_size(size, kernel_size, stride, "same", dilation)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def conv2d_naive(x, kernel, strides=1, padding="valid"):
    """Cross-correlation with loops: x (batch, h, w, cin), kernel (kh, kw, cin, filters)
    -> (batch, out_h, out_w, filters) float32 NumPy array."""
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    sh, sw = as_pair(strides)
    kh, kw, _, filters = kernel.shape
    batch, height, width, _ = x.shape
    if padding == "same":
        top, bottom = same_padding(height, kh, sh)
        left, right = same_padding(width, kw, sw)
        x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out_h = conv_output_size(height, kh, sh, padding)
    out_w = conv_output_size(width, kw, sw, padding)
    out = np.zeros((batch, out_h, out_w, filters), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (batch, kh, kw, cin)
            out[:, i, j, :] = np.tensordot(window, kernel, axes=3)
    return out


def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Cross-correlation with keras.ops (im2col): x (batch, h, w, cin),
    kernel (kh, kw, cin, filters) -> (batch, out_h, out_w, filters), x's dtype."""
    sh, sw = as_pair(strides)
    dh, dw = as_pair(dilation_rate)
    kh, kw, cin, filters = kernel.shape
    height, width = x.shape[1], x.shape[2]
    if padding == "same":
        top, bottom = same_padding(height, kh, sh, dh)
        left, right = same_padding(width, kw, sw, dw)
        x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out_h = conv_output_size(height, kh, sh, padding, dh)
    out_w = conv_output_size(width, kw, sw, padding, dw)
    rows = np.arange(out_h)[:, None] * sh + np.arange(kh)[None, :] * dh  # (out_h, kh)
    cols = np.arange(out_w)[:, None] * sw + np.arange(kw)[None, :] * dw  # (out_w, kw)
    patches = keras.ops.take(x, rows, axis=1)  # (batch, out_h, kh, width, cin)
    patches = keras.ops.take(patches, cols, axis=3)  # (batch, out_h, kh, out_w, kw, cin)
    patches = keras.ops.transpose(patches, (0, 1, 3, 2, 4, 5))  # (batch, i, j, u, v, c)
    patches = keras.ops.reshape(patches, (-1, out_h, out_w, kh * kw * cin))
    return keras.ops.matmul(patches, keras.ops.reshape(kernel, (kh * kw * cin, filters)))


class Conv2D(keras.layers.Layer):
    """2-D convolution (cross-correlation), channels last.

    inputs (batch, h, w, in_channels) -> (batch, out_h, out_w, filters)
    kernel (kernel_height, kernel_width, in_channels, filters); bias (filters,)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size)
        self.strides = as_pair(strides)
        self.padding = padding.lower()
        self.dilation_rate = as_pair(dilation_rate)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_shape[-1], self.filters),
            initializer="glorot_uniform", name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = conv2d(inputs, self.kernel, self.strides, self.padding, self.dilation_rate)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        out_h = conv_output_size(height, self.kernel_size[0], self.strides[0], self.padding,
                                 self.dilation_rate[0])
        out_w = conv_output_size(width, self.kernel_size[1], self.strides[1], self.padding,
                                 self.dilation_rate[1])
        return (batch, out_h, out_w, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "dilation_rate": self.dilation_rate,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
            }
        )
        return config


def build_digit_cnn():
    """Sequential CNN (batch, 28, 28, 1) -> (batch, 10) class probabilities, compiled."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(8, 5, activation="relu"),
            Conv2D(16, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model
