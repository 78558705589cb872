"""transferlab: config-driven transfer learning with pretrained transformer encoders."""

__version__ = "0.1.0"
