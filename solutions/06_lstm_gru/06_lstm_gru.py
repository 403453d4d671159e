# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 06 · Gated recurrence from the inside: write `LSTM` and `GRU` yourself
#
# A SimpleRNN squeezes everything it has read into one state vector and rewrites that
# vector completely at every step. Gradients then have to pass through the same `tanh`
# and the same recurrent matrix once per step, and over a few dozen steps they shrink
# (or blow up): the network forgets the beginning of a long sequence. The **LSTM** (1997)
# and the **GRU** (2014) fix this with *gates*, small sigmoid layers that decide, number
# by number, what to keep, what to write and what to show. In this notebook you write
# both as Keras layers with Keras' own weight layout, and the tests compare them with
# `keras.layers.LSTM` and `keras.layers.GRU`. Then the three recurrent layers read
# handwritten digits row by row, and you compare how they learn.
#
# **Learning goals.** After this notebook you can
#
# 1. write the LSTM step, with its four gates, and the GRU step, with its three, as
#    equations and as `keras.ops` code;
# 2. lay out the weights as Keras does: LSTM kernel `(features, 4·units)` with the gates
#    in the order i, f, c, o; GRU kernel `(features, 3·units)` with the gates z, r, h and a
#    bias of shape `(2, 3·units)` (`reset_after=True`);
# 3. say why Keras starts the LSTM's forget-gate bias at 1 (`unit_forget_bias`) and where
#    the GRU applies its reset gate;
# 4. unroll a cell over time with `return_sequences`, `return_state` and an initial
#    state, and say why Keras may take a different (cuDNN) path on a GPU;
# 5. train SimpleRNN, LSTM and GRU on the same sequence task and read their learning
#    curves.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell
# below each exercise. A passing test prints lines starting with ✔; a failing one says
# where your layer differs from Keras' and, when it recognises the mistake, what it
# probably is. More tests (other shapes, seeds, sequence lengths, initial states) run when
# your notebook is graded.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from kcourse import checks, data

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. The LSTM step
#
# Notebook 05's SimpleRNN carries one state, $h_t = \tanh(x_t W + h_{t-1} U + b)$. The
# LSTM carries two: the **hidden state** $h_t$ (what the layer outputs) and the **carry**
# (or cell state) $c_t$, a memory that is changed only by element-wise products and sums.
# At each step $t$, with $x_t \in \mathbb{R}^{d}$ and $u$ units, four pre-activations are
# computed from the same two inputs,
#
# $$ \big[\, z_i \;\big|\; z_f \;\big|\; z_c \;\big|\; z_o \,\big] \;=\;
#    x_t W + h_{t-1} U + b, \qquad
#    W \in \mathbb{R}^{d \times 4u},\; U \in \mathbb{R}^{u \times 4u},\;
#    b \in \mathbb{R}^{4u}, $$
#
# and then, with $\sigma$ the `recurrent_activation` (sigmoid by default) and $\tanh$ the
# `activation`,
#
# $$ \begin{aligned}
#    i_t &= \sigma(z_i) && \text{input gate: how much of the candidate to write} \\
#    f_t &= \sigma(z_f) && \text{forget gate: how much of the old carry to keep} \\
#    \tilde c_t &= \tanh(z_c) && \text{candidate: what could be written} \\
#    o_t &= \sigma(z_o) && \text{output gate: how much of the carry to show} \\
#    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t, \qquad
#    h_t = o_t \odot \tanh(c_t).
#    \end{aligned} $$
#
# **Keras' layout.** The four blocks of $u$ columns sit side by side in `kernel`,
# `recurrent_kernel` and `bias`, in the order **i, f, c, o**: columns `0:u` are the input
# gate, `u:2u` the forget gate, `2u:3u` the candidate, `3u:4u` the output gate. (Other
# libraries use other orders: PyTorch stores i, f, g, o as rows of a transposed matrix,
# and some papers write i, f, o, c. Copying weights between them needs a permutation.)
#
# **Why the forget bias starts at 1.** With all biases at zero, a fresh LSTM has
# $f_t \approx \sigma(0) = 0.5$: it halves its memory at every step, and after 20 steps
# $0.5^{20} \approx 10^{-6}$ of the first input is left, in the forward pass and in the
# gradient. Keras' `unit_forget_bias=True` (the default) starts the forget block of the
# bias at 1 instead, so $f_t \approx \sigma(1) \approx 0.73$ at first and the carry
# survives long enough for training to find out what is worth keeping. The other three
# blocks start at `bias_initializer` (zeros). The kernel starts `glorot_uniform` and the
# recurrent kernel `orthogonal` (a rotation, which neither shrinks nor stretches $h$).
#
# The built-in layer shows the layout:

# %%
builtin_lstm = keras.layers.LSTM(3)
builtin_lstm.build((None, 7, 2))  # (batch, time, features)
for weight in builtin_lstm.weights:
    print(f"{weight.path.split('/')[-1]:>16}: shape {tuple(weight.shape)}")
bias = keras.ops.convert_to_numpy(builtin_lstm.weights[2])
for k, gate in enumerate("ifco"):
    print(f"bias, gate {gate} (columns {3 * k}:{3 * k + 3}):", bias[3 * k:3 * k + 3])

# %% [markdown]
# ### Unrolling over time
#
# A recurrent layer applies its step to $x_1, \ldots, x_T$ in turn, feeding each step the
# states the previous one returned; the first step gets the **initial state** (zeros,
# unless the caller passes `initial_state=[h_0, c_0]`). What the layer returns depends on
# two flags, the same for every Keras recurrent layer:
#
# | `return_sequences` | `return_state` | returns |
# |---|---|---|
# | `False` | `False` | $h_T$, shape `(batch, units)` |
# | `True` | `False` | $h_1, \ldots, h_T$ stacked on axis 1, shape `(batch, time, units)` |
# | `False` | `True` | the list `[h_T, h_T, c_T]` (output, then the final states) |
# | `True` | `True` | the list `[h_1..h_T, h_T, c_T]` |
#
# For the LSTM the states are returned as `[h, c]`, hidden state first.

# %% [markdown]
# ## Exercise 1 · the `LSTM` layer (7 points)
#
# Write two things in the cell below.
#
# **`unroll(step, inputs, states, return_sequences, return_state)`**, the loop over time
# that you reuse for the GRU:
#
# * `step(x_t, states) -> (output_t, new_states)`: `x_t` of shape `(batch, features)`,
#   `states` a list of `(batch, units)` tensors;
# * `inputs`: `(batch, time, features)`; the number of steps `inputs.shape[1]` is a Python
#   int (the tests and the model below always give a known sequence length), so a plain
#   Python `for` loop over `range(inputs.shape[1])` is what to write;
# * returns what the table above says: the last output, or all of them stacked with
#   `keras.ops.stack(..., axis=1)`, followed by the final states when `return_state`.
#
# **`class LSTM(keras.layers.Layer)`** with
#
# | method | must do |
# |---|---|
# | `__init__(units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True, return_sequences=False, return_state=False, **kwargs)` | call `super().__init__(**kwargs)`; store `self.units` (int), `self.activation` and `self.recurrent_activation` through `keras.activations.get`, and the three flags |
# | `build(input_shape)` | `self.kernel` `(input_shape[-1], 4 * units)`, `"glorot_uniform"`; `self.recurrent_kernel` `(units, 4 * units)`, `"orthogonal"`; `self.bias` `(4 * units,)`: zeros, except ones in the forget block `units:2*units` when `unit_forget_bias` (an initializer can be any function `(shape, dtype=None) -> tensor`); names `"kernel"`, `"recurrent_kernel"`, `"bias"` |
# | `step(x_t, states)` | one step of section 1: `states` is `[h, c]`; returns `(h, [h, c])` |
# | `call(inputs, initial_state=None)` | `step`, unrolled with `unroll`; zeros of shape `(batch, units)` and the input's dtype when `initial_state` is `None`, else the two given states `[h_0, c_0]` |
# | `compute_output_shape(input_shape)` | the output shape of the table (a list of three shapes when `return_state`) |
# | `get_config()` | `super().get_config()` plus the six constructor arguments (activations by name: `keras.activations.serialize`) |
#
# Use `keras.ops` only (`matmul`, `split`, `stack`, `zeros`, `concatenate`, `ones`), so
# that the layer runs and differentiates on every backend. The tests copy Keras' weights
# into yours, so the shapes and the gate order must be Keras'. Forbidden: the built-in
# `keras.layers.LSTM`, `keras.layers.LSTMCell`, `keras.layers.RNN` and the other cells,
# and the fused kernels behind them (`keras.ops.lstm`, TensorFlow's `CudnnRNN` ops).
# The tests refuse them, and so does grading.

