import json
import logging

import pytest

from transferlab.errors import ConfigError
from transferlab.inference.batches import resolve_precision
from transferlab.runs.finished import FinishedRun


@pytest.mark.parametrize(
    "setting, run_precision, expected",
    [
        ("auto", "bf16-mixed", "bf16-mixed"),
        ("auto", "32-true", "32-true"),
        ("auto", None, "32-true"),
        ("32-true", "bf16-mixed", "32-true"),
        ("bf16-mixed", "32-true", "bf16-mixed"),
        (32, "bf16-mixed", "32-true"),
        ("bf16", "32-true", "bf16-mixed"),
    ],
)
def test_inference_precision_follows_the_run_unless_set(setting, run_precision, expected):
    assert resolve_precision(setting, run_precision) == expected


def test_unoffered_run_precision_warns(caplog):
    with caplog.at_level(logging.WARNING):
        assert resolve_precision("auto", "16-mixed") == "32-true"
    assert "trained with precision 16-mixed" in caplog.text


def test_unknown_inference_precision_rejected():
    with pytest.raises(ConfigError, match=r"precision must be one of \('auto', '32-true', 'bf16-mixed'\), got 'fp8'"):
        resolve_precision("fp8", None)


def test_finished_run_reads_its_precision_from_run_json(tmp_path):
    run = FinishedRun(tmp_path, cfg=None, id2label={0: "a"})
    assert run.precision is None
    (tmp_path / "run.json").write_text(json.dumps({"accelerator": {"precision": "bf16-mixed"}}), encoding="utf-8")
    assert run.precision == "bf16-mixed"
    (tmp_path / "run.json").write_text("{not json", encoding="utf-8")
    assert run.precision is None
