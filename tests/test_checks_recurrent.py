"""Unit tests of the recurrent layer family (kcourse.checks.recurrent).

The built-in layers compared with themselves pass; correct student layers written
below (keras.ops loops over time) pass; each faulty variant fails with a message
naming the mistake. Runs on the tensorflow and jax backends (KERAS_BACKEND).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kcourse import checks, evidence
from kcourse.checks.layers import collect_layer, layer_case
from kcourse.checks.mistakes import recurrent as recurrent_mistakes

ops = keras.ops
L = keras.layers
RNN_KEYS = ("units", "return_sequences", "return_state", "go_backwards")


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


# ------------------------------------------------------------ correct student layers


def _forget_bias_init(units):
    """LSTM's unit_forget_bias=True: zeros, except ones for the forget gate."""
    def init(shape, dtype=None):
        return ops.concatenate([ops.zeros((units,)), ops.ones((units,)),
                                ops.zeros((2 * units,))])
    return init


class StudentRNN(keras.layers.Layer):
    """What SimpleRNN, LSTM and GRU share: the loop over time and the configuration."""

    n_gates = 1
    n_states = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 return_sequences=False, return_state=False, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards

    def bias_shape(self):
        return (self.n_gates * self.units,)

    def bias_initializer(self):
        return "zeros"

    def build(self, input_shape):
        size = self.n_gates * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], size), name="kernel",
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(shape=(self.units, size),
                                                name="recurrent_kernel",
                                                initializer="orthogonal")
        self.bias = self.add_weight(shape=self.bias_shape(), name="bias",
                                    initializer=self.bias_initializer())

    def first_states(self, inputs, initial_state):
        if initial_state is not None:
            return list(initial_state)
        zeros = ops.zeros((ops.shape(inputs)[0], self.units), dtype=inputs.dtype)
        return [zeros] * self.n_states

    def steps(self, inputs):
        order = range(inputs.shape[1])
        return reversed(order) if self.go_backwards else order

    def finish(self, outputs, states):
        output = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [output, *states] if self.return_state else output

    def call(self, inputs, training=None, initial_state=None):
        states = self.first_states(inputs, initial_state)
        outputs = []
        for t in self.steps(inputs):
            out, states = self.step(inputs[:, t, :], states)
            outputs.append(out)
        return self.finish(outputs, states)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
        }


@keras.saving.register_keras_serializable(package="kcourse_tests")
class MySimpleRNN(StudentRNN):
    def step(self, x_t, states):
        h = self.activation(ops.matmul(x_t, self.kernel) + self.bias
                            + ops.matmul(states[0], self.recurrent_kernel))
        return h, [h]


@keras.saving.register_keras_serializable(package="kcourse_tests")
class MyLSTM(StudentRNN):
    """The 4 gates from one matmul each for x and h, then split."""

    n_gates = 4
    n_states = 2

    def bias_initializer(self):
        return _forget_bias_init(self.units)

    def gates(self, x_t, h):
        z = ops.matmul(x_t, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
        return ops.split(z, 4, axis=-1)

    def step(self, x_t, states):
        h, c = states
        z_i, z_f, z_c, z_o = self.gates(x_t, h)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]


@keras.saving.register_keras_serializable(package="kcourse_tests")
class MyLSTMSliced(MyLSTM):
    """A valid alternative: each gate from its own slices of the weights."""

    def gates(self, x_t, h):
        u = self.units
        return [ops.matmul(x_t, self.kernel[:, k * u:(k + 1) * u])
                + ops.matmul(h, self.recurrent_kernel[:, k * u:(k + 1) * u])
                + self.bias[k * u:(k + 1) * u] for k in range(4)]


@keras.saving.register_keras_serializable(package="kcourse_tests")
class MyGRU(StudentRNN):
    """GRU with reset_after=True: bias (2, 3u), the reset gate after the recurrent product."""

    n_gates = 3

    def bias_shape(self):
        return (2, 3 * self.units)

    def candidate(self, x_h, h, r, rec_h_raw):
        return self.activation(x_h + r * rec_h_raw)

    def mix(self, z, h, hh):
        return z * h + (1 - z) * hh

    def step(self, x_t, states):
        h = states[0]
        x_z, x_r, x_h = ops.split(ops.matmul(x_t, self.kernel) + self.bias[0], 3, axis=-1)
        r_z, r_r, r_h = ops.split(ops.matmul(h, self.recurrent_kernel) + self.bias[1], 3,
                                  axis=-1)
        z = self.recurrent_activation(x_z + r_z)
        r = self.recurrent_activation(x_r + r_r)
        hh = self.candidate(x_h, h, r, r_h)
        h = self.mix(z, h, hh)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "reset_after": True}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("reset_after", None)
        return cls(**config)


