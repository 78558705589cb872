"""Tasks: how examples are encoded, which head a model needs, and how predictions are scored."""

from __future__ import annotations

from transferlab.errors import ConfigError

TASK_NAMES = ("sequence_classification", "token_classification")


def build_task(name: str, **options):
    """Return the task object for a `data.task` name."""
    if name == "sequence_classification":
        from transferlab.tasks.sequence import SequenceClassification

        return SequenceClassification(**options)
    if name == "token_classification":
        from transferlab.tasks.token import TokenClassification

        return TokenClassification(**options)
    raise ConfigError(f"data.task must be one of {TASK_NAMES}, got {name!r}")
