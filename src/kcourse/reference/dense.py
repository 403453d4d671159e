"""Reference solution of solutions/01_dense: Dense and the digit classifier."""

import keras

SOURCE_NOTEBOOK = "solutions/01_dense/01_dense.ipynb"


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
