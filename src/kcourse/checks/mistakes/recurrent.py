"""Mistakes made re-implementing keras.layers.SimpleRNN, LSTM, GRU and Bidirectional.

Each suspect recomputes the layer's results in NumPy (float64) from the built-in
layer's own weights, the mistaken way, on the check's input `x` and
`initial_state` (None, or the list of initial states passed to both layers).

Keras' recurrences, one time step t (x_t: (batch, in), h: (batch, units)):

    SimpleRNN  h = act(x_t @ kernel + bias + h @ recurrent_kernel)
    LSTM       z = x_t @ kernel + h @ recurrent_kernel + bias, split in 4 along the
               columns as gates i, f, c, o (each `units` wide)
               c = rec_act(f) * c + rec_act(i) * act(c~);  h = rec_act(o) * act(c)
    GRU        reset_after=True, bias (2, 3u): row 0 for the input, row 1 for the state;
               gates z, r, h (each `units` wide)
               xz, xr, xh = x_t @ kernel + bias[0];  hz, hr, hh = h @ recurrent_kernel + bias[1]
               z = rec_act(xz + hz);  r = rec_act(xr + hr);  h~ = act(xh + r * hh)
               h = z * h + (1 - z) * h~

With go_backwards=True the steps run from the last input to the first, and the
output sequence is returned in that (reversed) order. Bidirectional runs a
forward copy and a go_backwards copy of the layer, flips the backward output
sequence back to input order, then merges (concat, sum, ave, mul, or a list).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Suspect, activation_name, apply_activation, numpy_weights, register

# ----------------------------------------------------------------------- NumPy model


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    return np.asarray(apply_activation(name, z.astype("float32")), dtype="float64")


@dataclass(frozen=True)
class _Cell:
    """One direction of a recurrent layer, as NumPy arrays and settings."""

    kind: str  # "SimpleRNN", "LSTM" or "GRU"
    units: int
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray | None
    act: str
    rec_act: str
    reset_after: bool
    go_backwards: bool
    return_sequences: bool


def _cell_of(layer) -> _Cell:
    cell = layer.cell
    kind = type(cell).__name__.removesuffix("Cell")
    if kind not in ("SimpleRNN", "LSTM", "GRU"):
        raise ValueError(f"no NumPy model of {type(cell).__name__}")
    weights = {k: v.astype("float64") for k, v in numpy_weights(cell).items()}
    return _Cell(
        kind, int(cell.units), weights["kernel"], weights["recurrent_kernel"],
        weights.get("bias"), activation_name(cell.activation),
        activation_name(getattr(cell, "recurrent_activation", "sigmoid")),
        bool(getattr(cell, "reset_after", False)), bool(layer.go_backwards),
        bool(layer.return_sequences),
    )


def _n_states(cell: _Cell) -> int:
    return 2 if cell.kind == "LSTM" else 1


def _step(cell: _Cell, x_t, states, flags: frozenset):
    """One time step with the mistakes in `flags`; returns (output, new states)."""
    u = cell.units
    h = states[0]
    recurrent = h @ cell.recurrent_kernel if "no_recurrent" not in flags else 0.0 * (
        h @ cell.recurrent_kernel)
    if cell.kind == "SimpleRNN":
        if "w_u_swapped" in flags:  # x_t @ recurrent_kernel + h @ kernel (square weights)
            z = x_t @ cell.recurrent_kernel + h @ cell.kernel
        else:
            z = x_t @ cell.kernel + recurrent
        if cell.bias is not None and "bias_after_activation" not in flags:
            z = z + cell.bias
        h = z if "no_activation" in flags else _act(cell.act, z)
        if cell.bias is not None and "bias_after_activation" in flags:
            h = h + cell.bias
        return h, [h]
    if cell.kind == "LSTM":
        z = x_t @ cell.kernel + recurrent
        if cell.bias is not None:
            z = z + cell.bias
        blocks = {g: z[:, k * u:(k + 1) * u] for k, g in enumerate("ifco")}
        order = next((f[6:] for f in flags if f.startswith("order:")), "ifco")
        # A student reading the columns in `order` uses block k as gate order[k].
        gate = {order[k]: blocks["ifco"[k]] for k in range(4)}
        gate_act = cell.act if "gates_tanh" in flags else cell.rec_act
        i = _act(gate_act, gate["i"])
        f = _act(gate_act, gate["f"] + (1.0 if "forget_plus_one" in flags else 0.0))
        candidate_act = cell.rec_act if "candidate_sigmoid" in flags else cell.act
        c = f * states[1] + i * _act(candidate_act, gate["c"])
        o = _act(gate_act, gate["o"])
        h = o * c if "no_output_act" in flags else o * _act(cell.act, c)
        return h, [h, c]
    # GRU
    kernel, rk = cell.kernel, cell.recurrent_kernel
    if cell.reset_after:
        b_in, b_rec = (cell.bias[0], cell.bias[1]) if cell.bias is not None else (0.0, 0.0)
        if "bias_rows_swapped" in flags:
            b_in, b_rec = b_rec, b_in
    else:
        b_in, b_rec = (cell.bias if cell.bias is not None else 0.0), 0.0 * rk[0]
    mx = x_t @ kernel + b_in
    if "order:rzh" in flags:
        mx = np.concatenate([mx[:, u:2 * u], mx[:, :u], mx[:, 2 * u:]], axis=1)
        rk = np.concatenate([rk[:, u:2 * u], rk[:, :u], rk[:, 2 * u:]], axis=1)
        b_rec = np.concatenate([b_rec[u:2 * u], b_rec[:u], b_rec[2 * u:]]) \
            if np.ndim(b_rec) else b_rec
    keep = 0.0 if "no_recurrent" in flags else 1.0
    mh = keep * (h @ rk) + b_rec
    gate_act = cell.act if "gates_tanh" in flags else cell.rec_act
    z = _act(gate_act, mx[:, :u] + mh[:, :u])
    r = _act(gate_act, mx[:, u:2 * u] + mh[:, u:2 * u])
    if "reset_before" in flags or "reset_before_no_bias" in flags:
        rec_h = keep * ((r * h) @ rk[:, 2 * u:])
        if "reset_before" in flags and np.ndim(b_rec):
            rec_h = rec_h + b_rec[2 * u:]
    elif "reset_outside_bias" in flags:
        rec_h = r * keep * (h @ rk[:, 2 * u:]) + (b_rec[2 * u:] if np.ndim(b_rec) else 0.0)
    elif cell.reset_after:
        rec_h = r * mh[:, 2 * u:]
    else:
        rec_h = keep * ((r * h) @ rk[:, 2 * u:])
    candidate_act = cell.rec_act if "candidate_sigmoid" in flags else cell.act
    hh = _act(candidate_act, mx[:, 2 * u:] + rec_h)
    h = (1 - z) * h + z * hh if "z_swapped" in flags else z * h + (1 - z) * hh
    return h, [h]


def _run(cell: _Cell, x: np.ndarray, initial_state, flags: frozenset) -> dict:
    """The layer's results with the mistakes in `flags`: {"output", "h"[, "c"]}."""
    x = np.asarray(x, dtype="float64")
    batch, steps = x.shape[0], x.shape[1]
    if initial_state is None or "initial_state_ignored" in flags:
        start = [np.zeros((batch, cell.units)) for _ in range(_n_states(cell))]
    else:
        start = [np.asarray(s, dtype="float64") for s in initial_state]
    backwards = cell.go_backwards and "backwards_ignored" not in flags
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    states, outputs = start, []
    for t in order:
        carried = start if "not_carried" in flags else states
        out, states = _step(cell, x[:, t], carried, flags)
        outputs.append(out)
    sequence = np.stack(outputs, axis=1)
    if "backwards_flipped" in flags:
        sequence = sequence[:, ::-1]
    if cell.return_sequences:
        output = sequence
    else:
        output = outputs[0] if "first_step" in flags else outputs[-1]
    result = {"output": output, "h": states[0]}
    if len(states) > 1:
        result["c"] = states[1]
    return result


