"""Student answers for solutions/03_convolution: loops, im2col, the Conv2D layer, a small CNN.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match: the words that name the
mistake for the student. Valid alternatives (FULL) must keep every point.

The naive cell also defines the helpers (as_pair, conv_output_size, same_padding)
the later cells use, so a mistake there can cost points in later exercises too.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "03_convolution"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "naive_solution/swap_operands/total - total // 2",
    "vectorized_solution/swap_string/'same'->'valid'",
    "conv2d_solution/delete_statement/outputs = outputs + self.bias",
    "conv2d_solution/swap_string/'valid'->'same'",
    "cnn_solution/drop_keyword/strides=2",
)

#: The padding strings are what a convolution's geometry hangs on.
STRING_SWAPS = {"same": ("valid",), "valid": ("same",)}

#: mutant id -> why no test can (or should) tell it from the solution
EQUIVALENT_MUTANTS = {
    "naive_solution/delete_statement/kernel = np.asarray(kernel)":
        "np.tensordot converts the kernel tensor to an array itself",
    "naive_solution/swap_operands/(kernel_size - 1) * dilation + 1":
        "integer addition is commutative",
    "naive_solution/swap_operands/(kernel_size - 1) * dilation + 1@2":
        "integer addition is commutative",
    "naive_solution/swap_operands/(size - effective) // stride + 1":
        "integer addition is commutative",
    "naive_solution/swap_operands/max((out - 1) * stride + effective - size, 0)":
        "max is symmetric",
    "naive_solution/swap_operands/(out - 1) * stride + effective":
        "integer addition is commutative",
    "naive_solution/change_number/0->1 in total = max((out - 1) * stride + effective - size,":
        "when no padding is needed the mutant adds one zero after the input, beyond the last "
        "window (the output size is computed on its own): no window reads it",
    "naive_solution/change_number/2->3 in return (total // 2, total - total // 2)@2":
        "only the padding after the input grows, beyond the last window (the output size is "
        "computed on its own): no window reads it",
    "naive_solution/swap_operands/i * sh + kh": "integer addition is commutative",
    "naive_solution/swap_operands/j * sw + kw": "integer addition is commutative",
    "vectorized_solution/swap_operands/np.arange(out_h)[:, None] * sh + np.arange(kh)[None, :] "
    "* dh": "the broadcast sum is commutative: the same (out_h, kh) table",
    "vectorized_solution/swap_operands/np.arange(out_w)[:, None] * sw + np.arange(kw)[None, :] "
    "* dw": "the broadcast sum is commutative: the same (out_w, kw) table",
    "conv2d_solution/swap_operands/outputs + self.bias": "float addition is commutative",
    "conv2d_solution/drop_keyword/initializer='glorot_uniform'":
        "glorot_uniform is add_weight's default initializer",
    "conv2d_solution/drop_keyword/name='kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "conv2d_solution/drop_keyword/name='bias'":
        "weight names are free: weights are paired with Keras' in order",
}

# ------------------------------------------------------------------------ the naive loops

_NAIVE_HELPERS = '''\
def as_pair(value):
    if isinstance(value, int):
        return (value, value)
    return tuple(int(v) for v in value)


def conv_output_size(size, kernel_size, stride, padding, dilation=1):
    effective = (kernel_size - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    return (size - effective) // stride + 1


def same_padding(size, kernel_size, stride, dilation=1):
    effective = (kernel_size - 1) * dilation + 1
    out = conv_output_size(size, kernel_size, stride, "same", dilation)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


'''


def naive(body: str, helpers: str = _NAIVE_HELPERS) -> str:
    """A student's naive cell: the helpers, then their conv2d_naive."""
    return helpers + body


_NAIVE_SEVEN_LOOPS = '''\
def conv2d_naive(x, kernel, strides=1, padding="valid"):
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    sh, sw = as_pair(strides)
    kh, kw, cin, filters = kernel.shape
    batch, height, width, _ = x.shape
    if padding == "same":
        top, bottom = same_padding(height, kh, sh)
        left, right = same_padding(width, kw, sw)
        x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out_h = conv_output_size(height, kh, sh, padding)
    out_w = conv_output_size(width, kw, sw, padding)
    out = np.zeros((batch, out_h, out_w, filters), dtype="float32")
    for b in range(batch):
        for i in range(out_h):
            for j in range(out_w):
                for f in range(filters):
                    total = 0.0
                    for u in range(kh):
                        for v in range(kw):
                            for c in range(cin):
                                total += x[b, i * sh + u, j * sw + v, c] * kernel[u, v, c, f]
                    out[b, i, j, f] = total
    return out
'''

