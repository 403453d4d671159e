"""Student answers for solutions/04_pooling: max, average and global pooling.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match: the words that name the
mistake for the student. Valid alternatives (FULL) must keep every point.

The average pooling cell builds on exercise 1's Pooling2D (its `windows` helper is
part of the specification), so alternatives of the max pooling cell keep it.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "04_pooling"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "max_pooling_solution/swap_string/'same'->'valid'",
    "max_pooling_solution/delete_statement/total = 0",
    "max_pooling_solution/drop_keyword/constant_values=fill",
    "average_pooling_solution/drop_return/return sums / counts",
    "global_pooling_solution/swap_string/'channels_first'->'channels_last'",
    "global_pooling_solution/drop_keyword/keepdims=self.keepdims",
)

#: Plausible wrong strings for this notebook's mutants.
STRING_SWAPS = {
    "same": ("valid",),
    "valid": ("same",),
    "channels_first": ("channels_last",),
    "-inf": ("0", "inf"),
}

_UNREAD = ("it only adds padding after the last window, which no window reads: the views "
           "are cut to the output size, so the layer computes the same thing")

#: mutant id -> why no test can (or should) tell it from the solution
EQUIVALENT_MUTANTS = {
    "max_pooling_solution/swap_operands/max((out - 1) * stride + pool - size, 0)":
        "max is symmetric: max(0, t) == max(t, 0)",
    "max_pooling_solution/swap_operands/(out - 1) * stride + pool":
        "integer addition is commutative",
    "max_pooling_solution/swap_operands/(size - pool) // stride + 1":
        "integer addition is commutative",
    "max_pooling_solution/change_number/0->1 in total = max((out - 1) * stride + pool - size, 0)":
        _UNREAD,
    "max_pooling_solution/change_number/0->1 in total = 0": _UNREAD,
    "max_pooling_solution/change_number/2->3 in return (out, total // 2, total - total // 2)@2":
        _UNREAD,
}

_POOL = '''        return keras.ops.max(self.windows(x, float("-inf")), axis=-1)
'''


def _pool(body: str) -> tuple[tuple[str, str], ...]:
    """An edit replacing MaxPooling2D.pool's body (8-space indented lines)."""
    return ((_POOL, body),)


# ------------------------------------------------------------------ MaxPooling2D: mistakes