@keras.saving.register_keras_serializable(package="kcourse_tests")
class MyBidirectional(keras.layers.Layer):
    """Bidirectional around a student recurrent layer: a forward and a go_backwards copy."""

    def __init__(self, layer, merge_mode="concat", **kwargs):
        super().__init__(**kwargs)
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{layer.name}"})
        self.backward_layer = type(layer).from_config(
            {**config, "go_backwards": not layer.go_backwards, "name": f"backward_{layer.name}"})
        self.merge_mode = merge_mode

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)

    def split_states(self, initial_state):
        if initial_state is None:
            return None, None
        half = len(initial_state) // 2
        return initial_state[:half], initial_state[half:]

    def backward_output(self, y_rev):
        return ops.flip(y_rev, axis=1) if self.forward_layer.return_sequences else y_rev

    def merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return ops.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def call(self, inputs, training=None, initial_state=None):
        forward_state, backward_state = self.split_states(initial_state)
        y = self.forward_layer(inputs, training=training, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, training=training, initial_state=backward_state)
        states = []
        if self.forward_layer.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        output = self.merge(y, self.backward_output(y_rev))
        if not states:
            return output
        return [*output, *states] if self.merge_mode is None else [output, *states]

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": keras.layers.serialize(self.forward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = keras.layers.deserialize(config.pop("layer"))
        return cls(layer, **config)


# ------------------------------------------------------------------- faulty variants


class SimpleRNNWithoutRecurrence(MySimpleRNN):
    def step(self, x_t, states):
        h = self.activation(ops.matmul(x_t, self.kernel) + self.bias)
        return h, [h]


class SimpleRNNStateNotCarried(MySimpleRNN):
    def call(self, inputs, training=None, initial_state=None):
        start = self.first_states(inputs, initial_state)
        outputs, states = [], start
        for t in self.steps(inputs):
            out, states = self.step(inputs[:, t, :], start)
            outputs.append(out)
        return self.finish(outputs, states)


class LSTMGatesIFOC(MyLSTM):
    def gates(self, x_t, h):
        z_i, z_f, z_o, z_c = super().gates(x_t, h)
        return z_i, z_f, z_c, z_o


@keras.saving.register_keras_serializable(package="kcourse_tests")
class LSTMGatesFICO(MyLSTM):
    def gates(self, x_t, h):
        z_f, z_i, z_c, z_o = super().gates(x_t, h)
        return z_i, z_f, z_c, z_o


class LSTMCandidateSigmoid(MyLSTM):
    def step(self, x_t, states):
        h, c = states
        z_i, z_f, z_c, z_o = self.gates(x_t, h)
        sigmoid = self.recurrent_activation
        c = sigmoid(z_f) * c + sigmoid(z_i) * sigmoid(z_c)
        h = sigmoid(z_o) * self.activation(c)
        return h, [h, c]


class LSTMForgetBiasInCall(MyLSTM):
    def gates(self, x_t, h):
        z_i, z_f, z_c, z_o = super().gates(x_t, h)
        return z_i, z_f + 1.0, z_c, z_o


class LSTMStateNotCarried(MyLSTM):
    def call(self, inputs, training=None, initial_state=None):
        start = self.first_states(inputs, initial_state)
        outputs, states = [], start
        for t in self.steps(inputs):
            out, states = self.step(inputs[:, t, :], start)
            outputs.append(out)
        return self.finish(outputs, states)


class LSTMStatesSwapped(MyLSTM):
    def finish(self, outputs, states):
        h, c = states
        return super().finish(outputs, [c, h])


class LSTMFirstStep(MyLSTM):
    def finish(self, outputs, states):
        return outputs[0] if not self.return_sequences else super().finish(outputs, states)


class LSTMBackwardsFlipped(MyLSTM):
    def finish(self, outputs, states):
        if self.go_backwards:
            outputs = outputs[::-1]
        return super().finish(outputs, states)


class LSTMIgnoresGoBackwards(MyLSTM):
    def steps(self, inputs):
        return range(inputs.shape[1])