# %% nbgrader={"grade": false, "grade_id": "lstm_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unroll(step, inputs, states, return_sequences, return_state):
    """Run `step` over the time axis of inputs (batch, time, features).

    Returns the last output (batch, units), or every output (batch, time, units) when
    return_sequences; followed by the final states when return_state.
    """
    ### BEGIN SOLUTION
    outputs = []
    for t in range(inputs.shape[1]):
        output, states = step(inputs[:, t, :], states)
        outputs.append(output)
    result = keras.ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return [result, *states] if return_state else result
    ### END SOLUTION


@keras.saving.register_keras_serializable(package="course06")
class LSTM(keras.layers.Layer):
    """Long short-term memory: inputs (batch, time, features) -> (batch, units),
    or (batch, time, units) with return_sequences; [output, h, c] with return_state.

    kernel (features, 4 units), recurrent_kernel (units, 4 units), bias (4 units,),
    gates i, f, c, o side by side.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, return_sequences=False, return_state=False,
                 **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 4 * units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")

        def bias_initializer(shape, dtype=None):
            forget = keras.ops.ones((units,)) if self.unit_forget_bias \
                else keras.ops.zeros((units,))
            return keras.ops.concatenate(
                [keras.ops.zeros((units,)), forget, keras.ops.zeros((2 * units,))])

        self.bias = self.add_weight(shape=(4 * units,), initializer=bias_initializer,
                                    name="bias")
        ### END SOLUTION

    def step(self, x_t, states):
        """One time step: x_t (batch, features), states [h, c] -> (h, [h, c])."""
        ### BEGIN SOLUTION
        h, c = states
        z = keras.ops.matmul(x_t, self.kernel) + keras.ops.matmul(h, self.recurrent_kernel)
        z_i, z_f, z_c, z_o = keras.ops.split(z + self.bias, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        o = self.recurrent_activation(z_o)
        c = f * c + i * self.activation(z_c)
        h = o * self.activation(c)
        return h, [h, c]
        ### END SOLUTION

    def call(self, inputs, initial_state=None):
        ### BEGIN SOLUTION
        if initial_state is None:
            zeros = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units),
                                    dtype=inputs.dtype)
            initial_state = [zeros, zeros]
        return unroll(self.step, inputs, list(initial_state), self.return_sequences,
                      self.return_state)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        batch, steps = input_shape[0], input_shape[1]
        state = (batch, self.units)
        output = (batch, steps, self.units) if self.return_sequences else state
        return [output, state, state] if self.return_state else output
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
        })
        return config
        ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_layer` builds your layer and `keras.layers.LSTM` with the same arguments,
# copies Keras' weights into yours, and compares the outputs, the gradients with respect
# to the input and to each weight, the configuration, and your initial weights (is the
# forget block of the bias at 1?).

# %% nbgrader={"grade": true, "grade_id": "lstm_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
RNN_KEYS = ("units", "return_sequences", "return_state")
checks.check_layer(LSTM(4), keras.layers.LSTM(4), input_shape=(2, 5, 3), config_keys=RNN_KEYS)

# %% [markdown]
# The next cell asks for the whole sequence and the final states, starting from given
# initial states (`options={"initial_state": True}` draws random `[h_0, c_0]` and passes
# them to both layers as `initial_state=[...]`). When graded it also tries sequences of
# length 1, a batch of one, `unit_forget_bias=False` and other activations.

# %% nbgrader={"grade": true, "grade_id": "lstm_variants", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(LSTM(3, return_sequences=True, return_state=True),
                   keras.layers.LSTM(3, return_sequences=True, return_state=True),
                   input_shape=(2, 4, 2), config_keys=RNN_KEYS, options={"initial_state": True})
### BEGIN HIDDEN TESTS
for seed, arguments, shape, given in [
    (1, {"units": 2, "return_sequences": True}, (1, 1, 3), False),
    (2, {"units": 3, "return_state": True}, (1, 5, 2), True),
    (3, {"units": 4, "unit_forget_bias": False}, (3, 3, 2), False),
    (4, {"units": 2, "activation": "relu", "return_sequences": True}, (2, 6, 1), True),
    (5, {"units": 3, "recurrent_activation": "hard_sigmoid", "return_state": True,
         "return_sequences": True}, (2, 1, 4), False),
]:
    checks.check_layer(LSTM(**arguments), keras.layers.LSTM(**arguments), input_shape=shape,
                       seed=seed, config_keys=RNN_KEYS, training_modes=(False,),
                       options={"initial_state": given})
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract
#
# As in the earlier notebooks, `contract=True` also runs your layer under
# `"mixed_float16"`, on a symbolic `keras.Input`, in one jit-compiled training step and
# through `keras.saving.serialize_keras_object` and back. (The class is registered with
# `@keras.saving.register_keras_serializable`, so Keras can find it by name.)

# %% nbgrader={"grade": true, "grade_id": "lstm_contract", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(LSTM(3, return_sequences=True), keras.layers.LSTM(3, return_sequences=True),
                   input_shape=(1, 2, 2), contract=True, training_modes=(False,))

# %% [markdown]
# ## 2. The GRU step
#
# The GRU keeps a single state and two gates. With the columns in Keras' order **z, r,
# h** (update, reset, candidate), each $u$ wide,
#
# $$ \big[\, a_z \;\big|\; a_r \;\big|\; a_h \,\big] = x_t W + b^{(x)}, \qquad
#    \big[\, m_z \;\big|\; m_r \;\big|\; m_h \,\big] = h_{t-1} U + b^{(h)}, $$
#
# $$ \begin{aligned}
#    z_t &= \sigma(a_z + m_z) && \text{update gate: how much of the old state to keep} \\
#    r_t &= \sigma(a_r + m_r) && \text{reset gate: how much of the old state the candidate sees} \\
#    \tilde h_t &= \tanh\!\big(a_h + r_t \odot m_h\big) && \text{candidate} \\
#    h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t .
#    \end{aligned} $$
#
# Three details decide whether your numbers match Keras':
#
# * **$z$ keeps the old state.** Keras mixes $z \odot h_{t-1} + (1 - z) \odot \tilde h$; the
#   original paper and PyTorch write the same formula, some texts swap $z$ and $1 - z$
#   (which only relabels the gate, but changes every number once weights are copied).
# * **`reset_after=True`** (Keras' default, and cuDNN's convention): the reset gate
#   multiplies the recurrent product *after* it is computed, $r \odot (h_{t-1} U_h +
#   b^{(h)}_h)$. The 2014 paper (`reset_after=False`) resets first,
#   $(r \odot h_{t-1})\, U_h$: a different function.
# * **Two biases.** Because $b^{(h)}_h$ sits inside the reset product, it cannot be merged
#   with $b^{(x)}_h$, so Keras stores the bias as one array of shape $(2, 3u)$: row 0 is
#   $b^{(x)}$, added to $x_t W$; row 1 is $b^{(h)}$, added to $h_{t-1} U$.
#
# The weights: `kernel` $(d, 3u)$, `glorot_uniform`; `recurrent_kernel` $(u, 3u)$,
# `orthogonal`; `bias` $(2, 3u)$, zeros. With `return_state=True` a GRU returns
# `[output, h]`.

# %%
builtin_gru = keras.layers.GRU(3)
builtin_gru.build((None, 7, 2))
for weight in builtin_gru.weights:
    print(f"{weight.path.split('/')[-1]:>16}: shape {tuple(weight.shape)}")
print("reset_after:", builtin_gru.get_config()["reset_after"])

# %% [markdown]
# ## Exercise 2 · the `GRU` layer (7 points)
#
# Write `class GRU(keras.layers.Layer)` with Keras' `reset_after=True` arithmetic:
#
# | method | must do |
# |---|---|
# | `__init__(units, activation="tanh", recurrent_activation="sigmoid", return_sequences=False, return_state=False, **kwargs)` | as for the LSTM, without `unit_forget_bias` |
# | `build(input_shape)` | `self.kernel` `(input_shape[-1], 3 * units)`, `"glorot_uniform"`; `self.recurrent_kernel` `(units, 3 * units)`, `"orthogonal"`; `self.bias` `(2, 3 * units)`, `"zeros"`; names `"kernel"`, `"recurrent_kernel"`, `"bias"` |
# | `step(x_t, states)` | one step of section 2: `states` is `[h]`; returns `(h, [h])` |
# | `call(inputs, initial_state=None)` | `step` through your `unroll`; one state `[h_0]`, zeros unless given |
# | `compute_output_shape(input_shape)` | as for the LSTM, with one state: `[output, state]` when `return_state` |
# | `get_config()` | `super().get_config()` plus the five constructor arguments |
#
# Same rules as Exercise 1: `keras.ops` only; `keras.layers.GRU`, `keras.layers.GRUCell`,
# `keras.layers.RNN`, `keras.ops.gru` and the cuDNN ops are forbidden.

# %% nbgrader={"grade": false, "grade_id": "gru_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
@keras.saving.register_keras_serializable(package="course06")
class GRU(keras.layers.Layer):
    """Gated recurrent unit (reset_after=True): inputs (batch, time, features) ->
    (batch, units), or (batch, time, units) with return_sequences; [output, h] with
    return_state.

    kernel (features, 3 units), recurrent_kernel (units, 3 units), bias (2, 3 units),
    gates z, r, h side by side.
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 return_sequences=False, return_state=False, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 3 * units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 3 * units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(2, 3 * units), initializer="zeros", name="bias")
        ### END SOLUTION

    def step(self, x_t, states):
        """One time step: x_t (batch, features), states [h] -> (h, [h])."""
        ### BEGIN SOLUTION
        h = states[0]
        a_z, a_r, a_h = keras.ops.split(keras.ops.matmul(x_t, self.kernel) + self.bias[0], 3,
                                        axis=-1)
        m_z, m_r, m_h = keras.ops.split(
            keras.ops.matmul(h, self.recurrent_kernel) + self.bias[1], 3, axis=-1)
        z = self.recurrent_activation(a_z + m_z)
        r = self.recurrent_activation(a_r + m_r)
        candidate = self.activation(a_h + r * m_h)
        h = z * h + (1 - z) * candidate
        return h, [h]
        ### END SOLUTION

    def call(self, inputs, initial_state=None):
        ### BEGIN SOLUTION
        if initial_state is None:
            initial_state = [keras.ops.zeros((keras.ops.shape(inputs)[0], self.units),
                                             dtype=inputs.dtype)]
        return unroll(self.step, inputs, list(initial_state), self.return_sequences,
                      self.return_state)
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        batch, steps = input_shape[0], input_shape[1]
        state = (batch, self.units)
        output = (batch, steps, self.units) if self.return_sequences else state
        return [output, state] if self.return_state else output
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
        })
        return config
        ### END SOLUTION