_NAIVE_MISTAKES = [
    Entry(
        "naive_flipped_kernel", "naive_solution", LESS,
        edits=(("np.tensordot(window, kernel, axes=3)",
                "np.tensordot(window, kernel[::-1, ::-1], axes=3)"),),
        names=r"the kernel is flipped",
        why="the textbook convolution: kernel rotated by 180 degrees",
    ),
    Entry(
        "naive_padding_extra_on_top", "naive_solution", LESS,
        edits=(("    return total // 2, total - total // 2",
                "    return total - total // 2, total // 2"),),
        names=r"top/left",
        why="the odd padding row goes on top (and the helper is reused later)",
    ),
    Entry(
        "naive_half_kernel_padding", "naive_solution", LESS,
        edits=(("        top, bottom = same_padding(height, kh, sh)\n"
                "        left, right = same_padding(width, kw, sw)\n",
                "        top = bottom = kh // 2\n"
                "        left = right = kw // 2\n"),),
        names=r"more zeros before \(top/left\)",
        why="PyTorch's habit: padding k // 2 on every side",
    ),
    Entry(
        "naive_window_ignores_stride", "naive_solution", LESS,
        edits=(("window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]",
                "window = x[:, i:i + kh, j:j + kw, :]"),),
        names=r"windows do not move by the stride",
        why="output size uses the stride but the windows start at (i, j)",
    ),
    Entry(
        "naive_output_size_without_plus_one", "naive_solution", LESS,
        edits=(("    return (size - effective) // stride + 1",
                "    return (size - effective) // stride"),),
        names=r"output size is one too small",
        why="forgets the + 1 of the first window",
    ),
    Entry(
        "naive_same_size_floor", "naive_solution", LESS,
        edits=(("        return -(-size // stride)", "        return size // stride"),),
        names=r"ceil\(n / s\), not floor\(n / s\)",
        why="floor(n / s) outputs for padding='same'",
    ),
    Entry(
        "naive_float64_output", "naive_solution", LESS,
        edits=(("out = np.zeros((batch, out_h, out_w, filters), dtype=x.dtype)",
                "out = np.zeros((batch, out_h, out_w, filters))"),),
        names=r"dtype float64, expected float32",
        why="np.zeros defaults to float64",
    ),
    Entry(
        "naive_same_never_padded", "naive_solution", LESS,
        edits=(('    if padding == "same":\n        top, bottom',
                '    if padding == "SAME":\n        top, bottom'),
               ("    out_h = conv_output_size(height, kh, sh, padding)\n"
                "    out_w = conv_output_size(width, kw, sw, padding)\n",
                '    out_h = conv_output_size(height, kh, sh, "valid")\n'
                '    out_w = conv_output_size(width, kw, sw, "valid")\n')),
        names=r"padding='same' was ignored",
        why="compares with 'SAME' and sizes the output as 'valid': 'same' is never padded",
    ),
    Entry(
        "naive_keras_ops_conv", "naive_solution", LESS,
        source=naive('''\
def conv2d_naive(x, kernel, strides=1, padding="valid"):
    return np.asarray(keras.ops.conv(x, kernel, strides=strides, padding=padding))
'''),
        names=r"keras\.ops\.conv",
        why="calls the built-in it is asked to write",
    ),
    Entry(
        "naive_scipy_correlate2d", "naive_solution", LESS,
        source=naive('''\
from scipy.signal import correlate2d


def conv2d_naive(x, kernel, strides=1, padding="valid"):
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    sh, sw = as_pair(strides)
    kh, kw, cin, filters = kernel.shape
    batch, height, width, _ = x.shape
    if padding == "same":
        top, bottom = same_padding(height, kh, sh)
        left, right = same_padding(width, kw, sw)
        x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    out_h = conv_output_size(height, kh, sh, padding)
    out_w = conv_output_size(width, kw, sw, padding)
    out = np.zeros((batch, out_h, out_w, filters), dtype="float32")
    for b in range(batch):
        for f in range(filters):
            for c in range(cin):
                full = correlate2d(x[b, :, :, c], kernel[:, :, c, f], mode="valid")
                out[b, :, :, f] += full[::sh, ::sw][:out_h, :out_w]
    return out
'''),
        names=r"scipy\.signal\.correlate2d",
        why="SciPy's 2-D cross-correlation per channel (a disguised shortcut)",
    ),
    Entry(
        "naive_getattr_computed_name", "naive_solution", LESS,
        source=naive('''\
def conv2d_naive(x, kernel, strides=1, padding="valid"):
    operation = getattr(keras.ops, "co" + "nv")
    return np.asarray(operation(x, kernel, strides=strides, padding=padding))
'''),
        names=r"getattr|forbid",
        why="reaches keras.ops.conv through getattr with a computed name",
    ),
    Entry(
        "naive_tensorflow_alias", "naive_solution", LESS,
        source=naive('''\
import tensorflow as tf

conv = tf.nn.conv2d


def conv2d_naive(x, kernel, strides=1, padding="valid"):
    return np.asarray(conv(x, kernel, strides=strides, padding=padding.upper()))
'''),
        names=r"tf\.nn\.conv2d|tensorflow\.nn\.conv2d",
        why="TensorFlow's conv2d under another name",
    ),
    Entry(
        "naive_scipy_ndimage", "naive_solution", LESS,
        source=naive('''\
from scipy import ndimage


def conv2d_naive(x, kernel, strides=1, padding="valid"):
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    sh, sw = as_pair(strides)
    kh, kw, cin, filters = kernel.shape
    batch, height, width, _ = x.shape
    out_h = conv_output_size(height, kh, sh, padding)
    out_w = conv_output_size(width, kw, sw, padding)
    out = np.zeros((batch, out_h, out_w, filters), dtype="float32")
    for f in range(filters):
        full = ndimage.correlate(x, kernel[None, :, :, :, f], mode="constant")
        out[..., f] = full[:, ::sh, ::sw, cin // 2][:, :out_h, :out_w]
    return out
'''),
        names=r"scipy\.ndimage\.correlate",
        why="scipy.ndimage.correlate: a convolution routine in disguise",
    ),
]

