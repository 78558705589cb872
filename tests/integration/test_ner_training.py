"""End-to-end NER runs: a tiny model on CoNLL files, and (slow) real MiniLM on real WNUT-2016 tweets."""

import json
import random

import pytest

from tests.conftest import compose_train
from transferlab.data.conll import read_conll
from transferlab.data.examples import Example
from transferlab.runs.training import prepare_data

WNUT_SMALL = [
    "data=wnut16",
    "data.max_train_samples=300",
    "data.max_eval_samples=100",
    "data.max_test_samples=100",
    "data.max_length=48",
    "objective=val/f1",
]


def entity_f1(gold: list[tuple[str, ...]], predicted: list[tuple[str, ...]]) -> float:
    from seqeval.metrics import f1_score

    return f1_score([list(tags) for tags in gold], [list(tags) for tags in predicted], zero_division=0)


def test_wnut16_minilm_beats_majority_baseline(train_tiny, tmp_path):
    overrides = WNUT_SMALL + ["model=minilm_l6", "data.max_train_samples=400", "trainer.max_epochs=6", "optimizer.lr=2e-4"]
    objective, run_dir = train_tiny(overrides, name="wnut")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert objective == metrics["val/f1"]
    assert metrics["seqeval"]["mode"] == "default"

    # The predictions file contains the test split word for word, gold tags included.
    test_split = prepare_data(compose_train(WNUT_SMALL, run_dir)).splits["test"]
    predictions_file = run_dir / "test_predictions.conll"
    gold = read_conll(predictions_file, tag_column=1, delimiter="\t")
    predicted = read_conll(predictions_file, tag_column=2, delimiter="\t")
    assert [e.text for e in gold] == [e.text for e in test_split]
    assert [e.label for e in gold] == [e.label for e in test_split]
    assert [len(e.label) for e in predicted] == [len(e.text) for e in test_split]

    # Tagging every word O, the most frequent tag, finds no entity; the model must find some.
    majority = entity_f1([e.label for e in gold], [("O",) * len(e.text) for e in gold])
    model_f1 = entity_f1([e.label for e in gold], [e.label for e in predicted])
    assert majority == 0.0
    assert model_f1 == pytest.approx(metrics["test/f1"], abs=1e-6)
    assert model_f1 > majority

    report = (run_dir / "test_report.txt").read_text()
    assert report.splitlines()[2].split() == ["precision", "recall", "f1-score", "support"]
    assert "person" in report

    from transformers import pipeline

    tagger = pipeline("token-classification", model=str(run_dir / "model"), aggregation_strategy="simple")
    entities = tagger("Justin Bieber is in London with Taylor Swift tonight")
    assert isinstance(entities, list)
    types = {name[2:] for name in tagger.model.config.id2label.values() if name != "O"}
    assert all(entity["entity_group"] in types for entity in entities)


def write_iobes(path, sentences: list[Example]) -> str:
    lines = []
    for example in sentences:
        lines += [f"{word} NN {tag}" for word, tag in zip(example.text, example.label)]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


def iobes_sentences(count: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    names = [("Anna",), ("Li", "Wei"), ("Jean", "Paul", "Sartre")]
    sentences = []
    for i in range(count):
        name = rng.choice(names)
        tags = ("S-PER",) if len(name) == 1 else ("B-PER",) + ("I-PER",) * (len(name) - 2) + ("E-PER",)
        words = ("today",) + name + ("went", "to", "北京")
        sentences.append(Example(words, ("O",) + tags + ("O", "O", "S-LOC"), f"mem:{i}"))
    return sentences


def test_conll_files_iobes_strict_run(train_tiny, tmp_path):
    files = {
        split: write_iobes(tmp_path / f"{split}.conll", iobes_sentences(count, seed))
        for split, count, seed in (("train", 48, 0), ("validation", 12, 1), ("test", 12, 2))
    }
    overrides = [
        "data=conll",
        f"data.source.train_file={files['train']}",
        f"data.source.validation_file={files['validation']}",
        f"data.source.test_file={files['test']}",
        "data.source.scheme=IOBES",
        "data.task_options.eval_mode=strict",
        "data.task_options.eval_scheme=IOBES",
        "objective=val/f1",
    ]
    _, run_dir = train_tiny(overrides, name="iobes")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["seqeval"] == {"mode": "strict", "scheme": "IOBES", "scores": "entity level"}
    assert 0.0 <= metrics["test/f1"] <= 1.0
    assert "seqeval mode: strict, scheme IOBES" in (run_dir / "test_report.txt").read_text()

    test_file = read_conll(files["test"], scheme="IOBES")
    written = read_conll(run_dir / "test_predictions.conll", tag_column=1, scheme="IOBES")
    predicted = read_conll(run_dir / "test_predictions.conll", tag_column=2, scheme="IOBES")
    assert [e.text for e in written] == [e.text for e in test_file]
    assert [e.label for e in written] == [e.label for e in test_file]
    assert [len(e.label) for e in predicted] == [len(e.text) for e in test_file]

    from transformers import pipeline

    tagger = pipeline("token-classification", model=str(run_dir / "model"), aggregation_strategy="simple")
    entities = tagger("today Li Wei went to 北京")
    assert isinstance(entities, list)
    # The pipeline groups B-/I- tags only, so E- and S- tags come back with their prefix.
    groups = {"PER", "LOC", "E-PER", "S-PER", "E-LOC", "S-LOC"}
    assert all(entity["entity_group"] in groups for entity in entities)
