"""The function check: a student's function against a Keras function.

    check_function(student_fn, keras_fn, inputs, *, kwargs=None, gradients=True,
                   dtypes=("float32",), extreme=False, seed=0, label=None,
                   forbidden=None, rtol=None, atol=None)
    check_derivative(student_derivative, keras_fn, input_shape, *, kwargs=None,
                     dtypes=("float32",), extreme=False, seed=0, label=None,
                     forbidden=None, rtol=None, atol=None)

`keras_fn` is a public Keras callable (keras.activations.relu, keras.ops.softmax,
keras.ops.conv, ...) or its dotted name; the case stores the dotted name, so the
grader's judge rebuilds it. `inputs` has one item per positional argument: a shape
(a float array drawn from the seed: standard normal times INPUT_SCALE) or an explicit
array (stored in the case). `kwargs` (JSON-safe) go to both functions.

Probes, once per dtype in `dtypes` (each float input cast to it):

1. the output: shape, dtype and values (tolerance by dtype, TOLERANCES);
2. with gradients=True, the gradient of sum(output * c), c a fixed random
   cotangent, with respect to each floating input (backend autodiff,
   checks/_gradients.py);
3. with extreme=True, the same on inputs pushed to +-1000 (slices all near +1000,
   all near -1000, mixed with ordinary values), along the first and along the last
   axis: the student's values and gradients must be finite wherever Keras' are
   (an overflow or a NaN is named as such) and match there.

`check_derivative` compares a hand-written derivative f'(x) of an elementwise Keras
function with the derivative autodiff computes for Keras' f (the gradient of
sum(f(x))), on the same inputs.

Forbidden by default (kernel refusal and the grader's static scan): the function's
public names (keras.activations.X, keras.ops.X, keras.ops.nn.X), its TensorFlow and
JAX equivalents, the built-in layers that compute it, and other built-ins that give
it in one call (SAME_COMPUTATION); `forbidden` adds names. In the kernel the student's
function is refused if it is one of them, if its source names one, or if its own code
calls one while it runs (`refuse_forbidden_calls`, also used by check_layer). Named
mistakes come from checks/mistakes (register_function, keyed by the Keras function's
dotted name, "derivative of <name>" for derivatives).

On JAX both sides are jit-compiled (Keras' once per function, arguments, shapes and
dtypes; the student's once per check): op by op, JAX compiles every op again for each
new shape and dtype, seconds per check. Code that cannot be traced runs eagerly.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import keras
import numpy as np

from . import _gradients as autodiff
from . import mistakes
from ._compare import ATOL, GRAD_ATOL, GRAD_RTOL, RTOL, describe_mismatch
from ._protocol import CheckFailure, CheckUsageError, register, run
from ._student import as_numpy, error_summary, is_library_file, run_student
from .shortcuts import ALWAYS_FORBIDDEN, OPS_BY_LAYER, refuse_forbidden_source

#: Random inputs: standard normal times this (activations bend around |x| < 3).
INPUT_SCALE = 2.0
#: Extreme inputs: this magnitude, where exp overflows in every float dtype.
EXTREME = 1000.0
#: dtype -> (rtol, atol) for outputs; gradients get GRADIENT_TOLERANCES.
TOLERANCES = {"float64": (1e-7, 1e-9), "float32": (RTOL, ATOL),
              "float16": (1e-2, 2e-3), "bfloat16": (5e-2, 1e-2)}
GRADIENT_TOLERANCES = {"float64": (1e-7, 1e-9), "float32": (GRAD_RTOL, GRAD_ATOL),
                       "float16": (2e-2, 4e-3), "bfloat16": (8e-2, 2e-2)}
FLOAT_DTYPES = tuple(TOLERANCES)

#: Where public Keras functions are looked up, in order of preference for their name.
SEARCH_MODULES = ("keras.activations", "keras.ops", "keras.ops.nn", "keras.ops.numpy",
                  "keras.ops.image", "keras.ops.linalg", "keras.ops.math", "keras.ops.core")

#: short name -> built-in layers that compute the function (forbidden with it).
LAYERS_BY_FUNCTION = {
    "relu": ("ReLU",), "leaky_relu": ("LeakyReLU", "ReLU"), "elu": ("ELU",),
    "softmax": ("Softmax",), "conv": ("Conv1D", "Conv2D", "Conv3D"),
    "depthwise_conv": ("DepthwiseConv1D", "DepthwiseConv2D"),
    "max_pool": ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D"),
    "average_pool": ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D"),
}
#: short name -> other built-ins that give the same result in one call (disguised shortcuts).
SAME_COMPUTATION = {
    "relu": ("tf.math.relu",),
    "leaky_relu": ("keras.activations.relu",),  # relu(x, negative_slope=...) is leaky
    "elu": ("keras.ops.celu", "keras.activations.celu", "jax.nn.celu"),  # celu = elu at 1
    "sigmoid": ("tf.sigmoid", "tf.math.sigmoid", "jax.lax.logistic", "scipy.special.expit",
                "keras.ops.log_sigmoid", "keras.activations.log_sigmoid", "jax.nn.log_sigmoid",
                "tf.math.log_sigmoid"),
    "tanh": ("tf.tanh", "tf.math.tanh", "jax.numpy.tanh", "jax.lax.tanh", "numpy.tanh",
             "math.tanh", "keras.ops.numpy.tanh", "torch.tanh"),
    "gelu": ("tf.nn.gelu", "jax.nn.gelu"),
    "softmax": ("tf.math.softmax", "keras.ops.log_softmax", "keras.activations.log_softmax",
                "tf.nn.log_softmax", "tf.math.log_softmax", "jax.nn.log_softmax",
                "scipy.special.softmax", "scipy.special.log_softmax"),
}
#: Autodiff: what a hand-written derivative may not use.
AUTODIFF = ("tf.GradientTape", "tf.gradients", "jax.grad", "jax.vjp", "jax.jvp",
            "jax.value_and_grad", "jax.jacfwd", "jax.jacrev", "jax.jacobian")

VARIANTS = ("random", "extreme-first-axis", "extreme-last-axis")
_VARIANT_WORDS = {"random": "", "extreme-first-axis": " with values near +-1000 (by first axis)",
                  "extreme-last-axis": " with values near +-1000 (by last axis)"}


# ------------------------------------------------------------------------------ names


def _walk(dotted: str, *, import_modules: bool):
    """The object a dotted name stands for, or None (imports only when asked)."""
    parts = dotted.split(".")
    obj, prefix = None, ""
    for index, part in enumerate(parts):
        prefix = f"{prefix}.{part}" if prefix else part
        if prefix in sys.modules:
            obj = sys.modules[prefix]
            continue
        if index == 0:
            if not import_modules:
                return None
            try:
                obj = importlib.import_module(prefix)
            except ImportError:
                return None
            continue
        try:
            obj = inspect.getattr_static(obj, part) if not import_modules else getattr(obj, part)
        except AttributeError:
            return None
    return obj


def dotted_name(keras_fn) -> str:
    """keras.activations.relu -> "keras.activations.relu"; a string is validated."""
    if isinstance(keras_fn, str):
        resolve(keras_fn)
        return keras_fn
    name = getattr(keras_fn, "__name__", None)
    for module in SEARCH_MODULES:
        if name and _walk(f"{module}.{name}", import_modules=True) is keras_fn:
            return f"{module}.{name}"
    raise CheckUsageError(
        f"keras_fn must be a public Keras function (keras.activations.X, keras.ops.X); "
        f"{keras_fn!r} is not one."
    )


def resolve(dotted: str) -> Callable:
    """The Keras function a case names (only keras.* names)."""
    if not isinstance(dotted, str) or not dotted.startswith("keras.") or "._" in dotted \
            or dotted.startswith("keras.src"):
        raise CheckUsageError(f"{dotted!r} is not a public Keras function name.")
    fn = _walk(dotted, import_modules=True)
    if not callable(fn):
        raise CheckUsageError(f"{dotted!r} is not a public Keras function name.")
    return fn


def short_name(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def default_forbidden(dotted: str, mode: str = "function") -> list[str]:
    """What a solution re-implementing `dotted` may not use (mode "derivative": autodiff)."""
    if mode == "derivative":
        return list(dict.fromkeys([*AUTODIFF, *ALWAYS_FORBIDDEN]))
    name = short_name(dotted)
    names = [dotted, f"keras.ops.{name}", f"keras.ops.nn.{name}", f"tf.nn.{name}",
             f"jax.nn.{name}"]
    if hasattr(keras.activations, name):  # an activation: by name, and by name in a layer
        names += [f"keras.activations.{name}", "keras.layers.Activation"]
    for layer in LAYERS_BY_FUNCTION.get(name, ()):
        names += [f"keras.layers.{layer}", *OPS_BY_LAYER.get(layer, ())]
    names += SAME_COMPUTATION.get(name, ())
    names += ALWAYS_FORBIDDEN
    return list(dict.fromkeys(names))


# ------------------------------------------------------------------------------ inputs


def _json_safe(value, what: str):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise CheckUsageError(f"{what} must be JSON-safe (numbers, strings, lists); "
                              f"got {value!r}.") from None


def _as_call_value(value):
    """JSON lists back to tuples (strides=(2, 2) survives the round trip as a tuple)."""
    if isinstance(value, list):
        return tuple(_as_call_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_call_value(v) for k, v in value.items()}
    return value


def call_kwargs(case: dict) -> dict:
    return {k: _as_call_value(v) for k, v in (case.get("kwargs") or {}).items()}


def describe_inputs(inputs) -> list[dict]:
    """The case's form of `inputs`: {"shape": [...]} or {"values": [...], "dtype": ...}."""
    if not isinstance(inputs, tuple | list):
        raise CheckUsageError(
            "inputs must be a tuple with one item per positional argument, e.g. ((4, 5),) "
            "for one input of shape (4, 5).")
    if inputs and all(isinstance(d, int | np.integer) for d in inputs):
        raise CheckUsageError(
            f"inputs must be a tuple with one item per positional argument: for one input of "
            f"shape {tuple(inputs)} write ({tuple(inputs)},).")
    described = []
    for position, item in enumerate(inputs):
        if isinstance(item, tuple) and all(isinstance(d, int | np.integer) for d in item):
            if any(int(d) < 1 for d in item):
                raise CheckUsageError(f"input {position}: shape {item} has a dimension < 1.")
            described.append({"shape": [int(d) for d in item]})
            continue
        try:
            array = np.asarray(keras.ops.convert_to_numpy(item))
        except Exception as error:
            raise CheckUsageError(f"input {position} must be a shape tuple or an array; "
                                  f"{error}") from None
        if array.dtype.kind not in "fiub":
            raise CheckUsageError(f"input {position} must be numeric; got dtype {array.dtype}.")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise CheckUsageError(f"input {position} contains NaN or infinity.")
        dtype = "float32" if array.dtype.kind == "f" else str(array.dtype)
        described.append({"values": array.astype(dtype).tolist(), "dtype": dtype})
    return described


