"""Multi-task training end to end on the packaged Rotten Tomatoes and BBC News data with a tiny model."""

import json

import pytest
import torch
from omegaconf import open_dict

from tests.conftest import TINY, compose_train
from transferlab.config.checks import check_config
from transferlab.errors import ConfigError

TASKS = {"sentiment": ["fresh", "rotten"], "topic": ["business", "entertainment", "politics", "sport", "tech"]}

# TINY minus its data.* overrides, which a multi-task config sets per task instead.
TINY_MODEL = [override for override in TINY if not override.startswith("data.")]
SMALL_TASKS = [
    f"data.tasks.{name}.{key}={value}"
    for name in TASKS
    for key, value in (("max_train_samples", 96), ("max_eval_samples", 40), ("max_test_samples", 40), ("max_length", 48), ("batch_size", 16))
]


def test_multitask_configs_compose(tmp_path):
    for overrides in (["data=multitask"], ["experiment=multitask"]):
        cfg = compose_train(overrides, tmp_path)
        assert list(cfg.data.tasks) == list(TASKS)
        check_config(cfg)
    cfg = compose_train(["experiment=multitask"])
    assert cfg.data.tasks.sentiment.max_train_samples == 3000
    assert cfg.data.tasks.topic.source._target_.endswith("BBCNews")


def test_multitask_adds_task_from_command_line(tmp_path):
    cfg = compose_train(["data=multitask", "+data@data.tasks.reviews=csv", f"data.tasks.reviews.source.train_file={tmp_path}/r.csv"])
    assert list(cfg.data.tasks) == ["sentiment", "topic", "reviews"]
    assert cfg.data.tasks.reviews.source.train_file.endswith("r.csv")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["~data.tasks.topic"], "two or more"),
        (["data.sampling=round_robin"], "data.sampling"),
        (["data.sampling=temperature", "data.temperature=-1"], "data.temperature"),
        (["data.tasks.topic.batch_size=0"], "data.tasks.topic.batch_size"),
        (["data.tasks.sentiment.split.train=0.5"], "sum"),
    ],
)
def test_multitask_config_errors(overrides, message, tmp_path):
    cfg = compose_train(["data=multitask", *overrides], tmp_path)
    with pytest.raises(ConfigError, match=message):
        check_config(cfg)


def test_multitask_rejects_unusable_task_name(tmp_path):
    cfg = compose_train(["data=multitask"], tmp_path)
    with open_dict(cfg):
        cfg.data.tasks["news topic"] = cfg.data.tasks.topic
    with pytest.raises(ConfigError, match="data.tasks.news topic"):
        check_config(cfg)


@pytest.fixture(scope="module")
def multitask_run(tmp_path_factory):
    from transferlab.runs.training import run_training

    run_dir = tmp_path_factory.mktemp("multitask") / "run"
    cfg = compose_train(["data=multitask", *TINY_MODEL, *SMALL_TASKS], run_dir)
    objective = run_training(cfg)
    return objective, run_dir


def test_multitask_metrics_per_task(multitask_run):
    objective, run_dir = multitask_run
    metrics = json.loads((run_dir / "metrics.json").read_text())

    for stage in ("val", "test"):
        for name in TASKS:
            for metric in ("acc", "f1_macro", "loss"):
                assert f"{stage}/{name}/{metric}" in metrics, f"{stage}/{name}/{metric}"
            assert 0.0 <= metrics[f"{stage}/{name}/acc"] <= 1.0
        assert metrics[f"{stage}/acc"] == pytest.approx(sum(metrics[f"{stage}/{n}/acc"] for n in TASKS) / len(TASKS))
    assert objective == pytest.approx(metrics["val/acc"])


def test_multitask_logs_training_loss_per_task(multitask_run):
    _, run_dir = multitask_run
    header = (run_dir / "csv" / "metrics.csv").read_text().splitlines()[0].split(",")
    for name in TASKS:
        assert f"train/{name}/loss" in header


