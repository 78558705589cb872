"""Data sources, splitting, encoding and batching."""
