"""Fine-tune the packaged MiniLM-L6 on a few hundred real BBC articles through the command line."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

NUM_LABELS = 5


@pytest.fixture(scope="module")
def bbc_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env["HOME"] = str(root)  # no ~/.netrc, so W&B must choose offline mode by itself
    command = [
        sys.executable, "-m", "transferlab.train",
        "experiment=bbc_news",
        f"paths.output_root={root}",
        "hydra.run.dir=${paths.output_root}/run",
        "data.max_train_samples=250",
        "data.max_eval_samples=60",
        "data.max_test_samples=120",
        "data.max_length=128",
        "data.batch_size=16",
        "trainer.max_epochs=2",
        "optimizer.lr=2e-4",
        "trainer.enable_progress_bar=false",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root / "run", result


def test_accuracy_well_above_chance(bbc_run):
    run_dir, _ = bbc_run
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test/acc"] > 0.6  # chance is 0.2 on 5 balanced topics
    assert {"val/acc", "val/f1_macro", "test/acc", "test/f1_macro", "test/loss"} <= set(metrics)


def test_report_printed_and_written(bbc_run):
    run_dir, result = bbc_run
    report = (run_dir / "test_report.txt").read_text()
    for topic in ("business", "entertainment", "politics", "sport", "tech", "macro avg"):
        assert topic in report
    assert "precision    recall  f1-score   support" in result.stdout


def test_run_directory_holds_configs_and_checkpoints(bbc_run):
    run_dir, _ = bbc_run
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert (run_dir / ".hydra" / "overrides.yaml").is_file()
    resolved = (run_dir / "config_resolved.yaml").read_text()
    assert "${" not in resolved
    assert str(run_dir) in resolved
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert list((run_dir / "checkpoints").glob("best-*.ckpt"))
    assert (run_dir / "csv" / "metrics.csv").is_file()


def test_wandb_ran_offline_inside_run_dir(bbc_run):
    run_dir, _ = bbc_run
    offline_runs = list((run_dir / "wandb").glob("offline-run-*"))
    assert len(offline_runs) == 1


def test_export_loads_in_transformers_pipeline(bbc_run):
    from transformers import pipeline

    run_dir, _ = bbc_run
    classifier = pipeline("text-classification", model=str(run_dir / "model"), device="cpu")
    prediction = classifier("The striker scored twice as the club won the league title on Saturday.")[0]
    assert prediction["label"] in {"business", "entertainment", "politics", "sport", "tech"}
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert len(config["id2label"]) == NUM_LABELS


def test_readme_commands_exist():
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in ("install:", "train:", "test:"):
        assert target in makefile