def _extreme(base: np.ndarray, axis: int) -> np.ndarray:
    """base with slices (along `axis`, cycling) near +1000, near -1000, ordinary, +-1000."""
    if base.ndim == 0:
        return np.asarray(EXTREME)
    index = np.arange(base.shape[axis]) % 4
    shape = [1] * base.ndim
    shape[axis] = base.shape[axis]
    region = index.reshape(shape)
    region = np.broadcast_to(region, base.shape)
    small = np.clip(base, -3.0, 3.0) / 2.0
    return np.select([region == 0, region == 1, region == 2],
                     [EXTREME + small, -EXTREME + small, base],
                     np.where(base >= 0, EXTREME, -EXTREME))


def base_inputs(case: dict, seed: int) -> list[np.ndarray]:
    """float64 (or integer) arrays before casting: random ones drawn from the seed."""
    rng = np.random.default_rng(seed)
    arrays = []
    for item in case["inputs"]:
        if "shape" in item:
            arrays.append(INPUT_SCALE * rng.standard_normal(tuple(item["shape"])))
        else:
            dtype = item.get("dtype", "float32")
            arrays.append(np.asarray(item["values"], dtype="float64" if dtype.startswith(
                "float") else dtype))
    return arrays


def variants(case: dict) -> tuple[str, ...]:
    return VARIANTS if case.get("extreme") else VARIANTS[:1]