# %% [markdown]
# ### Visible test

# %% nbgrader={"grade": true, "grade_id": "gru_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(GRU(4), keras.layers.GRU(4), input_shape=(2, 5, 3), config_keys=RNN_KEYS)

# %% [markdown]
# The whole sequence and the final state from a given initial state; when graded, also
# sequences of length 1, a batch of one and other activations.

# %% nbgrader={"grade": true, "grade_id": "gru_variants", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(GRU(3, return_sequences=True, return_state=True),
                   keras.layers.GRU(3, return_sequences=True, return_state=True),
                   input_shape=(2, 4, 2), config_keys=RNN_KEYS, options={"initial_state": True})
### BEGIN HIDDEN TESTS
for seed, arguments, shape, given in [
    (1, {"units": 2, "return_sequences": True}, (1, 1, 3), False),
    (2, {"units": 3, "return_state": True}, (1, 5, 2), True),
    (3, {"units": 4}, (3, 3, 2), True),
    (4, {"units": 2, "activation": "relu", "return_sequences": True}, (2, 6, 1), False),
    (5, {"units": 3, "recurrent_activation": "hard_sigmoid", "return_state": True,
         "return_sequences": True}, (2, 1, 4), True),
]:
    checks.check_layer(GRU(**arguments), keras.layers.GRU(**arguments), input_shape=shape,
                       seed=seed, config_keys=RNN_KEYS, training_modes=(False,),
                       options={"initial_state": given})
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract

