"""The recurrent layer family: SimpleRNN, LSTM, GRU (and keras.layers.RNN) and Bidirectional.

Probes, in each training mode of the case:

* the output (the whole sequence with return_sequences=True, else the last step's;
  Bidirectional with merge_mode=None: the forward and the backward outputs);
* with return_state=True, each final state, named: h (and c for LSTM); for
  Bidirectional "forward h", "forward c", "backward h", "backward c", in Keras' order;
* the gradient of sum(output * cotangent) with respect to the input and to every
  trainable weight (kernel, recurrent_kernel, bias; both directions for
  Bidirectional), for a random cotangent;
* the get_config/from_config round trip.

With case["options"]["initial_state"] true, random initial states (one per state,
(batch, units) each, drawn from the check's seed after the input) are passed to both
layers as `layer(x, training=..., initial_state=[...])`; otherwise the student's layer
is called as `layer(x, training=...)` only.

Weights are copied across in Keras' layout (the mistakes registry names each shape
for students): SimpleRNN kernel (in, u), recurrent_kernel (u, u), bias (u,); LSTM
(in, 4u), (u, 4u), (4u,) with the gates i, f, c, o side by side; GRU with
reset_after=True (in, 3u), (u, 3u), (2, 3u) with the gates z, r, h; Bidirectional:
the forward layer's weights, then the backward layer's, paired in that order.

cuDNN. On a GPU, Keras' LSTM and GRU (and Bidirectional's fused LSTM/GRU path) may run
cuDNN kernels, on TensorFlow and (Keras 3.15) on JAX, whose summation order and TF32
maths differ from a step-by-step loop. `use_cudnn` is a constructor argument that
get_config() does not store, so both halves set `use_cudnn = False` and `unroll = True`
on every RNN of the rebuilt built-in (Bidirectional's copies included) before it
computes anything compared; the judge runs with TF32 off (judge_case). The built-in
then runs Keras' generic loop over time, unrolled in Python: the cell's own
keras.ops arithmetic step by step, as a student's layer does (unroll=True also rules
cuDNN out on TensorFlow, and spares JAX a scan compilation per call; it changes no
result). The student's layer never touches cuDNN. The two paths can even disagree on
semantics: on an H100 with JAX 0.11.2, Keras 3.15.1's cuDNN LSTM with go_backwards=True
and return_sequences=True returned its outputs in input order, where the generic loop
returns them in processing order, as TensorFlow does on a CPU (tests/test_checks_recurrent.py).

Refused as usage errors: stateful=True (the state would carry across probes) and
dropout or recurrent_dropout in training mode (random masks are not comparable).
"""

from __future__ import annotations

import keras
import numpy as np

from . import mistakes
from ._compare import compare_arrays
from ._protocol import CheckFailure, CheckUsageError
from ._student import as_numpy, run_student
from .layers import (
    LayerFamily,
    Probe,
    build_student,
    collect_config,
    forward,
    judge_config,
    judge_gradients,
    judge_output,
    reference_gradients,
    register_family,
    weight_gradients,
)

# ----------------------------------------------------------------- the built-in's layout