def make_args(case: dict, seed: int, dtype: str, variant: str):
    """(NumPy arrays for the message and the mistakes, backend tensors for the call)."""
    arrays = []
    for base in base_inputs(case, seed):
        if base.dtype.kind == "f":
            if variant != "random":
                base = _extreme(base, 0 if variant == "extreme-first-axis" else -1)
            arrays.append(base)
        else:
            arrays.append(base)
    tensors, shown = [], []
    for array in arrays:
        if array.dtype.kind == "f":
            tensor = keras.ops.convert_to_tensor(array.astype("float32"), dtype=dtype)
            shown.append(_numpy_view(tensor, dtype))
        else:
            tensor = keras.ops.convert_to_tensor(array)
            shown.append(array)
        tensors.append(tensor)
    return shown, tensors


def _numpy_view(value, dtype: str) -> np.ndarray:
    """A tensor as a NumPy array: float16/float32/float64 kept, bfloat16 as float32."""
    array = np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(value, "float32")
                                                  if dtype == "bfloat16" else value))
    return array


def differentiable(case: dict) -> list[int]:
    return [i for i, item in enumerate(case["inputs"])
            if "shape" in item or str(item.get("dtype", "float32")).startswith("float")]


def cotangent_for(seed: int, run: int, shape) -> np.ndarray:
    return np.random.default_rng([seed, 2, run]).standard_normal(tuple(shape)).astype("float32")


def runs(case: dict):
    """(run number, dtype, variant) of every probe, in the order of the payload."""
    number = 0
    for dtype in case["dtypes"]:
        for variant in variants(case):
            yield number, dtype, variant
            number += 1


# ----------------------------------------------------------------------- student side


def _is_student_file(filename: str) -> bool:
    return not is_library_file(filename)