_MAX_MISTAKES = [
    Entry(
        "max_zero_padding", "max_pooling_solution", LESS,
        edits=(('self.windows(x, float("-inf"))', "self.windows(x, 0.0)"),),
        names=r"padded with zeros",
        why="pads with zeros: a border window of negative values returns 0",
    ),
    Entry(
        "max_strides_default_one", "max_pooling_solution", LESS,
        edits=(("self.strides = self.pool_size if strides is None else as_pair(strides)",
                "self.strides = as_pair(strides or 1)"),),
        names=r"one position at a time: strides default to pool_size",
        why="strides default to 1, as in a convolution",
    ),
    Entry(
        "max_strides_always_pool_size", "max_pooling_solution", LESS,
        edits=(("self.strides = self.pool_size if strides is None else as_pair(strides)",
                "self.strides = self.pool_size"),),
        names=r"strides",
        why="ignores the strides argument",
    ),
    Entry(
        "max_same_padding_top_left", "max_pooling_solution", LESS,
        edits=(("return out, total // 2, total - total // 2",
                "return out, total - total // 2, total // 2"),),
        names=r"top/left",
        why="the extra padding cell at the top/left (PyTorch-style thinking)",
    ),
    Entry(
        "max_same_output_rounded_down", "max_pooling_solution", LESS,
        edits=(("out = -(-size // stride)  # ceil(size / stride)", "out = size // stride"),),
        names=r"rounded down|padding='valid'",
        why="floor instead of ceil for the 'same' output size",
    ),
    Entry(
        "max_same_like_convolution", "max_pooling_solution", LESS,
        edits=(('''    if padding == "same":
        out = -(-size // stride)  # ceil(size / stride)
        total = max((out - 1) * stride + pool - size, 0)
    else:''', '''    if padding == "same":
        half = (pool - 1) // 2
        out = (size + 2 * half - pool) // stride + 1
        return out, half, max((out - 1) * stride + pool - size - half, 0)
    else:'''),),
        names=r"as in a convolution|top/left|padding='valid'",
        why="'same' as a convolution's symmetric (pool - 1) // 2 padding",
    ),
    Entry(
        "max_data_format_ignored", "max_pooling_solution", LESS,
        edits=(("            pooled = self.pool(keras.ops.transpose(inputs, (0, 2, 3, 1)))\n"
                "            return keras.ops.transpose(pooled, (0, 3, 1, 2))\n",
                "            return self.pool(inputs)\n"),),
        names=r"channels_first' was ignored",
        why="channels_first input pooled as if channels_last",
    ),
    Entry(
        "max_transposed_back_wrong", "max_pooling_solution", LESS,
        edits=(("return keras.ops.transpose(pooled, (0, 3, 1, 2))",
                "return keras.ops.transpose(pooled, (0, 2, 3, 1))"),),
        names=r"transposed back with \(0, 2, 3, 1\)",
        why="transposes back with the permutation that went to channels_last",
    ),
    Entry(
        "max_pool_size_int_kept", "max_pooling_solution", LESS,
        edits=(("self.pool_size = as_pair(pool_size)", "self.pool_size = pool_size"),),
        names=r"pool_size|unpack",
        why="pool_size=3 stays an int",
    ),
    Entry(
        "max_pool_axes_swapped", "max_pooling_solution", LESS,
        edits=(("(kh, kw), (sh, sw) = self.pool_size, self.strides",
                "(kw, kh), (sw, sh) = self.pool_size, self.strides"),),
        names=r"spatial axes are swapped",
        why="reads pool_size and strides as (width, height)",
    ),
    Entry(
        "max_gradient_spread_straight_through", "max_pooling_solution", LESS,
        edits=_pool('''        top = keras.ops.max(self.windows(x, float("-inf")), axis=-1)
        mean = keras.ops.mean(self.windows(x, 0.0), axis=-1)
        return mean + keras.ops.stop_gradient(top - mean)  # every cell gets some gradient
'''),
        names=r"gradient is spread over the whole window",
        why="the max in the forward pass, the mean's gradient in the backward pass",
    ),
    Entry(
        "max_numpy_in_pool", "max_pooling_solution", LESS,
        edits=_pool('''        return np.max(np.asarray(self.windows(x, float("-inf"))), axis=-1)
'''),
        names=r"keras\.ops|NumPy",
        why="NumPy inside call: no gradient, no symbolic tensors",
    ),
    Entry(
        "max_config_without_strides", "max_pooling_solution", LESS,
        edits=(('config.update({"pool_size": self.pool_size, "strides": self.strides,',
                'config.update({"pool_size": self.pool_size,'),),
        names=r"'strides'",
        why="get_config forgets strides",
    ),
    Entry(
        "max_config_data_format_none", "max_pooling_solution", LESS,
        edits=(("self.data_format = data_format or keras.config.image_data_format()",
                "self.data_format = data_format"),),
        names=r"data_format",
        why="keeps data_format=None instead of the resolved 'channels_last'",
    ),
    Entry(
        "max_config_without_super", "max_pooling_solution", LESS,
        edits=(("        config = super().get_config()\n", "        config = {}\n"),),
        names=r"super\(\)\.get_config|'name'|'dtype'|'trainable'",
        why="get_config from scratch: name, trainable and dtype are lost",
    ),
    Entry(
        "max_super_init_without_kwargs", "max_pooling_solution", LESS,
        edits=(("super().__init__(**kwargs)", "super().__init__()"),),
        names=r"\*\*kwargs|super\(\)\.__init__",
        why="super().__init__() drops name, dtype, trainable",
    ),
    Entry(
        "max_output_shape_channels_last_only", "max_pooling_solution", LESS,
        edits=(('''        if self.data_format == "channels_first":
            batch, channels, height, width = input_shape
        else:
            batch, height, width, channels = input_shape
''', '''        batch, height, width, channels = input_shape
'''), ('''        if self.data_format == "channels_first":
            return (batch, channels, out_h, out_w)
        return (batch, out_h, out_w, channels)''',
               '''        return (batch, out_h, out_w, channels)''')),
        names=r"compute_output_shape",
        why="compute_output_shape written for channels_last only",
    ),
    Entry(
        "max_uses_keras_ops_max_pool", "max_pooling_solution", LESS,
        edits=_pool('''        return keras.ops.max_pool(x, self.pool_size, self.strides,
                                  self.padding)
'''),
        names=r"keras\.ops\.max_pool",
        why="the op that computes the layer",
    ),
    Entry(
        "max_uses_layer_alias", "max_pooling_solution", LESS,
        edits=(("def as_pair(value):", "import keras.layers as kl\n\n\ndef as_pair(value):"),
               (_POOL, '''        return kl.MaxPool2D(self.pool_size, self.strides, self.padding)(x)
''')),
        names=r"keras\.layers\.MaxPool",
        why="keras.layers.MaxPool2D (an alias of MaxPooling2D) through a module alias",
    ),
    Entry(
        "max_uses_getattr", "max_pooling_solution", LESS,
        edits=_pool('''        pool_op = getattr(keras.ops, "max" + "_pool")
        return pool_op(x, self.pool_size, self.strides, self.padding)
'''),
        names=r"getattr|keras\.ops\.max_pool",
        why="the op reached by a computed attribute name",
    ),
    Entry(
        "max_uses_tf_nn", "max_pooling_solution", LESS,
        edits=_pool('''        import tensorflow as tf

        return tf.nn.max_pool2d(x, self.pool_size, self.strides, self.padding.upper())
'''),
        names=r"(tf|tensorflow)\.nn\.max_pool2d",
        why="TensorFlow's op",
    ),
    Entry(
        "max_uses_jax_lax", "max_pooling_solution", LESS,
        edits=_pool('''        from jax import lax

        return lax.reduce_window(x, -float("inf"), lax.max, (1, *self.pool_size, 1),
                                 (1, *self.strides, 1), self.padding.upper())
'''),
        names=r"jax\.lax\.reduce_window",
        why="JAX's window reduction",
    ),
]

