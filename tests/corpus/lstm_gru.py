"""Student answers for solutions/06_lstm_gru: the LSTM layer (with `unroll`), the GRU layer,
the row reader.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match. Valid alternatives (FULL)
must keep every point.

The LSTM cell also defines `unroll`, which the GRU reuses: a mistake there costs
points in both exercises. Disguised shortcuts (aliases, getattr with a computed name,
the built-in cells wrapped in keras.layers.RNN, TensorFlow's cuDNN and block ops)
must be refused.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "06_lstm_gru"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "lstm_solution/change_number/1->2 in result = keras.ops.stack(outputs, axis=1) if retur",
    "lstm_solution/change_number/4->5 in z_i, z_f, z_c, z_o = keras.ops.split(z + self.bias",
    "gru_solution/swap_operands/1 - z",
    "gru_solution/change_number/0->1 in a_z, a_r, a_h = keras.ops.split(keras.ops.matmul(x",
    "reader_solution/change_number/0.01->0.1 in model.compile(optimizer=keras.optimizers.Adam(lear",
    "reader_solution/change_number/14->15 in model = keras.Sequential([keras.Input(shape=(14, 1",
)

#: mutant id -> why no test can (or should) tell it from the solution
_COMMUTATIVE = "float addition is commutative: the same sum"
EQUIVALENT_MUTANTS = {
    "lstm_solution/swap_operands/keras.ops.matmul(x_t, self.kernel) + keras.ops.matmul(h, "
    "self.recurren": _COMMUTATIVE,
    "lstm_solution/swap_operands/z + self.bias": _COMMUTATIVE,
    "lstm_solution/swap_operands/f * c + i * self.activation(z_c)": _COMMUTATIVE,
    "gru_solution/swap_operands/keras.ops.matmul(x_t, self.kernel) + self.bias[0]": _COMMUTATIVE,
    "gru_solution/swap_operands/keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1]":
        _COMMUTATIVE,
    "gru_solution/swap_operands/a_z + m_z": _COMMUTATIVE,
    "gru_solution/swap_operands/a_r + m_r": _COMMUTATIVE,
    "gru_solution/swap_operands/a_h + r * m_h": _COMMUTATIVE,
    "gru_solution/swap_operands/z * h + (1 - z) * candidate": _COMMUTATIVE,
    "lstm_solution/drop_keyword/initializer='glorot_uniform'":
        "glorot_uniform is add_weight's default initializer",
    "gru_solution/drop_keyword/initializer='glorot_uniform'":
        "glorot_uniform is add_weight's default initializer",
    "lstm_solution/drop_keyword/name='kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "lstm_solution/drop_keyword/name='recurrent_kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "lstm_solution/drop_keyword/name='bias'":
        "weight names are free: weights are paired with Keras' in order",
    "gru_solution/drop_keyword/name='kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "gru_solution/drop_keyword/name='recurrent_kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "gru_solution/drop_keyword/name='bias'":
        "weight names are free: weights are paired with Keras' in order",
    "lstm_solution/drop_keyword/package='course06'":
        "the class is registered either way (under the package 'Custom')",
    "gru_solution/drop_keyword/package='course06'":
        "the class is registered either way (under the package 'Custom')",
}

# ---------------------------------------------------------------------------- the LSTM

_UNROLL = '''\
def unroll(step, inputs, states, return_sequences, return_state):
    outputs = []
    for t in range(inputs.shape[1]):
        output, states = step(inputs[:, t, :], states)
        outputs.append(output)
    result = keras.ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return [result, *states] if return_state else result


'''

_LSTM_HEAD = '''\
@keras.saving.register_keras_serializable(package="course06")
class LSTM(keras.layers.Layer):
    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, return_sequences=False, return_state=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.return_sequences = return_sequences
        self.return_state = return_state

    def compute_output_shape(self, input_shape):
        state = (input_shape[0], self.units)
        output = (input_shape[0], input_shape[1], self.units) if self.return_sequences \\
            else state
        return [output, state, state] if self.return_state else output

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias,
                "return_sequences": self.return_sequences, "return_state": self.return_state}
'''


def lstm(body: str, unroll: str = _UNROLL) -> str:
    """A student's LSTM cell: unroll, the shared head, then their build/step/call."""
    return unroll + _LSTM_HEAD + body


