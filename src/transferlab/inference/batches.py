"""Run a model over encoded features in length-sorted batches, with a progress bar on long inputs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import torch

from transferlab.data.batching import SortedBatchSampler
from transferlab.log import get_logger

log = get_logger(__name__)

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "32-true", "bf16-mixed")
# Batch entries passed to the model; others (such as word_index and example_index) stay with the caller.
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "labels")


def resolve_device(name: str) -> torch.device:
    """Return the torch device for `device=auto|cpu|cuda`; auto takes a GPU when one is visible."""
    from transferlab.errors import ConfigError

    if name not in DEVICES:
        raise ConfigError(f"device must be one of {DEVICES}, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device=cuda but no CUDA device is visible; use device=cpu or device=auto")
    return torch.device(name)


def resolve_precision(setting: str, run_precision: str | None) -> str:
    """Return the inference precision, 32-true or bf16-mixed, for `precision=auto|32-true|bf16-mixed`.

    `auto` takes the precision the run was tested with, so scores match its training-time test.
    """
    from transferlab.errors import ConfigError

    from transferlab.runs.accelerators import PRECISION_ALIASES

    setting = PRECISION_ALIASES.get(str(setting), str(setting))
    if setting not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {setting!r}")
    if setting != "auto":
        return setting
    if run_precision == "bf16-mixed":
        return "bf16-mixed"
    if run_precision not in (None, "32-true", "32"):
        log.warning("The run trained with precision %s, which inference does not offer; using 32-true", run_precision)
    return "32-true"


def sorted_batches(
    model: torch.nn.Module,
    features: Sequence[dict],
    collate: Callable[[Sequence[dict]], dict[str, torch.Tensor]],
    batch_size: int,
    device: torch.device,
    progress_min_batches: int | None = 20,
    with_labels: bool = True,
    precision: str = "32-true",
) -> Iterator[tuple[list[int], dict[str, torch.Tensor], object]]:
    """Yield (feature indices, batch on `device`, model outputs) per batch, longest features first.

    The outputs contain float32 `logits`, and `loss` when `with_labels` is set and the batch has
    labels. With `precision="bf16-mixed"` the model runs under bfloat16 autocast, as in training.

    Sorting by length keeps padding low; callers put results back in input order by index. A tqdm
    bar appears when there are at least `progress_min_batches` batches (None: never).
    """
    sampler = SortedBatchSampler([len(f["input_ids"]) for f in features], batch_size)
    batches: Iterator[list[int]] = iter(sampler)
    if progress_min_batches is not None and len(sampler) >= progress_min_batches:
        from tqdm.auto import tqdm

        batches = tqdm(batches, total=len(sampler), desc="batches", unit="batch")

    model_inputs = MODEL_INPUTS if with_labels else tuple(key for key in MODEL_INPUTS if key != "labels")
    model.eval()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16-mixed")
    with torch.inference_mode():
        for indices in batches:
            batch = {key: value.to(device) for key, value in collate([features[i] for i in indices]).items()}
            inputs = {key: value for key, value in batch.items() if key in model_inputs}
            with autocast:
                outputs = model(**inputs)
            outputs["logits"] = outputs.logits.float()
            yield indices, batch, outputs
