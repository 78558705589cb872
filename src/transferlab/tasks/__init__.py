"""Tasks: how examples are encoded, which head a model needs, and how predictions are scored."""

from __future__ import annotations

import inspect

from transferlab.errors import ConfigError

TASK_NAMES = ("sequence_classification", "token_classification")


def build_task(name: str, **options):
    """Return the task object for a `data.task` name, built with `data.task_options`."""
    if name == "sequence_classification":
        from transferlab.tasks.sequence import SequenceClassification as task_class
    elif name == "token_classification":
        from transferlab.tasks.token import TokenClassification as task_class
    else:
        raise ConfigError(f"data.task must be one of {TASK_NAMES}, got {name!r}")

    accepted = set(inspect.signature(task_class).parameters) - {"self"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ConfigError(
            f"data.task_options has unknown keys {unknown} for {name}; known: {', '.join(sorted(accepted)) or 'none'}"
        )
    return task_class(**options)