def _halves(result: dict, prefix: str) -> dict:
    return {f"{prefix} {k}": v for k, v in result.items() if k != "output"}


def _merge(mode, y, y_rev):
    if mode == "concat":
        return np.concatenate([y, y_rev], axis=-1)
    if mode == "sum":
        return y + y_rev
    if mode == "ave":
        return (y + y_rev) / 2
    if mode == "mul":
        return y * y_rev
    raise ValueError(mode)


def _run_bidirectional(forward: _Cell, backward: _Cell, merge_mode, x, initial_state,
                       flags: frozenset) -> dict:
    """Bidirectional's results: {"output"[, "backward output"], "forward h", ...}."""
    n = _n_states(forward)
    f_state = b_state = None
    if initial_state is not None:
        f_state, b_state = initial_state[:n], initial_state[n:]
        if "state_not_split" in flags:
            b_state = f_state
        if "forward_state_ignored" in flags:
            f_state = None
        if "backward_state_ignored" in flags:
            b_state = None
    if "backward_not_backwards" in flags:
        backward = _replace(backward, go_backwards=False)
    y = _run(forward, x, f_state, flags)
    y_rev = _run(backward, x, b_state, flags)
    result = {**_halves(y, "forward"), **_halves(y_rev, "backward")}
    a, b = y["output"], y_rev["output"]
    if backward.return_sequences and "not_flipped_back" not in flags \
            and "forward_flipped" not in flags:
        b = b[:, ::-1]
    if backward.return_sequences and "forward_flipped" in flags:
        a = a[:, ::-1]
    if not backward.return_sequences and "last_output_flipped" in flags:
        b = b[:, ::-1]
    if "halves_swapped" in flags:
        a, b = b, a
    if merge_mode is None:
        result["output"], result["backward output"] = a, b
    elif "ave_as_sum" in flags:
        result["output"] = _merge("sum", a, b)
    else:
        result["output"] = _merge(merge_mode, a, b)
    return result


