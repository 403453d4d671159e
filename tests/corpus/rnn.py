"""Student answers for solutions/05_rnn: the SimpleRNN layer and the Bidirectional wrapper.

Each Entry is a whole solution cell (`source`) or the instructor's cell with small
edits (`edits`, each `old` text occurring exactly once). Mistakes (LESS) say, in
`names`, a regex the failing test's message must match: the words that name the
mistake for the student. Valid alternatives (FULL) must keep every point.

The Bidirectional tests wrap the notebook's SimpleRNN, so a mistake in the SimpleRNN
cell costs points in exercise 2 as well; the Bidirectional entries keep the
instructor's SimpleRNN.
"""

from __future__ import annotations

from .harness import FULL, LESS, Entry

NOTEBOOK = "05_rnn"

#: Mutants of the solution cells (bench/mutants.py --list) that must lose points.
MUTANT_SAMPLE = (
    "simple_rnn_solution/delete_statement/steps = reversed(steps)",
    "simple_rnn_solution/swap_string/'orthogonal'->'glorot_uniform'",
    "simple_rnn_solution/delete_statement/h = initial_state[0]",
    "bidirectional_solution/delete_statement/y_rev = keras.ops.flip(y_rev, axis=1)",
    "bidirectional_solution/drop_keyword/initial_state=backward_state",
)

#: Strings whose swap is a plausible slip: the recurrent initializer, the merge modes.
STRING_SWAPS = {"orthogonal": ("glorot_uniform",), "ave": ("sum",), "mul": ("sum",)}

#: mutant id -> why no test can (or should) tell it from the solution
EQUIVALENT_MUTANTS = {
    "simple_rnn_solution/drop_keyword/initializer='glorot_uniform'":
        "glorot_uniform is add_weight's default initializer",
    "simple_rnn_solution/drop_keyword/name='kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "simple_rnn_solution/drop_keyword/name='recurrent_kernel'":
        "weight names are free: weights are paired with Keras' in order",
    "simple_rnn_solution/drop_keyword/name='bias'":
        "weight names are free: weights are paired with Keras' in order",
    "simple_rnn_solution/swap_operands/keras.ops.matmul(x_t, self.kernel) + "
    "keras.ops.matmul(h_prev, self.rec":
        "float addition is commutative",
    "simple_rnn_solution/swap_operands/z + self.bias": "float addition is commutative",
    "simple_rnn_solution/drop_keyword/package='course05'":
        "only the registered name's prefix changes ('Custom>' instead of 'course05>'); "
        "deserialization finds the class either way",
    "bidirectional_solution/swap_operands/'forward_' + layer.name":
        "the copies' names are free: nothing reads them",
    "bidirectional_solution/swap_operands/'backward_' + layer.name":
        "the copies' names are free: nothing reads them",
    "bidirectional_solution/drop_keyword/training=training":
        "the wrapped SimpleRNN has no dropout: training changes nothing it computes",
    "bidirectional_solution/drop_keyword/training=training@2":
        "the wrapped SimpleRNN has no dropout: training changes nothing it computes",
    "bidirectional_solution/swap_operands/y + y_rev": "float addition is commutative",
    "bidirectional_solution/swap_operands/y + y_rev@2": "float addition is commutative",
    "bidirectional_solution/delete_statement/config = dict(config)":
        "the copy only keeps pop('layer') from changing the caller's dict, which Keras' "
        "deserialization and the tests never read again",
}

# --------------------------------------------------------------------------- SimpleRNN

_STEP = ("        z = keras.ops.matmul(x_t, self.kernel) + "
         "keras.ops.matmul(h_prev, self.recurrent_kernel)\n")
_STACK = "        output = keras.ops.stack(outputs, axis=1) if self.return_sequences else h\n"
_START = '''\
        if initial_state is not None:
            h = initial_state[0]
        else:
            h = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units), dtype=inputs.dtype)
'''

