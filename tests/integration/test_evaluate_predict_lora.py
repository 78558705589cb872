"""Evaluate and predict work on a LoRA run, whose model/ contains the merged weights."""

from __future__ import annotations

import json

import pytest
from omegaconf import open_dict

from tests.conftest import TINY, compose_train, write_csv
from transferlab.config import CONFIG_DIR

pytestmark = pytest.mark.skipif(
    not (CONFIG_DIR / "method" / "lora.yaml").is_file(), reason="the LoRA method is not part of this checkout"
)


def _compose(config_name: str, overrides: list[str], output_dir):
    cfg = compose_train(overrides, config_name=config_name)
    with open_dict(cfg):
        cfg.output_dir = str(output_dir)
    return cfg


def test_lora_run_evaluate_and_predict(tmp_path):
    from transferlab.runs.evaluation import run_evaluation
    from transferlab.runs.prediction import run_prediction
    from transferlab.runs.training import run_training

    rows = [(f"{label} review number {i}", label) for i in range(60) for label in ("yes", "no")]
    data = write_csv(tmp_path / "train.csv", rows)
    run_dir = tmp_path / "run"
    run_training(compose_train(TINY + ["data=csv", f"data.source.train_file={data}", "method=lora"], run_dir))
    trained = json.loads((run_dir / "metrics.json").read_text())

    metrics = run_evaluation(_compose("evaluate", [f"run_dir={run_dir}"], tmp_path / "eval"))
    assert metrics["eval/acc"] == pytest.approx(trained["test/acc"], abs=1e-6)

    source = tmp_path / "in.txt"
    source.write_text("yes review\nno review\n", encoding="utf-8")
    output = run_prediction(_compose("predict", [f"run_dir={run_dir}", f"input={source}"], tmp_path / "pred"))
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [set(r["probabilities"]) for r in records] == [{"yes", "no"}] * 2