# -------------------------------------------------------------- MaxPooling2D: alternatives

_MAX_VALID = [
    Entry(
        "max_maximum_chain", "max_pooling_solution", FULL,
        edits=_pool('''        windows = self.windows(x, float("-inf"))
        best = windows[..., 0]
        for k in range(1, windows.shape[-1]):
            best = keras.ops.maximum(best, windows[..., k])
        return best
'''),
        why="elementwise maximum over the window's cells instead of one reduction",
    ),
    Entry(
        "max_loops_over_output_cells", "max_pooling_solution", FULL,
        edits=_pool('''        (kh, kw), (sh, sw) = self.pool_size, self.strides
        height, width = x.shape[1], x.shape[2]
        out_h, top, _ = pool_geometry(height, kh, sh, self.padding)
        out_w, left, _ = pool_geometry(width, kw, sw, self.padding)
        rows = []
        for i in range(out_h):
            r0, r1 = max(i * sh - top, 0), min(i * sh - top + kh, height)
            row = []
            for j in range(out_w):
                c0, c1 = max(j * sw - left, 0), min(j * sw - left + kw, width)
                row.append(keras.ops.max(x[:, r0:r1, c0:c1, :], axis=(1, 2)))
            rows.append(keras.ops.stack(row, axis=1))
        return keras.ops.stack(rows, axis=1)
'''),
        why="a loop over output cells, each the max of its real cells (no padding at all)",
    ),
    Entry(
        "max_math_ceil_and_moveaxis", "max_pooling_solution", FULL,
        edits=(("def as_pair(value):", "import math\n\n\ndef as_pair(value):"),
               ("out = -(-size // stride)  # ceil(size / stride)",
                "out = math.ceil(size / stride)"),
               ("(value, value) if isinstance(value, int) else tuple(value)",
                "tuple(value) if isinstance(value, (tuple, list)) else (int(value),) * 2"),
               ("pooled = self.pool(keras.ops.transpose(inputs, (0, 2, 3, 1)))",
                "pooled = self.pool(keras.ops.moveaxis(inputs, 1, -1))"),
               ("return keras.ops.transpose(pooled, (0, 3, 1, 2))",
                "return keras.ops.moveaxis(pooled, -1, 1)")),
        why="math.ceil, another as_pair, moveaxis instead of transpose",
    ),
    Entry(
        "max_concatenate_views", "max_pooling_solution", FULL,
        edits=(("return keras.ops.stack(views, axis=-1)",
                "return keras.ops.concatenate([keras.ops.expand_dims(v, -1) for v in views], "
                "axis=-1)"),
               ("views = [x[:, u::sh, v::sw, :][:, :out_h, :out_w, :]",
                "views = [x[:, u:u + (out_h - 1) * sh + 1:sh, v:v + (out_w - 1) * sw + 1:sw, :]")),
        why="explicit slice ends, concatenated expanded views",
    ),
]