# %% nbgrader={"grade": true, "grade_id": "gru_contract", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(GRU(3, return_state=True), keras.layers.GRU(3, return_state=True),
                   input_shape=(1, 2, 2), contract=True, training_modes=(False,))

# %% [markdown]
# ## 3. A note on cuDNN: why Keras may compute your layer differently on a GPU
#
# On an NVIDIA GPU, `keras.layers.LSTM` and `keras.layers.GRU` do not run the loop you
# wrote. When their configuration allows it (the default activations, no recurrent
# dropout, `unroll=False`, `reset_after=True` for the GRU) and `use_cudnn="auto"`, they
# hand the whole sequence to NVIDIA's cuDNN library, on TensorFlow and on JAX alike. cuDNN
# computes the same equations, which is why Keras chose the i, f, c, o order, the
# forget-gate convention and `reset_after=True` to match it, but in one fused kernel:
# the input products of all time steps in one large matrix product, sums taken in
# another order, and on recent GPUs matrix products in TF32 (about 3 significant
# digits) unless that is switched off. Results then differ from a step-by-step loop by
# far more than float32 rounding, while both are correct.
#
# Measured on an NVIDIA H100 with JAX and Keras 3.15.1: the cuDNN LSTM's outputs differed
# from the generic loop's by up to $9 \times 10^{-5}$ and its final states by up to
# $2.5 \times 10^{-4}$ (the GRU took no cuDNN path there). Worse, with `go_backwards=True`
# and `return_sequences=True` the cuDNN LSTM returned its outputs in the opposite time
# order from the generic loop's (the loop returns them in processing order, last input
# first, as on a CPU). Two "correct" built-ins can disagree; a test must pin the path.
#
# The checker therefore never compares with the cuDNN path: it rebuilds Keras' layer
# with `use_cudnn=False` and `unroll=True` (Keras' generic loop, the same arithmetic as
# yours, step by step) and switches TF32 off, on a CPU or a GPU. Your layer never
# touches cuDNN; that is one reason the built-in is many times faster on a GPU.

