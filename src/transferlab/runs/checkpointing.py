"""Checkpoints that survive a kill: atomic writes, restored random state, the newest one found."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.reporting.files import default_file_mode

log = get_logger(__name__)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Save each checkpoint to a temporary file beside its target and rename it into place.

    A killed process leaves the previous file at that path intact. There is no fsync, because one
    272 MB MiniLM checkpoint with fsync was seen to take minutes on a disk shared with other jobs,
    so a power loss or kernel crash may still lose the newest checkpoint. Loading uses
    `weights_only=True` unless the caller asks otherwise, so unpickling runs no code from the file.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                torch.save(checkpoint, stream)
            os.chmod(temporary, default_file_mode())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def load_checkpoint(self, path, map_location=None, weights_only: bool | None = None) -> dict[str, Any]:
        return super().load_checkpoint(path, map_location=map_location, weights_only=True if weights_only is None else weights_only)


class RandomStateCheckpoint(pl.Callback):
    """Store the Python, NumPy and torch random states in checkpoints and restore them on resume.

    The states are put back just before the first training batch after a resume, so that nothing
    the resumed process draws while it sets up (model initialisation, data loading) shifts the
    dropout masks of the remaining steps.
    """

    def __init__(self) -> None:
        self._pending: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        numpy_state = np.random.get_state()
        return {
            "python": random.getstate(),
            # Plain lists, because `weights_only` loading accepts no NumPy arrays.
            "numpy": [numpy_state[0], numpy_state[1].tolist(), *numpy_state[2:]],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._pending = state_dict

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self._pending is None:
            return
        state, self._pending = self._pending, None
        random.setstate(_as_tuple(state["python"]))
        numpy_state = state["numpy"]
        np.random.set_state((numpy_state[0], np.asarray(numpy_state[1], dtype=np.uint32), *numpy_state[2:]))
        torch.set_rng_state(state["torch"])
        if state["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
        log.info("Restored the random state of the checkpoint before batch %d", batch_idx)


def _as_tuple(value):
    """Turn the nested lists that a checkpoint round trip may produce back into `random.setstate` tuples."""
    if isinstance(value, list):
        return tuple(_as_tuple(item) for item in value)
    return value


def latest_checkpoint(run_dir: Path) -> Path:
    """Return the most recently written checkpoint under `<run_dir>/checkpoints`, or raise naming what to do."""
    folder = run_dir / "checkpoints"
    candidates = [path for path in folder.glob("*.ckpt") if path.is_file()] if folder.is_dir() else []
    if not candidates:
        raise ConfigError(
            f"resume=true but {folder} contains no checkpoint; point paths.run_dir (or hydra.run.dir) at a run "
            "that saved one, or pass ckpt_path=PATH"
        )
    return max(candidates, key=lambda path: (path.stat().st_mtime_ns, path.name))


class LabelNamesCheckpoint(pl.Callback):
    """Store the label names in id order in every checkpoint, so a resume can check them."""

    def __init__(self, label_names: list[str]) -> None:
        self.label_names = list(label_names)

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        checkpoint[LABEL_NAMES_KEY] = self.label_names


LABEL_NAMES_KEY = "transferlab_label_names"


def check_checkpoint_labels(path: Path, label_names: list[str]) -> None:
    """Raise `ConfigError` when a checkpoint was trained on other labels than the data has.

    A checkpoint without stored label names is checked through its head size: the output rows of the
    last weight matrix whose first dimension differs from the data's label count.
    """
    checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    stored = checkpoint.get(LABEL_NAMES_KEY)
    if stored is not None:
        if list(stored) != list(label_names):
            raise ConfigError(
                f"checkpoint {path} was trained with {len(stored)} labels {list(stored)}, but the data has "
                f"{len(label_names)} labels {list(label_names)}; resume with the same data and data.labels, "
                "or start a new run that loads only the encoder weights and re-initialises the head"
            )
        return
    head = _head_rows(checkpoint.get("state_dict", {}))
    if head is not None and head != len(label_names):
        raise ConfigError(
            f"checkpoint {path} has a head with {head} labels, but the data has {len(label_names)} labels; "
            "resume with the same data, or start a new run that loads only the encoder weights"
        )


def _head_rows(state_dict: dict[str, torch.Tensor]) -> int | None:
    for name in ("model.classifier.weight", "model.classifier.out_proj.weight", "model.score.weight"):
        if name in state_dict:
            return int(state_dict[name].shape[0])
    return None
