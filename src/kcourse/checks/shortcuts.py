"""Shortcuts refused: using the built-in component the exercise re-implements.

Two places refuse them. In the student's kernel (`refuse_shortcuts`,
`watch_calls`), so a student sees it at once; and in the grader, which scans the
source of the solution cells (`kcourse.grading.static`) for the names a
check's case lists under "forbidden" (see `forbidden_for`).
"""

from __future__ import annotations

import inspect
import textwrap
import types
from contextlib import contextmanager

from ._protocol import CheckFailure

#: Always forbidden in solution cells: Keras' private implementation and the solutions.
ALWAYS_FORBIDDEN = ("keras.src", "kcourse.reference", "tf_keras")

#: What computes a pooling layer in one call: Keras' pooling layers (aliases included) and
#: ops, and their TensorFlow, JAX, Flax and PyTorch equivalents (keras.ops.max/mean stay allowed).
POOLING_SHORTCUTS = (
    *(f"keras.layers.{kind}Pool{suffix}{dims}D" for kind in ("Max", "Avg", "Average")
      for suffix in ("", "ing") for dims in (1, 2, 3)),
    *(f"keras.layers.Global{kind}Pool{suffix}{dims}D" for kind in ("Max", "Avg", "Average")
      for suffix in ("", "ing") for dims in (1, 2, 3)),
    *(f"keras.layers.Adaptive{kind}Pooling{dims}D" for kind in ("Max", "Average")
      for dims in (1, 2, 3)),
    "keras.ops.max_pool", "keras.ops.average_pool", "keras.ops.adaptive_max_pool",
    "keras.ops.adaptive_average_pool", "keras.ops.nn.max_pool", "keras.ops.nn.average_pool",
    "keras.ops.nn.adaptive_max_pool", "keras.ops.nn.adaptive_average_pool",
    "tf.nn.pool", "tf.nn.max_pool", "tf.nn.max_pool1d", "tf.nn.max_pool2d", "tf.nn.max_pool3d",
    "tf.nn.max_pool_with_argmax", "tf.nn.avg_pool", "tf.nn.avg_pool1d", "tf.nn.avg_pool2d",
    "tf.nn.avg_pool3d", "tf.raw_ops.MaxPool", "tf.raw_ops.MaxPoolV2",
    "tf.raw_ops.MaxPoolWithArgmax", "tf.raw_ops.MaxPool3D", "tf.raw_ops.AvgPool",
    "tf.raw_ops.AvgPool3D", "jax.lax.reduce_window", "jax.lax.reduce_window_p",
    "jax.lax.reduce_window_max_p", "jax.lax.reduce_window_sum_p", "jax.example_libraries.stax",
    "flax.linen.max_pool", "flax.linen.avg_pool", "flax.linen.pool", "flax.nnx.max_pool",
    "flax.nnx.avg_pool", "torch.nn.functional.max_pool2d", "torch.nn.functional.avg_pool2d",
    "torch.nn.functional.adaptive_max_pool2d", "torch.nn.functional.adaptive_avg_pool2d",
    "torch.nn.MaxPool2d", "torch.nn.AvgPool2d",
)

#: What computes a convolution (or gathers its windows, im2col) in one call: Keras' conv
#: layers (aliases included) and ops, patch extractors, and their TensorFlow, JAX, SciPy,
#: NumPy and PyTorch equivalents (numpy.lib.stride_tricks views stay allowed).
CONV_SHORTCUTS = (
    *(f"keras.layers.{kind}{dims}D" for kind in ("Conv", "Convolution", "DepthwiseConv",
                                                 "SeparableConv", "SeparableConvolution",
                                                 "ConvLSTM")
      for dims in (1, 2, 3)),
    *(f"keras.layers.{kind}{dims}DTranspose" for kind in ("Conv", "Convolution")
      for dims in (1, 2, 3)),
    "keras.ops.conv", "keras.ops.depthwise_conv", "keras.ops.separable_conv",
    "keras.ops.conv_transpose", "keras.ops.nn.conv", "keras.ops.nn.depthwise_conv",
    "keras.ops.nn.separable_conv", "keras.ops.nn.conv_transpose",
    "keras.ops.image.extract_patches", "keras.ops.image.extract_patches_3d",
    "tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d", "tf.nn.convolution", "tf.nn.atrous_conv2d",
    "tf.nn.depthwise_conv2d", "tf.nn.separable_conv2d", "tf.nn.conv2d_transpose",
    "tf.nn.conv_transpose", "tf.nn.conv1d_transpose", "tf.nn.conv3d_transpose",
    "tf.raw_ops.Conv2D", "tf.raw_ops.Conv3D", "tf.raw_ops.Conv", "tf.raw_ops.ExtractImagePatches",
    "tf.raw_ops.DepthwiseConv2dNative", "tf.image.extract_patches",
    "tf.extract_image_patches", "jax.lax.conv", "jax.lax.conv_general_dilated",
    "jax.lax.conv_with_general_padding", "jax.lax.conv_general_dilated_patches",
    "jax.lax.conv_transpose", "jax.lax.conv_general_dilated_local",
    "jax.scipy.signal.convolve", "jax.scipy.signal.convolve2d", "jax.scipy.signal.correlate",
    "jax.scipy.signal.correlate2d", "jax.numpy.convolve", "jax.numpy.correlate",
    "scipy.signal.convolve", "scipy.signal.convolve2d", "scipy.signal.correlate",
    "scipy.signal.correlate2d", "scipy.signal.fftconvolve", "scipy.signal.oaconvolve",
    "scipy.ndimage.convolve", "scipy.ndimage.correlate", "scipy.ndimage.convolve1d",
    "scipy.ndimage.correlate1d", "numpy.convolve", "numpy.correlate",
    "torch.conv2d", "torch.nn.functional.conv2d", "torch.nn.Conv2d", "torch.nn.functional.unfold",
    "flax.linen.Conv", "flax.nnx.Conv",
)