# %% [markdown]
# ## 4. Reading digits row by row
#
# A sequence task with real data: each MNIST digit, shrunk to 14×14 pixels (the mean of
# each 2×2 block, to keep the training short), is read **one row per time step**, 14 steps
# of 14 features, and the layer's final state has to say which digit it saw. The top rows
# of most digits are blank; the strokes that tell a 4 from a 9 come early and must be
# remembered until the last step.

# %%
mnist = data.load_mnist_subset()


def as_rows(x):
    """(n, 784) pixels -> (n, 14, 14): 2x2 block means, one image row per time step."""
    return x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4))


x_train, y_train = as_rows(mnist.train.x), mnist.train.y
x_val, y_val = as_rows(mnist.validation.x), mnist.validation.y
x_test, y_test = as_rows(mnist.test.x), mnist.test.y
print("train", x_train.shape, "validation", x_val.shape, "test", x_test.shape)

fig, axes = plt.subplots(1, 6, figsize=(9, 1.8))
for ax, image, label in zip(axes, x_train[:6], y_train[:6], strict=True):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(f"{label}: 14 steps")
    ax.set_yticks([0, 13], ["t=1", "t=14"])
    ax.set_xticks([])
fig.tight_layout()

# %% [markdown]
# ## Exercise 3 · a row reader (2 points)
#
# Write `build_row_reader(recurrent_layer)` returning a `keras.Sequential` model of
#
# 1. `keras.Input(shape=(14, 14))` (14 time steps of 14 features),
# 2. the given `recurrent_layer` (its last output: `(None, units)`),
# 3. `keras.layers.Dense(10, activation="softmax")`,
#
# compiled with `keras.optimizers.Adam(learning_rate=0.01)`, the
# `"sparse_categorical_crossentropy"` loss and the `"accuracy"` metric. The cell after it
# builds three readers with 24 units each, Keras' `SimpleRNN` (the layer you wrote in
# notebook 05), **your** `LSTM` and **your** `GRU`, and trains each for 5 epochs on the
# 3,500 training digits. The test requires your LSTM and GRU readers to classify at least
# 75 % of the 750 test digits correctly.