_WRAPS_BUILTIN_CELL = '''
    def build(self, input_shape):
        self.cell = keras.layers.LSTMCell(self.units)
        self.rnn = keras.layers.RNN(self.cell, return_sequences=self.return_sequences,
                                    return_state=self.return_state)
        self.rnn.build(input_shape)

    def call(self, inputs, initial_state=None):
        return self.rnn(inputs, initial_state=initial_state)
'''

_LSTM_MISTAKES = [
    Entry(
        "lstm_gates_ifoc", "lstm_solution", LESS,
        edits=(("z_i, z_f, z_c, z_o = keras.ops.split(", "z_i, z_f, z_o, z_c = keras.ops.split("),),
        names=r"gates are read in the order i, f, o, c",
        why="the order of some papers: i, f, o, c",
    ),
    Entry(
        "lstm_gates_fico", "lstm_solution", LESS,
        edits=(("z_i, z_f, z_c, z_o = keras.ops.split(", "z_f, z_i, z_c, z_o = keras.ops.split("),),
        names=r"gates are read in the order f, i, c, o",
        why="forget gate first",
    ),
    Entry(
        "lstm_gates_tanh", "lstm_solution", LESS,
        edits=(("        i = self.recurrent_activation(z_i)\n"
                "        f = self.recurrent_activation(z_f)\n"
                "        o = self.recurrent_activation(z_o)\n",
                "        i = self.activation(z_i)\n"
                "        f = self.activation(z_f)\n"
                "        o = self.activation(z_o)\n"),),
        names=r"gates i, f and o went through 'tanh'",
        why="tanh instead of sigmoid on the gates",
    ),
    Entry(
        "lstm_candidate_sigmoid", "lstm_solution", LESS,
        edits=(("c = f * c + i * self.activation(z_c)",
                "c = f * c + i * self.recurrent_activation(z_c)"),),
        names=r"candidate c~ .* went through 'sigmoid'",
        why="sigmoid on all four blocks",
    ),
    Entry(
        "lstm_forget_bias_zeros", "lstm_solution", LESS,
        edits=(("forget = keras.ops.ones((units,)) if self.unit_forget_bias",
                "forget = keras.ops.zeros((units,)) if self.unit_forget_bias"),),
        names=r"forget-gate slice.*unit_forget_bias",
        why="forget-gate bias not initialised to one",
    ),
    Entry(
        "lstm_forget_bias_everywhere", "lstm_solution", LESS,
        edits=(("self.bias = self.add_weight(shape=(4 * units,), initializer=bias_initializer,",
                "self.bias = self.add_weight(shape=(4 * units,), initializer=\"ones\","),),
        names=r"initial 'bias'|bias_initializer",
        why="ones in every block of the bias",
    ),
    Entry(
        "lstm_forget_plus_one_in_step", "lstm_solution", LESS,
        edits=(("f = self.recurrent_activation(z_f)", "f = self.recurrent_activation(z_f + 1.0)"),),
        names=r"1 was added to the forget gate",
        why="forget_bias=1 of old TensorFlow cells, on top of unit_forget_bias",
    ),
    Entry(
        "lstm_no_output_tanh", "lstm_solution", LESS,
        edits=(("h = o * self.activation(c)", "h = o * c"),),
        names=r"h = o \* c",
        why="the output gate times the raw carry",
    ),
    Entry(
        "lstm_states_swapped", "lstm_solution", LESS,
        edits=(("return [result, *states] if return_state else result",
                "return [result, *states[::-1]] if return_state else result"),),
        names=r"returned as \[c, h\]",
        why="final states returned as [c, h]",
    ),
    Entry(
        "lstm_state_not_carried", "lstm_solution", LESS,
        edits=(("output, states = step(inputs[:, t, :], states)",
                "output, _ = step(inputs[:, t, :], states)"),),
        names=r"not carried|ignores the previous state|recurrent term",
        why="every step starts from the initial state",
    ),
    Entry(
        "lstm_first_output", "lstm_solution", LESS,
        edits=(("if return_sequences else outputs[-1]", "if return_sequences else outputs[0]"),),
        names=r"the output is the first step's",
        why="returns the first step's output",
    ),
    Entry(
        "lstm_initial_state_ignored", "lstm_solution", LESS,
        edits=(("        if initial_state is None:\n            zeros = ",
                "        if True:\n            zeros = "),),
        names=r"initial state was ignored",
        why="always starts from zeros",
    ),
    Entry(
        "lstm_no_recurrent_term", "lstm_solution", LESS,
        edits=(("z = keras.ops.matmul(x_t, self.kernel) + keras.ops.matmul(h, "
                "self.recurrent_kernel)", "z = keras.ops.matmul(x_t, self.kernel)"),),
        names=r"recurrent term h_\{t-1\} @ recurrent_kernel is missing",
        why="forgets h_{t-1} @ U",
    ),
    Entry(
        "lstm_recurrent_glorot", "lstm_solution", LESS,
        edits=(('initializer="orthogonal",', 'initializer="glorot_uniform",'),),
        names=r"not orthogonal",
        why="recurrent kernel initialised like the kernel",
    ),
    Entry(
        "lstm_kernel_transposed", "lstm_solution", LESS,
        edits=(("self.kernel = self.add_weight(shape=(input_shape[-1], 4 * units),",
                "self.kernel = self.add_weight(shape=(4 * units, input_shape[-1]),"),
               ("z = keras.ops.matmul(x_t, self.kernel)",
                "z = keras.ops.matmul(x_t, keras.ops.transpose(self.kernel))")),
        names=r"\(input_shape\[-1\], 4 \* units\): the 4 gates i, f, c, o",
        why="PyTorch's layout (4u, features)",
    ),
    Entry(
        "lstm_states_not_returned", "lstm_solution", LESS,
        edits=(("return [result, *states] if return_state else result", "return result"),),
        names=r"returned a single tensor; with this configuration Keras returns a list",
        why="return_state ignored",
    ),
    Entry(
        "lstm_float32_zeros", "lstm_solution", LESS,
        edits=(("            zeros = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units),\n"
                "                                    dtype=inputs.dtype)\n",
                "            zeros = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units),\n"
                "                                    dtype=\"float32\")\n"),),
        names=r"mixed|float16|dtype",
        why="float32 initial states break mixed precision",
    ),
    Entry(
        "lstm_uses_builtin_alias", "lstm_solution", LESS,
        source=lstm('''
    def build(self, input_shape):
        self.inner = layers.LSTM(self.units, return_sequences=self.return_sequences,
                                 return_state=self.return_state)
        self.inner.build(input_shape)

    def call(self, inputs, initial_state=None):
        return self.inner(inputs, initial_state=initial_state)
''').replace("@keras.saving", "from keras import layers\n\n\n@keras.saving"),
        names=r"keras\.layers\.LSTM",
        why="the built-in layer under an alias",
    ),
    Entry(
        "lstm_wraps_builtin_cell", "lstm_solution", LESS,
        source=lstm(_WRAPS_BUILTIN_CELL),
        names=r"keras\.layers\.(LSTMCell|RNN)",
        why="keras.layers.RNN around keras.layers.LSTMCell",
    ),
    Entry(
        "lstm_getattr_computed_name", "lstm_solution", LESS,
        source=lstm('''
    def build(self, input_shape):
        self.inner = getattr(keras.layers, "LS" + "TM")(
            self.units, return_sequences=self.return_sequences, return_state=self.return_state)
        self.inner.build(input_shape)

    def call(self, inputs, initial_state=None):
        return self.inner(inputs, initial_state=initial_state)
'''),
        names=r"getattr|forbid|uses keras\.layers\.LSTM",
        why="keras.layers.LSTM through getattr with a computed name",
    ),
    Entry(
        "lstm_tf_keras_cell", "lstm_solution", LESS,
        source=lstm(_WRAPS_BUILTIN_CELL.replace("keras.layers.LSTMCell", "tf.keras.layers.LSTMCell")
                    .replace("keras.layers.RNN", "tf.keras.layers.RNN")
                    ).replace("@keras.saving", "import tensorflow as tf\n\n\n@keras.saving"),
        names=r"LSTMCell|keras\.layers\.RNN",
        why="the same cell through tf.keras",
    ),
    Entry(
        "lstm_cudnn_raw_op", "lstm_solution", LESS,
        source=lstm('''
    def build(self, input_shape):
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 4 * units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * units,), initializer="zeros", name="bias")

    def call(self, inputs, initial_state=None):
        run = getattr(tf.raw_ops, "CudnnRNNV3")
        output = run(input=inputs, input_h=None, input_c=None, params=None,
                     sequence_lengths=None, time_major=False)
        return output[0]
''').replace("@keras.saving", "import tensorflow as tf\n\n\n@keras.saving"),
        names=r"CudnnRNN|forbid",
        why="TensorFlow's cuDNN kernel through getattr",
    ),
    Entry(
        "lstm_block_lstm_alias", "lstm_solution", LESS,
        source=lstm('''
    def build(self, input_shape):
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 4 * units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * units,), initializer="zeros", name="bias")

    def call(self, inputs, initial_state=None):
        fused = raw.BlockLSTMV2
        weights = keras.ops.concatenate([self.kernel, self.recurrent_kernel], axis=0)
        steps = keras.ops.transpose(inputs, (1, 0, 2))
        zeros = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units))
        result = fused(seq_len_max=inputs.shape[1], x=steps, cs_prev=zeros, h_prev=zeros,
                       w=weights, wci=zeros[0], wcf=zeros[0], wco=zeros[0], b=self.bias)
        return result[-1][-1]
''').replace("@keras.saving", "from tensorflow import raw_ops as raw\n\n\n@keras.saving"),
        names=r"BlockLSTM",
        why="TensorFlow's fused BlockLSTM op under an alias",
    ),
]

