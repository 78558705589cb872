"""Config locations and checks that run before torch, transformers or Lightning is imported."""

from pathlib import Path

from transferlab.config.resolvers import register_resolvers

# conf/ sits at the repository root beside src/; the package is installed in editable mode.
CONFIG_DIR = Path(__file__).resolve().parents[3] / "conf"

register_resolvers()
