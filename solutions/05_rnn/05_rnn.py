# ---
# jupyter:
#   kernelspec:
#     display_name: Keras from the inside (Python 3)
#     language: python
#     name: kcourse
# ---

# %% [markdown]
# # 05 · Recurrent networks from the inside: write `SimpleRNN` and `Bidirectional`
#
# Dense and convolution layers look at a fixed-size input all at once. A **recurrent**
# layer reads a sequence one step at a time and carries a *state*, a vector that summarises
# what it has read so far; each step combines the new input with that state. The same
# weights are used at every step, so one layer handles sequences of any length. In this
# notebook you write the simplest recurrent layer, Keras' `SimpleRNN`, then the
# `Bidirectional` wrapper that reads a sequence in both directions, and finally you watch
# how gradients travel back through time.
#
# **Learning goals.** After this notebook you can
#
# 1. write the SimpleRNN recurrence $h_t = \tanh(x_t W + h_{t-1} U + b)$ and say which
#    weight multiplies what, in Keras' layout (`kernel` $W$: `(features, units)`,
#    `recurrent_kernel` $U$: `(units, units)`, `bias` $b$: `(units,)`);
# 2. unroll the recurrence over time as a Keras layer with the options Keras' recurrent
#    layers share: `return_sequences`, `return_state`, `initial_state`, `go_backwards`;
# 3. build a bidirectional layer from a forward and a backward copy, and say why the
#    backward outputs must be reversed before they are merged;
# 4. compute the gradient with respect to each time step's input by backpropagation
#    through time, and explain from the plot why plain RNNs forget long-range
#    dependencies (vanishing gradients) or blow up (exploding gradients).
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell
# below each exercise. A passing test prints lines starting with ✔; a failing one says
# where your result differs from Keras' and, when it recognises the mistake, what it
# probably is. More tests (other sizes, options and seeds) run when your notebook is
# graded.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np

from kcourse import checks

keras.utils.set_random_seed(0)
print("Keras", keras.__version__, "on", keras.config.backend())

# %% [markdown]
# ## 1. The recurrence
#
# A batch of sequences has shape `(batch, timesteps, features)`: at time $t$ the layer
# sees the row $x_t \in \mathbb{R}^{d}$ (for each sequence of the batch). A SimpleRNN with
# $u$ units keeps a state $h_t \in \mathbb{R}^{u}$ and updates it at every step:
#
# $$ h_t \;=\; \tanh\!\left( x_t W \;+\; h_{t-1} U \;+\; b \right), \qquad
#    W \in \mathbb{R}^{d \times u},\; U \in \mathbb{R}^{u \times u},\; b \in \mathbb{R}^{u}, $$
#
# starting from $h_0 = 0$ unless an initial state is given. In Keras, $W$ is the `kernel`,
# $U$ the `recurrent_kernel` and $b$ the `bias`; the activation (`tanh` by default) is
# configurable. The output at step $t$ *is* the state $h_t$: a SimpleRNN has no separate
# output map. Three things follow from the formula:
#
# * the same $W$, $U$, $b$ serve every step, so the layer has $du + u^2 + u$ parameters
#   whatever the sequence length;
# * $h_t$ depends on all of $x_1, \dots, x_t$, through $h_{t-1}$: this is the layer's
#   memory;
# * the steps cannot run in parallel: step $t$ needs step $t-1$'s result.
#
# With $T$ steps the layer returns, depending on its options:
#
# | option | returns |
# |---|---|
# | default | the last output $h_T$, shape `(batch, units)` |
# | `return_sequences=True` | every output $h_1, \dots, h_T$, shape `(batch, timesteps, units)` |
# | `return_state=True` | a list `[output, h_T]`: the output as above, then the final state |
# | `go_backwards=True` | the steps run from $x_T$ down to $x_1$; the outputs come in that order |
# | `layer(x, initial_state=[h0])` | starts from the given $h_0$, shape `(batch, units)` |
#
# Below, Keras' own layer: its weights, and the final state computed by hand with NumPy.