_RNN_MISTAKES = [
    Entry(
        "rnn_tanh_missing", "simple_rnn_solution", LESS,
        edits=(("        return self.activation(z)\n", "        return z\n"),),
        names=r"the activation is missing",
        why="the pre-activation returned as the state: a linear recurrence",
    ),
    Entry(
        "rnn_w_u_swapped", "simple_rnn_solution", LESS,
        edits=((_STEP, "        z = keras.ops.matmul(x_t, self.recurrent_kernel) + "
                       "keras.ops.matmul(h_prev, self.kernel)\n"),),
        names=r"kernel and recurrent_kernel are swapped",
        why="W and U swapped (the visible test has as many features as units)",
    ),
    Entry(
        "rnn_initial_state_ignored", "simple_rnn_solution", LESS,
        edits=((_START, "        h = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units), "
                        "dtype=inputs.dtype)\n"),),
        names=r"the initial state was ignored",
        why="always starts from zeros",
    ),
    Entry(
        "rnn_no_recurrence", "simple_rnn_solution", LESS,
        edits=((_STEP, "        z = keras.ops.matmul(x_t, self.kernel)\n"),),
        names=r"ignores the previous state",
        why="a Dense layer applied at every step",
    ),
    Entry(
        "rnn_state_not_carried", "simple_rnn_solution", LESS,
        edits=(("        outputs = []\n        for t in steps:\n"
                "            h = self.cell(inputs[:, t, :], h)\n",
                "        outputs = []\n        h0 = h\n        for t in steps:\n"
                "            h = self.cell(inputs[:, t, :], h0)\n"),),
        names=r"not carried from one step to the next|ignores the previous state",
        why="every step starts again from the initial state",
    ),
    Entry(
        "rnn_go_backwards_ignored", "simple_rnn_solution", LESS,
        edits=(("        if self.go_backwards:\n            steps = reversed(steps)\n", ""),),
        names=r"go_backwards=True was ignored",
        why="stores the flag, never uses it",
    ),
    Entry(
        "rnn_backwards_flipped_back", "simple_rnn_solution", LESS,
        edits=((_STACK, "        if self.go_backwards:\n            outputs = outputs[::-1]\n"
                        + _STACK),),
        names=r"flipped back to input order",
        why="returns the backward outputs in input order (Bidirectional's job)",
    ),
    Entry(
        "rnn_first_step_output", "simple_rnn_solution", LESS,
        edits=(("if self.return_sequences else h\n",
                "if self.return_sequences else outputs[0]\n"),),
        names=r"the output is the first step's",
        why="outputs[0] taken for the last output",
    ),
    Entry(
        "rnn_bias_after_activation", "simple_rnn_solution", LESS,
        edits=(("        if self.use_bias:\n            z = z + self.bias\n"
                "        return self.activation(z)\n",
                "        h = self.activation(z)\n        if self.use_bias:\n"
                "            h = h + self.bias\n        return h\n"),),
        names=r"bias was added after the activation",
        why="activation(xW + hU) + b",
    ),
    Entry(
        "rnn_state_not_returned", "simple_rnn_solution", LESS,
        edits=(("        if self.return_state:\n            return [output, h]\n"
                "        return output\n",
                "        return output\n"),),
        names=r"returned a single tensor; with this configuration Keras returns a list "
              r"\[output, h\]",
        why="return_state stored but never honoured",
    ),
    Entry(
        "rnn_recurrent_glorot", "simple_rnn_solution", LESS,
        edits=(('initializer="orthogonal",\n', 'initializer="glorot_uniform",\n'),),
        names=r"recurrent_kernel' is not orthogonal",
        why="the recurrent kernel initialised like the input kernel",
    ),
    Entry(
        "rnn_weights_in_other_order", "simple_rnn_solution", LESS,
        edits=(('''        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
''', '''        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
'''),),
        names=r"recurrent_kernel.*shape|shape.*recurrent_kernel",
        why="recurrent_kernel created first: weights are paired in Keras' order",
    ),
    Entry(
        "rnn_kernel_transposed", "simple_rnn_solution", LESS,
        edits=(("self.add_weight(shape=(input_shape[-1], self.units),",
                "self.add_weight(shape=(self.units, input_shape[-1]),"),
               ("keras.ops.matmul(x_t, self.kernel)",
                "keras.ops.matmul(x_t, keras.ops.transpose(self.kernel))")),
        names=r"kernel.*transposed|\(input_shape\[-1\], units\)",
        why="kernel stored (units, features) as in PyTorch",
    ),
    Entry(
        "rnn_state_float32_under_mixed_precision", "simple_rnn_solution", LESS,
        edits=(("self.units), dtype=inputs.dtype)", "self.units))"),),
        names=r"mixed|float16",
        why="zeros in float32: under mixed_float16 the output is promoted to float32",
    ),
    Entry(
        "rnn_sequence_time_first", "simple_rnn_solution", LESS,
        edits=(("keras.ops.stack(outputs, axis=1)", "keras.ops.stack(outputs)"),),
        names=r"shape",
        why="stacked time-major (timesteps, batch, units)",
    ),
    Entry(
        "rnn_uses_builtin_layer", "simple_rnn_solution", LESS,
        edits=(("    def call(self, inputs, training=None, initial_state=None):\n",
                "    def call(self, inputs, training=None, initial_state=None):\n"
                "        builtin = keras.layers.SimpleRNN(\n"
                "            self.units, activation=self.activation, use_bias=self.use_bias,\n"
                "            return_sequences=self.return_sequences,\n"
                "            return_state=self.return_state, go_backwards=self.go_backwards)\n"
                "        builtin.build(inputs.shape)\n"
                "        builtin.set_weights([w for w in self.weights])\n"
                "        return builtin(inputs, initial_state=initial_state)\n"),),
        names=r"keras\.layers\.SimpleRNN|forbid",
        why="delegates to the built-in layer",
    ),
    Entry(
        "rnn_cell_via_getattr", "simple_rnn_solution", LESS,
        edits=(("        self.go_backwards = bool(go_backwards)\n",
                "        self.go_backwards = bool(go_backwards)\n"
                "        self.inner = getattr(keras.layers,\n"
                "                             \"SimpleRNN\" + \"Cell\")(self.units)\n"),
               ("    def cell(self, x_t, h_prev):\n",
                "    def cell(self, x_t, h_prev):\n"
                "        return self.inner(x_t, [h_prev])[0]\n")),
        names=r"getattr|forbid|SimpleRNNCell",
        why="the built-in cell reached through getattr with a computed name",
    ),
    Entry(
        "rnn_generic_rnn_alias", "simple_rnn_solution", LESS,
        edits=(("    def call(self, inputs, training=None, initial_state=None):\n",
                "    def call(self, inputs, training=None, initial_state=None):\n"
                "        from keras import layers as kl\n"
                "        loop = kl.RNN(kl.SimpleRNNCell(self.units),\n"
                "                      return_sequences=self.return_sequences,\n"
                "                      return_state=self.return_state,\n"
                "                      go_backwards=self.go_backwards)\n"
                "        return loop(inputs, initial_state=initial_state)\n"),),
        names=r"RNN|forbid",
        why="keras.layers.RNN around the built-in cell, through a module alias",
    ),
    Entry(
        "rnn_tf_keras_layer", "simple_rnn_solution", LESS,
        edits=(("    def call(self, inputs, training=None, initial_state=None):\n",
                "    def call(self, inputs, training=None, initial_state=None):\n"
                "        import tensorflow as tf\n"
                "        return tf.keras.layers.SimpleRNN(self.units)(inputs)\n"),),
        names=r"SimpleRNN|forbid|tensorflow",
        why="the same built-in through tf.keras",
    ),
]

