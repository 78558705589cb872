"""Checkpoints load without running code from the file; label mismatches are caught before training."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from transferlab.errors import ConfigError
from transferlab.runs.checkpointing import LABEL_NAMES_KEY, AtomicCheckpointIO, check_checkpoint_labels, latest_checkpoint


class _RunsCode:
    """Unpickling this object calls os.system: what a hostile checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_checkpoint_with_code_is_rejected(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "hostile.ckpt"
    torch.save({"state_dict": {}, "payload": _RunsCode(marker)}, path)

    with pytest.raises(pickle.UnpicklingError):
        AtomicCheckpointIO().load_checkpoint(path)
    assert not marker.exists()


def test_atomic_save_keeps_previous_file_on_failure(tmp_path):
    path = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"global_step": 1, "weights": torch.ones(3)}, path)

    with pytest.raises(Exception):
        io.save_checkpoint({"global_step": 2, "bad": lambda: None}, path)

    assert io.load_checkpoint(path)["global_step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_checkpoint_label_mismatch_names_both_counts(tmp_path):
    path = tmp_path / "step4.ckpt"
    torch.save({LABEL_NAMES_KEY: ["neg", "pos"], "state_dict": {}}, path)

    with pytest.raises(ConfigError, match=r"trained with 2 labels \['neg', 'pos'\], but the data has 3 labels"):
        check_checkpoint_labels(path, ["neg", "neutral", "pos"])
    with pytest.raises(ConfigError, match="2 labels"):
        check_checkpoint_labels(path, ["pos", "neg"])
    check_checkpoint_labels(path, ["neg", "pos"])


def test_checkpoint_without_label_names_checked_by_head(tmp_path):
    path = tmp_path / "old.ckpt"
    torch.save({"state_dict": {"model.classifier.weight": torch.zeros(5, 8)}}, path)

    with pytest.raises(ConfigError, match="head with 5 labels, but the data has 2 labels"):
        check_checkpoint_labels(path, ["a", "b"])


def test_latest_checkpoint_is_newest_file(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for age, name in enumerate(["last.ckpt", "step8.ckpt", "best-epoch0-step4.ckpt"]):
        (folder / name).write_bytes(b"x")
        os.utime(folder / name, ns=(10**18 - age * 10**9, 10**18 - age * 10**9))

    assert latest_checkpoint(tmp_path).name == "last.ckpt"
    with pytest.raises(ConfigError, match="contains no checkpoint"):
        latest_checkpoint(tmp_path / "missing")


def test_trust_remote_code_never_enabled():
    source = Path(__file__).resolve().parents[2] / "src"
    offenders = [str(p) for p in source.rglob("*.py") if "trust_remote_code=True" in p.read_text(encoding="utf-8")]
    assert offenders == []