def _replace(cell: _Cell, **changes) -> _Cell:
    return _Cell(**{**cell.__dict__, **changes})


# --------------------------------------------------------------------------- suspects

_IN_ORDER = "Keras' gate order"


def _cell_mistakes(cell: _Cell) -> list[tuple[str, frozenset]]:
    """(explanation, flags) of the mistakes that apply to one direction's cell."""
    u = "units"
    found: list[tuple[str, str | tuple]] = []
    if cell.kind == "SimpleRNN":
        found.append((
            "each step ignores the previous state: the recurrent term h_{t-1} @ "
            "recurrent_kernel is missing (or the state is not carried from step to step); "
            "SimpleRNN computes activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel).",
            "no_recurrent"))
        if cell.act != "linear":
            found.append((
                f"the activation is missing: SimpleRNN computes h_t = {cell.act}(x_t @ kernel "
                f"+ h_{{t-1}} @ recurrent_kernel + bias), and that {cell.act} is also the state "
                "carried to the next step.",
                "no_activation"))
        if cell.kernel.shape == cell.recurrent_kernel.shape:
            found.append((
                "kernel and recurrent_kernel are swapped: the input goes through kernel "
                "(x_t @ kernel, kernel of shape (input_shape[-1], units)) and the previous "
                "state through recurrent_kernel (h_{t-1} @ recurrent_kernel, (units, units)).",
                "w_u_swapped"))
        if cell.bias is not None:
            found.append((
                f"the bias was added after the activation: SimpleRNN computes "
                f"h_t = {cell.act}(x_t @ kernel + h_{{t-1}} @ recurrent_kernel + bias), the "
                "bias inside.",
                "bias_after_activation"))
    if cell.kind == "LSTM":
        for order, words in (("ifoc", "i, f, o, c"), ("fico", "f, i, c, o"),
                             ("icfo", "i, c, f, o"), ("oifc", "o, i, f, c"),
                             ("fioc", "f, i, o, c"), ("cifo", "c, i, f, o")):
            found.append((
                f"the LSTM gates are read in the order {words}: Keras lays out the 4 * "
                f"{u} columns of kernel, recurrent_kernel and bias as gates i, f, c, o "
                f"(input, forget, candidate, output), each {u} wide.",
                f"order:{order}"))
        found.append((
            f"the candidate c~ (third block of {u} columns) went through "
            f"{cell.rec_act!r}: Keras applies activation={cell.act!r} to the candidate and "
            f"recurrent_activation={cell.rec_act!r} only to the gates i, f and o.",
            "candidate_sigmoid"))
        if cell.act != cell.rec_act:
            found.append((
                f"the gates i, f and o went through {cell.act!r}: Keras applies "
                f"recurrent_activation={cell.rec_act!r} to the gates (values between 0 and 1) "
                f"and activation={cell.act!r} only to the candidate c~ and to the carry c.",
                "gates_tanh"))
        found.append((
            "1 was added to the forget gate before its sigmoid (forget_bias=1 of old "
            "TensorFlow cells): Keras adds no constant; unit_forget_bias=True only starts "
            "the forget part of the bias at 1.",
            "forget_plus_one"))
        found.append((
            f"h = o * c: Keras computes h = o * {cell.act}(c), the output gate times the "
            f"activation of the new carry c.",
            "no_output_act"))
    if cell.kind == "GRU":
        if cell.reset_after:
            explanation = (
                "the reset gate was applied before the recurrent product, "
                "(r * h_{t-1}) @ recurrent_kernel (reset_after=False): with reset_after=True "
                "Keras computes r * (h_{t-1} @ recurrent_kernel[:, 2u:] + bias[1, 2u:]).")
            found.append((explanation, "reset_before"))
            found.append((explanation, "reset_before_no_bias"))
            found.append((
                "the recurrent bias of the candidate was added outside the reset gate: "
                "Keras computes r * (h_{t-1} @ recurrent_kernel[:, 2u:] + bias[1, 2u:]).",
                "reset_outside_bias"))
            found.append((
                "the two rows of the GRU bias are swapped: bias[0] is added to "
                "x_t @ kernel and bias[1] to h_{t-1} @ recurrent_kernel.",
                "bias_rows_swapped"))
        found.append((
            "the update gate mixes the wrong way round: Keras computes "
            "h = z * h_{t-1} + (1 - z) * h~ (z keeps the old state).",
            "z_swapped"))
        found.append((
            f"the GRU gates are read in the order r, z, h: Keras lays out the 3 * {u} "
            f"columns as gates z (update), r (reset), h (candidate), each {u} wide.",
            "order:rzh"))
        found.append((
            f"the candidate h~ went through {cell.rec_act!r}: Keras applies "
            f"activation={cell.act!r} to the candidate and recurrent_activation="
            f"{cell.rec_act!r} to the gates z and r.",
            "candidate_sigmoid"))
        if cell.act != cell.rec_act:
            found.append((
                f"the gates z and r went through {cell.act!r}: Keras applies "
                f"recurrent_activation={cell.rec_act!r} to the gates (values between 0 and 1) "
                f"and activation={cell.act!r} only to the candidate h~.",
                "gates_tanh"))
    if cell.kind in ("LSTM", "GRU"):
        found.append((
            "the recurrent term h_{t-1} @ recurrent_kernel is missing from the gates.",
            "no_recurrent"))
    found.append((
        "the state is not carried from one step to the next: every step started from "
        "the initial state (zeros unless initial_state is given) instead of the previous "
        "step's state.",
        "not_carried"))
    found.append((
        "the initial state was ignored: the loop started from zeros although "
        "initial_state=[...] was given; call(inputs, initial_state=None) must start from "
        "the given states when they are passed.",
        "initial_state_ignored"))
    if not cell.return_sequences:
        found.append((
            "the output is the first step's: with return_sequences=False Keras returns the "
            "output of the last step processed (the last time step, or the first one when "
            "go_backwards=True).",
            "first_step"))
    if cell.go_backwards:
        found.append((
            "go_backwards=True was ignored: the steps must run from the last time step to "
            "the first.",
            "backwards_ignored"))
        if cell.return_sequences:
            found.append((
                "the output sequence was flipped back to input order: with "
                "go_backwards=True Keras returns the outputs in the order they were "
                "computed, output[:, 0] being the step on the last input.",
                "backwards_flipped"))
    return [(text, frozenset([flag])) for text, flag in found]