_NAIVE_VALID = [
    Entry(
        "naive_seven_loops", "naive_solution", FULL,
        source=naive(_NAIVE_SEVEN_LOOPS),
        why="one Python loop per index of the formula",
    ),
    Entry(
        "naive_einsum_per_window", "naive_solution", FULL,
        edits=(("out[:, i, j, :] = np.tensordot(window, kernel, axes=3)",
                'out[:, i, j, :] = np.einsum("buvc,uvcf->bf", window, kernel)'),),
        why="einsum over each window",
    ),
    Entry(
        "naive_loop_over_filters", "naive_solution", FULL,
        edits=(("            out[:, i, j, :] = np.tensordot(window, kernel, axes=3)\n",
                "            for f in range(filters):\n"
                "                out[:, i, j, f] = np.sum(window * kernel[:, :, :, f],"
                " axis=(1, 2, 3))\n"),),
        why="a loop over filters, elementwise product and sum",
    ),
    Entry(
        "naive_helpers_written_otherwise", "naive_solution", FULL,
        source=naive(_NAIVE_SEVEN_LOOPS, helpers='''\
import math


def as_pair(value):
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def conv_output_size(size, kernel_size, stride, padding, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return math.floor((size - span) / stride) + 1
    return math.ceil(size / stride)


def same_padding(size, kernel_size, stride, dilation=1):
    span = dilation * (kernel_size - 1) + 1
    needed = (math.ceil(size / stride) - 1) * stride + span - size
    needed = needed if needed > 0 else 0
    before = needed // 2
    return before, needed - before


'''),
        why="math.floor / math.ceil and another spelling of the padding",
    ),
]

# ------------------------------------------------------------------------ the vectorized

_SLICES = '''\
def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
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
    columns = []
    for u in range(kh):
        for v in range(kw):
            columns.append(x[:, u * dh:u * dh + (out_h - 1) * sh + 1:sh,
                             v * dw:v * dw + (out_w - 1) * sw + 1:sw, :])
    patches = keras.ops.concatenate(columns, axis=-1)
    return keras.ops.matmul(patches, keras.ops.reshape(kernel, (kh * kw * cin, filters)))
'''

