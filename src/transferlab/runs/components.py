"""Build loggers and callbacks from their config groups (each entry has a `_target_`)."""

from __future__ import annotations

from hydra.utils import instantiate
from omegaconf import DictConfig

from transferlab.log import get_logger

log = get_logger(__name__)


def build_entries(group: DictConfig | None, kind: str) -> list:
    """Instantiate every entry of a `logger` or `callbacks` group; entries set to null are skipped."""
    built = []
    for key, entry in (group or {}).items():
        if entry is None or "_target_" not in entry:
            continue
        component = instantiate(entry)
        if component is None:
            continue
        log.info("Instantiated %s %s <%s>", kind, key, entry._target_)
        built.append(component)
    return built
