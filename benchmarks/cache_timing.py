"""Time the data module's setup on the full Rotten Tomatoes data with an empty, then a filled, cache.

`python -m benchmarks.cache_timing WORKLOAD_JSON` prints one JSON object: the examples encoded and
the seconds of the first (cache miss) and second (cache hit) setup.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

from benchmarks.settings import Workload


def main(workload: Workload) -> dict:
    import torch

    from transferlab.data.datamodule import TextDataModule
    from transferlab.data.packaged import RottenTomatoes
    from transferlab.data.preparation import prepare
    from transferlab.models.backbone import load_tokenizer
    from transferlab.tasks.sequence import SequenceClassification

    torch.set_num_threads(workload.threads)
    prepared = prepare(RottenTomatoes().load(), {"train": 0.8, "validation": 0.1, "test": 0.1}, workload.seed, {})
    tokenizer = load_tokenizer("minilm-l6")
    timings = []
    with tempfile.TemporaryDirectory(prefix="transferlab-cache-timing-") as cache_dir:
        for _ in range(2):
            datamodule = TextDataModule(
                prepared, SequenceClassification(), tokenizer, batch_size=workload.batch_size,
                eval_batch_size=workload.batch_size, max_length=workload.max_length, seed=workload.seed,
                cache_dir=cache_dir,
            )
            started = time.perf_counter()
            datamodule.setup()
            timings.append(time.perf_counter() - started)
    hits = datamodule.cached_splits
    examples = sum(len(split) for split in prepared.splits.values())
    return {"examples": examples, "cold_s": timings[0], "warm_s": timings[1], "splits_from_cache": hits}


if __name__ == "__main__":
    print(json.dumps(main(Workload.from_json(sys.argv[1]))))
