# GENERATED from solutions/05_rnn/05_rnn.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "05 · Recurrent networks from the inside: write `SimpleRNN` and
`Bidirectional`".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import keras

SOURCE = "solutions/05_rnn/05_rnn.py"


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
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="orthogonal",
                                                name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros",
                                        name="bias")

    def cell(self, x_t, h_prev):
        """One step: x_t (batch, features), h_prev (batch, units) -> h_t (batch, units)."""
        z = keras.ops.matmul(x_t, self.kernel) + keras.ops.matmul(h_prev, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        return self.activation(z)

    def call(self, inputs, training=None, initial_state=None):
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

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output, (batch, self.units)]
        return output

    def get_config(self):
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


class Bidirectional(keras.layers.Layer):
    """A recurrent layer run forwards and backwards, outputs merged step by step.

    inputs (batch, timesteps, features) -> (batch, [timesteps,] 2 * units) with "concat",
    (batch, [timesteps,] units) with "sum", "ave" or "mul";
    [merged, forward h, backward h] with return_state.
    """

    def __init__(self, layer, merge_mode="concat", **kwargs):
        super().__init__(**kwargs)
        self.merge_mode = merge_mode
        config = layer.get_config()
        self.forward_layer = type(layer).from_config(
            {**config, "name": "forward_" + layer.name})
        self.backward_layer = type(layer).from_config(
            {**config, "go_backwards": True, "name": "backward_" + layer.name})

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)

    def call(self, inputs, training=None, initial_state=None):
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

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.forward_layer.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], 2 * shape[-1])
        return [tuple(shape), *states, *states] if states else tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"merge_mode": self.merge_mode,
                       "layer": keras.layers.serialize(self.forward_layer)})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = keras.layers.deserialize(config.pop("layer"))
        return cls(layer, **config)
