"""A finished training run, read back from its directory for evaluation and prediction.

Everything here reads small text files only, so a wrong `run_dir` fails before any model is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from transferlab.errors import ConfigError

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


@dataclass
class FinishedRun:
    """The run's resolved config and the label map of its exported model."""

    run_dir: Path
    cfg: DictConfig
    id2label: dict[int, str]

    @property
    def model_dir(self) -> Path:
        return self.run_dir / "model"

    @property
    def task_name(self) -> str:
        return self.cfg.data.task

    @property
    def label_names(self) -> list[str]:
        return [self.id2label[i] for i in sorted(self.id2label)]

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in self.id2label.items()}

    @property
    def precision(self) -> str | None:
        """Return the precision the run trained and tested with, as `run.json` records it (None if unrecorded)."""
        try:
            manifest = json.loads((self.run_dir / "run.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        accelerator = manifest.get("accelerator")
        return accelerator.get("precision") if isinstance(accelerator, dict) else None


def _read_id2label(model_dir: Path) -> dict[int, str]:
    config_file = model_dir / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(f"{config_file} is not valid JSON ({error.msg}); re-export the model by training again") from None
    id2label = config.get("id2label")
    if not isinstance(id2label, dict) or not id2label:
        raise ConfigError(f"{config_file} has no id2label map; it was not exported by transferlab-train")
    return {int(i): str(name) for i, name in id2label.items()}


def load_finished_run(run_dir: str | Path) -> FinishedRun:
    """Check that `run_dir` contains a finished run with an exported model, and read its config and labels."""
    run_dir = Path(run_dir).expanduser().resolve()
    if not run_dir.is_dir():
        raise ConfigError(f"run_dir={run_dir} is not a directory; pass the directory of a finished training run")

    config_file = run_dir / "config_resolved.yaml"
    if not config_file.is_file():
        raise ConfigError(
            f"run_dir={run_dir} has no config_resolved.yaml, so it is not a transferlab training run; "
            "pass the directory that transferlab-train printed at the end"
        )

    model_dir = run_dir / "model"
    has_weights = any((model_dir / name).is_file() for name in WEIGHT_FILES)
    if not (model_dir / "config.json").is_file() or not has_weights:
        raise ConfigError(
            f"run_dir={run_dir} has no finished model in {model_dir} (config.json and weights); "
            "the run did not finish or ran with export=false; train it to the end or pick another run"
        )

    cfg = OmegaConf.load(config_file)
    for key in ("data.task", "data.max_length", "data.eval_batch_size"):
        if OmegaConf.select(cfg, key) is None:
            raise ConfigError(f"{config_file} has no value for {key}; it was not written by transferlab-train")
    return FinishedRun(run_dir, cfg, _read_id2label(model_dir))