_VECTORIZED_MISTAKES = [
    Entry(
        "vectorized_flipped_kernel", "vectorized_solution", LESS,
        edits=(("keras.ops.reshape(kernel, (kh * kw * cin, filters))",
                "keras.ops.reshape(kernel[::-1, ::-1], (kh * kw * cin, filters))"),),
        names=r"the kernel is flipped",
        why="the textbook convolution",
    ),
    Entry(
        "vectorized_patch_order_channel_first", "vectorized_solution", LESS,
        edits=(("keras.ops.transpose(patches, (0, 1, 3, 2, 4, 5))",
                "keras.ops.transpose(patches, (0, 1, 3, 5, 2, 4))"),),
        names=r"patches' columns and the reshaped kernel's rows are in different orders",
        why="patches flattened (c, u, v), kernel reshaped (u, v, c)",
    ),
    Entry(
        "vectorized_stack_channel_first", "vectorized_solution", LESS,
        source=_SLICES.replace("patches = keras.ops.concatenate(columns, axis=-1)",
                               "patches = keras.ops.reshape(keras.ops.stack(columns, axis=-1),"
                               "\n                                (-1, out_h, out_w, "
                               "kh * kw * cin))"),
        names=r"patches' columns and the reshaped kernel's rows are in different orders",
        why="slices stacked on a new last axis: the flattening order is (c, u, v)",
    ),
    Entry(
        "vectorized_padding_extra_on_top", "vectorized_solution", LESS,
        edits=(("top, bottom = same_padding(height, kh, sh, dh)",
                "bottom, top = same_padding(height, kh, sh, dh)"),
               ("left, right = same_padding(width, kw, sw, dw)",
                "right, left = same_padding(width, kw, sw, dw)")),
        names=r"top/left",
        why="the odd padding row on top and the odd column on the left",
    ),
    Entry(
        "vectorized_dilation_ignored", "vectorized_solution", LESS,
        edits=(("    dh, dw = as_pair(dilation_rate)\n", "    dh, dw = 1, 1\n"),),
        names=r"dilation_rate was ignored",
        why="accepts dilation_rate and ignores it",
    ),
    Entry(
        "vectorized_stride_not_in_index", "vectorized_solution", LESS,
        edits=(("rows = np.arange(out_h)[:, None] * sh + np.arange(kh)[None, :] * dh",
                "rows = np.arange(out_h)[:, None] + np.arange(kh)[None, :] * dh"),
               ("cols = np.arange(out_w)[:, None] * sw + np.arange(kw)[None, :] * dw",
                "cols = np.arange(out_w)[:, None] + np.arange(kw)[None, :] * dw")),
        names=r"windows do not move by the stride",
        why="the index tables forget the stride",
    ),
    Entry(
        "vectorized_numpy_take", "vectorized_solution", LESS,
        edits=(("patches = keras.ops.take(x, rows, axis=1)",
                "patches = np.take(np.asarray(x), rows, axis=1)"),),
        names=r"NumPy|keras\.ops|gradient",
        why="NumPy on the tensor: no gradient",
    ),
    Entry(
        "vectorized_float32_cast", "vectorized_solution", LESS,
        edits=(("    return keras.ops.matmul(patches, keras.ops.reshape(kernel, "
                "(kh * kw * cin, filters)))",
                "    out = keras.ops.matmul(patches, keras.ops.reshape(kernel, "
                "(kh * kw * cin, filters)))\n    return keras.ops.cast(out, \"float32\")"),),
        names=r"float16|dtype",
        why="always returns float32 (breaks mixed precision in the layer)",
    ),
    Entry(
        "vectorized_extract_patches", "vectorized_solution", LESS,
        source='''\
def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    kh, kw, cin, filters = kernel.shape
    patches = keras.ops.image.extract_patches(x, (kh, kw), strides=strides,
                                              dilation_rate=dilation_rate, padding=padding)
    return keras.ops.matmul(patches, keras.ops.reshape(kernel, (kh * kw * cin, filters)))
''',
        names=r"keras\.ops\.image\.extract_patches",
        why="Keras' own im2col in one call",
    ),
    Entry(
        "vectorized_jax_lax_alias", "vectorized_solution", LESS,
        source='''\
from jax import lax


def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    out = lax.conv_general_dilated(np.asarray(x), np.asarray(kernel), as_pair(strides),
                                   padding.upper(), rhs_dilation=as_pair(dilation_rate),
                                   dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return keras.ops.convert_to_tensor(np.asarray(out))
''',
        names=r"jax\.lax\.conv_general_dilated",
        why="JAX's convolution imported under its module's short name",
    ),
    Entry(
        "vectorized_keras_ops_nn", "vectorized_solution", LESS,
        source='''\
from keras import ops


def conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1):
    return ops.nn.conv(x, kernel, strides, padding, dilation_rate=dilation_rate)
''',
        names=r"keras\.ops\.(nn\.)?conv",
        why="keras.ops.nn.conv, the same op by another path",
    ),
    Entry(
        "vectorized_strides_ignored", "vectorized_solution", LESS,
        edits=(("    sh, sw = as_pair(strides)\n", "    sh, sw = 1, 1\n"),),
        names=r"strides were ignored",
        why="accepts strides and ignores them",
    ),
]

