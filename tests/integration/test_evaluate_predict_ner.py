"""Evaluate and predict end to end on one tiny NER run trained once for the whole module."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.conftest import TINY, compose_train
from transferlab.errors import DataError

PEOPLE = [("Anna",), ("Li", "Wei"), ("Maria", "Lopez"), ("Tom",)]
PLACES = [("Paris",), ("New", "York"), ("Lima",), ("北京",)]


def _sentences(count: int, seed: int) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        person, place = rng.choice(PEOPLE), rng.choice(PLACES)
        words = ["today", *person, "flew", "to", *place]
        tags = ["O", "B-PER", *["I-PER"] * (len(person) - 1), "O", "O", "B-LOC", *["I-LOC"] * (len(place) - 1)]
        sentences.append((words, tags))
    return sentences


def _write_conll(path: Path, sentences) -> Path:
    blocks = ["\n".join(f"{word}\t{tag}" for word, tag in zip(words, tags)) for words, tags in sentences]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ner_run(tmp_path_factory) -> Path:
    """Train the tiny model on a CoNLL file of people and places; return its run directory."""
    from transferlab.runs.training import run_training

    root = tmp_path_factory.mktemp("ner_evalpredict")
    data = _write_conll(root / "train.conll", _sentences(150, seed=0))
    overrides = TINY + [
        "data=conll",
        f"data.source.train_file={data}",
        "objective=val/f1",
        "data.batch_size=8",
        "optimizer.lr=1e-2",
        "scheduler=constant",
        "trainer.max_epochs=3",
    ]
    run_training(compose_train(overrides, root / "run"))
    return root / "run"


def _compose(config_name: str, overrides: list[str], output_dir: Path):
    from omegaconf import open_dict

    cfg = compose_train(overrides, config_name=config_name)
    with open_dict(cfg):
        cfg.output_dir = str(output_dir)
    return cfg


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ner_training_writes_entity_chart(ner_run):
    assert (ner_run / "entity_f1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (ner_run / "confusion_matrix.png").exists()


def test_ner_evaluate_test_split_matches_training(ner_run):
    from transferlab.runs.evaluation import run_evaluation

    trained = json.loads((ner_run / "metrics.json").read_text())
    out = ner_run / "eval" / "again"
    metrics = run_evaluation(_compose("evaluate", [f"run_dir={ner_run}"], out))

    assert metrics["eval/f1"] == pytest.approx(trained["test/f1"], abs=1e-6)
    assert metrics["seqeval"] == trained["seqeval"]
    assert (out / "report.txt").read_text() == (ner_run / "test_report.txt").read_text()
    assert (out / "entity_f1.png").is_file()


def test_ner_evaluate_conll_file(ner_run, tmp_path):
    from transferlab.runs.evaluation import run_evaluation

    data = _write_conll(tmp_path / "new.conll", _sentences(20, seed=5))
    metrics = run_evaluation(_compose("evaluate", [f"run_dir={ner_run}", f"file={data}"], tmp_path / "out"))
    assert metrics["eval/f1"] >= 0.8  # the sentence pattern gives the tags away
    assert (tmp_path / "out" / "entity_f1.png").is_file()


def test_ner_evaluate_rejects_unseen_tag(ner_run, tmp_path, monkeypatch):
    from transferlab.runs.evaluation import run_evaluation

    def load_exported(*args, **kwargs):
        raise AssertionError("the model was loaded before the bad input was rejected")

    monkeypatch.setattr("transferlab.inference.loading.load_exported", load_exported)
    data = _write_conll(tmp_path / "org.conll", [(["Acme", "sells"], ["B-ORG", "O"])])
    with pytest.raises(DataError, match=r"org\.conll:1: label 'B-ORG' is not one the model was trained on"):
        run_evaluation(_compose("evaluate", [f"run_dir={ner_run}", f"file={data}"], tmp_path / "out"))


def test_ner_predict_conll_and_long_text(ner_run, tmp_path):
    from transferlab.runs.prediction import run_prediction

    sentences = _sentences(6, seed=9)
    conll = _write_conll(tmp_path / "in.conll", sentences)
    records = _read_jsonl(run_prediction(_compose("predict", [f"run_dir={ner_run}", f"input={conll}"], tmp_path / "a")))
    assert [r["words"] for r in records] == [words for words, _ in sentences]
    correct = sum(r["tags"] == tags for r, (_, tags) in zip(records, sentences))
    assert correct >= 5
    for record in records:
        assert len(record["tags"]) == len(record["scores"]) == len(record["words"])
        for entity in record["entities"]:
            assert record["tags"][entity["start"]].endswith(entity["type"])
            assert entity["text"] == " ".join(record["words"][entity["start"]:entity["end"]])

    long_line = " ".join(["today Anna flew to Paris"] * 8)  # 40 words, several windows at max_length=16
    text = tmp_path / "in.txt"
    text.write_text(long_line + "\n", encoding="utf-8")
    overrides = [f"run_dir={ner_run}", f"input={text}", "max_length=16"]
    (record,) = _read_jsonl(run_prediction(_compose("predict", overrides, tmp_path / "b")))
    assert len(record["tags"]) == 40
    assert all(score is not None for score in record["scores"])


def test_ner_exported_model_in_pipeline(ner_run, tmp_path):
    from transformers import pipeline

    from transferlab.runs.prediction import run_prediction

    sentences = [words for words, _ in _sentences(5, seed=11) if "北京" not in words]
    text = tmp_path / "in.txt"
    text.write_text("\n".join(" ".join(words) for words in sentences) + "\n", encoding="utf-8")
    records = _read_jsonl(run_prediction(_compose("predict", [f"run_dir={ner_run}", f"input={text}"], tmp_path / "p")))

    tagger = pipeline("token-classification", model=str(ner_run / "model"), aggregation_strategy="first", device="cpu")
    for record, words in zip(records, sentences):
        found = tagger(" ".join(words))
        assert [(e["entity_group"], e["word"]) for e in found] == [(e["type"], e["text"].lower()) for e in record["entities"]]
