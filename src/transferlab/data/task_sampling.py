"""How much each task of a multi-task run is trained on; plain Python, so configs are checked before torch loads.

The share of training examples drawn from task i is p_i = n_i^(1/T) / sum_j n_j^(1/T), where n_i is
the size of its training split. T = 1 (`sampling: size`) samples in proportion to size; a larger
temperature moves the shares towards equal, which keeps small tasks from being drowned out.
"""

from __future__ import annotations

from collections.abc import Mapping

from transferlab.errors import ConfigError

SAMPLING_MODES = ("size", "temperature")


def check_sampling(sampling: str, temperature: float) -> None:
    """Reject an unknown `data.sampling` mode or a temperature that is not a positive number."""
    if sampling not in SAMPLING_MODES:
        raise ConfigError(f"data.sampling must be one of {SAMPLING_MODES}, got {sampling!r}")
    if sampling == "temperature" and (isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature <= 0):
        raise ConfigError(f"data.temperature must be a number > 0, got {temperature!r}")


def task_shares(sizes: Mapping[str, int], sampling: str = "size", temperature: float = 1.0) -> dict[str, float]:
    """Return each task's share of training examples: proportional to n_i, or to n_i^(1/T) with a temperature."""
    check_sampling(sampling, temperature)
    exponent = 1.0 if sampling == "size" else 1.0 / temperature
    weights = {name: float(size) ** exponent for name, size in sizes.items()}
    total = sum(weights.values())
    return {name: weight / total for name, weight in weights.items()}