_VECTORIZED_VALID = [
    Entry(
        "vectorized_strided_slices", "vectorized_solution", FULL,
        source=_SLICES,
        why="one strided slice per kernel offset, concatenated",
    ),
    Entry(
        "vectorized_sum_of_products", "vectorized_solution", FULL,
        source=_SLICES.replace(
            "    patches = keras.ops.concatenate(columns, axis=-1)\n"
            "    return keras.ops.matmul(patches, keras.ops.reshape(kernel, "
            "(kh * kw * cin, filters)))\n",
            "    out = 0.0\n"
            "    for index, piece in enumerate(columns):\n"
            "        out = out + keras.ops.matmul(piece, kernel[index // kw, index % kw])\n"
            "    return out\n"),
        why="sum over kernel offsets of slice @ kernel[u, v]",
    ),
    Entry(
        "vectorized_stack_then_reshape", "vectorized_solution", FULL,
        source=_SLICES.replace("patches = keras.ops.concatenate(columns, axis=-1)",
                               "patches = keras.ops.reshape(keras.ops.stack(columns, axis=3),"
                               "\n                                (-1, out_h, out_w, "
                               "kh * kw * cin))"),
        why="slices stacked before the channel axis: flattening order (u, v, c)",
    ),
    Entry(
        "vectorized_einsum_six_axes", "vectorized_solution", FULL,
        edits=(("    patches = keras.ops.transpose(patches, (0, 1, 3, 2, 4, 5))  "
                "# (batch, i, j, u, v, c)\n"
                "    patches = keras.ops.reshape(patches, (-1, out_h, out_w, kh * kw * cin))\n"
                "    return keras.ops.matmul(patches, keras.ops.reshape(kernel, "
                "(kh * kw * cin, filters)))",
                '    return keras.ops.einsum("biujvc,uvcf->bijf", patches, kernel)'),),
        why="einsum on the gathered windows, no transpose or reshape",
    ),
]

# ------------------------------------------------------------------------------ the layer

_LAYER = '''\
class Conv2D(keras.layers.Layer):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = as_pair(kernel_size)
        self.strides = as_pair(strides)
        self.padding = padding.lower()
        self.dilation_rate = as_pair(dilation_rate)
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(self.kernel_size[0], self.kernel_size[1], input_shape[-1], self.filters),
            initializer="glorot_uniform", name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
{call}

    def compute_output_shape(self, input_shape):
        return (input_shape[0],
                conv_output_size(input_shape[1], self.kernel_size[0], self.strides[0],
                                 self.padding, self.dilation_rate[0]),
                conv_output_size(input_shape[2], self.kernel_size[1], self.strides[1],
                                 self.padding, self.dilation_rate[1]),
                self.filters)

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        config["kernel_size"] = self.kernel_size
        config["strides"] = self.strides
        config["padding"] = self.padding
        config["dilation_rate"] = self.dilation_rate
        config["activation"] = keras.activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        return config
'''
_CALL = '''\
        out = conv2d(inputs, self.kernel, self.strides, self.padding, self.dilation_rate)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)'''


def layer(call: str = _CALL) -> str:
    """A student's Conv2D cell (their own spelling) with `call` as its body."""
    return _LAYER.replace("{call}", call)


