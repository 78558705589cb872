"""Run one benchmarked loop in this process and write its result as JSON: `python -m benchmarks.child`.

Each loop gets a process of its own so that its peak RSS and its time to the first optimizer step
are its own, not the sum of the loops that ran before it.
"""

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.settings import Workload  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module", help="dotted module of the loop, e.g. benchmarks.loops.minimal")
    parser.add_argument("workload", help="the Workload as JSON")
    parser.add_argument("options", help="loop options as a JSON object")
    parser.add_argument("result", type=Path, help="file the LoopResult is written to, as JSON")
    args = parser.parse_args()

    import torch

    workload = Workload.from_json(args.workload)
    torch.set_num_threads(workload.threads)
    loop = importlib.import_module(args.module)
    result = loop.run(workload, STARTED, **json.loads(args.options))
    args.result.write_text(json.dumps(asdict(result)), encoding="utf-8")


if __name__ == "__main__":
    main()