def _as_suspects(simulate, mistakes, targets) -> list[Suspect]:
    found = []
    for explanation, flags in mistakes:
        for target in targets:
            found.append(Suspect(
                explanation,
                lambda x, initial_state=None, flags=flags, target=target:
                    simulate(x, initial_state, flags)[target],
                target))
    return found


def _state_swaps(simulate, prefix: str = "") -> list[Suspect]:
    text = ("the states are returned as [c, h]: Keras' LSTM returns [output, h, c], "
            "the hidden state h first and the carry c second.")
    return [
        Suspect(text, lambda x, initial_state=None: simulate(x, initial_state,
                                                             frozenset())[f"{prefix}c"],
                f"{prefix}h"),
        Suspect(text, lambda x, initial_state=None: simulate(x, initial_state,
                                                             frozenset())[f"{prefix}h"],
                f"{prefix}c"),
    ]


def rnn_suspects(layer) -> list[Suspect]:
    cell = _cell_of(layer)

    def simulate(x, initial_state, flags):
        return _run(cell, x, initial_state, flags)

    targets = ["output", "h"] + (["c"] if cell.kind == "LSTM" else [])
    found = _as_suspects(simulate, _cell_mistakes(cell), targets)
    if cell.kind == "LSTM":
        found += _state_swaps(simulate)
    return found