_LAYER_MISTAKES = [
    Entry(
        "layer_bias_not_added", "conv2d_solution", LESS,
        edits=(("            outputs = outputs + self.bias\n", "            pass\n"),),
        names=r"the bias \(one per filter\) was not added",
        why="makes the bias, never adds it",
    ),
    Entry(
        "layer_activation_before_bias", "conv2d_solution", LESS,
        source=layer('''\
        out = self.activation(conv2d(inputs, self.kernel, self.strides, self.padding,
                                     self.dilation_rate))
        if self.use_bias:
            out = out + self.bias
        return out'''),
        names=r"activation was applied before the bias",
        why="sigma(conv) + b",
    ),
    Entry(
        "layer_activation_ignored", "conv2d_solution", LESS,
        edits=(("        return self.activation(outputs)", "        return outputs"),),
        names=r"activation '\w+' was not applied",
        why="stores the activation, never applies it",
    ),
    Entry(
        "layer_kernel_pytorch_layout", "conv2d_solution", LESS,
        edits=(("shape=(*self.kernel_size, input_shape[-1], self.filters)",
                "shape=(self.filters, input_shape[-1], *self.kernel_size)"),
               ("outputs = conv2d(inputs, self.kernel, self.strides",
                "outputs = conv2d(inputs, keras.ops.transpose(self.kernel, (2, 3, 1, 0)), "
                "self.strides")),
        names=r"make it \(kernel_height, kernel_width, input_shape\[-1\], filters\), Keras' "
              r"layout",
        why="kernel stored (filters, in_channels, kh, kw) as in PyTorch",
    ),
    Entry(
        "layer_strides_not_passed", "conv2d_solution", LESS,
        source=layer('''\
        out = conv2d(inputs, self.kernel, padding=self.padding,
                     dilation_rate=self.dilation_rate)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)'''),
        names=r"strides were ignored",
        why="forgets to pass the strides on",
    ),
    Entry(
        "layer_dilation_not_passed", "conv2d_solution", LESS,
        edits=(("outputs = conv2d(inputs, self.kernel, self.strides, self.padding, "
                "self.dilation_rate)",
                "outputs = conv2d(inputs, self.kernel, self.strides, self.padding)"),),
        names=r"dilation_rate was ignored",
        why="forgets to pass the dilation on",
    ),
    Entry(
        "layer_padding_not_passed", "conv2d_solution", LESS,
        edits=(("outputs = conv2d(inputs, self.kernel, self.strides, self.padding, "
                "self.dilation_rate)",
                "outputs = conv2d(inputs, self.kernel, self.strides, "
                "dilation_rate=self.dilation_rate)"),),
        names=r"padding='same' was ignored|ceil\(n / s\)",
        why="the padding argument never reaches conv2d",
    ),
    Entry(
        "layer_kernel_size_stored_as_given", "conv2d_solution", LESS,
        edits=(("self.kernel_size = as_pair(kernel_size)", "self.kernel_size = kernel_size"),
               ("shape=(*self.kernel_size, input_shape[-1], self.filters)",
                "shape=(*as_pair(self.kernel_size), input_shape[-1], self.filters)"),
               ("out_h = conv_output_size(height, self.kernel_size[0]",
                "out_h = conv_output_size(height, as_pair(self.kernel_size)[0]"),
               ("out_w = conv_output_size(width, self.kernel_size[1]",
                "out_w = conv_output_size(width, as_pair(self.kernel_size)[1]")),
        names=r"\['kernel_size'\] is 3; Keras stores \[3, 3\]",
        why="kernel_size kept as the int it was given: config differs from Keras'",
    ),
    Entry(
        "layer_output_shape_ignores_padding", "conv2d_solution", LESS,
        edits=(("out_h = conv_output_size(height, self.kernel_size[0], self.strides[0], "
                "self.padding,",
                "out_h = conv_output_size(height, self.kernel_size[0], self.strides[0], "
                "'valid',"),
               ("out_w = conv_output_size(width, self.kernel_size[1], self.strides[1], "
                "self.padding,",
                "out_w = conv_output_size(width, self.kernel_size[1], self.strides[1], "
                "'valid',")),
        names=r"compute_output_shape",
        why="compute_output_shape written for padding='valid' only",
    ),
    Entry(
        "layer_without_compute_output_shape", "conv2d_solution", LESS,
        source=layer().split("    def compute_output_shape")[0] + '''\
    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, dilation_rate=self.dilation_rate,
                      activation=keras.activations.serialize(self.activation),
                      use_bias=self.use_bias)
        return config
''',
        names=r"compute_output_shape|output spec|mixed|symbolic",
        why="no compute_output_shape",
    ),
    Entry(
        "layer_config_without_dilation", "conv2d_solution", LESS,
        edits=(('                "dilation_rate": self.dilation_rate,\n', ""),),
        names=r"'dilation_rate'",
        why="get_config forgets dilation_rate",
    ),
    Entry(
        "layer_super_init_without_kwargs", "conv2d_solution", LESS,
        edits=(("super().__init__(**kwargs)", "super().__init__()"),),
        names=r"\*\*kwargs|super\(\)\.__init__",
        why="drops name, dtype, trainable",
    ),
    Entry(
        "layer_bias_initialised_ones", "conv2d_solution", LESS,
        edits=(('initializer="zeros", name="bias"', 'initializer="ones", name="bias"'),),
        names=r"initial 'bias'",
        why="bias starts at one",
    ),
    Entry(
        "layer_kernel_he_uniform", "conv2d_solution", LESS,
        edits=(('initializer="glorot_uniform", name="kernel"',
                'initializer="he_uniform", name="kernel"'),),
        names=r"initial 'kernel'",
        why="he_uniform instead of glorot_uniform",
    ),
    Entry(
        "layer_wraps_builtin", "conv2d_solution", LESS,
        source='''\
class Conv2D(keras.layers.Layer):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 dilation_rate=(1, 1), activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                                        dilation_rate=dilation_rate, activation=activation,
                                        use_bias=use_bias)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides
        self.padding, self.dilation_rate, self.use_bias = padding, dilation_rate, use_bias
        self.activation = keras.activations.get(activation)

    def call(self, inputs):
        return self.conv(inputs)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, dilation_rate=self.dilation_rate,
                      activation=keras.activations.serialize(self.activation),
                      use_bias=self.use_bias)
        return config
''',
        names=r"keras\.layers\.Conv2D",
        why="delegates to the built-in layer",
    ),
    Entry(
        "layer_subclasses_convolution2d_alias", "conv2d_solution", LESS,
        source='''\
class Conv2D(keras.layers.Convolution2D):
    pass
''',
        names=r"keras\.layers\.(Conv2D|Convolution2D)",
        why="subclasses the built-in under its alias Convolution2D",
    ),
]

