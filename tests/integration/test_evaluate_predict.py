"""Evaluate and predict end to end on one tiny run trained once for the whole module."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TINY, compose_train, write_csv
from transferlab.errors import ConfigError, DataError

LABELS = ("good", "bad", "meh")
CUES = {"good": "wonderful", "bad": "awful", "meh": "average"}


def _rows(count: int, offset: int = 0) -> list[tuple[str, str]]:
    rows = []
    for i in range(offset, offset + count):
        label = LABELS[i % 3]
        filler = " ".join(["film"] * (i % 7))
        rows.append((f"a {CUES[label]} {filler} 电影 number {i}", label))
    return rows


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """Train the tiny model on a 3-label CSV with the TensorBoard logger; return its run directory."""
    from transferlab.runs.training import run_training

    root = tmp_path_factory.mktemp("evalpredict")
    data = write_csv(root / "train.csv", _rows(120))
    run_dir = root / "run"
    overrides = TINY + [
        "data=csv",
        f"data.source.train_file={data}",
        "logger=tensorboard",
        "data.batch_size=8",
        "optimizer.lr=3e-3",
        "scheduler=constant",
        "trainer.max_epochs=6",
    ]
    run_training(compose_train(overrides, run_dir))
    return run_dir


def _compose(config_name: str, overrides: list[str], output_dir: Path):
    from omegaconf import open_dict

    cfg = compose_train(overrides, config_name=config_name)
    with open_dict(cfg):
        cfg.output_dir = str(output_dir)
    return cfg


def _fingerprint(run_dir: Path) -> dict[str, str]:
    """Return a hash of every training output, to show that evaluation leaves them untouched."""
    files = [p for p in run_dir.rglob("*") if p.is_file() and "eval" not in p.relative_to(run_dir).parts]
    return {str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _fail_on_model_load(monkeypatch):
    def load_exported(*args, **kwargs):
        raise AssertionError("the model was loaded before the bad input was rejected")

    monkeypatch.setattr("transferlab.inference.loading.load_exported", load_exported)


def test_training_writes_plot_and_tensorboard(trained_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    figure = trained_run / "confusion_matrix.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events = EventAccumulator(str(trained_run / "tensorboard"), size_guidance={"images": 0}).Reload()
    assert "test/confusion_matrix" in events.Tags()["images"]
    assert "val/acc" in events.Tags()["scalars"]


def test_evaluate_test_split_matches_training(trained_run, tmp_path):
    from transferlab.runs.evaluation import run_evaluation

    trained = json.loads((trained_run / "metrics.json").read_text())
    before = _fingerprint(trained_run)
    out = trained_run / "eval" / "again"
    metrics = run_evaluation(_compose("evaluate", [f"run_dir={trained_run}", "split=test"], out))

    assert metrics["eval/acc"] == pytest.approx(trained["test/acc"], abs=1e-6)
    assert metrics["eval/f1_macro"] == pytest.approx(trained["test/f1_macro"], abs=1e-6)
    assert metrics["eval/loss"] == pytest.approx(trained["test/loss"], rel=1e-4)
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert (out / "report.txt").read_text() == (trained_run / "test_report.txt").read_text()
    assert (out / "confusion_matrix.png").is_file()
    assert _fingerprint(trained_run) == before


def test_evaluate_new_file_with_other_columns(trained_run, tmp_path):
    from transferlab.runs.evaluation import run_evaluation

    rows = [(label, text) for text, label in _rows(12, offset=500)]
    jsonl = tmp_path / "new.jsonl"
    jsonl.write_text("".join(json.dumps({"sentiment": l, "review": t}, ensure_ascii=False) + "\n" for l, t in rows), encoding="utf-8")
    out = tmp_path / "eval_new"
    overrides = [f"run_dir={trained_run}", f"file={jsonl}", "text_column=review", "label_column=sentiment"]
    metrics = run_evaluation(_compose("evaluate", overrides, out))

    report = (out / "report.txt").read_text()
    assert "support" in report
    assert report.count(" 4\n") >= 3  # four examples of each label
    assert metrics["eval/acc"] >= 0.9  # the cue word gives the label away
    assert (out / "confusion_matrix.png").is_file()
    with pytest.raises(ConfigError, match="already contains an evaluation"):
        run_evaluation(_compose("evaluate", overrides, out))


def test_evaluate_rejects_unknown_label_first(trained_run, tmp_path, monkeypatch):
    from transferlab.runs.evaluation import run_evaluation

    _fail_on_model_load(monkeypatch)
    data = write_csv(tmp_path / "odd.csv", [("a wonderful film", "good"), ("so so", "neutral")])
    cfg = _compose("evaluate", [f"run_dir={trained_run}", f"file={data}"], tmp_path / "out")
    with pytest.raises(DataError, match=r"odd\.csv:3: label 'neutral' is not one the model was trained on"):
        run_evaluation(cfg)
    assert not (tmp_path / "out").exists()


def test_run_dir_without_model_rejected(trained_run, tmp_path, monkeypatch):
    from transferlab.runs.evaluation import run_evaluation
    from transferlab.runs.prediction import run_prediction

    _fail_on_model_load(monkeypatch)
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    shutil.copy(trained_run / "config_resolved.yaml", unfinished)
    text = tmp_path / "in.txt"
    text.write_text("a wonderful film\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="has no finished model"):
        run_evaluation(_compose("evaluate", [f"run_dir={unfinished}"], tmp_path / "eval"))
    with pytest.raises(ConfigError, match="has no finished model"):
        run_prediction(_compose("predict", [f"run_dir={unfinished}", f"input={text}"], tmp_path / "pred"))
    with pytest.raises(ConfigError, match="not a transferlab training run"):
        run_prediction(_compose("predict", [f"run_dir={tmp_path}", f"input={text}"], tmp_path / "pred"))


def test_predict_rejects_unknown_format_first(trained_run, tmp_path, monkeypatch):
    from transferlab.runs.prediction import run_prediction

    _fail_on_model_load(monkeypatch)
    odd = tmp_path / "inputs.xml"
    odd.write_text("<text>a wonderful film</text>\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"unknown input format for .*inputs\.xml.*set format="):
        run_prediction(_compose("predict", [f"run_dir={trained_run}", f"input={odd}"], tmp_path / "pred"))
    with pytest.raises(DataError, match="format='xml' is not a known input format"):
        run_prediction(_compose("predict", [f"run_dir={trained_run}", f"input={odd}", "format=xml"], tmp_path / "pred"))


def test_predict_text_keeps_input_order(trained_run, tmp_path, capsys):
    from transferlab.runs.prediction import run_prediction

    lines = [text for text, _ in _rows(9)]
    lines.insert(4, "")
    source = tmp_path / "in.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    overrides = [f"run_dir={trained_run}", f"input={source}", "batch_size=2", "progress_min_batches=1"]
    output = run_prediction(_compose("predict", overrides, tmp_path / "pred"))

    records = _read_jsonl(output)
    expected = [(f"{source}:{number}", text) for number, text in enumerate(lines, start=1) if text]
    assert [(r["origin"], r["text"]) for r in records] == expected
    correct = sum(r["label"] == label for r, (_, label) in zip(records, _rows(9)))
    assert correct >= 8
    for record in records:
        assert set(record["probabilities"]) == set(LABELS)
        assert sum(record["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
        assert record["label"] == max(record["probabilities"], key=record["probabilities"].get)
        assert record["score"] == record["probabilities"][record["label"]]
    assert "batches" in capsys.readouterr().err  # the progress bar
    with pytest.raises(ConfigError, match="already exists"):
        run_prediction(_compose("predict", overrides, tmp_path / "pred"))


def test_predict_csv_and_jsonl_agree(trained_run, tmp_path):
    from transferlab.runs.prediction import run_prediction

    rows = _rows(6, offset=50)
    csv_file = write_csv(tmp_path / "in.csv", [(t, "unused") for t, _ in rows], header=("body", "extra"))
    jsonl_file = tmp_path / "in.jsonl"
    jsonl_file.write_text("".join(json.dumps({"body": t}, ensure_ascii=False) + "\n" for t, _ in rows), encoding="utf-8")

    outputs = []
    for name, source in (("csv", csv_file), ("jsonl", jsonl_file)):
        overrides = [f"run_dir={trained_run}", f"input={source}", "text_column=body", f"output={tmp_path / name}.jsonl"]
        outputs.append(_read_jsonl(run_prediction(_compose("predict", overrides, tmp_path / name))))
    from_csv, from_jsonl = outputs
    assert [r["text"] for r in from_csv] == [t for t, _ in rows]
    assert [r["probabilities"] for r in from_csv] == [r["probabilities"] for r in from_jsonl]


def test_exported_model_works_in_pipeline(trained_run, tmp_path):
    from transformers import pipeline

    from transferlab.runs.prediction import run_prediction

    texts = [text for text, _ in _rows(5, offset=200)]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    # The pipeline runs in fp32; the run itself may have trained under bf16 (precision=auto).
    overrides = [f"run_dir={trained_run}", f"input={source}", "precision=32-true"]
    records = _read_jsonl(run_prediction(_compose("predict", overrides, tmp_path / "p")))

    classifier = pipeline("text-classification", model=str(trained_run / "model"), top_k=None, device="cpu")
    for record, scores in zip(records, classifier(texts)):
        by_label = {entry["label"]: entry["score"] for entry in scores}
        assert set(by_label) == set(LABELS)
        for label, probability in record["probabilities"].items():
            assert by_label[label] == pytest.approx(probability, abs=1e-5)


def test_predict_command_line(trained_run, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("a wonderful film\nan awful film\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    command = [sys.executable, "-m", "transferlab.predict", f"run_dir={trained_run}", f"input={source}"]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]

    jobs = sorted((trained_run / "predict").iterdir())
    assert len(jobs) == 1
    assert (jobs[0] / ".hydra" / "config.yaml").is_file()
    assert [r["text"] for r in _read_jsonl(jobs[0] / "predictions.jsonl")] == ["a wonderful film", "an awful film"]


def test_evaluate_command_line_bad_run_dir(tmp_path):
    env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    command = [sys.executable, "-m", "transferlab.evaluate", f"run_dir={tmp_path}", f"hydra.run.dir={tmp_path / 'h'}"]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 1
    assert "not a transferlab training run" in finished.stderr


def test_predict_command_line_missing_run_dir(tmp_path):
    env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    command = [sys.executable, "-m", "transferlab.predict", "input=reviews.txt"]
    finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 1
    assert "missing mandatory value for run_dir" in finished.stderr
    assert "Traceback" not in finished.stderr