# %%
builtin = keras.layers.SimpleRNN(4)
x_demo = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
h_keras = keras.ops.convert_to_numpy(builtin(x_demo))
for weight in builtin.weights:
    print(f"{weight.name:>16}: shape {tuple(weight.shape)}")
print("parameters:", builtin.count_params(), "= 3*4 + 4*4 + 4")

W, U, b = (keras.ops.convert_to_numpy(w) for w in builtin.weights)
h = np.zeros((2, 4), dtype="float32")
for t in range(x_demo.shape[1]):
    h = np.tanh(x_demo[:, t] @ W + h @ U + b)
print("by hand == Keras:", np.allclose(h, h_keras, atol=1e-5))

# %% [markdown]
# ### Keras' initializers, and `go_backwards`
#
# Keras initializes `kernel` with `"glorot_uniform"`, `bias` with `"zeros"`, and
# `recurrent_kernel` with `"orthogonal"`: a random matrix $U$ with $U^\top U = I$. An
# orthogonal matrix keeps the length of every vector it multiplies, so at the start of
# training the state neither shrinks nor grows merely by being carried (section 4 shows
# why that matters).
#
# With `go_backwards=True` the layer reads $x_T, x_{T-1}, \dots, x_1$. With
# `return_sequences=True` it returns the outputs **in the order it computed them**: the
# output at index 0 belongs to the last input. Keras does not reverse them back; that is
# the `Bidirectional` wrapper's job (exercise 2).

# %%
backwards = keras.layers.SimpleRNN(2, return_sequences=True, go_backwards=True)
forwards = keras.layers.SimpleRNN(2, return_sequences=True)
seq = np.arange(12, dtype="float32").reshape(1, 4, 3) / 10
backwards.build(seq.shape)
forwards.build(seq.shape)
forwards.set_weights(backwards.get_weights())
y_back = keras.ops.convert_to_numpy(backwards(seq))
y_rev = keras.ops.convert_to_numpy(forwards(seq[:, ::-1]))
print("go_backwards == forward pass on the reversed input:", np.allclose(y_back, y_rev))
U0 = keras.ops.convert_to_numpy(backwards.cell.recurrent_kernel)
print("U^T U == I:", np.allclose(U0.T @ U0, np.eye(2), atol=1e-5))

# %% [markdown]
# ## Exercise 1 · the `SimpleRNN` layer (8 points)
#
# Write a layer with the behaviour and configuration of `keras.layers.SimpleRNN`
# (no dropout, not stateful). Specification:
#
# | method | must do |
# |---|---|
# | `__init__(units, activation="tanh", use_bias=True, return_sequences=False, return_state=False, go_backwards=False, **kwargs)` | call `super().__init__(**kwargs)`; store `self.units` (int), `self.activation = keras.activations.get(activation)`, and the four flags as `self.use_bias`, `self.return_sequences`, `self.return_state`, `self.go_backwards` |
# | `build(input_shape)` | in this order: `self.kernel` shape `(input_shape[-1], units)`, initializer `"glorot_uniform"`, name `"kernel"`; `self.recurrent_kernel` shape `(units, units)`, initializer `"orthogonal"`, name `"recurrent_kernel"`; if `use_bias`, `self.bias` shape `(units,)`, initializer `"zeros"`, name `"bias"` |
# | `cell(x_t, h_prev)` | one step: $h_t = \text{activation}(x_t W + h_{t-1} U + b)$; `x_t` `(batch, features)`, `h_prev` `(batch, units)` → `(batch, units)` |
# | `call(inputs, training=None, initial_state=None)` | `inputs` `(batch, timesteps, features)`; start from `initial_state[0]` when a list `[h0]` is given, else from zeros `(batch, units)` in the input's dtype; loop over the steps (last to first with `go_backwards`); return what the table of section 1 says |
# | `compute_output_shape(input_shape)` | the output's shape, or a list `[output shape, (batch, units)]` with `return_state` |
# | `get_config()` | `super().get_config()` plus `"units"`, `"activation"` (`keras.activations.serialize`), `"use_bias"`, `"return_sequences"`, `"return_state"`, `"go_backwards"` |
#
# Write the loop with a Python `for` over `range(timesteps)` (the number of steps,
# `inputs.shape[1]`, is known when the layer is called) and the arithmetic with
# `keras.ops` (`keras.ops.matmul`, `keras.ops.stack`, `keras.ops.zeros`; the batch size
# is `keras.ops.shape(inputs)[0]`). Slicing a tensor, `inputs[:, t, :]`, works on every
# backend.
#
# The tests build your layer and `keras.layers.SimpleRNN` with the same arguments, copy
# Keras' weights into yours **in order** (so your weights must be created in the order
# above, with Keras' shapes), and compare the outputs, the states, the gradients with
# respect to the input and each weight, and the configuration. Forbidden:
# `keras.layers.SimpleRNN`, `keras.layers.SimpleRNNCell`, `keras.layers.RNN` (and every
# other built-in recurrent layer or cell), here and in the next exercise.
#
# The class is registered with `@keras.saving.register_keras_serializable`, so that a
# `Bidirectional` wrapping it can be saved and loaded (exercise 2).

