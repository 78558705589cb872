"""Inference with a finished run's exported model: reading inputs, batching, decoding predictions."""
