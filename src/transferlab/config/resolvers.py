"""OmegaConf resolvers used by conf/; registered when `transferlab.config` is imported."""

from __future__ import annotations

import hashlib

from omegaconf import OmegaConf

# Most file systems reject names over 255 bytes; longer job names are cut and made unique by a hash.
MAX_DIRNAME_BYTES = 200


def job_dirname(override_dirname: str) -> str:
    """Turn Hydra's override_dirname into one safe directory name: no `/`, at most MAX_DIRNAME_BYTES bytes."""
    name = override_dirname.replace("/", "_") or "defaults"
    if len(name.encode("utf-8")) <= MAX_DIRNAME_BYTES:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    cut = name.encode("utf-8")[: MAX_DIRNAME_BYTES - 11].decode("utf-8", errors="ignore")
    return f"{cut}-{digest}"


def gpus_per_node(accelerator: str, devices) -> int:
    """Return the GPUs a Slurm job reserves per node: the trainer's device count unless it trains on CPUs."""
    if str(accelerator).lower() == "cpu":
        return 0
    return int(devices) if str(devices).isdigit() else 1


RESOLVERS = {"job_dirname": job_dirname, "gpus_per_node": gpus_per_node}


def register_resolvers() -> None:
    for name, resolver in RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver)
