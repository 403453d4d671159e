"""Mistakes made re-implementing keras.layers.Dropout and keras.layers.GaussianNoise.

A stochastic layer's output cannot be recomputed exactly (the random draw is
the student's own), so these suspects are given what the family
(checks/stochastic.py) can observe of the student's call:

Dropout (inverted dropout: in training each unit is dropped with probability
`rate` and the kept ones are scaled by 1 / (1 - rate); at inference the input
passes unchanged):

    target "output"         inputs x, training, kept (where the student's output
                            is nonzero): the output the mistake gives with that mask
    target "zero_fraction"  inputs training: the fraction of dropped units the
                            mistake gives (the family compares within its bound)

GaussianNoise (in training x + N(0, stddev**2) noise; at inference x):

    target "noise_std"      inputs x, training: the standard deviation of
                            output - x under the mistake (compared within a bound)
"""

from __future__ import annotations

import numpy as np

from . import Suspect, register


def _only(condition) -> None:
    if not condition:
        raise ValueError("this mistake does not apply to this call")


def dropout_suspects(layer) -> list[Suspect]:
    rate = float(layer.get_config()["rate"])
    keep = 1.0 - rate

    def active_at_inference(x, training, kept, **_):
        _only(not training)
        return np.where(kept, np.asarray(x, "float64") / keep, 0.0)

    def scaled_at_inference(x, training, **_):
        _only(not training)
        return np.asarray(x, "float64") * keep

    def unscaled(x, training, kept, **_):
        _only(training)
        return np.where(kept, np.asarray(x, "float64"), 0.0)

    def scaled_by_rate(x, training, kept, **_):
        _only(training)
        return np.where(kept, np.asarray(x, "float64") / rate, 0.0)

    def keeps_with_rate(training, **_):
        _only(training)
        return np.asarray(keep)

    def drops_nothing(training, **_):
        _only(training)
        return np.asarray(0.0)

    return [
        Suspect("dropout was applied at inference: with training=False (or None) Dropout "
                "returns its input unchanged; drop units only when training is True.",
                active_at_inference),
        Suspect("the output at inference is x * (1 - rate): that is the old, non-inverted "
                "dropout. Keras scales the kept units by 1 / (1 - rate) during training and "
                "leaves the input unchanged at inference.", scaled_at_inference),
        Suspect("the kept values equal x: the kept units were not scaled by 1 / (1 - rate), "
                "so the expected output differs between training and inference.", unscaled),
        Suspect("the kept values are x / rate: rate is the fraction of units dropped, so the "
                "kept ones are scaled by 1 / (1 - rate).", scaled_by_rate),
        Suspect("about a fraction 1 - rate of the units were dropped: rate was used as the "
                "probability of keeping a unit. rate is the probability of dropping one.",
                keeps_with_rate, target="zero_fraction"),
        Suspect("no unit was dropped in training: drop each unit with probability rate when "
                "training is True.", drops_nothing, target="zero_fraction"),
    ]


def gaussian_noise_suspects(layer) -> list[Suspect]:
    stddev = float(layer.get_config()["stddev"])

    def as_variance(training, **_):
        _only(training)
        return np.asarray(np.sqrt(stddev))

    def squared(training, **_):
        _only(training)
        return np.asarray(stddev**2)

    def multiplied(x, training, **_):
        _only(training)
        return np.asarray(stddev * np.sqrt(np.mean(np.square(np.asarray(x, "float64")))))

    def none_added(training, **_):
        _only(training)
        return np.asarray(0.0)

    def added_at_inference(training, **_):
        _only(not training)
        return np.asarray(stddev)

    return [
        Suspect("no noise was added in training: add keras.random.normal(..., stddev=stddev) "
                "to the input when training is True.", none_added, target="noise_std"),
        Suspect("the noise has standard deviation sqrt(stddev): stddev was used as the "
                "variance. Draw the noise with stddev=stddev.", as_variance,
                target="noise_std"),
        Suspect("the noise has standard deviation stddev**2: draw it with stddev=stddev "
                "(it is the standard deviation, not the variance).", squared,
                target="noise_std"),
        Suspect("the noise grows with |x|: it was multiplied by the input. GaussianNoise adds "
                "noise: x + noise.", multiplied, target="noise_std"),
        Suspect("noise was added at inference: with training=False (or None) GaussianNoise "
                "returns its input unchanged.", added_at_inference, target="noise_std"),
    ]


register("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
         suspects=dropout_suspects)
register("GaussianNoise", suspects=gaussian_noise_suspects)