_LAYER_VALID = [
    Entry(
        "layer_own_spelling", "conv2d_solution", FULL,
        source=layer(),
        why="kernel shape spelled out, config filled key by key, compute_output_shape inline",
    ),
    Entry(
        "layer_inline_convolution", "conv2d_solution", FULL,
        source=layer('''\
        x = inputs
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        (dh, dw) = self.dilation_rate
        if self.padding == "same":
            pads = [same_padding(n, k, s, d) for n, k, s, d in
                    zip(x.shape[1:3], self.kernel_size, self.strides, self.dilation_rate)]
            x = keras.ops.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
        out_h = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
        out_w = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
        out = 0.0
        for u in range(kh):
            for v in range(kw):
                piece = x[:, u * dh:u * dh + (out_h - 1) * sh + 1:sh,
                          v * dw:v * dw + (out_w - 1) * sw + 1:sw, :]
                out = out + keras.ops.tensordot(piece, self.kernel[u, v], axes=1)
        if self.use_bias:
            out = keras.ops.add(out, self.bias)
        return self.activation(out)'''),
        why="its own sum over kernel offsets instead of calling conv2d",
    ),
    Entry(
        "layer_activation_by_name", "conv2d_solution", FULL,
        edits=(("self.activation = keras.activations.get(activation)",
                "self.activation_name = keras.activations.serialize(\n"
                "            keras.activations.get(activation))"),
               ("return self.activation(outputs)",
                "return keras.activations.get(self.activation_name)(outputs)"),
               ('"activation": keras.activations.serialize(self.activation)',
                '"activation": self.activation_name')),
        why="keeps the activation's name, looks the function up in call",
    ),
    Entry(
        "layer_initializer_objects", "conv2d_solution", FULL,
        edits=(('initializer="glorot_uniform", name="kernel"',
                'initializer=keras.initializers.GlorotUniform(), name="kernel"'),
               ('initializer="zeros", name="bias"',
                'initializer=keras.initializers.Zeros(), name="bias"')),
        why="initializer objects instead of names",
    ),
]

# -------------------------------------------------------------------------------- the CNN

_CNN = '''\
def build_digit_cnn():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        {first},
        {second},
        {flatten}
        {output},
    ]){compile}
    return model
'''


def cnn(first='Conv2D(8, 5, activation="relu")',
        second='Conv2D(16, 3, strides=2, activation="relu")',
        flatten="keras.layers.Flatten(),", output='keras.layers.Dense(10, activation="softmax")',
        compile='optimizer="adam", loss="sparse_categorical_crossentropy", '
                'metrics=["accuracy"]') -> str:
    """A student's CNN cell with one part changed (compile=None: no compile call)."""
    compile = "" if compile is None else f"\n    model.compile({compile})"
    return _CNN.format(first=first, second=second, flatten=flatten, output=output,
                       compile=compile)