# ------------------------------------------------------------- AveragePooling2D: mistakes

_AVG = '''        sums = keras.ops.sum(self.windows(x, 0.0), axis=-1)
        counts = keras.ops.sum(self.windows(keras.ops.ones_like(x), 0.0), axis=-1)
        return sums / counts
'''


def _avg(body: str) -> tuple[tuple[str, str], ...]:
    return ((_AVG, body),)


_AVG_MISTAKES = [
    Entry(
        "avg_divided_by_pool_area", "average_pooling_solution", LESS,
        edits=_avg('''        sums = keras.ops.sum(self.windows(x, 0.0), axis=-1)
        return sums / (self.pool_size[0] * self.pool_size[1])
'''),
        names=r"divided by the full pool area",
        why="divides by k_h * k_w: the padded zeros count",
    ),
    Entry(
        "avg_mean_of_padded_windows", "average_pooling_solution", LESS,
        edits=_avg('''        return keras.ops.mean(self.windows(x, 0.0), axis=-1)
'''),
        names=r"divided by the full pool area",
        why="the mean over the zero-padded window",
    ),
    Entry(
        "avg_ones_padded_with_ones", "average_pooling_solution", LESS,
        edits=(("self.windows(keras.ops.ones_like(x), 0.0)",
                "self.windows(keras.ops.ones_like(x), 1.0)"),),
        names=r"divided by the full pool area",
        why="the tensor of ones is padded with ones: every window counts k_h * k_w",
    ),
    Entry(
        "avg_sums_not_divided", "average_pooling_solution", LESS,
        edits=_avg('''        return keras.ops.sum(self.windows(x, 0.0), axis=-1)
'''),
        names=r"not divided",
        why="sum pooling",
    ),
    Entry(
        "avg_is_max", "average_pooling_solution", LESS,
        edits=_avg('''        return keras.ops.max(self.windows(x, float("-inf")), axis=-1)
'''),
        names=r"looks like max pooling",
        why="copied the max pooling line",
    ),
    Entry(
        "avg_counts_from_valid_windows", "average_pooling_solution", LESS,
        edits=_avg('''        sums = keras.ops.sum(self.windows(x, 0.0), axis=-1)
        counts = float(self.pool_size[0] * self.pool_size[1])
        return keras.ops.divide(sums, counts)
'''),
        names=r"divided by the full pool area",
        why="assumes every window is whole",
    ),
    Entry(
        "avg_uses_keras_ops_average_pool", "average_pooling_solution", LESS,
        edits=_avg('''        return keras.ops.average_pool(x, self.pool_size, self.strides,
                                      self.padding)
'''),
        names=r"keras\.ops\.average_pool",
        why="the op that computes the layer",
    ),
    Entry(
        "avg_uses_layer_alias", "average_pooling_solution", LESS,
        edits=(("class AveragePooling2D(Pooling2D):",
                "from keras import layers as L\n\n\nclass AveragePooling2D(Pooling2D):"),
               (_AVG, '''        return L.AvgPool2D(self.pool_size, self.strides, self.padding)(x)
''')),
        names=r"keras\.layers\.(AvgPool2D|AveragePooling2D)",
        why="the built-in through an alias of both the module and the class",
    ),
    Entry(
        "avg_uses_tf_nn", "average_pooling_solution", LESS,
        edits=_avg('''        import tensorflow

        return tensorflow.nn.avg_pool2d(x, self.pool_size, self.strides, self.padding.upper())
'''),
        names=r"(tf|tensorflow)\.nn\.avg_pool2d",
        why="TensorFlow's op",
    ),
    Entry(
        "avg_subclasses_builtin", "average_pooling_solution", LESS,
        source='''\
class AveragePooling2D(keras.layers.AveragePooling2D):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
''',
        names=r"keras\.layers\.AveragePooling2D",
        why="subclasses the built-in",
    ),
]

