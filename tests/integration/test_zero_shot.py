import json

import pytest

from conftest import write_csv
from transferlab.errors import ConfigError

# Each label's texts are the label's own wording, so with the template "{label}" (zero-shot) or with
# training examples as label vectors (few-shot) every text is closest to its own label, even with a
# random encoder.
WORDINGS = {"red": "red apples", "green": "green grass", "sky": "蓝色的天空"}


@pytest.fixture
def colours_csv(tmp_path):
    rows = [(text, label) for label, text in WORDINGS.items() for _ in range(10)]
    return write_csv(tmp_path / "colours.csv", rows)


def _overrides(csv_path, *extra):
    return [
        "data=csv",
        f"data.source.train_file={csv_path}",
        "method=zero_shot",
        "method.templates=[\"{label}\"]",
        *extra,
    ]


def test_zero_shot_runs_end_to_end(train_tiny, colours_csv):
    descriptions = "{" + ", ".join(f"{label}: '{text}'" for label, text in WORDINGS.items()) + "}"
    objective, run_dir = train_tiny(_overrides(colours_csv, f"method.label_descriptions={descriptions}"))

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert objective == metrics["val/acc"] == 1.0
    assert metrics["test/acc"] == 1.0
    report = (run_dir / "test_report.txt").read_text(encoding="utf-8")
    for label in WORDINGS:
        assert label in report
    assert not (run_dir / "checkpoints").exists()
    exported = json.loads((run_dir / "model" / "similarity_classifier.json").read_text(encoding="utf-8"))
    assert exported["label_sources"]["sources"]["sky"] == ["蓝色的天空"]
    assert (run_dir / "model" / "label_vectors.safetensors").is_file()


def test_few_shot_uses_training_examples(train_tiny, colours_csv):
    objective, run_dir = train_tiny(_overrides(colours_csv, "method.shots=3"))

    assert objective == 1.0
    exported = json.loads((run_dir / "model" / "similarity_classifier.json").read_text(encoding="utf-8"))
    sources = exported["label_sources"]["sources"]
    assert exported["label_sources"]["shots"] == 3
    assert sorted(sources) == sorted(WORDINGS)
    assert all(len(origins) == 3 and all(str(colours_csv) in o for o in origins) for origins in sources.values())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["method.label_descriptions={violet: purple}"], "method.label_descriptions has entries for \\['violet'\\]"),
        (["method.templates=[\"colour\"]"], "no \\{label\\} placeholder"),
        (["method.shots=-1"], "method.shots must be an integer >= 0"),
        (["data.task=token_classification"], "supports data.task=sequence_classification only"),
    ],
)
def test_zero_shot_rejects_bad_settings(train_tiny, colours_csv, extra, message):
    with pytest.raises(ConfigError, match=message):
        train_tiny(_overrides(colours_csv, *extra))