def bidirectional_suspects(layer) -> list[Suspect]:
    forward, backward = _cell_of(layer.forward_layer), _cell_of(layer.backward_layer)
    merge_mode = layer.merge_mode

    def simulate(x, initial_state, flags):
        return _run_bidirectional(forward, backward, merge_mode, x, initial_state, flags)

    targets = ["output"] + (["backward output"] if merge_mode is None else [])
    own = [(
        "the backward layer did not go backwards: Bidirectional's second copy of the layer "
        "must have go_backwards=True (it reads the sequence from the last step to the "
        "first).",
        frozenset(["backward_not_backwards"]),
    )]
    if forward.return_sequences:
        own.append((
            "the backward output sequence was not flipped back: the backward layer returns "
            "its outputs last-step-first, and Bidirectional reverses them along time "
            "(axis 1) before merging.",
            frozenset(["not_flipped_back"]),
        ))
        own.append((
            "the forward output sequence was reversed instead of the backward one: only "
            "the backward layer returns its outputs last-step-first, and only its sequence "
            "is flipped along time (axis 1) before merging.",
            frozenset(["forward_flipped"]),
        ))
    else:
        own.append((
            "the backward output was flipped although return_sequences=False: the last "
            "output has shape (batch, units), so flipping axis 1 reverses its units; there "
            "is no time axis to reverse.",
            frozenset(["last_output_flipped"]),
        ))
    own.append((
        "the backward layer started from the forward layer's initial state: "
        "initial_state lists the forward layer's states first, then the backward "
        "layer's; give each copy its own half.",
        frozenset(["state_not_split"]),
    ))
    for side in ("forward", "backward"):
        own.append((
            f"the {side} layer ignored its initial state: it started from zeros although "
            f"initial_state=[...] was given; pass each copy its half of the list "
            f"(forward states first, then backward) as initial_state.",
            frozenset([f"{side}_state_ignored"]),
        ))
    if merge_mode == "ave":
        own.append((
            "the halves were added, not averaged: merge_mode='ave' averages the two "
            "outputs, (forward + backward) / 2.",
            frozenset(["ave_as_sum"]),
        ))
    if merge_mode == "concat":
        own.append((
            "the two halves are concatenated in the wrong order: Keras puts the forward "
            "output first, then the backward one.",
            frozenset(["halves_swapped"]),
        ))
    inner = [(f"in both directions, {text}", flags) for text, flags in _cell_mistakes(forward)
             if not flags & {"backwards_ignored", "backwards_flipped"}]
    state_targets = [f"{side} {s}" for side in ("forward", "backward")
                     for s in (("h", "c") if forward.kind == "LSTM" else ("h",))]
    found = _as_suspects(simulate, own + inner, targets + state_targets)
    if forward.kind == "LSTM":
        found += _state_swaps(simulate, "forward ") + _state_swaps(simulate, "backward ")
    return found


def simulate(layer, x, initial_state=None) -> dict:
    """Keras' results recomputed in NumPy (no mistake): used to test this module."""
    if type(layer).__name__ == "Bidirectional":
        return _run_bidirectional(_cell_of(layer.forward_layer), _cell_of(layer.backward_layer),
                                  layer.merge_mode, x, initial_state, frozenset())
    return _run(_cell_of(layer), x, initial_state, frozenset())


register(
    "SimpleRNN", suspects=rnn_suspects,
    weight_rules={
        "kernel": "(input_shape[-1], units)",
        "recurrent_kernel": "(units, units)",
        "bias": "(units,)",
    },
)
register(
    "LSTM", suspects=rnn_suspects,
    weight_rules={
        "kernel": "(input_shape[-1], 4 * units): the 4 gates i, f, c, o side by side",
        "recurrent_kernel": "(units, 4 * units): the 4 gates i, f, c, o side by side",
        "bias": "(4 * units,): the 4 gates i, f, c, o one after the other",
    },
)
register(
    "GRU", suspects=rnn_suspects,
    weight_rules={
        "kernel": "(input_shape[-1], 3 * units): the 3 gates z, r, h side by side",
        "recurrent_kernel": "(units, 3 * units): the 3 gates z, r, h side by side",
        "bias": "(2, 3 * units) with reset_after=True (row 0 added to x_t @ kernel, row 1 "
                "to h_{t-1} @ recurrent_kernel), or (3 * units,) with reset_after=False",
    },
)
register(
    "Bidirectional", suspects=bidirectional_suspects,
    weight_rules={
        "kernel": "the wrapped layer's kernel shape, in both copies (forward weights first, "
                  "then backward): (input_shape[-1], units) for SimpleRNN, "
                  "(input_shape[-1], 4 * units) for LSTM, (input_shape[-1], 3 * units) for GRU",
        "recurrent_kernel": "the wrapped layer's recurrent_kernel shape, in both copies: "
                            "(units, units) for SimpleRNN, (units, 4 * units) for LSTM, "
                            "(units, 3 * units) for GRU",
        "bias": "the wrapped layer's bias shape, in both copies: (units,) for SimpleRNN, "
                "(4 * units,) for LSTM, (2, 3 * units) for GRU with reset_after=True",
    },
)