# --------------------------------------------------------- AveragePooling2D: alternatives

_AVG_VALID = [
    Entry(
        "avg_ratio_of_means", "average_pooling_solution", FULL,
        edits=_avg('''        padded_mean = keras.ops.mean(self.windows(x, 0.0), axis=-1)
        real_fraction = keras.ops.mean(self.windows(keras.ops.ones_like(x), 0.0), axis=-1)
        return padded_mean / real_fraction
'''),
        why="the mean over the padded window divided by the fraction of real cells",
    ),
    Entry(
        "avg_counts_from_geometry", "average_pooling_solution", FULL,
        source='''\
def real_cells(size, pool, stride, padding):
    """How many input cells each window covers along one axis."""
    out, before, _ = pool_geometry(size, pool, stride, padding)
    starts = np.arange(out) * stride - before
    return np.minimum(starts + pool, size) - np.maximum(starts, 0)


class AveragePooling2D(Pooling2D):
    def pool(self, x):
        rows = real_cells(x.shape[1], self.pool_size[0], self.strides[0], self.padding)
        cols = real_cells(x.shape[2], self.pool_size[1], self.strides[1], self.padding)
        counts = np.outer(rows, cols)[None, :, :, None]
        sums = keras.ops.sum(self.windows(x, 0.0), axis=-1)
        return sums / keras.ops.cast(counts, sums.dtype)
''',
        why="the number of real cells from the geometry, in NumPy (a constant)",
    ),
    Entry(
        "avg_loops_over_output_cells", "average_pooling_solution", FULL,
        source='''\
class AveragePooling2D(Pooling2D):
    """A loop over the output cells; each the mean of the input cells its window covers."""

    def pool(self, x):
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        height, width = x.shape[1], x.shape[2]
        out_h, top, _ = pool_geometry(height, kh, sh, self.padding)
        out_w, left, _ = pool_geometry(width, kw, sw, self.padding)
        rows = []
        for i in range(out_h):
            first_row, last_row = max(i * sh - top, 0), min(i * sh - top + kh, height)
            cells = []
            for j in range(out_w):
                first_col, last_col = max(j * sw - left, 0), min(j * sw - left + kw, width)
                window = x[:, first_row:last_row, first_col:last_col, :]
                cells.append(keras.ops.mean(window, axis=(1, 2)))
            rows.append(keras.ops.stack(cells, axis=1))
        return keras.ops.stack(rows, axis=1)
''',
        why="loops over output cells, averaging only the real cells",
    ),
]

# --------------------------------------------------------------- global pooling: mistakes

_AXES = '''        return (2, 3) if self.data_format == "channels_first" else (1, 2)
'''
_MEAN = "return keras.ops.mean(x, axis=axes, keepdims=self.keepdims)"
_MAX = "return keras.ops.max(x, axis=axes, keepdims=self.keepdims)"

