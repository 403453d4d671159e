"""Evidence under grading: recorded by the checks, judged outside, unforgeable by copying."""

import json

import keras
import numpy as np
import pytest

from kcourse import checks, evidence
from kcourse.grading import verdicts


class Dense(keras.layers.Layer):
    """A correct Dense (not kcourse.reference's: the checks refuse that one)."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation)}


@pytest.fixture
def grading(tmp_path, monkeypatch):
    """Switch kcourse.checks into grading mode with a fresh evidence file and nonce."""
    path = tmp_path / "evidence.jsonl"

    def start(nonce):
        path.unlink(missing_ok=True)
        monkeypatch.setenv(evidence.ENV_FILE, str(path))
        monkeypatch.setenv(evidence.ENV_NONCE, nonce)
        evidence.enter_cell("cell")
        return path

    yield start
    evidence.enter_cell(None)


def record_dense(grading, nonce, layer_class=Dense):
    path = grading(nonce)
    checks.check_layer(layer_class(3, activation="relu"), keras.layers.Dense(3, activation="relu"),
                       (4, 5), config_keys=("units",))
    checks.check_history(keras.callbacks.History(), "loss", epochs=1)
    return evidence.read(path)


def test_arrays_round_trip_and_bad_arrays_are_refused():
    value = {"a": np.arange(6, dtype="float32").reshape(2, 3), "b": [1, (2, 3)]}
    back = evidence.from_json(json.loads(json.dumps(evidence.to_json(value))))
    np.testing.assert_array_equal(back["a"], value["a"])
    assert back["b"] == [1, [2, 3]]
    with pytest.raises(evidence.EvidenceError, match="too large"):
        evidence.from_json({"__array__": "<f4", "shape": [10**9], "data": ""})
    with pytest.raises(evidence.EvidenceError):
        evidence.from_json({"__array__": "|O", "shape": [1], "data": ""})
    with pytest.raises(evidence.EvidenceError):
        evidence.from_json({"__array__": "<f4", "shape": [2], "data": "not base64!"})


def test_checks_record_instead_of_deciding_under_grading(grading, capsys):
    records = record_dense(grading, "nonce-a")
    assert [r["kind"] for r in records] == ["layer", "history"]
    assert [(r["cell"], r["index"]) for r in records] == [("cell", 0), ("cell", 1)]
    assert "recorded for grading" in capsys.readouterr().out


def test_honest_evidence_passes_and_tampered_evidence_fails(grading):
    records = record_dense(grading, "nonce-a")
    points = {"cell": 1.0}
    # the history check fails (an empty History): judge the layer check alone
    manifest = records[:1]
    assert verdicts.score(manifest, records, points, "nonce-a")["cell"].score == 1.0
    tampered = json.loads(json.dumps(records))
    payload = evidence.from_json(tampered[0]["payload"])
    payload["outputs"][0] = payload["outputs"][0] + 0.5
    tampered[0]["payload"] = evidence.to_json(payload)
    result = verdicts.score(manifest, tampered, points, "nonce-a")["cell"]
    assert result.score == 0.0 and "does not match" in result.message


def test_evidence_from_another_nonce_fails(grading):
    """Outputs computed for other inputs (a replay) are judged against this batch's inputs."""
    replay = record_dense(grading, "nonce-a")
    result = verdicts.score(replay[:1], replay, {"cell": 1.0}, "nonce-b")["cell"]
    assert result.score == 0.0 and "does not match" in result.message


def test_missing_or_wrong_kind_of_evidence_fails(grading):
    records = record_dense(grading, "nonce-a")
    assert "did not run" in verdicts.score(records[:1], [], {"cell": 1.0}, "nonce-a")[
        "cell"].message
    wrong = [dict(records[1], index=0)]
    assert "expected a layer check" in verdicts.score(records[:1], wrong, {"cell": 1.0},
                                                      "nonce-a")["cell"].message


def test_a_wrong_layer_records_a_failure_the_judge_reports(grading):
    class NoBias(Dense):
        def call(self, inputs):
            return self.activation(keras.ops.matmul(inputs, self.kernel))

    honest = record_dense(grading, "nonce-a")
    wrong = record_dense(grading, "nonce-a", NoBias)
    result = verdicts.score(honest[:1], wrong, {"cell": 1.0}, "nonce-a")["cell"]
    assert result.score == 0.0 and "bias was not added" in result.message


def test_the_judge_rebuilds_only_builtin_layers():
    serialized = keras.layers.serialize(keras.layers.Dense(2))
    assert isinstance(checks.builtin_layer_from_config(serialized), keras.layers.Dense)
    forged = dict(serialized, module="__main__", registered_name="Custom>Evil")
    with pytest.raises(checks.CheckUsageError, match="built-in"):
        checks.builtin_layer_from_config(forged)
