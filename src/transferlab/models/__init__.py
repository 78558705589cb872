"""Backbones, the Lightning module, and optimization."""