# %% nbgrader={"grade": false, "grade_id": "simple_rnn_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
@keras.saving.register_keras_serializable(package="course05")
class SimpleRNN(keras.layers.Layer):
    """Fully connected recurrent layer: h_t = activation(x_t @ kernel + h_{t-1} @ U + bias).

    inputs (batch, timesteps, features) -> (batch, units), or (batch, timesteps, units)
    with return_sequences; [output, h_T] with return_state.
    kernel (features, units); recurrent_kernel (units, units); bias (units,)
    """

    def __init__(self, units, activation="tanh", use_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros",
                                        name="bias")
        ### END SOLUTION

    def cell(self, x_t, h_prev):
        """One step: x_t (batch, features), h_prev (batch, units) -> h_t (batch, units)."""
        ### BEGIN SOLUTION
        z = keras.ops.matmul(x_t, self.kernel) + keras.ops.matmul(h_prev, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        return self.activation(z)
        ### END SOLUTION

    def call(self, inputs, training=None, initial_state=None):
        ### BEGIN SOLUTION
        if initial_state is not None:
            h = initial_state[0]
        else:
            h = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units), dtype=inputs.dtype)
        steps = range(inputs.shape[1])
        if self.go_backwards:
            steps = reversed(steps)
        outputs = []
        for t in steps:
            h = self.cell(inputs[:, t, :], h)
            outputs.append(h)
        output = keras.ops.stack(outputs, axis=1) if self.return_sequences else h
        if self.return_state:
            return [output, h]
        return output
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output, (batch, self.units)]
        return output
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
        })
        return config
        ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# `checks.check_layer` compares your layer with Keras' on a random input of the given
# shape `(batch, timesteps, features)`, in training and inference mode.

# %% nbgrader={"grade": true, "grade_id": "simple_rnn_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
RNN_KEYS = ("units", "activation", "use_bias", "return_sequences", "return_state",
            "go_backwards")
checks.check_layer(SimpleRNN(4), keras.layers.SimpleRNN(4), input_shape=(2, 5, 4),
                   config_keys=RNN_KEYS)

# %% [markdown]
# The next cell checks `return_sequences=True` and `go_backwards=True`; when graded, it
# also tries other sizes, activations, no bias, a batch of one and a sequence of one step.

# %% nbgrader={"grade": true, "grade_id": "simple_rnn_variants", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(SimpleRNN(3, return_sequences=True, go_backwards=True),
                   keras.layers.SimpleRNN(3, return_sequences=True, go_backwards=True),
                   input_shape=(2, 4, 2), config_keys=RNN_KEYS, training_modes=(False,))