class LSTMForgetBiasZeros(MyLSTM):
    def bias_initializer(self):
        return "zeros"


class LSTMRecurrentGlorot(MyLSTM):
    def build(self, input_shape):
        super().build(input_shape)
        self.recurrent_kernel.assign(
            keras.initializers.GlorotUniform()(self.recurrent_kernel.shape))


class LSTMKernelTransposed(MyLSTM):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(4 * self.units, input_shape[-1]), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, 4 * self.units),
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * self.units,), name="bias")

    def gates(self, x_t, h):
        z = (ops.matmul(x_t, ops.transpose(self.kernel))
             + ops.matmul(h, self.recurrent_kernel) + self.bias)
        return ops.split(z, 4, axis=-1)


class LSTMStatesNotReturned(MyLSTM):
    def finish(self, outputs, states):
        return outputs[-1]


class LSTMUsesBuiltin(MyLSTM):
    def call(self, inputs, training=None, initial_state=None):
        return keras.layers.LSTM(self.units)(inputs)


class LSTMWrapsBuiltinCell(MyLSTM):
    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.cell = keras.layers.LSTMCell(units)

    def step(self, x_t, states):
        h, states = self.cell(x_t, states)
        return h, list(states)


class GRUResetBefore(MyGRU):
    """reset_after=False arithmetic on a reset_after=True layer."""

    def step(self, x_t, states):
        h = states[0]
        u = self.units
        x_z, x_r, x_h = ops.split(ops.matmul(x_t, self.kernel) + self.bias[0], 3, axis=-1)
        r_z, r_r, _ = ops.split(ops.matmul(h, self.recurrent_kernel) + self.bias[1], 3, axis=-1)
        z = self.recurrent_activation(x_z + r_z)
        r = self.recurrent_activation(x_r + r_r)
        hh = self.activation(x_h + ops.matmul(r * h, self.recurrent_kernel[:, 2 * u:])
                             + self.bias[1, 2 * u:])
        return self.mix(z, h, hh), [self.mix(z, h, hh)]


class GRUUpdateSwapped(MyGRU):
    def mix(self, z, h, hh):
        return (1 - z) * h + z * hh


class GRUCandidateSigmoid(MyGRU):
    def candidate(self, x_h, h, r, rec_h_raw):
        return self.recurrent_activation(x_h + r * rec_h_raw)


class GRUFlatBias(MyGRU):
    def bias_shape(self):
        return (3 * self.units,)


class BidirectionalNotFlippedBack(MyBidirectional):
    def backward_output(self, y_rev):
        return y_rev


class BidirectionalHalvesSwapped(MyBidirectional):
    def merge(self, y, y_rev):
        return super().merge(y_rev, y)


class BidirectionalBackwardForward(MyBidirectional):
    def __init__(self, layer, merge_mode="concat", **kwargs):
        super().__init__(layer, merge_mode, **kwargs)
        config = {**layer.get_config(), "name": "backward_copy"}
        self.backward_layer = type(layer).from_config(config)


# -------------------------------------------------- built-in layers against themselves


def _bidirectional(inner, **kwargs):
    return L.Bidirectional(inner, **kwargs)


SELF_CASES = [
    ("LSTM", lambda: L.LSTM(4), (3, 5, 2), None),
    ("SimpleRNN", lambda: L.SimpleRNN(3), (2, 4, 3), None),
    ("GRU", lambda: L.GRU(3), (2, 4, 3), None),
    ("GRU-reset_before", lambda: L.GRU(3, reset_after=False), (2, 4, 3), None),
    ("LSTM-sequences-state", lambda: L.LSTM(3, return_sequences=True, return_state=True),
     (2, 4, 3), None),
    ("GRU-backwards-state", lambda: L.GRU(3, go_backwards=True, return_state=True), (2, 4, 3),
     None),
    ("SimpleRNN-backwards-sequences",
     lambda: L.SimpleRNN(3, go_backwards=True, return_sequences=True), (2, 4, 3), None),
    ("LSTM-length-1", lambda: L.LSTM(3, return_sequences=True), (2, 1, 3), None),
    ("LSTM-initial-state", lambda: L.LSTM(3, return_state=True), (2, 4, 3),
     {"initial_state": True}),
    ("Bidirectional-concat", lambda: _bidirectional(L.LSTM(3)), (2, 4, 3), None),
    ("Bidirectional-sum-sequences",
     lambda: _bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum"), (2, 4, 3),
     None),
    ("Bidirectional-initial-state",
     lambda: _bidirectional(L.LSTM(3, return_state=True), merge_mode="concat"), (2, 4, 3),
     {"initial_state": True}),
    ("Bidirectional-GRU-none", lambda: _bidirectional(L.GRU(3, return_sequences=True),
                                                      merge_mode=None), (2, 4, 3), None),
]