#: What runs a whole LSTM or GRU (or its cell) in one call, beside Keras' own layers and
#: cells: stacked cells, TensorFlow's fused and cuDNN kernels and its v1 cells, Flax's and
#: PyTorch's recurrent modules.
FUSED_RNN_SHORTCUTS = (
    "keras.layers.StackedRNNCells",
    *(f"tf.raw_ops.{op}" for op in (
        "CudnnRNN", "CudnnRNNV2", "CudnnRNNV3", "CudnnRNNBackprop", "CudnnRNNBackpropV2",
        "CudnnRNNBackpropV3", "BlockLSTM", "BlockLSTMV2", "LSTMBlockCell", "GRUBlockCell")),
    "tf.compat.v1.nn.rnn_cell", "tf.compat.v1.nn.dynamic_rnn", "tf.compat.v1.nn.static_rnn",
    "tf.compat.v1.nn.bidirectional_dynamic_rnn", "tf.compat.v1.keras.layers",
    "flax.linen.LSTMCell", "flax.linen.OptimizedLSTMCell", "flax.linen.GRUCell",
    "flax.linen.RNN", "flax.nnx.LSTMCell", "flax.nnx.OptimizedLSTMCell", "flax.nnx.GRUCell",
    "flax.nnx.RNN", "torch.nn.LSTM", "torch.nn.GRU", "torch.nn.LSTMCell", "torch.nn.GRUCell",
)

#: Built-in layer -> the ops that compute it in one call (forbidden with the layer itself).
OPS_BY_LAYER = {
    "Dense": ("keras.ops.nn.dense",),
    "Conv1D": CONV_SHORTCUTS,
    "Conv2D": CONV_SHORTCUTS,
    "Conv3D": CONV_SHORTCUTS,
    "DepthwiseConv2D": ("keras.ops.depthwise_conv", "tf.nn.depthwise_conv2d"),
    # Pooling: every pooling op, layer or library function is a shortcut for every
    # pooling exercise (a global pool is a window pool over the whole map, and back).
    "MaxPooling2D": POOLING_SHORTCUTS,
    "AveragePooling2D": POOLING_SHORTCUTS,
    "GlobalAveragePooling2D": POOLING_SHORTCUTS,
    "GlobalMaxPooling2D": POOLING_SHORTCUTS,
    "BatchNormalization": ("keras.ops.batch_normalization", "tf.nn.batch_normalization",
                           "tf.nn.fused_batch_norm"),
    "LayerNormalization": ("keras.ops.layer_normalization",),
    "Dropout": ("keras.random.dropout", "tf.nn.dropout"),
    "Softmax": ("keras.ops.softmax", "keras.activations.softmax", "tf.nn.softmax",
                "jax.nn.softmax", "keras.ops.nn.softmax", "tf.math.softmax",
                "keras.ops.log_softmax", "keras.activations.log_softmax", "tf.nn.log_softmax",
                "jax.nn.log_softmax", "keras.layers.Activation"),
    "ReLU": ("keras.activations.relu", "keras.ops.relu", "tf.nn.relu", "jax.nn.relu",
             "keras.ops.nn.relu", "keras.layers.Activation"),
    "LeakyReLU": ("keras.activations.leaky_relu", "keras.ops.leaky_relu", "tf.nn.leaky_relu",
                  "jax.nn.leaky_relu", "keras.ops.nn.leaky_relu", "keras.activations.relu",
                  "keras.layers.ReLU", "keras.layers.Activation"),
    "ELU": ("keras.activations.elu", "keras.ops.elu", "tf.nn.elu", "jax.nn.elu",
            "keras.ops.nn.elu", "keras.ops.celu", "keras.activations.celu", "jax.nn.celu",
            "keras.layers.Activation"),
    # An activation layer written by hand calls no built-in activation.
    "Activation": tuple(f"{prefix}.{name}" for name in (
        "relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "softmax")
        for prefix in ("keras.activations", "keras.ops", "keras.ops.nn", "tf.nn", "jax.nn")
    ) + ("tf.math.sigmoid", "tf.sigmoid", "tf.math.tanh", "tf.tanh", "jax.numpy.tanh",
         "keras.ops.numpy.tanh", "keras.ops.log_sigmoid", "keras.ops.log_softmax",
         "keras.layers.ReLU", "keras.layers.LeakyReLU", "keras.layers.ELU",
         "keras.layers.Softmax"),
    "LSTM": ("keras.layers.LSTMCell", "keras.layers.RNN", "keras.layers.SimpleRNNCell",
             "keras.ops.lstm", *FUSED_RNN_SHORTCUTS),
    "GRU": ("keras.layers.GRUCell", "keras.layers.RNN", "keras.layers.SimpleRNNCell",
            "keras.ops.gru", *FUSED_RNN_SHORTCUTS),
    "SimpleRNN": ("keras.layers.SimpleRNNCell", "keras.layers.RNN"),
    "Bidirectional": (),
}


def forbidden_for(builtin: type) -> list[str]:
    """Dotted names a solution cell may not use when it re-implements `builtin`."""
    name = builtin.__name__
    names = [f"keras.layers.{name}", *OPS_BY_LAYER.get(name, ()), *ALWAYS_FORBIDDEN]
    return list(dict.fromkeys(names))


@contextmanager
def watch_calls(cls):
    """Record whether `cls.build` or `cls.call` runs inside the block (the built-in was used)."""
    used = []
    originals = {name: cls.__dict__.get(name) for name in ("build", "call")}

    def watching(name, original):
        def watched(self, *args, **kwargs):
            used.append(name)
            return original(self, *args, **kwargs)
        return watched

    for name in originals:
        setattr(cls, name, watching(name, getattr(cls, name)))
    try:
        yield used
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)


