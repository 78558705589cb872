"""Job directory names that list only the swept values, not the overrides every job shares."""

from typing import Iterable, List

from omegaconf import DictConfig


def exclude_fixed_keys(config: DictConfig, fixed_keys: Iterable[str]) -> str:
    """Return a Hydra override that leaves `fixed_keys` out of `hydra.job.override_dirname`.

    The shared values are still recorded in the sweep's multirun.yaml and each job's .hydra/overrides.yaml.
    """
    configured: List[str] = list(config.hydra.job.config.override_dirname.exclude_keys)
    keys = configured + [key for key in fixed_keys if key not in configured]
    return "hydra.job.config.override_dirname.exclude_keys=[" + ",".join(keys) + "]"
