"""Sweeps: per-job status records, the Hydra callback that reports a multirun, and the sweep summary."""
