"""Value checks on a composed config. Each error names the key and the value to set."""

from __future__ import annotations

import re

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue

from transferlab.config.schema import validate_schema
from transferlab.data.splitting import check_fractions
from transferlab.data.task_sampling import check_sampling
from transferlab.errors import ConfigError

TASK_NAME = re.compile(r"[A-Za-z0-9_-]+")


def find_missing(cfg: DictConfig, prefix: str = "") -> list[str]:
    """Return the dotted keys whose value is still the mandatory `???`."""
    missing = []
    for key in cfg:
        path = f"{prefix}{key}"
        if OmegaConf.is_missing(cfg, key):
            missing.append(path)
            continue
        value = cfg._get_node(key)
        if isinstance(value, DictConfig) and not value._is_none():
            missing.extend(find_missing(value, f"{path}."))
    return missing


def _positive(cfg: DictConfig, key: str, minimum: float, strict: bool) -> None:
    value = OmegaConf.select(cfg, key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (value <= minimum if strict else value < minimum):
        bound = f"> {minimum}" if strict else f">= {minimum}"
        raise ConfigError(f"{key} must be a number {bound}, got {value!r}")


def check_required(cfg: DictConfig) -> None:
    """Reject mandatory `???` values that are still missing, also where an interpolation refers to one."""
    missing = [key for key in find_missing(cfg) if not key.startswith("hydra.")]
    if missing:
        raise ConfigError(
            f"missing mandatory value for {', '.join(missing)}; set it on the command line, e.g. {missing[0]}=..."
        )
    try:
        OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except MissingMandatoryValue as error:
        raise ConfigError(f"missing mandatory value for {error.full_key}; set it on the command line") from None


def check_config(cfg: DictConfig) -> None:
    """Reject missing mandatory values, schema violations and out-of-range numbers before anything heavy is loaded."""
    check_required(cfg)
    validate_schema(cfg)
    _positive(cfg, "optimizer.lr", 0.0, strict=True)
    _positive(cfg, "optimizer.weight_decay", 0.0, strict=False)
    _positive(cfg, "trainer.accumulate_grad_batches", 1, strict=False)
    for data in _dataset_keys(cfg):
        for key in ("batch_size", "eval_batch_size", "max_length", "max_train_samples", "max_eval_samples", "max_test_samples",
                    "max_train_samples_per_label"):
            _positive(cfg, f"{data}.{key}", 1, strict=False)
        if OmegaConf.select(cfg, f"{data}.split") is not None:
            check_fractions(OmegaConf.to_container(OmegaConf.select(cfg, f"{data}.split")))
        _check_labels(OmegaConf.select(cfg, f"{data}.labels"), f"{data}.labels")
    _check_source_models(cfg)
    if OmegaConf.select(cfg, "objective_mode") not in (None, "min", "max"):
        raise ConfigError(f"objective_mode must be min or max, got {cfg.objective_mode!r}")


def _check_labels(labels, key: str) -> None:
    if labels is None:
        return
    names = [str(label) for label in labels]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{key} lists {duplicates} more than once; give each label once, in id order")
    if not names:
        raise ConfigError(f"{key} is an empty list; give the label names in id order, or null to take them from the data")


def _dataset_keys(cfg: DictConfig) -> list[str]:
    """Return the config keys of every dataset: `data`, or `data.tasks.<name>` for each task of a multi-task run."""
    if OmegaConf.select(cfg, "data.tasks") is None:
        return ["data"]
    check_tasks(cfg)
    return [f"data.tasks.{name}" for name in cfg.data.tasks]


def check_tasks(cfg: DictConfig) -> None:
    """Reject a multi-task `data.tasks` with fewer than two tasks, an unusable task name or a bad sampling setting."""
    tasks = cfg.data.tasks
    if not isinstance(tasks, DictConfig) or len(tasks) < 2:
        count = len(tasks) if isinstance(tasks, DictConfig) else 0
        raise ConfigError(
            f"data.tasks must map two or more task names to dataset configs, got {count}; "
            "add one with +data@data.tasks.<name>=<dataset>, or train a single dataset with data=<dataset>"
        )
    for name, entry in tasks.items():
        if not TASK_NAME.fullmatch(str(name)):
            raise ConfigError(
                f"data.tasks.{name}: invalid task name; task names appear in metric keys and file names, "
                "so rename it with letters, digits, '_' or '-' only"
            )
        if not isinstance(entry, DictConfig) or "source" not in entry:
            raise ConfigError(f"data.tasks.{name} must be a dataset config with a source, e.g. +data@data.tasks.{name}=csv")
    check_sampling(cfg.data.get("sampling", "size"), cfg.data.get("temperature", 1.0))


def _check_source_models(cfg: DictConfig) -> None:
    """Reject an earlier run or teacher directory that does not exist or contains no model."""
    from transferlab.models.backbone import resolve_trained_model_dir

    for key in ("model.init_from", "method.teacher"):
        value = OmegaConf.select(cfg, key)
        if value:
            resolve_trained_model_dir(str(value), key)