def _watched_codes(forbidden) -> dict:
    """code object -> dotted name, for forbidden plain Python functions already loaded."""
    codes = {}
    for name in forbidden:
        canonical = name.replace("tf.", "tensorflow.", 1) if name.startswith("tf.") else name
        obj = _walk(canonical, import_modules=False)
        if isinstance(obj, type):  # a layer class: its constructor, called by the student
            obj = obj.__dict__.get("__init__")
        code = getattr(inspect.unwrap(obj), "__code__", None) if callable(obj) else None
        if code is not None and not _is_student_file(code.co_filename):
            codes.setdefault(code, name)
    return codes


#: Generic decorators between a caller and a TensorFlow op (dispatch, weak tensors, tracebacks).
_WRAPPER_NAMES = ("wrapper", "op_dispatch_handler", "error_handler", "wrapped", "decorated",
                  "new_func", "binary_op_wrapper")


@contextmanager
def watch_forbidden(forbidden):
    """Record the forbidden functions the student's own code calls inside the block.

    A forbidden plain Python function (or a forbidden class's __init__) counts when its
    caller, past generic decorators, is the student's code: Keras calling it for a
    legitimate op does not count.
    """
    codes = _watched_codes(forbidden)
    used: list[str] = []
    previous = sys.getprofile()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            caller, hops = frame.f_back, 0
            while caller is not None and hops < 4 and caller.f_code.co_name in _WRAPPER_NAMES \
                    and not _is_student_file(caller.f_code.co_filename):
                caller, hops = caller.f_back, hops + 1
            if caller is not None and _is_student_file(caller.f_code.co_filename):
                used.append(codes[frame.f_code])

    if codes:
        sys.setprofile(profile)
    try:
        yield used
    finally:
        if codes:
            sys.setprofile(previous)


@contextmanager
def refuse_forbidden_calls(forbidden, label: str):
    """Raise CheckFailure after the block if the student's code called a forbidden function."""
    __tracebackhide__ = True
    with watch_forbidden(forbidden) as used:
        yield
    if used:
        raise CheckFailure(f"{label} uses {used[0]}, which this exercise forbids: write the "
                           "computation yourself with keras.ops.")


def _label(student_fn, label) -> str:
    if label:
        return str(label)
    if isinstance(student_fn, keras.layers.Layer):
        return f"your {type(student_fn).__name__}"
    name = getattr(student_fn, "__name__", "")
    return f"your {name}" if name and name != "<lambda>" else "your function"


def refuse_student_shortcuts(student_fn, forbidden, label: str) -> None:
    """Before running it: the student's function is not, and does not name, a forbidden one."""
    target = student_fn.func if isinstance(student_fn, functools.partial) else student_fn
    for name in forbidden:
        canonical = name.replace("tf.", "tensorflow.", 1) if name.startswith("tf.") else name
        obj = _walk(canonical, import_modules=False)
        if obj is None:
            continue
        if target is obj or (isinstance(obj, type) and isinstance(target, obj)):
            raise CheckFailure(
                f"{label} is {name} itself, which this exercise forbids: write the "
                "computation yourself with keras.ops.")
    module = getattr(target, "__module__", "") or ""
    if module.startswith("kcourse.reference"):
        raise CheckFailure(f"{label} uses kcourse.reference, the instructors' solutions. "
                           "Write it yourself; the reference is not available when grading.")
    if isinstance(target, keras.layers.Layer):
        target = type(target)
    if getattr(target, "__name__", "") == "<lambda>":
        return  # its source is the test's own line; the static scan reads the cells
    if isinstance(target, type) or inspect.isfunction(target):
        refuse_forbidden_source(target, forbidden)


_COMPILED: dict = {}
#: Errors of code that runs eagerly but cannot be differentiated on JAX (NumPy or Python
#: values taken from tensors).
_TRACING_ERRORS = ("TracerArrayConversionError", "ConcretizationTypeError",
                   "TracerBoolConversionError", "TracerIntegerConversionError")


def keras_forward(fn, tensors, kwargs, compile_key):
    """Keras' fn(*tensors, **kwargs): on JAX jit-compiled once per key, shapes and dtypes
    (op by op, every new shape compiles every op again: seconds per check)."""
    if keras.config.backend() != "jax":
        return fn(*tensors, **kwargs)
    import jax

    if compile_key not in _COMPILED:
        _COMPILED[compile_key] = jax.jit(lambda *args: fn(*args, **kwargs))
    return _COMPILED[compile_key](*tensors)


def student_runner(student_fn, kwargs):
    """runner(*tensors) = student_fn(*tensors, **kwargs); on JAX jit-compiled (once per check:
    a check's runs share shapes) and run eagerly if the code cannot be traced."""
    if keras.config.backend() != "jax":
        return lambda *tensors: student_fn(*tensors, **kwargs)
    import jax

    compiled = jax.jit(lambda *tensors: student_fn(*tensors, **kwargs))
    state = {"eager": False}

    def runner(*tensors):
        if not state["eager"]:
            try:
                return compiled(*tensors)
            except CheckFailure:
                raise
            except Exception as error:
                if type(error).__name__ not in _TRACING_ERRORS:
                    raise
                state["eager"] = True
        return student_fn(*tensors, **kwargs)

    return runner