_LSTM_VALID = [
    Entry(
        "lstm_sliced_gates", "lstm_solution", FULL,
        source=lstm('''
    def build(self, input_shape):
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 4 * units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * units,), initializer="zeros", name="bias")
        if self.unit_forget_bias:
            self.bias.assign(np.concatenate([np.zeros(units), np.ones(units),
                                             np.zeros(2 * units)]).astype("float32"))

    def gate(self, k, x_t, h):
        u = self.units
        return (keras.ops.matmul(x_t, self.kernel[:, k * u:(k + 1) * u])
                + keras.ops.matmul(h, self.recurrent_kernel[:, k * u:(k + 1) * u])
                + self.bias[k * u:(k + 1) * u])

    def step(self, x_t, states):
        h_prev, c_prev = states
        input_gate = self.recurrent_activation(self.gate(0, x_t, h_prev))
        forget_gate = self.recurrent_activation(self.gate(1, x_t, h_prev))
        candidate = self.activation(self.gate(2, x_t, h_prev))
        output_gate = self.recurrent_activation(self.gate(3, x_t, h_prev))
        carry = forget_gate * c_prev + input_gate * candidate
        hidden = output_gate * self.activation(carry)
        return hidden, [hidden, carry]

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            batch = keras.ops.shape(inputs)[0]
            initial_state = [keras.ops.zeros((batch, self.units), dtype=self.compute_dtype)
                             for _ in range(2)]
        return unroll(self.step, inputs, initial_state, self.return_sequences,
                      self.return_state)
'''),
        why="one matmul per gate on slices; bias set with assign after add_weight",
    ),
    Entry(
        "lstm_input_projection_first", "lstm_solution", FULL,
        source=lstm('''
    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * u), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), name="recurrent_kernel",
                                                initializer=keras.initializers.Orthogonal())
        ones = keras.initializers.Constant(1.0 if self.unit_forget_bias else 0.0)
        self.bias = self.add_weight(
            shape=(4 * u,), name="bias",
            initializer=lambda shape, dtype=None: keras.ops.concatenate(
                [keras.ops.zeros((u,)), ones((u,)), keras.ops.zeros((2 * u,))]))

    def call(self, inputs, initial_state=None):
        # the input's share of every step at once: (batch, time, 4u)
        projected = keras.ops.einsum("btf,fg->btg", inputs, self.kernel) + self.bias
        batch = keras.ops.shape(inputs)[0]
        if initial_state is None:
            h = c = keras.ops.zeros((batch, self.units), dtype=inputs.dtype)
        else:
            h, c = initial_state
        sequence = []
        for t in range(inputs.shape[1]):
            z = projected[:, t] + keras.ops.matmul(h, self.recurrent_kernel)
            i, f, g, o = (z[:, k * self.units:(k + 1) * self.units] for k in range(4))
            c = self.recurrent_activation(f) * c \\
                + self.recurrent_activation(i) * self.activation(g)
            h = self.recurrent_activation(o) * self.activation(c)
            sequence.append(h)
        output = keras.ops.stack(sequence, axis=1) if self.return_sequences else h
        if self.return_state:
            return [output, h, c]
        return output
''', unroll=_UNROLL.replace("    result = keras.ops.stack(outputs, axis=1)",
                            "    result = keras.ops.transpose(keras.ops.stack(outputs), "
                            "(1, 0, 2))")),
        why="the input products of all steps in one einsum; own loop in call",
    ),
    Entry(
        "lstm_unroll_unstack", "lstm_solution", FULL,
        edits=(("""    outputs = []
    for t in range(inputs.shape[1]):
        output, states = step(inputs[:, t, :], states)
        outputs.append(output)
""", """    outputs = []
    for x_t in keras.ops.unstack(inputs, axis=1):
        output, states = step(x_t, states)
        outputs = outputs + [output]
"""),),
        why="keras.ops.unstack over time",
    ),
]