@pytest.mark.parametrize(("name", "make", "input_shape", "options"), SELF_CASES,
                         ids=[c[0] for c in SELF_CASES])
def test_builtin_matches_itself(name, make, input_shape, options):
    student = make()
    if keras.config.backend() == "jax":
        # The checker unrolls its own copy; unrolling this one too spares JAX a scan
        # compilation per call (the arithmetic is the same).
        for sub in student._flatten_layers():
            if isinstance(sub, L.RNN):
                sub.unroll = True
    # Both modes for two cases; without dropout the mode changes nothing in a recurrence.
    modes = (False, True) if name in ("LSTM", "Bidirectional-initial-state") else (False,)
    verified = checks.compare_layers(student, make(), input_shape, builtin_forbidden=False,
                                     options=options, training_modes=modes)
    text = "; ".join(verified)
    assert verified[0] == f"input {input_shape}"
    assert "gradients w.r.t. the input, " in text and "recurrent_kernel" in text
    assert "get_config/from_config round trip" in text
    assert "recurrent_kernel orthogonal" in text
    if options:
        assert "from given initial states" in text
    if "state" in name and "initial" not in name:
        assert "states " in text


def test_builtin_cases_pick_the_recurrent_family():
    case = layer_case(L.Bidirectional(L.GRU(3)), (2, 4, 3))
    assert case["family"] == "recurrent"
    assert layer_case(L.SimpleRNN(3), (2, 4, 3))["family"] == "recurrent"


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN", "Bidirectional"])
def test_numpy_model_of_the_mistakes_module_matches_keras(name):
    """The mistakes are recomputed from a NumPy model: it must reproduce Keras exactly.

    Keras' generic loop, the one the checker compares with (use_cudnn=False). Seen on an
    H100 with JAX 0.11.2 and Keras 3.15.1: the cuDNN path of LSTM(go_backwards=True,
    return_sequences=True) returns the outputs in input order, its generic loop (like
    TensorFlow's on a CPU) in processing order, i.e. reversed; this test failed there before.
    """
    rng = np.random.default_rng(3)
    layer = {"LSTM": L.LSTM(3, return_sequences=True, go_backwards=True, return_state=True,
                            use_cudnn=False),
             "GRU": L.GRU(3, return_state=True, use_cudnn=False),
             "SimpleRNN": L.SimpleRNN(3, return_sequences=True, return_state=True),
             "Bidirectional": L.Bidirectional(L.LSTM(3, return_sequences=True,
                                                     use_cudnn=False))}[name]
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    layer.build(x.shape)
    for w in layer.weights:
        w.assign(0.5 * rng.standard_normal(tuple(w.shape)).astype("float32"))
    expected = layer(x)
    expected = [np.asarray(e) for e in expected] if isinstance(expected, tuple | list) \
        else [np.asarray(expected)]
    got = recurrent_mistakes.simulate(layer, x)
    np.testing.assert_allclose(got["output"], expected[0], rtol=1e-5, atol=1e-6)
    for value, name_ in zip(expected[1:], ("h", "c"), strict=False):
        np.testing.assert_allclose(got[name_], value, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- correct students


def _check(student, reference, input_shape, keys=RNN_KEYS, **kwargs):
    checks.check_layer(student, reference, input_shape, config_keys=keys, **kwargs)


CORRECT = [
    ("SimpleRNN", lambda: MySimpleRNN(3), lambda: L.SimpleRNN(3), (2, 4, 3), None),
    ("SimpleRNN-backwards-sequences-state",
     lambda: MySimpleRNN(3, return_sequences=True, go_backwards=True, return_state=True),
     lambda: L.SimpleRNN(3, return_sequences=True, go_backwards=True, return_state=True),
     (2, 4, 3), {"initial_state": True}),
    ("LSTM", lambda: MyLSTM(3), lambda: L.LSTM(3), (2, 4, 3), None),
    ("LSTM-sliced-gates", lambda: MyLSTMSliced(3, return_sequences=True, return_state=True),
     lambda: L.LSTM(3, return_sequences=True, return_state=True), (2, 4, 3),
     {"initial_state": True}),
    ("LSTM-length-1", lambda: MyLSTM(3, return_state=True, go_backwards=True),
     lambda: L.LSTM(3, return_state=True, go_backwards=True), (2, 1, 3), None),
    ("GRU", lambda: MyGRU(3, return_sequences=True), lambda: L.GRU(3, return_sequences=True),
     (2, 4, 3), None),
    ("GRU-backwards-state", lambda: MyGRU(3, go_backwards=True, return_state=True),
     lambda: L.GRU(3, go_backwards=True, return_state=True), (2, 4, 3),
     {"initial_state": True}),
]


@pytest.mark.parametrize(("name", "student", "reference", "input_shape", "options"), CORRECT,
                         ids=[c[0] for c in CORRECT])
def test_correct_student_layer_passes(name, student, reference, input_shape, options, capsys):
    modes = (False, True) if name in ("LSTM", "GRU", "SimpleRNN") else (False,)
    _check(student(), reference(), input_shape, options=options, training_modes=modes)
    out = capsys.readouterr().out
    student_name = type(student()).__name__
    builtin = type(reference()).__name__
    assert out.startswith(f"\u2714 {student_name} matches keras.layers.{builtin}: ")
    assert "gradients w.r.t. the input, 'kernel', 'recurrent_kernel', 'bias'" in out
    assert "round trip (units, return_sequences, return_state, go_backwards)" in out
    assert "recurrent_kernel orthogonal" in out
    if builtin == "LSTM":
        assert "bias zeros with the forget gate at 1" in out


@pytest.mark.parametrize(("merge_mode", "inner", "options"), [
    ("concat", dict(return_sequences=True), None),
    ("sum", dict(return_state=True), {"initial_state": True}),
    (None, dict(return_sequences=True, return_state=True), None),
])
def test_correct_student_bidirectional_passes(merge_mode, inner, options, capsys):
    student = MyBidirectional(MyLSTM(3, **inner), merge_mode=merge_mode)
    reference = L.Bidirectional(L.LSTM(3, **inner), merge_mode=merge_mode)
    _check(student, reference, (2, 4, 3), keys=("merge_mode",), options=options,
           training_modes=(False,))
    out = capsys.readouterr().out
    assert out.startswith("\u2714 MyBidirectional matches keras.layers.Bidirectional: ")
    assert "'forward kernel'" in out and "'backward bias'" in out
    assert "backward bias zeros with the forget gate at 1" in out
    if inner.get("return_state"):
        assert "states forward h, forward c, backward h, backward c" in out


def test_payload_survives_the_evidence_encoding():
    """Under grading the payload goes through JSON; the judge gives the same verdict."""
    reference = L.LSTM(3, return_sequences=True, return_state=True)
    case = layer_case(reference, (2, 4, 3), config_keys=RNN_KEYS, training_modes=(False,),
                      options={"initial_state": True})
    student = MyLSTM(3, return_sequences=True, return_state=True)
    payload = collect_layer(case, 11, student)
    decoded = evidence.from_json(evidence.to_json(payload))
    verified = checks.judge_case("layer", case, decoded, 11)
    assert "states h, c" in verified
    wrong = collect_layer(case, 11, LSTMGatesIFOC(3, return_sequences=True, return_state=True))
    with pytest.raises(checks.CheckFailure, match="gates are read in the order i, f, o, c"):
        checks.judge_case("layer", case, evidence.from_json(evidence.to_json(wrong)), 11)


# ------------------------------------------------------------------------ mistakes

MISTAKES = [
    ("SimpleRNN-no-recurrence", lambda: SimpleRNNWithoutRecurrence(3), lambda: L.SimpleRNN(3),
     None, r"Likely mistake: each step ignores the previous state: the recurrent term "
     r"h_\{t-1\} @ recurrent_kernel is missing"),
    ("SimpleRNN-not-carried", lambda: SimpleRNNStateNotCarried(3, return_sequences=True),
     lambda: L.SimpleRNN(3, return_sequences=True), {"initial_state": True},
     r"the state is not carried from one step to the next"),
    ("LSTM-ifoc", lambda: LSTMGatesIFOC(3), lambda: L.LSTM(3), None,
     r"LSTM gates are read in the order i, f, o, c: Keras lays out .* as gates i, f, c, o"),
    ("LSTM-fico", lambda: LSTMGatesFICO(3, return_sequences=True),
     lambda: L.LSTM(3, return_sequences=True), None, r"in the order f, i, c, o"),
    ("LSTM-candidate-sigmoid", lambda: LSTMCandidateSigmoid(3), lambda: L.LSTM(3), None,
     r"the candidate c~ .* went through 'sigmoid'"),
    ("LSTM-forget-plus-one", lambda: LSTMForgetBiasInCall(3), lambda: L.LSTM(3), None,
     r"1 was added to the forget gate"),
    ("LSTM-not-carried", lambda: LSTMStateNotCarried(3), lambda: L.LSTM(3),
     {"initial_state": True}, r"the state is not carried"),
    ("LSTM-states-swapped", lambda: LSTMStatesSwapped(3, return_state=True),
     lambda: L.LSTM(3, return_state=True), None,
     r"the h returned by .* does not match Keras(.|\n)*returned as \[c, h\]"),
    ("LSTM-first-step", lambda: LSTMFirstStep(3), lambda: L.LSTM(3), None,
     r"the output is the first step's"),
    ("LSTM-backwards-flipped",
     lambda: LSTMBackwardsFlipped(3, go_backwards=True, return_sequences=True),
     lambda: L.LSTM(3, go_backwards=True, return_sequences=True), None,
     r"flipped back to input order"),
    ("LSTM-backwards-ignored", lambda: LSTMIgnoresGoBackwards(3, go_backwards=True),
     lambda: L.LSTM(3, go_backwards=True), None, r"go_backwards=True was ignored"),
    ("LSTM-forget-bias-zeros", lambda: LSTMForgetBiasZeros(3), lambda: L.LSTM(3), None,
     r"initial 'bias' has \[0\.0, 0\.0, 0\.0\]\.\.\. in its forget-gate slice.*"
     r"unit_forget_bias=True"),
    ("LSTM-recurrent-glorot", lambda: LSTMRecurrentGlorot(3), lambda: L.LSTM(3), None,
     r"initial 'recurrent_kernel' is not orthogonal .*says recurrent_initializer='orthogonal'"),
    ("LSTM-kernel-transposed", lambda: LSTMKernelTransposed(3), lambda: L.LSTM(3), None,
     r"weight 'kernel' has shape \(12, 3\), but Keras' 'kernel' has shape \(3, 12\).*"
     r"transposed.*\(input_shape\[-1\], 4 \* units\): the 4 gates i, f, c, o"),
    ("LSTM-states-not-returned", lambda: LSTMStatesNotReturned(3, return_state=True),
     lambda: L.LSTM(3, return_state=True), None,
     r"returned a single tensor; with this configuration Keras returns a list "
     r"\[output, h, c\]"),
    ("LSTM-uses-builtin", lambda: LSTMUsesBuiltin(3), lambda: L.LSTM(3), None,
     # refused from its source, as the grader's static scan refuses it
     r"line \d+ \(`return keras\.layers\.LSTM\(.*uses keras\.layers\.LSTM, which this "
     r"exercise forbids"),
    ("LSTM-wraps-cell", lambda: LSTMWrapsBuiltinCell(3), lambda: L.LSTM(3), None,
     r"contains a keras\.layers\.LSTMCell"),
    ("GRU-reset-before", lambda: GRUResetBefore(3), lambda: L.GRU(3), None,
     r"the reset gate was applied before the recurrent product"),
    ("GRU-update-swapped", lambda: GRUUpdateSwapped(3, return_sequences=True),
     lambda: L.GRU(3, return_sequences=True), None,
     r"the update gate mixes the wrong way round"),
    ("GRU-candidate-sigmoid", lambda: GRUCandidateSigmoid(3), lambda: L.GRU(3), None,
     r"the candidate h~ went through 'sigmoid'"),
    ("GRU-flat-bias", lambda: GRUFlatBias(3), lambda: L.GRU(3), None,
     r"weight 'bias' has shape \(9,\), but Keras' 'bias' has shape \(2, 9\).*"
     r"\(2, 3 \* units\) with reset_after=True"),
    ("Bidirectional-not-flipped",
     lambda: BidirectionalNotFlippedBack(MyLSTM(3, return_sequences=True)),
     lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), None,
     r"the backward output sequence was not flipped back"),
    ("Bidirectional-halves-swapped", lambda: BidirectionalHalvesSwapped(MyGRU(3)),
     lambda: L.Bidirectional(L.GRU(3)), None, r"concatenated in the wrong order"),
    ("Bidirectional-backward-forward",
     lambda: BidirectionalBackwardForward(MySimpleRNN(3), merge_mode="sum"),
     lambda: L.Bidirectional(L.SimpleRNN(3), merge_mode="sum"), None,
     r"the backward layer did not go backwards"),
    ("Bidirectional-inner-gates", lambda: MyBidirectional(LSTMGatesFICO(3), merge_mode="sum"),
     lambda: L.Bidirectional(L.LSTM(3), merge_mode="sum"), None,
     r"in both directions, the LSTM gates are read in the order f, i, c, o"),
]