def _call(runner, tensors, what, forbidden, label):
    __tracebackhide__ = True
    with refuse_forbidden_calls(forbidden, label):
        out = run_student(what, runner, *tensors)
    if isinstance(out, list | tuple):
        raise CheckFailure(f"{what} returned a {type(out).__name__}; return one tensor.")
    return out


def _what(label: str, case: dict, dtype: str, variant: str, shapes) -> str:
    kinds = ", ".join(str(tuple(s)) for s in shapes)
    return f"{label} on {dtype} input {kinds}{_VARIANT_WORDS[variant]}"


def collect_function(case: dict, seed: int, student_fn) -> dict:
    """Student side: the student's outputs (and gradients) for every dtype and variant."""
    __tracebackhide__ = True
    label = case.get("label") or "your function"
    forbidden = case.get("forbidden") or ()
    refuse_student_shortcuts(student_fn, forbidden, label)
    kwargs = call_kwargs(case)
    derivative = case.get("mode") == "derivative"
    payload = {"label": label, "runs": []}
    runner, compiled = student_runner(student_fn, kwargs), {}
    for number, dtype, variant in runs(case):
        shown, tensors = make_args(case, seed, dtype, variant)
        what = _what(label, case, dtype, variant, [a.shape for a in shown])
        out = _call(runner, tensors, what, forbidden, label)
        value = as_numpy(out, what)
        out_dtype = keras.backend.standardize_dtype(getattr(out, "dtype", value.dtype))
        if out_dtype == "bfloat16" or value.dtype.kind not in "fiub":
            value = np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(out, "float32")))
        record = {"dtype": dtype, "variant": variant, "output": value,
                  "output_dtype": out_dtype, "gradients": None}
        if case.get("gradients") and not derivative and value.dtype.kind == "f":
            cotangent = cotangent_for(seed, number, value.shape)

            def watched(*args, what=what, **kw):
                return _call(lambda *t: student_fn(*t, **kw), args, what, forbidden, label)

            try:  # compiled once per check on JAX (in `compiled`, dropped after the check)
                grads = autodiff.function_vjp(watched, tensors, cotangent,
                                              differentiable(case), kwargs,
                                              ("student", dtype), compiled)
            except autodiff.UnsupportedBackend as error:
                raise CheckUsageError(str(error)) from None
            except CheckFailure as failure:
                if not any(name in str(failure) for name in _TRACING_ERRORS):
                    raise
                raise CheckFailure(
                    f"computing gradients through {label} failed: it turns a tensor into NumPy "
                    "or Python values, which autodiff cannot follow. Use keras.ops on the "
                    f"tensors.\n  ({str(failure).splitlines()[0]})") from None
            except Exception as error:
                raise CheckFailure(
                    f"computing gradients through {label} failed with "
                    f"{type(error).__name__}: {error_summary(error)}. Use keras.ops (not "
                    "NumPy or Python floats) on the tensors, so Keras can differentiate it."
                ) from None
            record["gradients"] = [None if g is None else _float_array(g) for g in grads]
        payload["runs"].append(record)
    return payload


def _float_array(value) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":  # bfloat16
        array = array.astype("float32")
    return array


# ------------------------------------------------------------------------------ judge


def _compile_key(case: dict) -> str:
    return json.dumps([case["function"], case.get("kwargs") or {}], sort_keys=True)


def _expected(case: dict, fn, tensors, kwargs, dtype: str):
    if case.get("mode") == "derivative":
        ones = np.ones(tuple(tensors[0].shape), dtype="float32")
        grads = autodiff.function_vjp(fn, tensors, ones, [0], kwargs, _compile_key(case))
        return _float_array(grads[0]), dtype
    out = keras_forward(fn, tensors, kwargs, _compile_key(case))
    return _numpy_view(out, keras.backend.standardize_dtype(out.dtype)), \
        keras.backend.standardize_dtype(out.dtype)


def _fmt(value) -> str:
    return f"{float(value) + 0.0:.6g}"  # + 0.0: no "-0"


def _input_values(index, shown, names) -> str:
    notes = []
    for name, array in zip(names, shown, strict=False):
        if array.ndim == len(index) and all(i < d for i, d in zip(index, array.shape,
                                                                  strict=True)):
            notes.append(f"{name}[{', '.join(str(i) for i in index)}] = {_fmt(array[index])}")
    return ", ".join(notes)


def _input_note(index, shown, names) -> str:
    values = _input_values(index, shown, names)
    return f" (there {values})" if values else ""


