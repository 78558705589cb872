"""Bad input fails with a message that names the file, row, column or key, before any model is loaded."""

import subprocess
import sys

import pytest

from tests.conftest import TINY, compose_train, write_csv
from transferlab.errors import ConfigError, DataError
from transferlab.runs.training import run_training


@pytest.fixture(autouse=True)
def no_model_loading(monkeypatch):
    """Make loading a tokenizer or model fail loudly: every error here must come first."""
    import transferlab.models.backbone as backbone

    def forbidden(*args, **kwargs):
        raise AssertionError("a model or tokenizer was loaded before the input error was raised")

    monkeypatch.setattr(backbone, "load_tokenizer", forbidden)
    monkeypatch.setattr(backbone, "build_backbone", forbidden)


def _run(tmp_path, overrides):
    return run_training(compose_train(TINY + list(overrides), tmp_path / "run"))


def test_missing_data_file_names_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as error:
        _run(tmp_path, ["data=csv", "data.source.train_file=missing/train.csv"])
    assert str(tmp_path / "missing" / "train.csv") in str(error.value)


def test_missing_label_column_lists_columns(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("good", "pos")] * 20, header=("review", "sentiment"))
    with pytest.raises(DataError) as error:
        _run(tmp_path, ["data=csv", f"data.source.train_file={path}", "data.source.text_column=review"])
    assert "no label column 'label'" in str(error.value)
    assert "review, sentiment" in str(error.value)


def test_unseen_test_label_names_file_row_label(tmp_path):
    train = write_csv(tmp_path / "train.csv", [("good", "pos"), ("bad", "neg")] * 5)
    validation = write_csv(tmp_path / "val.csv", [("fine", "pos")])
    test = write_csv(tmp_path / "test.csv", [("fine", "pos"), ("meh", "neutral")])
    overrides = ["data=csv", f"data.source.train_file={train}", f"data.source.validation_file={validation}",
                 f"data.source.test_file={test}"]
    with pytest.raises(DataError) as error:
        _run(tmp_path, overrides)
    assert f"{test}:3" in str(error.value)
    assert "'neutral'" in str(error.value)


def test_whitespace_texts_dropped_or_rejected(tmp_path):
    rows = [("good", "pos"), ("bad", "neg")] * 10 + [("   ", "pos")]
    path = write_csv(tmp_path / "d.csv", rows)
    with pytest.raises(DataError, match="empty or whitespace-only"):
        _run(tmp_path, ["data=csv", f"data.source.train_file={path}", "data.empty_text=error"])


def test_missing_mandatory_value_names_key(tmp_path):
    with pytest.raises(ConfigError, match="data.source.train_file"):
        _run(tmp_path, ["data=csv"])


def test_bad_learning_rate_names_key(tmp_path):
    with pytest.raises(ConfigError, match="optimizer.lr"):
        _run(tmp_path, ["optimizer.lr=-1"])


def _cli(tmp_path, *overrides):
    command = [sys.executable, "-m", "transferlab.train", f"paths.output_root={tmp_path}", *overrides]
    return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)


def test_cli_unknown_override_key_names_key(tmp_path):
    result = _cli(tmp_path, "optimizer.learning_rate=1e-4")
    assert result.returncode != 0
    assert "optimizer.learning_rate" in result.stderr


def test_cli_missing_value_exits_with_one_message(tmp_path):
    result = _cli(tmp_path, "data=csv")
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "missing mandatory value for data.source.train_file" in output
    assert "Traceback" not in output