# ----------------------------------------------------------------------------- the GRU

_GRU_MISTAKES = [
    Entry(
        "gru_reset_before", "gru_solution", LESS,
        edits=(("        candidate = self.activation(a_h + r * m_h)\n",
                "        u = self.units\n"
                "        candidate = self.activation(\n"
                "            a_h + keras.ops.matmul(r * h, self.recurrent_kernel[:, 2 * u:])\n"
                "            + self.bias[1][2 * u:])\n"),),
        names=r"the reset gate was applied before the recurrent product",
        why="reset_after=False arithmetic",
    ),
    Entry(
        "gru_reset_before_no_bias", "gru_solution", LESS,
        edits=(("        candidate = self.activation(a_h + r * m_h)\n",
                "        u = self.units\n"
                "        candidate = self.activation(\n"
                "            a_h + keras.ops.matmul(r * h, self.recurrent_kernel[:, 2 * u:]))\n"),),
        names=r"the reset gate was applied before the recurrent product",
        why="the 2014 formula, recurrent bias dropped",
    ),
    Entry(
        "gru_z_swapped", "gru_solution", LESS,
        edits=(("h = z * h + (1 - z) * candidate", "h = (1 - z) * h + z * candidate"),),
        names=r"the update gate mixes the wrong way round",
        why="z and 1 - z swapped",
    ),
    Entry(
        "gru_gates_tanh", "gru_solution", LESS,
        edits=(("        z = self.recurrent_activation(a_z + m_z)\n"
                "        r = self.recurrent_activation(a_r + m_r)\n",
                "        z = self.activation(a_z + m_z)\n"
                "        r = self.activation(a_r + m_r)\n"),),
        names=r"gates z and r went through 'tanh'",
        why="tanh instead of sigmoid on the gates",
    ),
    Entry(
        "gru_candidate_sigmoid", "gru_solution", LESS,
        edits=(("candidate = self.activation(a_h + r * m_h)",
                "candidate = self.recurrent_activation(a_h + r * m_h)"),),
        names=r"the candidate h~ went through 'sigmoid'",
        why="sigmoid on the candidate",
    ),
    Entry(
        "gru_gates_rzh", "gru_solution", LESS,
        edits=(("a_z, a_r, a_h = keras.ops.split(", "a_r, a_z, a_h = keras.ops.split("),
               ("m_z, m_r, m_h = keras.ops.split(", "m_r, m_z, m_h = keras.ops.split(")),
        names=r"order r, z, h",
        why="reset gate first",
    ),
    Entry(
        "gru_bias_rows_swapped", "gru_solution", LESS,
        edits=(("keras.ops.matmul(x_t, self.kernel) + self.bias[0]",
                "keras.ops.matmul(x_t, self.kernel) + self.bias[1]"),
               ("keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1]",
                "keras.ops.matmul(h, self.recurrent_kernel) + self.bias[0]")),
        names=r"two rows of the GRU bias are swapped",
        why="input bias and recurrent bias swapped",
    ),
    Entry(
        "gru_recurrent_bias_outside_reset", "gru_solution", LESS,
        edits=(("candidate = self.activation(a_h + r * m_h)",
                "candidate = self.activation(a_h + r * (m_h - self.bias[1][2 * self.units:])"
                "\n                                    + self.bias[1][2 * self.units:])"),),
        names=r"added outside the reset gate",
        why="b_h^(h) outside r * (...)",
    ),
    Entry(
        "gru_flat_bias", "gru_solution", LESS,
        edits=(('self.bias = self.add_weight(shape=(2, 3 * units), initializer="zeros", '
                'name="bias")',
                'self.bias = self.add_weight(shape=(3 * units,), initializer="zeros", '
                'name="bias")'),
               ("keras.ops.matmul(x_t, self.kernel) + self.bias[0]",
                "keras.ops.matmul(x_t, self.kernel) + self.bias"),
               ("keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1]",
                "keras.ops.matmul(h, self.recurrent_kernel)")),
        names=r"\(2, 3 \* units\) with reset_after=True",
        why="one bias, as with reset_after=False",
    ),
    Entry(
        "gru_no_recurrent_term", "gru_solution", LESS,
        edits=(("keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1]",
                "0 * keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1]"),),
        names=r"recurrent term h_\{t-1\} @ recurrent_kernel is missing",
        why="the recurrent product dropped",
    ),
    Entry(
        "gru_initial_state_ignored", "gru_solution", LESS,
        edits=(("        if initial_state is None:\n", "        if True:\n"),),
        names=r"initial state was ignored",
        why="always starts from zeros",
    ),
    Entry(
        "gru_bias_glorot", "gru_solution", LESS,
        edits=(('initializer="zeros", name="bias"', 'name="bias"'),),
        names=r"initial 'bias'|bias_initializer|zeros",
        why="add_weight's default initializer (glorot_uniform) for the bias",
    ),
    Entry(
        "gru_uses_builtin_alias", "gru_solution", LESS,
        source='''\
from keras.layers import GRU as BuiltinGRU


@keras.saving.register_keras_serializable(package="course06")
class GRU(BuiltinGRU):
    pass
''',
        names=r"keras\.layers\.GRU",
        why="a subclass of the built-in under an alias",
    ),
    Entry(
        "gru_wraps_builtin_cell", "gru_solution", LESS,
        source='''\
@keras.saving.register_keras_serializable(package="course06")
class GRU(keras.layers.Layer):
    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.cell = keras.layers.GRUCell(units, activation=activation,
                                         recurrent_activation=recurrent_activation)
        self.return_sequences = return_sequences
        self.return_state = return_state

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            initial_state = [keras.ops.zeros((keras.ops.shape(inputs)[0], self.units))]
        return unroll(lambda x_t, states: self.cell(x_t, states), inputs, initial_state,
                      self.return_sequences, self.return_state)
''',
        names=r"GRUCell",
        why="Keras' GRU cell in the student's loop",
    ),
    Entry(
        "gru_getattr_cell", "gru_solution", LESS,
        source='''\
@keras.saving.register_keras_serializable(package="course06")
class GRU(keras.layers.Layer):
    def __init__(self, units, return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.rnn = getattr(keras.layers, "".join(["G", "R", "U"]))(
            units, return_sequences=return_sequences, return_state=return_state)

    def call(self, inputs, initial_state=None):
        return self.rnn(inputs, initial_state=initial_state)
''',
        names=r"getattr|forbid|contains a keras\.layers\.GRU",
        why="the built-in through getattr with a computed name",
    ),
]

