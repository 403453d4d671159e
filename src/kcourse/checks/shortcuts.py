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

#: Built-in layer -> the ops that compute it in one call (forbidden with the layer itself).
OPS_BY_LAYER = {
    "Dense": ("keras.ops.nn.dense",),
    "Conv1D": ("keras.ops.conv", "tf.nn.conv1d", "tensorflow.nn.conv1d",
               "jax.lax.conv_general_dilated", "jax.lax.conv", "tf.nn.convolution"),
    "Conv2D": ("keras.ops.conv", "tf.nn.conv2d", "tensorflow.nn.conv2d",
               "jax.lax.conv_general_dilated", "jax.lax.conv", "tf.nn.convolution",
               "tensorflow.nn.convolution", "scipy.signal.convolve2d", "scipy.signal.correlate2d"),
    "DepthwiseConv2D": ("keras.ops.depthwise_conv", "tf.nn.depthwise_conv2d"),
    "MaxPooling2D": ("keras.ops.max_pool", "tf.nn.max_pool2d", "tf.nn.max_pool",
                     "tensorflow.nn.max_pool2d", "jax.lax.reduce_window", "keras.ops.pool"),
    "AveragePooling2D": ("keras.ops.average_pool", "tf.nn.avg_pool2d", "tf.nn.avg_pool",
                         "tensorflow.nn.avg_pool2d", "jax.lax.reduce_window", "keras.ops.pool"),
    "BatchNormalization": ("keras.ops.batch_normalization", "tf.nn.batch_normalization",
                           "tf.nn.fused_batch_norm"),
    "LayerNormalization": ("keras.ops.layer_normalization",),
    "Dropout": ("keras.random.dropout", "tf.nn.dropout"),
    "Softmax": ("keras.ops.softmax", "keras.activations.softmax", "tf.nn.softmax",
                "jax.nn.softmax"),
    "ReLU": ("keras.activations.relu", "keras.ops.relu", "tf.nn.relu", "jax.nn.relu"),
    "LSTM": ("keras.layers.LSTMCell", "keras.layers.RNN", "keras.layers.SimpleRNNCell",
             "tf.raw_ops.CudnnRNN", "keras.ops.lstm"),
    "GRU": ("keras.layers.GRUCell", "keras.layers.RNN", "keras.layers.SimpleRNNCell",
            "tf.raw_ops.CudnnRNN", "keras.ops.gru"),
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
    try:
        lines, start = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return  # no source to read (defined by exec, or in a compiled module)
    findings = static.scan(textwrap.dedent("".join(lines)), forbidden)
    if findings:
        first = findings[0]
        line = first.line + max(start, 1) - 1
        described = first.describe().replace(f"line {first.line} ", f"line {line} ", 1)
        raise CheckFailure(f"your {cls.__name__}: {described}. Grading refuses it too.")