_GLOBAL_MISTAKES = [
    Entry(
        "global_data_format_ignored", "global_pooling_solution", LESS,
        edits=((_AXES, "        return (1, 2)\n"),),
        names=r"data_format='channels_first' was ignored|taken over axes",
        why="always reduces axes 1 and 2",
    ),
    Entry(
        "global_channels_first_axes_always", "global_pooling_solution", LESS,
        edits=((_AXES, "        return (2, 3)\n"),),
        names=r"taken over axes \(2, 3\)",
        why="reduces axes 2 and 3 whatever the layout",
    ),
    Entry(
        "global_last_axis", "global_pooling_solution", LESS,
        edits=((_MEAN, "return keras.ops.mean(x, axis=-1, keepdims=self.keepdims)"),),
        names=r"taken over axes \(3,\)",
        why="reduces the channel axis (the 'last axis' habit of Dense)",
    ),
    Entry(
        "global_batch_axis_too", "global_pooling_solution", LESS,
        edits=((_AXES, '''        first = self.data_format == "channels_first"
        return (0, 2, 3) if first else (0, 1, 2)
'''),),
        names=r"taken over axes \(0, 1, 2\)",
        why="reduces the batch axis as well",
    ),
    Entry(
        "global_keepdims_ignored", "global_pooling_solution", LESS,
        edits=((_MEAN, "return keras.ops.mean(x, axis=axes)"),
               (_MAX, "return keras.ops.max(x, axis=axes)")),
        names=r"keepdims=True was ignored",
        why="never keeps the spatial axes",
    ),
    Entry(
        "global_keepdims_always", "global_pooling_solution", LESS,
        edits=((_MEAN, "return keras.ops.mean(x, axis=axes, keepdims=True)"),
               (_MAX, "return keras.ops.max(x, axis=axes, keepdims=True)")),
        names=r"keepdims=False was ignored",
        why="always keeps the spatial axes",
    ),
    Entry(
        "global_max_gradient_spread", "global_pooling_solution", LESS,
        edits=((_MAX, '''top = keras.ops.max(x, axis=axes, keepdims=self.keepdims)
        mean = keras.ops.mean(x, axis=axes, keepdims=self.keepdims)
        return mean + keras.ops.stop_gradient(top - mean)'''),),
        names=r"spread over the whole feature map",
        why="straight-through max: the mean's gradient",
    ),
    Entry(
        "global_mean_divided_by_wrong_sizes", "global_pooling_solution", LESS,
        edits=((_MEAN, "return keras.ops.sum(x, axis=axes, keepdims=self.keepdims) / "
                       "(x.shape[1] * x.shape[2])"),),
        names=r"divided by the sizes of axes \(1, 2\)",
        why="divides by shape[1] * shape[2] also for channels_first",
    ),
    Entry(
        "global_classes_swapped", "global_pooling_solution", LESS,
        edits=(("class GlobalAveragePooling2D(GlobalPooling2D):",
                "class GlobalMaxPooling2D(GlobalPooling2D):  # mean"),
               ("class GlobalMaxPooling2D(GlobalPooling2D):\n",
                "class GlobalAveragePooling2D(GlobalPooling2D):\n")),
        names=r"looks like global (max|average) pooling",
        why="mean and max swapped between the two classes",
    ),
    Entry(
        "global_output_shape_ignores_keepdims", "global_pooling_solution", LESS,
        edits=(('''        if self.keepdims:
            return tuple(1 if axis in axes else size for axis, size in enumerate(input_shape))
''', ""),),
        names=r"compute_output_shape",
        why="compute_output_shape always drops the spatial axes",
    ),
    Entry(
        "global_config_without_keepdims", "global_pooling_solution", LESS,
        edits=(('config.update({"data_format": self.data_format, "keepdims": self.keepdims})',
                'config.update({"data_format": self.data_format})'),),
        names=r"'keepdims'",
        why="get_config forgets keepdims",
    ),
    Entry(
        "global_data_format_none_kept", "global_pooling_solution", LESS,
        edits=(("self.data_format = data_format or keras.config.image_data_format()",
                "self.data_format = data_format"),),
        names=r"data_format",
        why="keeps data_format=None",
    ),
    Entry(
        "global_uses_alias_layer", "global_pooling_solution", LESS,
        edits=((_MEAN, "return keras.layers.GlobalAvgPool2D(self.data_format, self.keepdims)"
                       "(x)"),),
        names=r"keras\.layers\.GlobalA(vg|verage)Pool(ing)?2D",
        why="the built-in under its alias",
    ),
    Entry(
        "global_uses_adaptive_pool", "global_pooling_solution", LESS,
        edits=((_MAX, '''pooled = keras.ops.adaptive_max_pool(x, 1, data_format=self.data_format)
        return pooled if self.keepdims else keras.ops.squeeze(pooled, axes)'''),),
        names=r"keras\.ops\.adaptive_max_pool",
        why="adaptive pooling to one cell is global pooling",
    ),
    Entry(
        "global_uses_window_pooling_layer", "global_pooling_solution", LESS,
        edits=((_MEAN, '''size = tuple(x.shape[axis] for axis in axes)
        pooled = keras.layers.AveragePooling2D(size, data_format=self.data_format)(x)
        return pooled if self.keepdims else keras.ops.squeeze(pooled, axes)'''),),
        names=r"keras\.layers\.(AveragePooling2D|AvgPool2D)",
        why="a window pooling layer whose window is the whole map",
    ),
]

