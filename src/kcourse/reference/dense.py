# GENERATED from solutions/01_dense/01_dense.py by `make build`;
# edit that file, not this one. Only the references: `python -m kcourse build --references-only`.
"""Reference solutions of "01 · The anatomy of a Keras 3 layer: write `Dense` yourself".

The notebook's solution cells in order, without their nbgrader markers, and the
imports they use. kcourse.checks refuses components from this package.
"""

import keras

SOURCE = "solutions/01_dense/01_dense.py"


class Dense(keras.layers.Layer):
    """Fully connected layer: outputs = activation(inputs @ kernel + bias).

    inputs: (batch, ..., input_dim) -> outputs: (batch, ..., units)
    kernel: (input_dim, units); bias: (units,)
    """

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer="glorot_uniform", name="kernel"
        )
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
            }
        )
        return config


def build_digit_classifier():
    """Sequential model (batch, 64) -> (batch, 10) class probabilities, compiled."""
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            Dense(32, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model
