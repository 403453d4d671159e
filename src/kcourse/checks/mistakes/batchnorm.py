"""Mistakes made re-implementing keras.layers.BatchNormalization.

Keras 3 in training mode (and only when the layer is trainable):

    mean, var = mean and biased variance of x over every axis but `axis`
    y = gamma * (x - mean) / sqrt(var + epsilon) + beta
    moving_mean     <- moving_mean * momentum + mean * (1 - momentum)
    moving_variance <- moving_variance * momentum + var * (1 - momentum)

and otherwise (inference, or a frozen layer called with training=True) the
same formula with moving_mean and moving_variance, and no update.

Each suspect recomputes one result the mistaken way. The family
(checks/stateful.py) passes `x` (the call's input), `training`, `frozen`
(True when the layer was called with trainable=False) and the state *before*
the call as `moving_mean` and `moving_variance`. Targets: "output",
"moving_mean" and "moving_variance" (the state after the call).
"""

from __future__ import annotations

import numpy as np

from . import Suspect, numpy_weights, register


def suspects(layer) -> list[Suspect]:
    config = layer.get_config()
    momentum, epsilon = float(config["momentum"]), float(config["epsilon"])
    weights = numpy_weights(layer)
    gamma = weights["gamma"].astype("float64") if config["scale"] else None
    beta = weights["beta"].astype("float64") if config["center"] else None

    def along(x, v):
        """v (channels,) shaped to broadcast against x along the layer's axis."""
        shape = [1] * x.ndim
        shape[int(config["axis"]) % x.ndim] = -1
        return np.asarray(v, dtype="float64").reshape(shape)

    def batch_stats(x, ddof=0):
        x = np.asarray(x, dtype="float64")
        axes = tuple(i for i in range(x.ndim) if i != int(config["axis"]) % x.ndim)
        return x.mean(axis=axes), x.var(axis=axes, ddof=ddof)

    def normalise(x, mean, var, denominator=lambda var: np.sqrt(var + epsilon),
                  scale=gamma, offset=beta):
        x = np.asarray(x, dtype="float64")
        y = (x - along(x, mean)) / along(x, denominator(np.asarray(var, "float64")))
        if scale is not None:
            y = y * along(x, scale)
        if offset is not None:
            y = y + along(x, offset)
        return y

    def updated(old, new, m=momentum):
        return np.asarray(old, "float64") * m + np.asarray(new, "float64") * (1.0 - m)

    def uses_batch(training, frozen):
        return bool(training) and not frozen

    def only(condition):
        """Suspects apply to one mode: elsewhere they raise, and recognise skips them."""
        if not condition:
            raise ValueError("this mistake does not apply to this call")

    # --- the output
    def unbiased(x, training, frozen, **_):
        only(uses_batch(training, frozen))
        return normalise(x, *batch_stats(x, ddof=1))

    def stats_for(x, training, frozen, moving_mean, moving_variance):
        if uses_batch(training, frozen):
            return batch_stats(x)
        return moving_mean, moving_variance

    def epsilon_outside(x, training, frozen, moving_mean, moving_variance, **_):
        mean, var = stats_for(x, training, frozen, moving_mean, moving_variance)
        return normalise(x, mean, var, lambda v: np.sqrt(v) + epsilon)

    def epsilon_missing(x, training, frozen, moving_mean, moving_variance, **_):
        mean, var = stats_for(x, training, frozen, moving_mean, moving_variance)
        return normalise(x, mean, var, np.sqrt)

    def variance_not_rooted(x, training, frozen, moving_mean, moving_variance, **_):
        mean, var = stats_for(x, training, frozen, moving_mean, moving_variance)
        return normalise(x, mean, var, lambda v: v + epsilon)

    def batch_at_inference(x, training, frozen, **_):
        only(not training)
        return normalise(x, *batch_stats(x))

    def frozen_uses_batch(x, training, frozen, **_):
        only(training and frozen)
        return normalise(x, *batch_stats(x))

    def moving_in_training(x, training, frozen, moving_mean, moving_variance, **_):
        only(uses_batch(training, frozen))
        return normalise(x, moving_mean, moving_variance)

    def swapped(x, training, frozen, moving_mean, moving_variance, **_):
        mean, var = stats_for(x, training, frozen, moving_mean, moving_variance)
        return normalise(x, mean, var, scale=beta, offset=gamma)

    found = [
        Suspect("at inference (training=False) the layer must normalise with moving_mean and "
                "moving_variance, not with the mean and variance of the batch.",
                batch_at_inference),
        Suspect("a frozen layer (trainable=False) must run in inference mode even when called "
                "with training=True: normalise with the moving statistics (Keras tests "
                "`training and self.trainable`).", frozen_uses_batch),
        Suspect("in training mode the layer must normalise with the batch's own mean and "
                "variance; the moving statistics are only for inference.", moving_in_training),
        Suspect("the batch variance was computed with Bessel's correction (dividing by n - 1): "
                "Keras uses the biased variance, mean((x - mean)**2), dividing by n.", unbiased),
        Suspect("epsilon was added outside the square root: Keras divides by "
                "sqrt(variance + epsilon), not by sqrt(variance) + epsilon.", epsilon_outside),
        Suspect("epsilon is missing: Keras divides by sqrt(variance + epsilon), not by "
                "sqrt(variance).", epsilon_missing),
        Suspect("the input was divided by the variance instead of its square root: Keras "
                "divides by sqrt(variance + epsilon).", variance_not_rooted),
    ]
    if gamma is not None and beta is not None:
        found.append(Suspect("gamma and beta are swapped: the output is gamma * x_hat + beta, "
                             "gamma scales and beta shifts.", swapped))

    # --- the state after the call (moving_mean and moving_variance)
    for index, name in enumerate(("moving_mean", "moving_variance")):
        def reversed_momentum(x, training, frozen, index=index, name=name, **state):
            only(uses_batch(training, frozen))
            return updated(batch_stats(x)[index], state[name])

        def updated_at_inference(x, training, frozen, index=index, name=name, **state):
            only(not training)
            return updated(state[name], batch_stats(x)[index])

        def frozen_updated(x, training, frozen, index=index, name=name, **state):
            only(training and frozen)
            return updated(state[name], batch_stats(x)[index])

        def not_updated(x, training, frozen, index=index, name=name, **state):
            only(uses_batch(training, frozen))
            return np.asarray(state[name], "float64")

        def replaced(x, training, frozen, index=index, **_):
            only(uses_batch(training, frozen))
            return batch_stats(x)[index]

        found += [
            Suspect("the momentum is reversed: Keras updates new = old * momentum + "
                    "batch * (1 - momentum), so the moving statistics change slowly.",
                    reversed_momentum, target=name),
            Suspect("the moving statistics were updated at inference (training=False): update "
                    "them only in training mode.", updated_at_inference, target=name),
            Suspect("a frozen layer (trainable=False) updated its moving statistics: with "
                    "trainable=False it runs in inference mode and changes no state.",
                    frozen_updated, target=name),
            Suspect(f"{name} was not updated in training mode: assign "
                    f"{name} * momentum + batch statistic * (1 - momentum) to it in call().",
                    not_updated, target=name),
            Suspect(f"{name} was replaced by the batch statistic: blend it in instead, "
                    f"{name} * momentum + batch statistic * (1 - momentum).",
                    replaced, target=name),
        ]

    def unbiased_state(x, training, frozen, moving_variance, **_):
        only(uses_batch(training, frozen))
        return updated(moving_variance, batch_stats(x, ddof=1)[1])

    found.append(Suspect(
        "moving_variance was updated with the unbiased variance (dividing by n - 1): Keras "
        "blends in the same biased variance it normalises with.",
        unbiased_state, target="moving_variance"))
    return found


register(
    "BatchNormalization",
    suspects=suspects,
    weight_rules={name: "(input_shape[axis],)"
                  for name in ("gamma", "beta", "moving_mean", "moving_variance")},
)