@pytest.mark.parametrize(("name", "student", "reference", "options", "match"), MISTAKES,
                         ids=[m[0] for m in MISTAKES])
def test_mistake_is_named(name, student, reference, options, match, capsys):
    keys = ("merge_mode",) if name.startswith("Bidirectional") else RNN_KEYS
    with pytest.raises(checks.CheckFailure, match=match):
        _check(student(), reference(), (2, 4, 3), keys=keys, options=options,
               training_modes=(False,))
    assert capsys.readouterr().out == ""


def test_simple_rnn_state_not_carried_from_zeros_is_named():
    """From zero states, a state not carried computes what no recurrent term does."""
    with pytest.raises(checks.CheckFailure, match=r"each step ignores the previous state"):
        _check(SimpleRNNStateNotCarried(3), L.SimpleRNN(3), (2, 4, 3), training_modes=(False,))


def test_unusable_configurations_are_usage_errors():
    with pytest.raises(checks.CheckUsageError, match=r"dropout masks are random"):
        _check(MyLSTM(3), L.LSTM(3, dropout=0.5), (2, 4, 3))
    with pytest.raises(checks.CheckUsageError, match=r"stateful=False"):
        _check(MyLSTM(3), L.LSTM(3, stateful=True), (2, 4, 3))


def test_builtin_comparison_does_not_use_cudnn():
    """use_cudnn is not in get_config: the family switches it off on the rebuilt built-in."""
    from kcourse.checks.recurrent import without_cudnn

    layer = L.Bidirectional(L.LSTM(3))
    assert layer.forward_layer.use_cudnn == "auto"
    without_cudnn(layer)
    assert layer.forward_layer.use_cudnn is False
    assert layer.backward_layer.use_cudnn is False
    assert "use_cudnn" not in L.LSTM(3).get_config()