_GRU_VALID = [
    Entry(
        "gru_sliced_weights", "gru_solution", FULL,
        edits=(("        a_z, a_r, a_h = keras.ops.split(keras.ops.matmul(x_t, self.kernel)"
                " + self.bias[0], 3,\n"
                "                                        axis=-1)\n"
                "        m_z, m_r, m_h = keras.ops.split(\n"
                "            keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1], 3, "
                "axis=-1)\n", """        u = self.units
        a_z, a_r, a_h = [keras.ops.matmul(x_t, self.kernel[:, k * u:(k + 1) * u])
                         + self.bias[0, k * u:(k + 1) * u] for k in range(3)]
        m_z, m_r, m_h = [keras.ops.matmul(h, self.recurrent_kernel[:, k * u:(k + 1) * u])
                         + self.bias[1, k * u:(k + 1) * u] for k in range(3)]
"""),),
        why="one matmul per gate on column slices",
    ),
    Entry(
        "gru_interpolation_form", "gru_solution", FULL,
        edits=(("h = z * h + (1 - z) * candidate", "h = candidate + z * (h - candidate)"),),
        why="the same mix written as an interpolation",
    ),
    Entry(
        "gru_own_loop", "gru_solution", FULL,
        edits=(("        return unroll(self.step, inputs, list(initial_state), "
                "self.return_sequences,\n                      self.return_state)\n",
                """        h = initial_state[0]
        outputs = []
        for t in range(inputs.shape[1]):
            h, _ = self.step(inputs[:, t], [h])
            outputs.append(h)
        output = keras.ops.stack(outputs, axis=1) if self.return_sequences else h
        return [output, h] if self.return_state else output
"""),),
        why="its own loop instead of unroll",
    ),
]