def test_multitask_reports_list_every_label(multitask_run):
    _, run_dir = multitask_run
    for name, labels in TASKS.items():
        report = (run_dir / f"test_report_{name}.txt").read_text()
        for label in labels:
            assert label in report, f"{label} missing from the {name} report"
        assert "support" in report
    assert not (run_dir / "test_report.txt").exists()


def test_multitask_exports_load_in_pipeline(multitask_run):
    from transformers import pipeline

    _, run_dir = multitask_run
    for name, labels in TASKS.items():
        classifier = pipeline("text-classification", model=str(run_dir / "model" / name), device="cpu")
        predictions = classifier(["A gripping, beautifully acted film.", "Shares fell after the bank's profit warning."])
        assert len(predictions) == 2
        for prediction in predictions:
            assert prediction["label"] in labels


def test_multitask_exports_share_encoder_weights(multitask_run):
    from safetensors.torch import load_file

    _, run_dir = multitask_run
    sentiment = load_file(run_dir / "model" / "sentiment" / "model.safetensors")
    topic = load_file(run_dir / "model" / "topic" / "model.safetensors")

    encoder_keys = [key for key in sentiment if key.startswith("bert.")]
    assert encoder_keys
    for key in encoder_keys:
        assert torch.equal(sentiment[key], topic[key]), key
    assert sentiment["classifier.weight"].shape[0] == 2
    assert topic["classifier.weight"].shape[0] == 5


def test_multitask_shared_encoder_trains_once():
    from transferlab.models.backbone import build_backbone
    from transferlab.models.multitask import MultiTaskModule, share_encoder
    from transferlab.tasks.sequence import SequenceClassification
    from transformers import AutoModelForSequenceClassification

    overrides = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}
    models = {
        name: build_backbone(AutoModelForSequenceClassification, None, len(labels), dict(enumerate(labels)), overrides, vocab_size=100)
        for name, labels in TASKS.items()
    }
    separate = sum(p.numel() for model in models.values() for p in model.parameters())

    encoder = share_encoder(models)
    module = MultiTaskModule(
        models,
        {name: SequenceClassification() for name in TASKS},
        {name: dict(enumerate(labels)) for name, labels in TASKS.items()},
        optimizer=torch.optim.AdamW,
    )
    shared = sum(p.numel() for p in module.parameters())

    assert models["sentiment"].bert is models["topic"].bert is encoder
    assert shared == separate - sum(p.numel() for p in encoder.parameters())
    assert all(model.training for model in module.models.values())


def test_multitask_rejects_other_methods(tmp_path):
    from transferlab.runs.training import run_training

    # SimpleNamespace(name='lora') acts as a method object other than finetune.
    overrides = ["data=multitask", *TINY_MODEL, "method._target_=types.SimpleNamespace", "+method.name=lora"]
    cfg = compose_train(overrides, tmp_path)
    with pytest.raises(ConfigError, match="method=lora"):
        run_training(cfg)


@pytest.mark.slow
def test_multitask_mixes_ner_and_sentiment(tmp_path):
    from transferlab.runs.training import run_training

    overrides = [
        "data=multitask", "~data@data.tasks.topic", "+data@data.tasks.ner=wnut16", *TINY_MODEL,
        "objective=val/f1_macro",
        "data.tasks.sentiment.max_train_samples=64", "data.tasks.sentiment.max_eval_samples=32",
        "data.tasks.sentiment.max_test_samples=32", "data.tasks.ner.max_eval_samples=32", "data.tasks.ner.max_test_samples=32",
    ]
    objective = run_training(compose_train(overrides, tmp_path))
    metrics = json.loads((tmp_path / "metrics.json").read_text())

    assert objective == pytest.approx((metrics["val/sentiment/f1_macro"] + metrics["val/ner/f1_macro"]) / 2)
    assert "test/ner/f1" in metrics
    assert "seqeval" in metrics["ner"]
    assert (tmp_path / "test_report_ner.txt").is_file()
    assert (tmp_path / "predictions" / "ner" / "test_predictions.conll").is_file()
    assert not (tmp_path / "predictions" / "sentiment").exists()
    assert (tmp_path / "model" / "ner" / "config.json").is_file()