def uses_reference_module(cls) -> bool:
    """True if the class, its bases, or names its methods use come from kcourse.reference."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("kcourse.reference"):
            return True
        if klass.__module__.startswith(("keras", "builtins")):
            continue
        for attribute in vars(klass).values():
            code = getattr(attribute, "__code__", None)
            scope = getattr(attribute, "__globals__", {})
            for name in code.co_names if code else ():
                obj = scope.get(name)
                module = getattr(obj, "__name__", "") if isinstance(obj, types.ModuleType) else ""
                module = module or getattr(obj, "__module__", "") or ""
                if module.startswith("kcourse.reference"):
                    return True
    return False


def refuse_shortcuts(student, reference) -> None:
    """Fail if the student's layer is, wraps or subclasses the layer it re-implements."""
    builtin = type(reference)
    name = f"keras.layers.{builtin.__name__}"
    if uses_reference_module(type(student)):
        raise CheckFailure(
            "your layer uses kcourse.reference, the instructors' solutions. "
            "Write the layer yourself; the reference is not available when grading."
        )
    if isinstance(student, builtin):
        raise CheckFailure(
            f"your layer is (a subclass of) {name}, the layer you are asked to write. "
            "Subclass keras.layers.Layer instead."
        )
    try:
        inner_layers = student._flatten_layers(include_self=False, recursive=True)
    except AttributeError:
        return  # super().__init__ forgotten: reported when the layer is built
    for inner in inner_layers:
        if isinstance(inner, builtin):
            raise CheckFailure(
                f"your layer contains a {name} ({inner.name!r}): write the computation "
                "yourself with keras.ops instead of wrapping the built-in layer."
            )


def refuse_forbidden_source(cls, forbidden) -> None:
    """Scan the source of the student's class as the grader will (kcourse.grading.static).

    The grader scans whole solution cells; here only the class is visible, so this
    catches less than grading does, never more: it exists so that a student sees
    the refusal before submitting.
    """
    from ..grading import static

    if cls.__module__.startswith(("keras", "kcourse")):
        return
    for source, start in _source_pieces(cls):
        findings = static.scan(textwrap.dedent(source), forbidden)
        if findings:
            first = findings[0]
            line = first.line + max(start, 1) - 1
            described = first.describe().replace(f"line {first.line} ", f"line {line} ", 1)
            raise CheckFailure(f"your {cls.__name__}: {described}. Grading refuses it too.")


def _source_pieces(cls) -> list[tuple[str, int]]:
    """(source, first line) of the class, else of each of its own methods; [] if none.

    Python looks for a class's source in its module's file, and a class defined in
    a notebook cell lives in __main__, which has none; IPython keeps each cell's code
    in linecache under the name its functions' code carries, so the methods' source
    can still be read. Nothing to read for code made by exec.
    """
    try:
        lines, start = inspect.getsourcelines(cls)
        return [("".join(lines), start)]
    except (OSError, TypeError):
        pass
    pieces = []
    for attribute in vars(cls).values():
        function = getattr(attribute, "__func__", attribute)  # staticmethod, classmethod
        if not inspect.isfunction(function):
            continue
        try:
            lines, start = inspect.getsourcelines(function)
        except (OSError, TypeError):
            continue
        pieces.append(("".join(lines), start))
    return pieces