# ---------------------------------------------------------------------------- the reader

_READER = '''\
def build_row_reader(recurrent_layer):
    model = keras.Sequential([
        keras.Input(shape=(14, 14)),
        recurrent_layer,
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''

_READER_MISTAKES = [
    Entry(
        "reader_no_softmax", "reader_solution", LESS,
        source=_READER.replace('Dense(10, activation="softmax")', "Dense(10)"),
        names=r"activation|softmax|probabilit",
        why="logits instead of probabilities",
    ),
    Entry(
        "reader_default_learning_rate", "reader_solution", LESS,
        source=_READER.replace("keras.optimizers.Adam(learning_rate=0.01)", '"adam"'),
        names=r"learning rate",
        why="Adam's default learning rate 0.001",
    ),
    Entry(
        "reader_wrong_loss", "reader_solution", LESS,
        source=_READER.replace('"sparse_categorical_crossentropy"', '"categorical_crossentropy"'),
        names=r"loss|sparse",
        why="one-hot loss for integer labels",
    ),
    Entry(
        "reader_builtin_layer", "reader_solution", LESS,
        source=_READER.replace("        recurrent_layer,\n",
                               "        keras.layers.LSTM(recurrent_layer.units),\n"),
        names=r"own|built-in|keras\.layers\.LSTM|GRU",
        why="ignores the given layer and uses Keras' LSTM",
    ),
    Entry(
        "reader_extra_hidden_layer", "reader_solution", LESS,
        source=_READER.replace("        recurrent_layer,\n",
                               "        recurrent_layer,\n"
                               "        keras.layers.Dense(32, activation=\"relu\"),\n"),
        names=r"layers?",
        why="a Dense layer the specification does not ask for",
    ),
    Entry(
        "reader_fixed_batch", "reader_solution", LESS,
        source=_READER.replace("keras.Input(shape=(14, 14))",
                               "keras.Input(batch_shape=(50, 14, 14))"),
        names=r"input shape is \(50, 14, 14\)",
        why="the batch size of fit written into the input shape",
    ),
]

_READER_VALID = [
    Entry(
        "reader_with_add", "reader_solution", FULL,
        source='''\
def build_row_reader(recurrent_layer):
    model = keras.Sequential()
    model.add(keras.Input((14, 14)))
    model.add(recurrent_layer)
    model.add(keras.layers.Dense(units=10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model
''',
        why="model.add, positional learning rate, a loss object",
    ),
]

ENTRIES = [*_LSTM_MISTAKES, *_LSTM_VALID, *_GRU_MISTAKES, *_GRU_VALID, *_READER_MISTAKES,
           *_READER_VALID]