# %% nbgrader={"grade": false, "grade_id": "reader_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_row_reader(recurrent_layer):
    """Sequential (batch, 14, 14) -> recurrent_layer -> Dense softmax (batch, 10), compiled."""
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(14, 14)),
        recurrent_layer,
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
    ### END SOLUTION


# %%
UNITS, EPOCHS = 24, 5
readers, histories = {}, {}
for name, make_layer in [("SimpleRNN", keras.layers.SimpleRNN), ("LSTM", LSTM), ("GRU", GRU)]:
    keras.utils.set_random_seed(1)
    readers[name] = build_row_reader(make_layer(UNITS))
    if keras.config.backend() == "tensorflow":
        # XLA would compile the 14 unrolled steps and their gradient for longer than the
        # training takes; a plain TensorFlow graph starts at once. (JAX always compiles.)
        readers[name].jit_compile = False
    histories[name] = readers[name].fit(x_train, y_train, validation_data=(x_val, y_val),
                                        epochs=EPOCHS, batch_size=50, verbose=0)
    accuracy = histories[name].history["val_accuracy"]
    print(f"{name:>9}: validation accuracy after epoch 1 {accuracy[0]:.2f}, "
          f"after epoch {EPOCHS} {accuracy[-1]:.2f}")

# %% nbgrader={"grade": true, "grade_id": "reader_accuracy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
for name, layer_class, params in [("LSTM", LSTM, 14 * 96 + 24 * 96 + 96),
                                  ("GRU", GRU, 14 * 72 + 24 * 72 + 2 * 72)]:
    checks.check_architecture(
        build_row_reader(layer_class(UNITS)),
        [(name, (None, UNITS), params, {"units": UNITS}),
         ("Dense", (None, 10), UNITS * 10 + 10, {"units": 10, "activation": "softmax"})],
        own=(name,),
        compiled={"optimizer": "adam", "learning_rate": 0.01,
                  "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        input_shape=(None, 14, 14),
    )
for name in ("LSTM", "GRU"):
    checks.check_accuracy(readers[name], x_test, y_test, at_least=0.75, epochs_fixed=True)
### BEGIN HIDDEN TESTS
checks.check_history(histories["LSTM"], ["loss", "accuracy", "val_loss", "val_accuracy"],
                     epochs=EPOCHS)
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Learning curves side by side
#
# The three readers saw the same digits in the same order from the same seed; only the
# recurrence differs. The plot shows the training loss and the validation accuracy after
# each epoch.

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
epochs = np.arange(1, EPOCHS + 1)
for name, history in histories.items():
    ax_loss.plot(epochs, history.history["loss"], marker="o", label=name)
    ax_acc.plot(epochs, history.history["val_accuracy"], marker="o", label=name)
ax_loss.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
ax_acc.set(title="validation accuracy", xlabel="epoch", ylabel="accuracy")
for ax in (ax_loss, ax_acc):
    ax.grid(alpha=0.3)
    ax.legend()
fig.tight_layout()

# %% [markdown]
# With the same number of units the gated layers have four (LSTM) and three (GRU) times
# the SimpleRNN's weights, and they use them well: their loss falls faster and their
# accuracy ends higher. Part of the gap is memory. The SimpleRNN's state after 14 steps
# depends mostly on the last few rows; the LSTM can keep what it saw in the top rows in its
# carry, because its forget gate can sit near 1. The next cell runs your trained LSTM's
# step by hand on one digit and shows the mean of each gate at each step.

# %%
lstm = readers["LSTM"].layers[0]
digit = x_test[:1]
h = c = keras.ops.zeros((1, UNITS))
gate_means = []
for t in range(14):
    z = (keras.ops.matmul(digit[:, t], lstm.kernel) + keras.ops.matmul(h, lstm.recurrent_kernel)
         + lstm.bias)
    gate_means.append([float(keras.ops.mean(keras.ops.sigmoid(part)))
                       for part in keras.ops.split(z, 4, axis=-1)])
    h, [h, c] = lstm.step(digit[:, t], [h, c])
gate_means = np.array(gate_means)

fig, (ax_digit, ax_gates) = plt.subplots(1, 2, figsize=(8, 3), width_ratios=(1, 3))
ax_digit.imshow(digit[0], cmap="gray_r")
ax_digit.set(title=f"digit {y_test[0]}", xticks=[], ylabel="time step (row)")
for k, gate in [(0, "input i"), (1, "forget f"), (3, "output o")]:
    ax_gates.plot(np.arange(1, 15), gate_means[:, k], marker="o", label=gate)
ax_gates.set(title="mean gate value per step", xlabel="time step (row)", ylim=(0, 1))
ax_gates.legend()
ax_gates.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## Summary
#
# * An LSTM step computes four blocks from $x_t W + h_{t-1} U + b$, in Keras' order
#   i, f, c, o: $c_t = \sigma(z_f) \odot c_{t-1} + \sigma(z_i) \odot \tanh(z_c)$ and
#   $h_t = \sigma(z_o) \odot \tanh(c_t)$. Its bias starts with ones in the forget block
#   (`unit_forget_bias=True`) so that memory lasts from the first step of training.
# * A GRU step computes three blocks, z, r, h, with the bias of shape $(2, 3u)$; Keras'
#   `reset_after=True` resets the recurrent product after computing it,
#   $\tilde h = \tanh(a_h + r \odot (h_{t-1} U_h + b^{(h)}_h))$, and
#   $h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h$.
# * A recurrent layer is a step function unrolled over time; `return_sequences` and
#   `return_state` only choose what to return. On a GPU Keras may run the fused cuDNN
#   kernel instead, with the same equations in another order of summation; the checker
#   compares with Keras' step-by-step loop.
# * On digits read row by row, the gated layers learn faster and remember more than a
#   SimpleRNN of the same width.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("06_lstm_gru.ipynb")