# ------------------------------------------------------- 06_lstm_gru: gates through tanh

@pytest.mark.parametrize(("student", "reference", "match"), [
    (lambda: MyLSTM(3, recurrent_activation="tanh"), lambda: L.LSTM(3),
     r"the gates i, f and o went through 'tanh': Keras applies recurrent_activation="
     r"'sigmoid'"),
    (lambda: MyGRU(3, recurrent_activation="tanh", return_sequences=True),
     lambda: L.GRU(3, return_sequences=True),
     r"the gates z and r went through 'tanh': Keras applies recurrent_activation='sigmoid'"),
], ids=["LSTM", "GRU"])
def test_gates_through_tanh_are_named(student, reference, match, capsys):
    with pytest.raises(checks.CheckFailure, match=match):
        _check(student(), reference(), (2, 4, 3), training_modes=(False,))
    assert capsys.readouterr().out == ""


def test_fused_recurrent_kernels_are_forbidden():
    from kcourse.checks.shortcuts import forbidden_for

    for layer in (L.LSTM, L.GRU):
        names = forbidden_for(layer)
        for name in ("tf.raw_ops.CudnnRNNV3", "tf.raw_ops.BlockLSTM", "keras.layers.RNN",
                     "keras.layers.StackedRNNCells", "flax.linen.OptimizedLSTMCell"):
            assert name in names, (layer.__name__, name)


