"""The loops the harness compares; each exposes `run(workload, started) -> LoopResult`."""