_RNN_VALID = [
    Entry(
        "rnn_input_projection_first", "simple_rnn_solution", FULL,
        edits=(('''        steps = range(inputs.shape[1])
        if self.go_backwards:
            steps = reversed(steps)
        outputs = []
        for t in steps:
            h = self.cell(inputs[:, t, :], h)
            outputs.append(h)
''', '''        projected = keras.ops.matmul(inputs, self.kernel)  # x_t W for every step at once
        if self.use_bias:
            projected = projected + self.bias
        n = inputs.shape[1]
        outputs = []
        for k in range(n):
            t = n - 1 - k if self.go_backwards else k
            h = self.activation(projected[:, t, :]
                                + keras.ops.matmul(h, self.recurrent_kernel))
            outputs.append(h)
'''),),
        why="x W for all steps in one product, an index counting down for go_backwards",
    ),
    Entry(
        "rnn_unstack_and_flip", "simple_rnn_solution", FULL,
        edits=(('''        steps = range(inputs.shape[1])
        if self.go_backwards:
            steps = reversed(steps)
        outputs = []
        for t in steps:
            h = self.cell(inputs[:, t, :], h)
            outputs.append(h)
''', '''        sequence = keras.ops.flip(inputs, axis=1) if self.go_backwards else inputs
        outputs = []
        for x_t in keras.ops.unstack(sequence, axis=1):
            h = self.cell(x_t, h)
            outputs.append(h)
'''),),
        why="flip the input for go_backwards, unstack along time",
    ),
    Entry(
        "rnn_dot_add_and_tuple_state", "simple_rnn_solution", FULL,
        edits=((_STEP, "        z = keras.ops.add(keras.ops.dot(x_t, self.kernel),\n"
                       "                          keras.ops.dot(h_prev, self.recurrent_kernel))\n"),
               ("            return [output, h]\n", "            return output, h\n"),
               ("            h = initial_state[0]\n",
                "            h = initial_state[0] if isinstance(initial_state, (list, tuple)) "
                "else initial_state\n")),
        why="keras.ops.dot and add, states returned as a tuple, a bare tensor accepted as state",
    ),
    Entry(
        "rnn_zeros_like_projection", "simple_rnn_solution", FULL,
        edits=(("            h = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units), "
                "dtype=inputs.dtype)\n",
                "            h = keras.ops.zeros_like(\n"
                "                keras.ops.matmul(inputs[:, 0, :], self.kernel))\n"),),
        why="the zero state shaped like one step's projection (dtype follows the weights' "
            "autocast)",
    ),
]

