"""Offline data: shapes, dtypes, ranges, deterministic and stratified splits."""

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

from kcourse import data


def test_digits_shapes_dtypes_ranges():
    digits = data.load_digits()
    sizes = [len(s.y) for s in digits]
    assert sum(sizes) == 1797 and sizes == [1257, 270, 270]
    for part in digits:
        assert part.x.dtype == np.float32 and part.x.shape[1:] == (64,)
        assert part.y.dtype == np.int64
        assert part.x.min() >= 0.0 and part.x.max() <= 1.0
    assert data.load_digits(images=True).train.x.shape == (1257, 8, 8, 1)


def test_splits_partition_the_data_set_and_are_stratified():
    digits = data.load_digits()
    original = sklearn_digits()
    combined = np.concatenate([s.y for s in digits])
    np.testing.assert_array_equal(np.bincount(combined), np.bincount(original.target))
    for part in digits:
        share = np.bincount(part.y, minlength=10) / len(part.y)
        assert np.all(np.abs(share - 0.1) < 0.02)
    rows = {tuple(r) for r in (original.data / 16.0).astype("float32")}
    assert {tuple(r) for r in digits.test.x} <= rows


def test_splits_are_the_same_on_every_call():
    a, b = data.load_digits(), data.load_digits()
    for part_a, part_b in zip(a, b, strict=True):
        np.testing.assert_array_equal(part_a.x, part_b.x)
        np.testing.assert_array_equal(part_a.y, part_b.y)


def test_mnist_subset_is_real_and_offline():
    mnist = data.load_mnist_subset(images=True)
    assert [len(s.y) for s in mnist] == [3500, 750, 750]
    assert mnist.train.x.shape[1:] == (28, 28, 1) and mnist.train.x.dtype == np.float32
    assert set(np.unique(mnist.train.y)) == set(range(10))
    assert 0.0 <= mnist.train.x.min() and mnist.train.x.max() == 1.0


def test_split_rejects_impossible_fractions():
    with pytest.raises(ValueError, match="fractions"):
        data.split(np.zeros((10, 2)), np.zeros(10), validation=0.6, test=0.5)