def _compare(what: str, got, expected, rtol: float, atol: float, *, scale: bool,
             shown, names, against: str, explain=None, non_finite_hint: str = "") -> None:
    """Values where Keras' are finite: finite and close. Raise CheckFailure otherwise."""
    __tracebackhide__ = True
    got = np.asarray(got, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    finite = np.isfinite(expected)
    if scale and finite.any():
        atol = atol * max(1.0, float(np.abs(expected[finite]).max()))
    overflow = finite & ~np.isfinite(got)
    if overflow.any():
        index = tuple(int(i) for i in np.argwhere(overflow)[0])
        kind = "NaN" if np.isnan(got[index]) else "inf"
        message = (f"{what} is {kind} at index {index}{_input_note(index, shown, names)}, "
                   f"where {against} gives {_fmt(expected[index])} "
                   f"({int(overflow.sum())} non-finite values where Keras' are finite). "
                   f"{non_finite_hint}")
        reason = explain(got) if explain else None
        if reason:
            message += f"\n  Likely mistake: {reason}"
        raise CheckFailure(message.rstrip())
    got_masked = np.where(finite, got, 0.0)
    expected_masked = np.where(finite, expected, 0.0)
    close = np.isclose(got_masked, expected_masked, rtol=rtol, atol=atol)
    if close.all():
        return
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    message = (f"{what} does not match {against}.\n"
               f"{describe_mismatch(got_masked, expected_masked, rtol, atol)}")
    values = _input_values(index, shown, names)
    if values:
        message += f"\n  input there: {values}"
    reason = explain(got) if explain else None
    if reason:
        message += f"\n  Likely mistake: {reason}"
    raise CheckFailure(message)


OVERFLOW_HINT = (
    "An intermediate result overflowed: exp(x) is inf above x = 88.7 in float32 and 11.1 in "
    "float16, and inf / inf or 0 / 0 is NaN. Rewrite the formula so that exp only sees "
    "arguments <= 0 (subtract the maximum, or use exp(-|x|)).")
GRADIENT_NAN_HINT = (
    "The output is finite there, so the NaN comes from the backward pass: the chain rule "
    "multiplies the local derivatives of every intermediate, and 0 * inf = NaN when one "
    "of them overflowed (exp(1000) = inf), even inside the branch of keras.ops.where that "
    "is not selected: both branches are differentiated. Keep every intermediate finite, "
    "e.g. exp(-|x|) instead of exp(-x), or exp(minimum(x, 0)) instead of exp(x) in a "
    "branch used only for x <= 0.")


def _call_text(dotted: str, names, kwargs: dict) -> str:
    """'keras.activations.softmax(x, axis=0)'"""
    return f"{dotted}({', '.join([*names, *(f'{k}={v!r}' for k, v in kwargs.items())])})"


def _parameter_names(fn, count: int) -> list[str]:
    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    names = names[:count]
    return names + [f"input{i}" for i in range(len(names), count)]


@register("function")
def judge_function(case: dict, payload: dict, seed: int) -> list[str]:
    """Judge side: pure function of the case, the payload and the seed."""
    __tracebackhide__ = True
    dotted = case["function"]
    fn = resolve(dotted)
    kwargs = call_kwargs(case)
    label = str(payload.get("label") or case.get("label") or "your function")
    derivative = case.get("mode") == "derivative"
    planned = list(runs(case))
    got_runs = payload.get("runs") or []
    if len(got_runs) != len(planned):
        raise CheckFailure("the evidence does not cover every dtype and input.")
    names = _parameter_names(fn, len(case["inputs"]))
    key = f"derivative of {dotted}" if derivative else dotted
    call = _call_text(dotted, names, case.get("kwargs") or {})
    against = f"autodiff of {call}" if derivative else call
    shapes_seen, grads_checked = set(), False
    for (number, dtype, variant), got in zip(planned, got_runs, strict=True):
        if got.get("dtype") != dtype or got.get("variant") != variant:
            raise CheckFailure("the evidence does not cover every dtype and input.")
        shown, tensors = make_args(case, seed, dtype, variant)
        what = _what(label, case, dtype, variant, [a.shape for a in shown])
        try:
            expected, expected_dtype = _expected(case, fn, tensors, kwargs, dtype)
        except Exception as error:
            raise CheckUsageError(
                f"{dotted} cannot be computed on {dtype} inputs "
                f"{[tuple(a.shape) for a in shown]}: {error_summary(error)}") from None
        output = np.asarray(got["output"])
        rtol, atol = TOLERANCES.get(dtype, (RTOL, ATOL))
        rtol = case["rtol"] if case.get("rtol") is not None else rtol
        atol = case["atol"] if case.get("atol") is not None else atol
        alt_args = [arr.astype("float32") if dtype == "bfloat16" else arr for arr in shown]
        extreme = variant != "random"
        atol_here = atol * max(1.0, float(np.abs(expected[np.isfinite(expected)]).max())) \
            if extreme and np.isfinite(expected).any() else atol

        def explain(values, rtol=rtol, atol_here=atol_here, alt_args=alt_args):
            def close(got_values, alternative):
                return bool(np.all(np.isclose(got_values, alternative, rtol=rtol,
                                              atol=atol_here, equal_nan=True)))
            return mistakes.recognise_function(key, kwargs, values, close, *alt_args)

        if output.shape != expected.shape:
            # a suspect may give the student's shape (output size off by one, floor for ceil)
            reason = explain(output) if output.dtype.kind in "fiu" and output.size else None
            raise CheckFailure(
                f"{what}: the output has shape {output.shape}, expected {expected.shape} "
                f"(the shape of {'the input' if derivative else f'{dotted}(...)'})."
                + (f"\n  Likely mistake: {reason}" if reason else ""))
        if got.get("output_dtype") != expected_dtype:
            raise CheckFailure(
                f"{what}: the output has dtype {got.get('output_dtype')}, expected "
                f"{expected_dtype}: keep the input's dtype (a float32 constant or "
                "np.float32 array mixed in promotes it).")
        _compare(f"{what}: the {'derivative' if derivative else 'output'}", output, expected,
                 rtol, atol, scale=extreme, shown=shown, names=names, explain=explain,
                 against=against, non_finite_hint=OVERFLOW_HINT)
        shapes_seen.add(f"{dtype} {tuple(expected.shape)}")
        if not case.get("gradients") or derivative:
            continue
        cotangent = cotangent_for(seed, number, expected.shape)
        expected_grads = autodiff.function_vjp(fn, tensors, cotangent, differentiable(case),
                                               kwargs, _compile_key(case))
        student_grads = got.get("gradients") or []
        grtol, gatol = GRADIENT_TOLERANCES.get(dtype, (GRAD_RTOL, GRAD_ATOL))
        if case.get("rtol") is not None:
            grtol = max(grtol, case["rtol"])
        if case.get("atol") is not None:
            gatol = max(gatol, case["atol"])
        for position in differentiable(case):
            g_ref = expected_grads[position]
            if g_ref is None:
                continue
            g = student_grads[position] if position < len(student_grads) else None
            if g is None:
                raise CheckFailure(
                    f"{what}: the gradient with respect to {names[position]} is None: "
                    f"{names[position]} does not reach the output through keras.ops "
                    "(a NumPy call, a Python float() or a cast to int cuts the path).")
            _compare(f"{what}: the gradient of sum(output * c) with respect to "
                     f"{names[position]}", np.asarray(g), _float_array(g_ref), grtol, gatol,
                     scale=extreme, shown=shown, names=names,
                     against=f"the gradient through {call}", non_finite_hint=GRADIENT_NAN_HINT)
            grads_checked = True
    verified = [("derivative " if derivative else "output ") + ", ".join(sorted(shapes_seen))]
    if grads_checked:
        verified.append("gradients w.r.t. " + ", ".join(names[i] for i in differentiable(case)))
    if case.get("extreme"):
        verified.append(f"extreme inputs (+-{EXTREME:g}): finite where Keras is")
    return verified


# --------------------------------------------------------------------- entry points


def function_case(keras_fn, inputs, *, kwargs=None, gradients=True, dtypes=("float32",),
                  extreme=False, seed=0, label=None, forbidden=None, rtol=None, atol=None,
                  mode="function") -> dict:
    """The JSON-safe case of a function check (validated against Keras here)."""
    dotted = dotted_name(keras_fn)
    kwargs = _json_safe(dict(kwargs or {}), "kwargs")
    if isinstance(dtypes, str):
        dtypes = (dtypes,)
    dtypes = [str(d) for d in dtypes]
    unknown = [d for d in dtypes if d not in FLOAT_DTYPES]
    if unknown or not dtypes:
        raise CheckUsageError(f"dtypes must be among {FLOAT_DTYPES}; got {dtypes}.")
    extra = [] if forbidden is None else list(forbidden)
    if isinstance(forbidden, str) or not all(isinstance(n, str) for n in extra):
        raise CheckUsageError("forbidden must be a list of dotted names.")
    case = {
        "mode": mode, "function": dotted, "inputs": describe_inputs(inputs),
        "kwargs": kwargs, "gradients": bool(gradients), "dtypes": dtypes,
        "extreme": bool(extreme), "seed": int(seed), "label": label,
        "forbidden": list(dict.fromkeys([*default_forbidden(dotted, mode), *extra])),
        "rtol": None if rtol is None else float(rtol),
        "atol": None if atol is None else float(atol),
    }
    if mode == "derivative" and len(case["inputs"]) != 1:
        raise CheckUsageError("check_derivative takes one input (an elementwise function).")
    fn = resolve(dotted)
    for dtype in dtypes:  # Keras must support what is asked (a usage error otherwise)
        shown, tensors = make_args(case, int(seed), dtype, "random")
        try:
            out = keras_forward(fn, tensors, call_kwargs(case), _compile_key(case))
        except Exception as error:
            raise CheckUsageError(f"{dotted} cannot be computed on {dtype} inputs "
                                  f"{[tuple(a.shape) for a in shown]}: "
                                  f"{error_summary(error)}") from None
        if mode == "derivative" and tuple(out.shape) != tuple(shown[0].shape):
            raise CheckUsageError(f"check_derivative needs an elementwise function; "
                                  f"{dotted} changes the shape.")
    return case


def _require_callable(student_fn) -> None:
    if isinstance(student_fn, type):
        raise CheckUsageError(f"student_fn must be a function or a layer instance, not the "
                              f"class {student_fn.__name__}.")
    if not callable(student_fn):
        raise CheckUsageError(f"student_fn must be callable; got {type(student_fn).__name__}.")


def check_function(student_fn, keras_fn, inputs, *, kwargs=None, gradients=True,
                   dtypes: Sequence[str] = ("float32",), extreme=False, seed: int = 0,
                   label=None, forbidden=None, rtol=None, atol=None):
    """Check a student's function against a Keras function; print what was verified.

    student_fn: the student's function (or layer instance), called as
                student_fn(*inputs, **kwargs)
    keras_fn:   the Keras function it re-implements, e.g. keras.activations.relu,
                keras.ops.softmax, keras.ops.conv (or its dotted name)
    inputs:     one item per positional argument: a shape tuple (random float input
                drawn from the seed) or an explicit array, e.g. ((4, 5),)
    kwargs:     keyword arguments for both functions (JSON-safe), e.g. {"axis": 0}
    gradients:  also compare the gradients of sum(output * c) w.r.t. each float input
    dtypes:     the float dtypes to try, e.g. ("float32", "float16")
    extreme:    also try inputs near +-1000: results must stay finite where Keras' are
    forbidden:  dotted names forbidden on top of the defaults (the function's built-in
                versions, their TF/JAX equivalents and the layers computing them)
    rtol, atol: override the tolerances for every dtype (TOLERANCES)

    Raises CheckFailure naming the first difference (and the mistake, when recognised).
    """
    __tracebackhide__ = True
    _require_callable(student_fn)
    label = _label(student_fn, label)
    case = function_case(keras_fn, inputs, kwargs=kwargs, gradients=gradients, dtypes=dtypes,
                         extreme=extreme, seed=seed, label=label, forbidden=forbidden,
                         rtol=rtol, atol=atol)
    title = f"{label[5:] if label.startswith('your ') else label} matches {case['function']}"
    if case["kwargs"]:
        title += f"({', '.join(f'{k}={v!r}' for k, v in case['kwargs'].items())})"
    run("function", case, lambda seed_here: collect_function(case, seed_here, student_fn),
        title=title)


def check_derivative(student_derivative, keras_fn, input_shape, *, kwargs=None,
                     dtypes: Sequence[str] = ("float32",), extreme=False, seed: int = 0,
                     label=None, forbidden=None, rtol=None, atol=None):
    """Check a hand-written derivative f'(x) against autodiff of Keras' elementwise f.

    student_derivative(x, **kwargs) must return f'(x) elementwise, with x's shape and
    dtype; the expected values are the gradient of sum(keras_fn(x, **kwargs)) w.r.t. x.
    input_shape: a shape tuple (random input) or an explicit array. Autodiff
    (tf.GradientTape, jax.grad, ...) is forbidden inside the derivative.
    """
    __tracebackhide__ = True
    _require_callable(student_derivative)
    label = _label(student_derivative, label)
    case = function_case(keras_fn, (input_shape,), kwargs=kwargs, gradients=False,
                         dtypes=dtypes, extreme=extreme, seed=seed, label=label,
                         forbidden=forbidden, rtol=rtol, atol=atol, mode="derivative")
    title = (f"{label[5:] if label.startswith('your ') else label} matches autodiff of "
             f"{case['function']}")
    if case["kwargs"]:
        title += f"({', '.join(f'{k}={v!r}' for k, v in case['kwargs'].items())})"
    run("function", case, lambda seed_here: collect_function(case, seed_here,
                                                             student_derivative), title=title)


def compare_functions(student_fn, keras_fn, inputs, *, check_shortcuts=True,
                      derivative=False, **options) -> list[str]:
    """check_function (or check_derivative) in this process, without printing or recording.

    check_shortcuts=False lets a Keras function be compared with itself (self-tests).
    Returns what was verified, or raises CheckFailure.
    """
    from ._protocol import judge_case

    _require_callable(student_fn)
    label = _label(student_fn, options.pop("label", None))
    mode = "derivative" if derivative else "function"
    if derivative:
        options["gradients"] = False
        inputs = (inputs,)
    case = function_case(keras_fn, inputs, label=label, mode=mode, **options)
    if not check_shortcuts:
        case = {**case, "forbidden": []}
    payload = collect_function(case, case["seed"], student_fn)
    return judge_case("function", case, payload, case["seed"])