# ----------------------------------------------------------- global pooling: alternatives

_GLOBAL_VALID = [
    Entry(
        "global_flatten_spatial_axes", "global_pooling_solution", FULL,
        source='''\
class GlobalPooling2D(keras.layers.Layer):
    """Flattens the two spatial axes into one, reduces it, restores them when asked."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format if data_format else keras.config.image_data_format()
        self.keepdims = keepdims

    def spatial_axes(self):
        if self.data_format == "channels_last":
            return (1, 2)
        return (2, 3)

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first":
            x = keras.ops.transpose(x, (0, 2, 3, 1))
        flat = keras.ops.reshape(x, (-1, x.shape[1] * x.shape[2], x.shape[3]))
        out = self.reduce(flat, 1)  # (batch, channels)
        if not self.keepdims:
            return out
        if self.data_format == "channels_first":
            return keras.ops.reshape(out, (-1, x.shape[3], 1, 1))
        return keras.ops.reshape(out, (-1, 1, 1, x.shape[3]))

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[3]
        if not self.keepdims:
            return (batch, channels)
        if self.data_format == "channels_first":
            return (batch, channels, 1, 1)
        return (batch, 1, 1, channels)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        config["keepdims"] = self.keepdims
        return config


class GlobalAveragePooling2D(GlobalPooling2D):
    def reduce(self, x, axis):
        return keras.ops.mean(x, axis=axis)


class GlobalMaxPooling2D(GlobalPooling2D):
    def reduce(self, x, axis):
        return keras.ops.max(x, axis=axis)
''',
        why="channels_last always, the spatial axes flattened, reshapes for keepdims",
    ),
    Entry(
        "global_one_axis_at_a_time", "global_pooling_solution", FULL,
        edits=((_MEAN, '''first, second = axes
        rows = keras.ops.mean(x, axis=second, keepdims=True)
        return keras.ops.mean(rows, axis=first, keepdims=True) if self.keepdims else \\
            keras.ops.mean(keras.ops.squeeze(rows, second), axis=first)'''),),
        why="the mean of the row means (equal sizes, so the same mean)",
    ),
    Entry(
        "global_max_as_negated_min", "global_pooling_solution", FULL,
        edits=((_MAX, "return -keras.ops.min(-x, axis=axes, keepdims=self.keepdims)"),),
        why="max(x) = -min(-x): the gradient still goes to the arg-max",
    ),
]

ENTRIES = [*_MAX_MISTAKES, *_MAX_VALID, *_AVG_MISTAKES, *_AVG_VALID, *_GLOBAL_MISTAKES,
           *_GLOBAL_VALID]
