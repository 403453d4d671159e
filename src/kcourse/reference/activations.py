# GENERATED from solutions/02_activations/02_activations.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "02 · Activation functions, their derivatives, and their numerical traps".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import math

import keras
from keras import ops

SOURCE = "solutions/02_activations/02_activations.py"


def relu(x):
    """max(x, 0), elementwise. x: any shape -> same shape and dtype."""
    return ops.where(x > 0, x, 0.0)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return ops.where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise; finite gradients at +-1000."""
    negative_part = ops.where(x > 0, 0.0, x)  # never positive: exp cannot overflow
    return ops.where(x > 0, x, alpha * ops.expm1(negative_part))


def sigmoid(x):
    """1 / (1 + exp(-x)), written so that exp never overflows (values and gradients)."""
    positive = x >= 0
    z = ops.exp(-ops.where(positive, x, -x))  # exp(-|x|), in (0, 1]
    return ops.where(positive, 1.0 / (1.0 + z), z / (1.0 + z))


def tanh(x):
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x)), without overflow."""
    return 2.0 * sigmoid(2.0 * x) - 1.0


def gelu(x, approximate=False):
    """x * Phi(x) (exact, with erf) or its tanh approximation when approximate=True."""
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + tanh(inner))
    return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2.0)))


def softmax(x, axis=-1):
    """exp(x - max) / sum(exp(x - max)) along `axis`; same shape and dtype as x."""
    shifted = x - ops.max(x, axis=axis, keepdims=True)  # every entry <= 0
    e = ops.exp(shifted)
    return e / ops.sum(e, axis=axis, keepdims=True)


def d_relu(x):
    """ReLU'(x): 1 for x > 0, 0 otherwise."""
    return ops.cast(x > 0, x.dtype)


def d_leaky_relu(x, negative_slope=0.2):
    """LeakyReLU'(x): 1 for x > 0, negative_slope otherwise."""
    return ops.where(x > 0, ops.ones_like(x), negative_slope * ops.ones_like(x))


def d_elu(x, alpha=1.0):
    """ELU'(x): 1 for x > 0, alpha * exp(x) otherwise."""
    return ops.where(x > 0, ops.ones_like(x), alpha * ops.exp(ops.where(x > 0, 0.0, x)))


def d_sigmoid(x):
    """sigma'(x) = sigma(x) * (1 - sigma(x))."""
    s = sigmoid(x)
    return s * (1.0 - s)


def d_tanh(x):
    """tanh'(x) = 1 - tanh(x)**2."""
    t = tanh(x)
    return 1.0 - t * t


def d_gelu(x, approximate=False):
    """GELU'(x): Phi(x) + x * phi(x), or the derivative of the tanh approximation."""
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        t = tanh(c * (x + 0.044715 * x * x * x))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1.0 + ops.erf(x / math.sqrt(2.0)))
    pdf = ops.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf


class ReLU(keras.layers.Layer):
    """relu(inputs); inputs (batch, ...) -> the same shape."""

    def call(self, inputs):
        return relu(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class LeakyReLU(keras.layers.Layer):
    """leaky_relu(inputs, negative_slope); the layer's default slope is 0.3."""

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(keras.layers.Layer):
    """elu(inputs, alpha)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(keras.layers.Layer):
    """softmax(inputs, axis)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Sigmoid(keras.layers.Layer):
    """sigmoid(inputs)."""

    def call(self, inputs):
        return sigmoid(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Tanh(keras.layers.Layer):
    """tanh(inputs)."""

    def call(self, inputs):
        return tanh(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GELU(keras.layers.Layer):
    """gelu(inputs, approximate)."""

    def __init__(self, approximate=False, **kwargs):
        super().__init__(**kwargs)
        self.approximate = bool(approximate)

    def call(self, inputs):
        return gelu(inputs, approximate=self.approximate)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["approximate"] = self.approximate
        return config