# ------------------------------------- 05_rnn: more SimpleRNN and Bidirectional mistakes


class SimpleRNNNoActivation(MySimpleRNN):
    def step(self, x_t, states):
        h = (ops.matmul(x_t, self.kernel) + self.bias
             + ops.matmul(states[0], self.recurrent_kernel))
        return h, [h]


class SimpleRNNWeightsSwapped(MySimpleRNN):
    def step(self, x_t, states):
        h = self.activation(ops.matmul(x_t, self.recurrent_kernel) + self.bias
                            + ops.matmul(states[0], self.kernel))
        return h, [h]


class SimpleRNNBiasAfterActivation(MySimpleRNN):
    def step(self, x_t, states):
        h = self.activation(ops.matmul(x_t, self.kernel)
                            + ops.matmul(states[0], self.recurrent_kernel)) + self.bias
        return h, [h]


class SimpleRNNInitialStateIgnored(MySimpleRNN):
    def call(self, inputs, training=None, initial_state=None):
        return super().call(inputs, training=training)


class BidirectionalForwardFlipped(MyBidirectional):
    def merge(self, y, y_rev):
        return super().merge(ops.flip(y, axis=1), ops.flip(y_rev, axis=1))


class BidirectionalLastOutputFlipped(MyBidirectional):
    def backward_output(self, y_rev):
        return ops.flip(y_rev, axis=1)