# ----------------------------------------------------------------------- Bidirectional

_FLIP = "            y_rev = keras.ops.flip(y_rev, axis=1)\n"

_BI_MISTAKES = [
    Entry(
        "bi_not_flipped_back", "bidirectional_solution", LESS,
        edits=(("        if self.forward_layer.return_sequences:\n" + _FLIP, ""),),
        names=r"the backward output sequence was not flipped back",
        why="merges the backward sequence last-step-first",
    ),
    Entry(
        "bi_forward_flipped", "bidirectional_solution", LESS,
        edits=((_FLIP, "            y = keras.ops.flip(y, axis=1)\n"),),
        names=r"forward output sequence was reversed instead of the backward one",
        why="reverses the wrong half",
    ),
    Entry(
        "bi_flipped_always", "bidirectional_solution", LESS,
        edits=(("        if self.forward_layer.return_sequences:\n" + _FLIP,
                "        y_rev = keras.ops.flip(y_rev, axis=1)\n"),),
        names=r"flipped although return_sequences=False",
        why="flips axis 1 also when it is the units axis",
    ),
    Entry(
        "bi_halves_swapped", "bidirectional_solution", LESS,
        edits=(("keras.ops.concatenate([y, y_rev], axis=-1)",
                "keras.ops.concatenate([y_rev, y], axis=-1)"),),
        names=r"concatenated in the wrong order",
        why="backward half first",
    ),
    Entry(
        "bi_backward_not_backwards", "bidirectional_solution", LESS,
        edits=(('{**config, "go_backwards": True, "name": "backward_" + layer.name}',
                '{**config, "name": "backward_" + layer.name}'),),
        names=r"the backward layer did not go backwards",
        why="two forward copies",
    ),
    Entry(
        "bi_state_not_split", "bidirectional_solution", LESS,
        edits=(("            half = len(initial_state) // 2\n"
                "            forward_state, backward_state = initial_state[:half], "
                "initial_state[half:]\n",
                "            forward_state = backward_state = initial_state\n"),),
        names=r"backward layer started from the forward layer's initial state",
        why="both copies get the whole list (SimpleRNN reads its first state)",
    ),
    Entry(
        "bi_backward_state_ignored", "bidirectional_solution", LESS,
        edits=(("initial_state=backward_state)", "initial_state=None)"),),
        names=r"the backward layer ignored its initial state",
        why="the backward copy starts from zeros",
    ),
    Entry(
        "bi_states_dropped", "bidirectional_solution", LESS,
        edits=(("        return [output, *states] if states else output\n",
                "        return output\n"),),
        names=r"returned a single tensor; with this configuration Keras returns a list "
              r"\[output, forward h, backward h\]",
        why="return_state ignored by the wrapper",
    ),
    Entry(
        "bi_ave_is_sum", "bidirectional_solution", LESS,
        edits=(("            output = (y + y_rev) / 2\n", "            output = y + y_rev\n"),),
        names=r"merge_mode='ave' averages",
        why="forgets to halve for merge_mode='ave'",
    ),
    Entry(
        "bi_no_cast", "bidirectional_solution", LESS,
        edits=(("        y = keras.ops.cast(y, self.compute_dtype)\n"
                "        y_rev = keras.ops.cast(y_rev, self.compute_dtype)\n", ""),),
        names=r"mixed|float16",
        why="merged in the copies' float32 under mixed_float16",
    ),
    Entry(
        "bi_uses_builtin", "bidirectional_solution", LESS,
        edits=(("        self.merge_mode = merge_mode\n",
                "        self.merge_mode = merge_mode\n"
                "        inner = keras.layers.SimpleRNN.from_config(layer.get_config())\n"
                "        self.inner = keras.layers.Bidirectional(inner, merge_mode=merge_mode)\n"),
               ("        forward_state = backward_state = None\n",
                "        return self.inner(inputs, initial_state=initial_state)\n"
                "        forward_state = backward_state = None\n")),
        names=r"keras\.layers\.Bidirectional|forbid",
        why="delegates to the built-in wrapper around a built-in copy of the layer",
    ),
    Entry(
        "bi_builtin_via_getattr", "bidirectional_solution", LESS,
        edits=(("        forward_state = backward_state = None\n",
                "        wrapper = getattr(keras.layers, \"Bidi\" + \"rectional\")\n"
                "        return wrapper(self.forward_layer, merge_mode=self.merge_mode)(inputs)\n"
                "        forward_state = backward_state = None\n"),),
        names=r"getattr|forbid|Bidirectional",
        why="the built-in reached through getattr with a computed name",
    ),
]