### BEGIN HIDDEN TESTS
for seed, arguments, shape in [
    (1, {"units": 4, "return_sequences": True}, (2, 5, 3)),
    (2, {"units": 3, "go_backwards": True}, (3, 6, 2)),
    (3, {"units": 3, "return_sequences": True, "go_backwards": True}, (2, 4, 3)),
    (4, {"units": 2, "use_bias": False, "activation": "relu"}, (1, 5, 3)),
    (5, {"units": 3, "return_sequences": True}, (2, 1, 4)),
    (6, {"units": 5, "activation": "sigmoid"}, (2, 3, 5)),
    (7, {"units": 2, "go_backwards": True}, (1, 1, 3)),
]:
    checks.check_layer(SimpleRNN(**arguments), keras.layers.SimpleRNN(**arguments),
                       input_shape=shape, seed=seed, config_keys=RNN_KEYS,
                       training_modes=(False,))
### END HIDDEN TESTS

# %% [markdown]
# ### States in and out
#
# `options={"initial_state": True}` makes the test draw a random initial state $h_0$ of
# shape `(batch, units)` and call both layers as `layer(x, initial_state=[h0])`; with
# `return_state=True` it also compares the final state your layer returns.

# %% nbgrader={"grade": true, "grade_id": "simple_rnn_states", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(SimpleRNN(3, return_state=True),
                   keras.layers.SimpleRNN(3, return_state=True),
                   input_shape=(2, 4, 2), config_keys=RNN_KEYS, options={"initial_state": True},
                   training_modes=(False,))
### BEGIN HIDDEN TESTS
for seed, arguments, shape, options in [
    (11, {"units": 3, "return_sequences": True, "return_state": True, "go_backwards": True},
     (2, 5, 3), {"initial_state": True}),
    (12, {"units": 4, "return_state": True}, (1, 3, 2), None),
    (13, {"units": 2, "return_sequences": True}, (1, 4, 3), {"initial_state": True}),
    (14, {"units": 3, "return_state": True, "use_bias": False}, (2, 1, 3),
     {"initial_state": True}),
]:
    checks.check_layer(SimpleRNN(**arguments), keras.layers.SimpleRNN(**arguments),
                       input_shape=shape, seed=seed, config_keys=RNN_KEYS, options=options,
                       training_modes=(False,))
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract
#
# As in the earlier notebooks, `contract=True` also runs your layer under
# `"mixed_float16"`, on a symbolic `keras.Input`, in one jit-compiled training step, and
# through serialization, and requires what Keras' layer gives.

# %% nbgrader={"grade": true, "grade_id": "simple_rnn_contract", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(SimpleRNN(3, return_sequences=True),
                   keras.layers.SimpleRNN(3, return_sequences=True),
                   input_shape=(2, 4, 2), contract=True, training_modes=(False,))

# %% [markdown]
# ## 2. Reading in both directions
#
# At step $t$ a forward RNN has seen $x_1, \dots, x_t$ but nothing after. For labelling
# each step of a sequence whose whole is known in advance (a word in a sentence, a sample
# of a recorded signal), the future is just as informative. A **bidirectional** layer runs
# two independent copies of a recurrent layer, with their own weights:
#
# $$ \overrightarrow{h}_t = f\big(x_t, \overrightarrow{h}_{t-1}\big) \quad (t = 1, \dots, T),
#    \qquad
#    \overleftarrow{h}_t = f\big(x_t, \overleftarrow{h}_{t+1}\big) \quad (t = T, \dots, 1), $$
#
# and merges them step by step, $y_t = [\overrightarrow{h}_t ;\, \overleftarrow{h}_t]$
# (`merge_mode="concat"`, Keras' default: `2 * units` features), or
# $\overrightarrow{h}_t + \overleftarrow{h}_t$ (`"sum"`), their mean (`"ave"`) or their
# product (`"mul"`).
#
# The backward copy is the same layer with `go_backwards=True`. With
# `return_sequences=True` its output sequence comes out last-step-first (section 1): at
# index 0 sits $\overleftarrow{h}_T$. Merged as it is, index $t$ would pair
# $\overrightarrow{h}_t$ with $\overleftarrow{h}_{T+1-t}$, two states about different
# positions. Keras therefore **reverses the backward sequence along time** before merging.
# Without `return_sequences`, each copy returns its last computed state
# ($\overrightarrow{h}_T$, which has read everything, and $\overleftarrow{h}_1$, which
# has too), and there is nothing to reverse.
#
# With `return_state=True` the wrapper returns `[merged output, forward h, backward h]`,
# and an `initial_state` list is split in two: the first half for the forward copy, the
# second for the backward one.
#
# The picture shows the two passes over a sequence of 6 steps and, on the right, what
# goes wrong without the reversal.