class BidirectionalStateNotSplit(MyBidirectional):
    def split_states(self, initial_state):
        return initial_state, initial_state


class BidirectionalBackwardStateIgnored(MyBidirectional):
    def split_states(self, initial_state):
        forward, _ = super().split_states(initial_state)
        return forward, None


class BidirectionalAveIsSum(MyBidirectional):
    def merge(self, y, y_rev):
        return y + y_rev if self.merge_mode == "ave" else super().merge(y, y_rev)


MORE_MISTAKES = [
    ("SimpleRNN-no-activation", lambda: SimpleRNNNoActivation(3), lambda: L.SimpleRNN(3),
     None, r"the activation is missing: SimpleRNN computes h_t = tanh"),
    ("SimpleRNN-W-U-swapped", lambda: SimpleRNNWeightsSwapped(3, return_sequences=True),
     lambda: L.SimpleRNN(3, return_sequences=True), None,
     r"kernel and recurrent_kernel are swapped"),
    ("SimpleRNN-bias-after-activation", lambda: SimpleRNNBiasAfterActivation(3),
     lambda: L.SimpleRNN(3), None, r"the bias was added after the activation"),
    ("SimpleRNN-initial-state-ignored",
     lambda: SimpleRNNInitialStateIgnored(3, return_state=True),
     lambda: L.SimpleRNN(3, return_state=True), {"initial_state": True},
     r"the initial state was ignored"),
    ("Bidirectional-forward-flipped",
     lambda: BidirectionalForwardFlipped(MySimpleRNN(3, return_sequences=True)),
     lambda: L.Bidirectional(L.SimpleRNN(3, return_sequences=True)), None,
     r"the forward output sequence was reversed instead of the backward one"),
    ("Bidirectional-last-output-flipped",
     lambda: BidirectionalLastOutputFlipped(MySimpleRNN(3)),
     lambda: L.Bidirectional(L.SimpleRNN(3)), None,
     r"flipped although return_sequences=False"),
    ("Bidirectional-state-not-split",
     lambda: BidirectionalStateNotSplit(MySimpleRNN(3, return_state=True)),
     lambda: L.Bidirectional(L.SimpleRNN(3, return_state=True)), {"initial_state": True},
     r"the backward layer started from the forward layer's initial state"),
    ("Bidirectional-backward-state-ignored",
     lambda: BidirectionalBackwardStateIgnored(MySimpleRNN(3, return_state=True),
                                               merge_mode="sum"),
     lambda: L.Bidirectional(L.SimpleRNN(3, return_state=True), merge_mode="sum"),
     {"initial_state": True}, r"the backward layer ignored its initial state"),
    ("Bidirectional-ave-is-sum",
     lambda: BidirectionalAveIsSum(MySimpleRNN(3, return_sequences=True), merge_mode="ave"),
     lambda: L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="ave"), None,
     r"the halves were added, not averaged"),
]


@pytest.mark.parametrize(("name", "student", "reference", "options", "match"), MORE_MISTAKES,
                         ids=[m[0] for m in MORE_MISTAKES])
def test_simple_rnn_and_bidirectional_mistake_is_named(name, student, reference, options,
                                                       match, capsys):
    keys = ("merge_mode",) if name.startswith("Bidirectional") else RNN_KEYS
    with pytest.raises(checks.CheckFailure, match=match):
        _check(student(), reference(), (2, 4, 3), keys=keys, options=options,
               training_modes=(False,))
    assert capsys.readouterr().out == ""