_BI_VALID = [
    Entry(
        "bi_slice_reverse_and_table", "bidirectional_solution", FULL,
        edits=((_FLIP, "            y_rev = y_rev[:, ::-1]\n"),
               ('''        if self.merge_mode == "concat":
            output = keras.ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        else:
            output = y * y_rev
''', '''        merges = {
            "concat": lambda a, b: keras.ops.concatenate([a, b], axis=-1),
            "sum": keras.ops.add,
            "ave": lambda a, b: 0.5 * (a + b),
            "mul": keras.ops.multiply,
        }
        output = merges[self.merge_mode](y, y_rev)
''')),
        why="reverse by slicing, merges from a table of functions",
    ),
    Entry(
        "bi_constructor_copies", "bidirectional_solution", FULL,
        edits=(('''        config = layer.get_config()
        self.forward_layer = type(layer).from_config(
            {**config, "name": "forward_" + layer.name})
        self.backward_layer = type(layer).from_config(
            {**config, "go_backwards": True, "name": "backward_" + layer.name})
''', '''        config = dict(layer.get_config())
        config.pop("name")
        self.forward_layer = layer.__class__(**config, name=f"forward_{layer.name}")
        config["go_backwards"] = not layer.go_backwards
        self.backward_layer = layer.__class__(**config, name=f"backward_{layer.name}")
'''),),
        why="copies through the constructor, go_backwards negated",
    ),
    Entry(
        "bi_states_sliced_by_units", "bidirectional_solution", FULL,
        edits=(('''        states = []
        if self.forward_layer.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
''', '''        forward_states, backward_states = [], []
        if self.forward_layer.return_state:
            y, *forward_states = y
            y_rev, *backward_states = y_rev
        states = forward_states + backward_states
'''),),
        why="starred unpacking of [output, *states]",
    ),
]

ENTRIES = [*_RNN_MISTAKES, *_RNN_VALID, *_BI_MISTAKES, *_BI_VALID]
