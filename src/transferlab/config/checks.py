"""Value checks on a composed config; each error names the key and says what to set."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue

from transferlab.config.schema import validate_schema
from transferlab.data.splitting import check_fractions
from transferlab.errors import ConfigError


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
    for key in ("data.batch_size", "data.eval_batch_size", "data.max_length", "trainer.accumulate_grad_batches"):
        _positive(cfg, key, 1, strict=False)
    for key in ("data.max_train_samples", "data.max_eval_samples", "data.max_test_samples"):
        _positive(cfg, key, 1, strict=False)
    if OmegaConf.select(cfg, "data.split") is not None:
        check_fractions(OmegaConf.to_container(cfg.data.split))
    _check_labels(OmegaConf.select(cfg, "data.labels"))
    if OmegaConf.select(cfg, "objective_mode") not in (None, "min", "max"):
        raise ConfigError(f"objective_mode must be min or max, got {cfg.objective_mode!r}")


def _check_labels(labels) -> None:
    if labels is None:
        return
    names = [str(label) for label in labels]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"data.labels lists {duplicates} more than once; give each label once, in id order")
    if not names:
        raise ConfigError("data.labels is an empty list; give the label names in id order, or null to take them from the data")
