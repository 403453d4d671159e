# GENERATED from solutions/04_pooling/04_pooling.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "04 · Pooling: write `MaxPooling2D`, `AveragePooling2D` and global pooling
yourself".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import keras

SOURCE = "solutions/04_pooling/04_pooling.py"


def as_pair(value):
    """An int or a pair of ints as a tuple (rows, columns): 2 -> (2, 2)."""
    return (value, value) if isinstance(value, int) else tuple(value)


def pool_geometry(size, pool, stride, padding):
    """(output size, cells padded before, cells padded after) along one spatial axis."""
    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        total = max((out - 1) * stride + pool - size, 0)
    else:
        out = (size - pool) // stride + 1
        total = 0
    return out, total // 2, total - total // 2


class Pooling2D(keras.layers.Layer):
    """What 2-D max and average pooling share: configuration, windows, output shape.

    inputs: (batch, h, w, c) channels_last or (batch, c, h, w) channels_first
    outputs: (batch, out_h, out_w, c) or (batch, c, out_h, out_w)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = as_pair(pool_size)
        self.strides = self.pool_size if strides is None else as_pair(strides)
        self.padding = padding
        self.data_format = data_format or keras.config.image_data_format()

    def windows(self, x, fill):
        """(batch, h, w, c) -> (batch, out_h, out_w, c, k_h * k_w): every window's cells."""
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        out_h, top, bottom = pool_geometry(x.shape[1], kh, sh, self.padding)
        out_w, left, right = pool_geometry(x.shape[2], kw, sw, self.padding)
        x = keras.ops.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)],
                          constant_values=fill)
        views = [x[:, u::sh, v::sw, :][:, :out_h, :out_w, :]
                 for u in range(kh) for v in range(kw)]
        return keras.ops.stack(views, axis=-1)

    def call(self, inputs):
        if self.data_format == "channels_first":
            pooled = self.pool(keras.ops.transpose(inputs, (0, 2, 3, 1)))
            return keras.ops.transpose(pooled, (0, 3, 1, 2))
        return self.pool(inputs)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_first":
            batch, channels, height, width = input_shape
        else:
            batch, height, width, channels = input_shape
        out_h = pool_geometry(height, self.pool_size[0], self.strides[0], self.padding)[0]
        out_w = pool_geometry(width, self.pool_size[1], self.strides[1], self.padding)[0]
        if self.data_format == "channels_first":
            return (batch, channels, out_h, out_w)
        return (batch, out_h, out_w, channels)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "strides": self.strides,
                       "padding": self.padding, "data_format": self.data_format})
        return config


class MaxPooling2D(Pooling2D):
    """The max of each window; padded cells never win."""

    def pool(self, x):
        """channels_last (batch, h, w, c) -> (batch, out_h, out_w, c)."""
        return keras.ops.max(self.windows(x, float("-inf")), axis=-1)


class AveragePooling2D(Pooling2D):
    """The mean of the real (not padded) cells of each window."""

    def pool(self, x):
        """channels_last (batch, h, w, c) -> (batch, out_h, out_w, c)."""
        sums = keras.ops.sum(self.windows(x, 0.0), axis=-1)
        counts = keras.ops.sum(self.windows(keras.ops.ones_like(x), 0.0), axis=-1)
        return sums / counts


class GlobalPooling2D(keras.layers.Layer):
    """One window per feature map: (batch, h, w, c) -> (batch, c), or (batch, 1, 1, c)."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or keras.config.image_data_format()
        self.keepdims = keepdims

    def spatial_axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def call(self, inputs):
        return self.reduce(inputs, self.spatial_axes())

    def compute_output_shape(self, input_shape):
        axes = self.spatial_axes()
        if self.keepdims:
            return tuple(1 if axis in axes else size for axis, size in enumerate(input_shape))
        return tuple(size for axis, size in enumerate(input_shape) if axis not in axes)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalAveragePooling2D(GlobalPooling2D):
    def reduce(self, x, axes):
        return keras.ops.mean(x, axis=axes, keepdims=self.keepdims)


class GlobalMaxPooling2D(GlobalPooling2D):
    def reduce(self, x, axes):
        return keras.ops.max(x, axis=axes, keepdims=self.keepdims)
