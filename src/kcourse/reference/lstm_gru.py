# GENERATED from solutions/06_lstm_gru/06_lstm_gru.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "06 · Gated recurrence from the inside: write `LSTM` and `GRU` yourself".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import keras

SOURCE = "solutions/06_lstm_gru/06_lstm_gru.py"


def unroll(step, inputs, states, return_sequences, return_state):
    """Run `step` over the time axis of inputs (batch, time, features).

    Returns the last output (batch, units), or every output (batch, time, units) when
    return_sequences; followed by the final states when return_state.
    """
    outputs = []
    for t in range(inputs.shape[1]):
        output, states = step(inputs[:, t, :], states)
        outputs.append(output)
    result = keras.ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return [result, *states] if return_state else result


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
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)

    def build(self, input_shape):
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

    def step(self, x_t, states):
        """One time step: x_t (batch, features), states [h, c] -> (h, [h, c])."""
        h, c = states
        z = keras.ops.matmul(x_t, self.kernel) + keras.ops.matmul(h, self.recurrent_kernel)
        z_i, z_f, z_c, z_o = keras.ops.split(z + self.bias, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        o = self.recurrent_activation(z_o)
        c = f * c + i * self.activation(z_c)
        h = o * self.activation(c)
        return h, [h, c]

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            zeros = keras.ops.zeros((keras.ops.shape(inputs)[0], self.units),
                                    dtype=inputs.dtype)
            initial_state = [zeros, zeros]
        return unroll(self.step, inputs, list(initial_state), self.return_sequences,
                      self.return_state)

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        state = (batch, self.units)
        output = (batch, steps, self.units) if self.return_sequences else state
        return [output, state, state] if self.return_state else output

    def get_config(self):
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
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)

    def build(self, input_shape):
        units = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 3 * units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 3 * units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(2, 3 * units), initializer="zeros", name="bias")

    def step(self, x_t, states):
        """One time step: x_t (batch, features), states [h] -> (h, [h])."""
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

    def call(self, inputs, initial_state=None):
        if initial_state is None:
            initial_state = [keras.ops.zeros((keras.ops.shape(inputs)[0], self.units),
                                             dtype=inputs.dtype)]
        return unroll(self.step, inputs, list(initial_state), self.return_sequences,
                      self.return_state)

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        state = (batch, self.units)
        output = (batch, steps, self.units) if self.return_sequences else state
        return [output, state] if self.return_state else output

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
        })
        return config


def build_row_reader(recurrent_layer):
    """Sequential (batch, 14, 14) -> recurrent_layer -> Dense softmax (batch, 10), compiled."""
    model = keras.Sequential([
        keras.Input(shape=(14, 14)),
        recurrent_layer,
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