_CNN_MISTAKES = [
    Entry(
        "cnn_builtin_conv", "cnn_solution", LESS,
        source=cnn('keras.layers.Conv2D(8, 5, activation="relu")',
                   'keras.layers.Conv2D(16, 3, strides=2, activation="relu")'),
        names=r"your Conv2D|keras\.layers\.Conv2D|built-in|own",
        why="the built-in Conv2D instead of the student's",
    ),
    Entry(
        "cnn_second_without_stride", "cnn_solution", LESS,
        source=cnn(second='Conv2D(16, 3, activation="relu")'),
        names=r"\(None, 11, 11, 16\)|strides",
        why="no stride in the second convolution",
    ),
    Entry(
        "cnn_first_same_padding", "cnn_solution", LESS,
        source=cnn(first='Conv2D(8, 5, padding="same", activation="relu")'),
        names=r"\(None, 24, 24, 8\)|padding",
        why="padding='same' in the first layer",
    ),
    Entry(
        "cnn_without_flatten", "cnn_solution", LESS,
        source=cnn(flatten=""),
        names=r"Flatten|3 layers|\(None, 10\)",
        why="Dense straight on the feature maps",
    ),
    Entry(
        "cnn_without_softmax", "cnn_solution", LESS,
        source=cnn(output="keras.layers.Dense(10)"),
        names=r"softmax",
        why="scores instead of probabilities",
    ),
    Entry(
        "cnn_first_without_relu", "cnn_solution", LESS,
        source=cnn(first="Conv2D(8, 5)"),
        names=r"relu",
        why="a linear first layer",
    ),
    Entry(
        "cnn_filters_swapped", "cnn_solution", LESS,
        source=cnn('Conv2D(16, 5, activation="relu")',
                   'Conv2D(8, 3, strides=2, activation="relu")'),
        names=r"\(None, 24, 24, 8\)|208|filters",
        why="16 then 8 filters",
    ),
    Entry(
        "cnn_kernel_three_first", "cnn_solution", LESS,
        source=cnn(first='Conv2D(8, 3, activation="relu")'),
        names=r"\(None, 24, 24, 8\)|208|kernel_size",
        why="3x3 instead of 5x5 first filters",
    ),
    Entry(
        "cnn_categorical_loss", "cnn_solution", LESS,
        source=cnn(compile='optimizer="adam", loss="categorical_crossentropy", '
                           'metrics=["accuracy"]'),
        names=r"sparse_categorical_crossentropy",
        why="categorical_crossentropy with integer labels",
    ),
    Entry(
        "cnn_not_compiled", "cnn_solution", LESS,
        source=cnn(compile=None),
        names=r"compile",
        why="returns the model uncompiled",
    ),
    Entry(
        "cnn_sgd", "cnn_solution", LESS,
        source=cnn(compile='optimizer="sgd", loss="sparse_categorical_crossentropy", '
                           'metrics=["accuracy"]'),
        names=r"optimi[sz]er|adam",
        why="SGD instead of Adam",
    ),
    Entry(
        "cnn_functional", "cnn_solution", LESS,
        source='''\
def build_digit_cnn():
    inputs = keras.Input(shape=(28, 28, 1))
    x = Conv2D(8, 5, activation="relu")(inputs)
    x = Conv2D(16, 3, strides=2, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
''',
        names=r"[Ss]equential",
        why="a Functional model where a Sequential one is asked for",
    ),
]

_CNN_VALID = [
    Entry(
        "cnn_with_add", "cnn_solution", FULL,
        source='''\
def build_digit_cnn():
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    model.add(Conv2D(filters=8, kernel_size=(5, 5), strides=(1, 1), activation="relu"))
    model.add(Conv2D(filters=16, kernel_size=(3, 3), strides=(2, 2), activation="relu"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
''',
        why="model.add one layer at a time, every argument spelled out",
    ),
    Entry(
        "cnn_objects_in_compile", "cnn_solution", FULL,
        source=cnn(compile="optimizer=keras.optimizers.Adam(), "
                           "loss=keras.losses.SparseCategoricalCrossentropy(), "
                           "metrics=[\"accuracy\"]"),
        why="optimizer and loss objects with their defaults",
    ),
]

ENTRIES = [*_NAIVE_MISTAKES, *_NAIVE_VALID, *_VECTORIZED_MISTAKES, *_VECTORIZED_VALID,
           *_LAYER_MISTAKES, *_LAYER_VALID, *_CNN_MISTAKES, *_CNN_VALID]