# %%
def draw_bidirectional(steps=6):
    """Which states Bidirectional pairs at each time step, with and without the reversal."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 2.8))
    for ax, flipped in zip(axes, (True, False), strict=True):
        for t in range(steps):
            ax.text(t, 0, f"$x_{t + 1}$", ha="center", va="center", fontsize=12)
            ax.text(t, 1, rf"$\overrightarrow{{h}}_{t + 1}$", ha="center", va="center",
                    color="tab:blue", fontsize=12)
            back = t + 1 if flipped else steps - t
            colour = "tab:orange" if back == t + 1 else "tab:red"
            ax.text(t, 2, rf"$\overleftarrow{{h}}_{back}$", ha="center", va="center",
                    color=colour, fontsize=12)
        ax.annotate("", xy=(steps - 0.6, 1.45), xytext=(-0.4, 1.45),
                    arrowprops={"arrowstyle": "->", "color": "tab:blue"})
        ax.annotate("", xy=(-0.4, 2.45), xytext=(steps - 0.6, 2.45),
                    arrowprops={"arrowstyle": "->", "color": "tab:orange"})
        ax.set_xlim(-0.8, steps - 0.2)
        ax.set_ylim(-0.5, 2.8)
        ax.axis("off")
        ax.set_title("reversed back (Keras): column t pairs states of step t" if flipped
                     else "not reversed: columns pair the wrong steps (red)")
    fig.tight_layout()
    return fig


fig = draw_bidirectional()

# %% [markdown]
# ## Exercise 2 · the `Bidirectional` wrapper (6 points)
#
# Write `Bidirectional(layer, merge_mode="concat")`, graded against
# `keras.layers.Bidirectional`, around your `SimpleRNN` (or any recurrent layer with the
# same options and `get_config`/`from_config`). Specification:
#
# | method | must do |
# |---|---|
# | `__init__(layer, merge_mode="concat", **kwargs)` | call `super().__init__(**kwargs)`; store `self.merge_mode` (`"concat"`, `"sum"`, `"ave"` or `"mul"`); make two **new** layers from `layer.get_config()` with `type(layer).from_config(...)`: first `self.forward_layer` (the same config, name `"forward_" + layer.name`), then `self.backward_layer` (the same config with `go_backwards=True`, name `"backward_" + layer.name`) |
# | `build(input_shape)` | build the forward layer, then the backward layer, on `input_shape` |
# | `call(inputs, training=None, initial_state=None)` | run both copies on `inputs` (each with its half of `initial_state` when it is given); cast both outputs to `self.compute_dtype` (the copies keep the wrapped layer's dtype policy, the wrapper's may differ); with `return_sequences`, reverse the backward output along time (axis 1, `keras.ops.flip`); merge; return the merged output, or `[merged, *forward states, *backward states]` with `return_state` |
# | `compute_output_shape(input_shape)` | the merged output's shape (`2 * units` features for `"concat"`), and the states' shapes with `return_state` |
# | `get_config()` | `super().get_config()` plus `"merge_mode"` and `"layer"`: `keras.layers.serialize(self.forward_layer)` |
# | `from_config(config)` (classmethod) | rebuild the wrapped layer with `keras.layers.deserialize(config.pop("layer"))`, then `cls(layer, **config)` |
#
# The weights are paired with Keras' in order: the forward layer's, then the backward
# layer's. `keras.layers.Bidirectional` is forbidden.

# %% nbgrader={"grade": false, "grade_id": "bidirectional_solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Bidirectional(keras.layers.Layer):
    """A recurrent layer run forwards and backwards, outputs merged step by step.

    inputs (batch, timesteps, features) -> (batch, [timesteps,] 2 * units) with "concat",
    (batch, [timesteps,] units) with "sum", "ave" or "mul";
    [merged, forward h, backward h] with return_state.
    """

    def __init__(self, layer, merge_mode="concat", **kwargs):
        super().__init__(**kwargs)
        ### BEGIN SOLUTION
        self.merge_mode = merge_mode
        config = layer.get_config()
        self.forward_layer = type(layer).from_config(
            {**config, "name": "forward_" + layer.name})
        self.backward_layer = type(layer).from_config(
            {**config, "go_backwards": True, "name": "backward_" + layer.name})
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        ### END SOLUTION

    def call(self, inputs, training=None, initial_state=None):
        ### BEGIN SOLUTION
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, training=training, initial_state=forward_state)
        y_rev = self.backward_layer(inputs, training=training, initial_state=backward_state)
        states = []
        if self.forward_layer.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        y = keras.ops.cast(y, self.compute_dtype)
        y_rev = keras.ops.cast(y_rev, self.compute_dtype)
        if self.forward_layer.return_sequences:
            y_rev = keras.ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = keras.ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        else:
            output = y * y_rev
        return [output, *states] if states else output
        ### END SOLUTION

    def compute_output_shape(self, input_shape):
        ### BEGIN SOLUTION
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.forward_layer.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], 2 * shape[-1])
        return [tuple(shape), *states, *states] if states else tuple(shape)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({"merge_mode": self.merge_mode,
                       "layer": keras.layers.serialize(self.forward_layer)})
        return config
        ### END SOLUTION

    @classmethod
    def from_config(cls, config):
        ### BEGIN SOLUTION
        config = dict(config)
        layer = keras.layers.deserialize(config.pop("layer"))
        return cls(layer, **config)
        ### END SOLUTION


# %% [markdown]
# ### Visible test
#
# The first check returns whole sequences, where the backward outputs must be reversed.

# %% nbgrader={"grade": true, "grade_id": "bidirectional_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(Bidirectional(SimpleRNN(3, return_sequences=True)),
                   keras.layers.Bidirectional(keras.layers.SimpleRNN(3, return_sequences=True)),
                   input_shape=(2, 5, 2), config_keys=("merge_mode",), training_modes=(False,))

# %% [markdown]
# The next cell tries the last output only and `merge_mode="sum"`; when graded, also the
# other merge modes, returned and given states, a batch of one and a sequence of one step.

# %% nbgrader={"grade": true, "grade_id": "bidirectional_variants", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(Bidirectional(SimpleRNN(3), merge_mode="sum"),
                   keras.layers.Bidirectional(keras.layers.SimpleRNN(3), merge_mode="sum"),
                   input_shape=(2, 4, 3), config_keys=("merge_mode",), training_modes=(False,))
### BEGIN HIDDEN TESTS
for seed, arguments, merge_mode, shape, options in [
    (21, {"units": 2}, "concat", (3, 5, 2), None),
    (22, {"units": 3, "return_sequences": True}, "ave", (2, 4, 3), None),
    (23, {"units": 2, "return_sequences": True}, "mul", (1, 6, 2), None),
    (24, {"units": 3, "return_state": True}, "concat", (2, 4, 2), {"initial_state": True}),
    (25, {"units": 2, "return_sequences": True, "return_state": True}, "sum", (2, 3, 3),
     {"initial_state": True}),
    (26, {"units": 3, "return_sequences": True}, "concat", (2, 1, 2), None),
    (27, {"units": 2, "return_sequences": True, "activation": "relu"}, "concat", (1, 4, 3),
     None),
]:
    checks.check_layer(
        Bidirectional(SimpleRNN(**arguments), merge_mode=merge_mode),
        keras.layers.Bidirectional(keras.layers.SimpleRNN(**arguments), merge_mode=merge_mode),
        input_shape=shape, seed=seed, config_keys=("merge_mode",), options=options,
        training_modes=(False,))
### END HIDDEN TESTS

# %% [markdown]
# ### The layer contract

# %% nbgrader={"grade": true, "grade_id": "bidirectional_contract", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_layer(Bidirectional(SimpleRNN(2, return_sequences=True)),
                   keras.layers.Bidirectional(keras.layers.SimpleRNN(2, return_sequences=True)),
                   input_shape=(2, 4, 3), contract=True, training_modes=(False,))

# %% [markdown]
# ## 3. Backpropagation through time
#
# To train a recurrent layer, its gradient is computed on the **unrolled** network: $T$
# copies of the cell, one per step, sharing their weights. The chain rule then runs
# backwards through the steps. Write $a_t = x_t W + h_{t-1} U + b$ for the
# pre-activation, so that $h_t = \tanh(a_t)$, and let the loss $L$ depend on the last
# state only. With row vectors,
#
# $$ \delta_T = \frac{\partial L}{\partial h_T}, \qquad
#    g_t = \delta_t \odot \big(1 - h_t^2\big) = \frac{\partial L}{\partial a_t}, \qquad
#    \frac{\partial L}{\partial x_t} = g_t W^\top, \qquad
#    \delta_{t-1} = g_t U^\top, $$
#
# for $t = T, T-1, \dots, 1$, and the weights' gradients are sums over the steps,
# $\partial L / \partial W = \sum_t x_t^\top g_t$, $\partial L / \partial U = \sum_t
# h_{t-1}^\top g_t$. Unrolling the recursion,
#
# $$ \frac{\partial L}{\partial x_t} = \delta_T \,
#    \Big[\prod_{s = T}^{t+1} \operatorname{diag}\!\big(1 - h_s^2\big)\, U^\top\Big]
#    \operatorname{diag}\!\big(1 - h_t^2\big)\, W^\top : $$
#
# the signal from step $T$ back to step $t$ is multiplied by $T - t$ Jacobians. Each
# $\operatorname{diag}(1 - h_s^2)$ has entries in $(0, 1]$, so if $U$ shrinks vectors
# (its largest singular value is below 1) the product decays geometrically: the gradient
# **vanishes**, and the early inputs hardly influence learning. If $U$ stretches vectors
# enough to beat the $\tanh$ derivative, the product **explodes**. That is why SimpleRNNs
# struggle with dependencies longer than a few dozen steps, why Keras starts $U$
# orthogonal (all singular values 1), and why the gated cells of notebook 06 exist.
#
# The function below applies these formulas in NumPy to your `SimpleRNN`'s weights; the
# cell after it checks one gradient against a finite difference of your layer's output.

# %%
def bptt_input_gradients(layer, x):
    """dL/dx_t for L = sum(h_T), by backpropagation through time.

    layer: a built SimpleRNN with tanh; x (batch, timesteps, features) float32
    returns (batch, timesteps, features) float64
    """
    W, U = (keras.ops.convert_to_numpy(w).astype("float64")
            for w in (layer.kernel, layer.recurrent_kernel))
    probe = SimpleRNN.from_config({**layer.get_config(), "return_sequences": True,
                                   "return_state": False, "go_backwards": False})
    probe.build(x.shape)
    probe.set_weights(layer.get_weights())
    h = keras.ops.convert_to_numpy(probe(x)).astype("float64")  # (batch, T, units)
    grads = np.zeros(x.shape)
    delta = np.ones((x.shape[0], layer.units))  # dL/dh_T for L = sum(h_T)
    for t in range(x.shape[1] - 1, -1, -1):
        g = delta * (1 - h[:, t] ** 2)
        grads[:, t] = g @ W.T
        delta = g @ U.T
    return grads


keras.utils.set_random_seed(3)
rnn = SimpleRNN(8)
x_check = np.random.default_rng(3).standard_normal((1, 6, 2)).astype("float32")
rnn.build(x_check.shape)
grads = bptt_input_gradients(rnn, x_check)

eps = 1e-2
x_plus, x_minus = x_check.copy(), x_check.copy()
x_plus[0, 2, 1] += eps
x_minus[0, 2, 1] -= eps
difference = (keras.ops.convert_to_numpy(rnn(x_plus)).astype("float64").sum()
              - keras.ops.convert_to_numpy(rnn(x_minus)).astype("float64").sum()) / (2 * eps)
print(f"BPTT dL/dx[step 3, feature 2] = {grads[0, 2, 1]:.3f}, "
      f"finite difference = {difference:.3f}")
print("agree:", bool(np.isclose(grads[0, 2, 1], difference, rtol=1e-2, atol=1e-3)))

# %% [markdown]
# ### Vanishing and exploding, on a long sequence
#
# Now a sequence of 60 steps and a SimpleRNN with 16 units whose recurrent kernel is
# Keras' orthogonal $U$ scaled by a gain $\gamma$: all its singular values are $\gamma$.
# The plot shows $\lVert \partial L / \partial x_t \rVert$ for every step $t$, $L$ being
# the sum of the last state, on a log scale. The inputs are small, so the units stay in
# the nearly linear part of $\tanh$ and the gain decides.

# %%
keras.utils.set_random_seed(5)
steps, features, units = 60, 4, 16
x_long = 0.1 * np.random.default_rng(5).standard_normal((1, steps, features)).astype("float32")
base = SimpleRNN(units)
base.build(x_long.shape)
U_orthogonal = keras.ops.convert_to_numpy(base.recurrent_kernel)

fig, ax = plt.subplots(figsize=(7, 3.8))
norms = {}
for gain, colour in [(0.7, "tab:blue"), (1.0, "tab:green"), (1.3, "tab:red")]:
    base.recurrent_kernel.assign(gain * U_orthogonal)
    norms[gain] = np.linalg.norm(bptt_input_gradients(base, x_long)[0], axis=-1)
    ax.semilogy(np.arange(1, steps + 1), norms[gain], color=colour, label=f"gain {gain}")
ax.set_xlabel("time step t")
ax.set_ylabel(r"$\|\partial L / \partial x_t\|$")
ax.set_title("Gradient reaching each step from the last state")
ax.legend()
fig.tight_layout()
for gain, values in norms.items():
    print(f"gain {gain}: gradient norm at step 1 / at step {steps} = "
          f"{values[0] / values[-1]:.1e}")

# %% [markdown]
# With gain 0.7 the gradient reaching the first step is about $0.7^{59} \approx 10^{-9}$
# times the one reaching the last: whatever the first inputs carry, training cannot learn
# to use it. With gain 1.3 it is the other way round: the gradient grows on its way back,
# here about 30-fold, and only because the growing state pushes the units into the flat
# part of $\tanh$, whose small derivatives cap the growth. With larger gains or longer
# sequences it explodes, and a training step becomes enormous (clipping the gradient,
# `clipnorm=` in Keras' optimizers, is the usual defence). The orthogonal start (gain 1)
# keeps the norm within one or two orders of magnitude over all 60 steps, but training
# moves $U$ away from orthogonal, and the $\tanh$ derivatives shrink the signal as soon
# as the units saturate.

# %% [markdown]
# ## Summary
#
# * A SimpleRNN computes $h_t = \tanh(x_t W + h_{t-1} U + b)$ with `kernel` $W$
#   `(features, units)`, `recurrent_kernel` $U$ `(units, units)` (orthogonal at the start)
#   and `bias` $b$ `(units,)`, the same weights at every step.
# * Unrolled over time, it returns the last state, or every state with
#   `return_sequences=True`, plus the final state with `return_state=True`; it starts
#   from zeros or from `initial_state`, and `go_backwards=True` reads the sequence from
#   the end, returning outputs in the order computed.
# * `Bidirectional` runs a forward copy and a `go_backwards` copy with their own weights,
#   reverses the backward outputs along time when it returns sequences, and merges
#   (concatenation by default).
# * Backpropagation through time multiplies one Jacobian $\operatorname{diag}(1 -
#   h_s^2)\, U^\top$ per step: the gradient reaching early steps vanishes or explodes
#   geometrically. Next, in notebook 06: LSTM and GRU, whose gates let the state, and the
#   gradient, pass through many steps unchanged.

# %% [markdown]
# ## Where you stand
#
# The cell below lists this notebook's test cells as they ran in this session: passed,
# failed or not run yet, and the points that pass. Grading runs more tests than these.

# %%
checks.progress("05_rnn.ipynb")