def _directions(layer) -> list:
    """The RNN layers doing the work: [layer], or [forward, backward] for Bidirectional."""
    if isinstance(layer, keras.layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    return [layer]


def _state_sizes(rnn) -> list[int]:
    return [int(s) for s in keras.tree.flatten(rnn.cell.state_size)]


def state_names(layer) -> list[str]:
    """Names of the states Keras returns with return_state=True, in its order."""
    bidirectional = isinstance(layer, keras.layers.Bidirectional)
    names = []
    for prefix, rnn in zip(("forward ", "backward "), _directions(layer), strict=False):
        n = len(_state_sizes(rnn))
        own = ["h", "c"] if n == 2 else ["h"] if n == 1 else [f"state {k}" for k in range(n)]
        names += [(prefix if bidirectional else "") + name for name in own]
    return names


def output_names(layer) -> list[str]:
    if isinstance(layer, keras.layers.Bidirectional) and layer.merge_mode is None:
        return ["forward output", "backward output"]
    return ["output"]


def _returns_state(layer) -> bool:
    return bool(_directions(layer)[0].return_state)


def _structure(layer) -> str:
    """What the built-in returns, in words: '[output, h, c]' or 'the output tensor'."""
    names = output_names(layer) + (state_names(layer) if _returns_state(layer) else [])
    if len(names) == 1:
        return "the output tensor alone (return_state=False)"
    return "[" + ", ".join(names) + "]"


def without_cudnn(layer) -> None:
    """Make every RNN in the built-in run Keras' generic step loop (module docstring)."""
    for sub in layer._flatten_layers(include_self=True, recursive=True):
        if hasattr(sub, "use_cudnn"):
            sub.use_cudnn = False
        if isinstance(sub, keras.layers.RNN):
            sub.unroll = True


def prepare(probe: Probe) -> None:
    """Both halves: refuse what cannot be compared, switch cuDNN off, draw initial states."""
    reference = probe.reference
    for rnn in _directions(reference):
        if getattr(rnn, "stateful", False):
            raise CheckUsageError(
                "the recurrent check compares fresh layers: use stateful=False in the "
                "built-in layer.")
        cell = rnn.cell
        if (getattr(cell, "dropout", 0) or getattr(cell, "recurrent_dropout", 0)) \
                and any(probe.training_modes):
            raise CheckUsageError(
                "dropout masks are random, so training-mode outputs cannot be compared: "
                "check with dropout=0 and recurrent_dropout=0, or training_modes=(False,).")
    without_cudnn(reference)
    kwargs = {}
    states = None
    if probe.options.get("initial_state"):
        batch = probe.x.shape[0]
        sizes = [s for rnn in _directions(reference) for s in _state_sizes(rnn)]
        states = [(0.5 * probe.inputs_rng.standard_normal((batch, s))).astype("float32")
                  for s in sizes]
        kwargs["initial_state"] = [keras.ops.convert_to_tensor(s) for s in states]
    probe.extra["call_kwargs"] = kwargs
    probe.extra["initial_state"] = states


def _what(probe: Probe, label: str, training) -> str:
    shown = ", initial_state=[...]" if probe.extra.get("initial_state") is not None else ""
    mode = f", training={training}" if training is not None else ""
    return f"{label}(x{mode}{shown})"


# ------------------------------------------------------------------------- student side


def _call(probe: Probe, layer, training, what: str):
    """layer(x, ...) as NumPy: one array, or a list of arrays when it returns several."""
    __tracebackhide__ = True
    kwargs = probe.extra.get("call_kwargs", {})
    if probe.builtin is not None:
        out = forward(layer, probe.x, training, what, probe.builtin, **kwargs)
    else:
        out = run_student(what, layer, probe.x, training=training, **kwargs)
    if isinstance(out, list | tuple):
        return [as_numpy(o, f"element {i} of what {what} returned") for i, o in enumerate(out)]
    return as_numpy(out, what)


def _split(probe: Probe, out, what: str):
    """(outputs, states) of a result, in Keras' structure, or a CheckFailure naming it."""
    reference = probe.reference
    n_out = len(output_names(reference))
    n_states = len(state_names(reference)) if _returns_state(reference) else 0
    expected = _structure(reference)
    if n_out + n_states == 1:
        if isinstance(out, list):
            raise CheckFailure(
                f"{what} returned a list of {len(out)} tensors; Keras returns {expected}.")
        return [out], []
    if not isinstance(out, list):
        raise CheckFailure(
            f"{what} returned a single tensor; with this configuration Keras returns a "
            f"list {expected}.")
    if len(out) != n_out + n_states:
        raise CheckFailure(
            f"{what} returned {len(out)} tensors; Keras returns {len(out) and n_out + n_states}"
            f": {expected}.")
    return out[:n_out], out[n_out:]


_BUILTIN_CELLS = (keras.layers.SimpleRNNCell, keras.layers.LSTMCell, keras.layers.GRUCell)


def _refuse_builtin_recurrence(student, reference) -> None:
    """A SimpleRNN/LSTM/GRU exercise may not hold Keras' RNN layers or cells.

    (A Bidirectional exercise may wrap a built-in recurrent layer: the wrapper is the
    exercise.)
    """
    if isinstance(reference, keras.layers.Bidirectional):
        return
    try:
        inner_layers = student._flatten_layers(include_self=False, recursive=True)
    except AttributeError:
        return  # super().__init__ forgotten: reported when the layer is built
    for inner in inner_layers:
        if isinstance(inner, (keras.layers.RNN, *_BUILTIN_CELLS)):
            raise CheckFailure(
                f"your layer contains a keras.layers.{type(inner).__name__} "
                f"({inner.name!r}): write the loop over time and the cell's arithmetic "
                "yourself with keras.ops.")


def _build(probe: Probe, student) -> list:
    """layers.build_student, after refusing built-in recurrence, with list-aware calls."""
    __tracebackhide__ = True
    if probe.builtin is not None:
        _refuse_builtin_recurrence(student, probe.reference)
    what = _what(probe, probe.label, None)
    pairs = build_student(probe, student, lambda layer, _: _call(probe, layer, False, what))
    if probe.builtin is not None:  # a built-in RNN or cell may be created in build()
        _refuse_builtin_recurrence(student, probe.reference)
    return pairs


def _first_output(probe: Probe):
    def first(layer, what):
        full = _what(probe, what, False)
        return _split(probe, _call(probe, layer, False, full), full)[0][0]
    return first


def collect(probe: Probe, student) -> dict:
    __tracebackhide__ = True
    prepare(probe)
    label, x = probe.label, probe.x
    kwargs = probe.extra["call_kwargs"]
    pairs = _build(probe, student)
    payload = {"outputs": [], "states": [], "gradients": [], "weight_names": []}
    for training in probe.training_modes:
        what = _what(probe, label, training)
        outputs, states = _split(probe, _call(probe, student, training, what), what)
        payload["outputs"].append(outputs)
        payload["states"].append(states)
    shapes = probe.reference.compute_output_shape(x.shape)
    first_shape = tuple(shapes[0] if isinstance(shapes[0], tuple | list) else shapes)
    if any(outputs[0].shape != first_shape for outputs in payload["outputs"]):
        return payload  # the judge reports the shape; gradients would not line up
    cotangent = probe.cotangent_rng.standard_normal(first_shape).astype("float32")
    trainable, payload["gradients"] = weight_gradients(probe, student, pairs, cotangent,
                                                       **kwargs)
    payload["weight_names"] = [_weight_label(probe.reference, r, s) for r, s in trainable]
    payload.update(collect_config(probe, student, _first_output(probe)))
    return payload


def _weight_label(reference, r, s) -> str:
    """'kernel', or 'forward kernel' / 'backward kernel' inside a Bidirectional."""
    if isinstance(reference, keras.layers.Bidirectional):
        side = "forward" if any(r is w for w in reference.forward_layer.weights) else "backward"
        return f"{side} {s.name}"
    return s.name


# ------------------------------------------------------------------------------- judge


def _as_list(value) -> list:
    if isinstance(value, tuple | list):
        return list(value)
    return [value]


def _judge_state(probe: Probe, what: str, name: str, got, expected, inputs: dict) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        raise CheckFailure(
            f"the {name} returned by {what} has shape {got.shape}; Keras' has shape "
            f"{expected.shape}.")
    got_dtype = keras.backend.standardize_dtype(got.dtype)
    expected_dtype = keras.backend.standardize_dtype(expected.dtype)
    if got_dtype != expected_dtype:
        raise CheckFailure(f"the {name} returned by {what} has dtype {got_dtype}, "
                           f"expected {expected_dtype}.")

    def explain(values):
        return mistakes.recognise(
            probe.reference, values,
            lambda a, b: a.shape == b.shape and np.allclose(a, b, probe.rtol, probe.atol),
            target=name, **inputs)

    compare_arrays(f"the {name} returned by {what}", got, expected, probe.rtol,
                   probe.atol, explain)


def _initial_problem(rnn, weight, value: np.ndarray) -> tuple[str, str] | None:
    """(what is wrong, the rule) for one initial weight of one RNN, or None if plausible."""
    config = rnn.get_config()
    key = "recurrent_initializer" if weight.name == "recurrent_kernel" \
        else f"{weight.name}_initializer"
    spec = config.get(key)
    if spec is None:
        return None
    rule = f"{key}={mistakes.initializer_name(spec)!r}"
    if weight.name == "bias" and isinstance(rnn, keras.layers.LSTM) \
            and config.get("unit_forget_bias"):
        units = rnn.cell.units
        forget = value[units:2 * units]
        if np.any(forget != 1):
            return (f"has {np.round(forget[:3], 4).tolist()}... in its forget-gate slice "
                    "bias[units:2*units], where Keras puts ones", "unit_forget_bias=True: "
                    "build the bias as the concatenation of bias_initializer((units,)), "
                    "ones((units,)) and bias_initializer((2 * units,))")
        value = np.concatenate([value[:units], value[2 * units:]])
        rule += " outside the forget-gate slice, which unit_forget_bias=True starts at 1"
    problem = mistakes.initializer_problem(spec, value)
    return (problem, rule) if problem else None


def _judge_initializers(probe: Probe, payload: dict) -> str | None:
    """The initial weights the generic check (layers.judge_initializers) cannot judge.

    Keras' config names the recurrent kernel's initializer `recurrent_initializer`,
    LSTM's unit_forget_bias=True starts the forget slice of the bias at 1, and
    Bidirectional's config names no initializer at all (its wrapped layer's does).
    For a plain LSTM with unit_forget_bias the bias entry of payload["initial_weights"]
    is then replaced by the bias without its forget slice: its shape no longer matches,
    so the generic check, which reads only bias_initializer, leaves it.
    """
    if not probe.case.get("initializers", True):
        return None
    reference = probe.reference
    bidirectional = isinstance(reference, keras.layers.Bidirectional)
    label = payload.get("label", probe.label)
    initial = list(payload.get("initial_weights") or [])
    by_name = {name: index for index, (name, _) in enumerate(initial)}
    checked, offset = [], 0
    for side, rnn in zip(("forward ", "backward "), _directions(reference), strict=False):
        side = side if bidirectional else ""
        for j, w in enumerate(rnn.weights):
            index = offset + j if bidirectional else by_name.get(w.name, j)
            own = bidirectional or w.name == "recurrent_kernel" or (
                w.name == "bias" and isinstance(rnn, keras.layers.LSTM)
                and rnn.get_config().get("unit_forget_bias"))
            if not own or index >= len(initial):
                continue
            value = np.asarray(initial[index][1])
            if value.shape != tuple(w.shape):
                continue
            found = _initial_problem(rnn, w, value)
            if found:
                raise CheckFailure(
                    f"{label}: the initial {side}{w.name!r} {found[0]} (the specification "
                    f"says {found[1]}).")
            key = "recurrent" if w.name == "recurrent_kernel" else w.name
            spec = rnn.get_config().get(f"{key}_initializer")
            if spec is None:
                continue
            shown = f"{side}{w.name} {mistakes.initializer_name(spec)}"
            if w.name == "bias" and isinstance(rnn, keras.layers.LSTM) \
                    and rnn.get_config().get("unit_forget_bias"):
                shown += " with the forget gate at 1"
                if not bidirectional:
                    initial[index] = [initial[index][0], np.delete(
                        value, np.s_[rnn.cell.units:2 * rnn.cell.units])]
            checked.append(shown)
        offset += len(rnn.weights)
    payload["initial_weights"] = initial
    return f"initial recurrent weights ({', '.join(checked)})" if checked else None


def _malformed() -> CheckFailure:
    return CheckFailure("malformed evidence: the recurrent check's payload is incomplete.")


def judge(probe: Probe, payload: dict) -> list[str]:
    __tracebackhide__ = True
    prepare(probe)
    label, x, reference = payload.get("label", probe.label), probe.x, probe.reference
    kwargs = probe.extra["call_kwargs"]
    modes = probe.training_modes
    try:
        got_outputs, got_states = list(payload["outputs"]), list(payload["states"])
    except (KeyError, TypeError):
        raise _malformed() from None
    if len(got_outputs) != len(modes) or len(got_states) != len(modes):
        raise CheckFailure("the evidence does not cover every mode.")
    inputs = {"x": x, "initial_state": probe.extra["initial_state"]}
    out_names = output_names(reference)
    st_names = state_names(reference) if _returns_state(reference) else []
    expected_first = None
    shape = None
    for training, outs, states in zip(modes, got_outputs, got_states, strict=True):
        what = _what(probe, label, training)
        expected = _as_list(reference(x, training=training, **kwargs))
        expected = [np.asarray(keras.ops.convert_to_numpy(e)) for e in expected]
        exp_outs, exp_states = expected[:len(out_names)], expected[len(out_names):]
        if len(outs) != len(exp_outs) or len(states) != len(exp_states):
            raise _malformed()
        for index, (name, got, exp) in enumerate(zip(out_names, outs, exp_outs, strict=True)):
            if index == 0:
                shape = judge_output(probe, what, got, exp, inputs)
            else:
                _judge_state(probe, what, name, got, exp, inputs)
        for name, got, exp in zip(st_names, states, exp_states, strict=True):
            _judge_state(probe, what, name, got, exp, inputs)
        if not training:
            expected_first = exp_outs[0]
    if shape is None:
        shape = f"{tuple(exp_outs[0].shape)} float32"
    verified = [f"output {shape} in " + " and ".join(
        "training" if t else "inference" for t in modes)]
    if st_names:
        verified.append("states " + ", ".join(st_names))
    if probe.extra["initial_state"] is not None:
        verified.append("from given initial states")
    cotangent = probe.cotangent_rng.standard_normal(exp_outs[0].shape).astype("float32")
    if len(payload.get("gradients") or []) != len(modes):
        raise CheckFailure("the evidence has no gradients for every mode.")
    names = ["the input", *(f"{n!r}" for n in payload.get("weight_names") or [])]
    for training, got in zip(modes, payload["gradients"], strict=True):
        dx_ref, dw_ref = reference_gradients(reference, x, cotangent, training, **kwargs)
        if len(got["weights"]) != len(dw_ref) or len(names) != len(dw_ref) + 1:
            raise CheckFailure("the evidence has gradients for other weights than Keras'.")
        judge_gradients(probe, label, names, [got["input"], *got["weights"]], [dx_ref, *dw_ref],
                        "training" if training else "inference")
    verified.append("gradients w.r.t. " + ", ".join(names))
    if expected_first is None:
        expected_first = np.asarray(keras.ops.convert_to_numpy(
            _as_list(reference(x, training=False, **kwargs))[0]))
    verified.append(judge_config(probe, payload, expected_first))
    initial = _judge_initializers(probe, payload)
    if initial:
        verified.append(initial)
    return verified


FAMILY = register_family(LayerFamily(
    "recurrent", collect, judge,
    "outputs and named states (optionally from given initial states), gradients w.r.t. "
    "input and weights, config round trip; built-in without cuDNN"))
