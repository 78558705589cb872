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


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("job_dirname"):
        OmegaConf.register_new_resolver("job_dirname", job_dirname)
