"""The benchmark harness behind `make bench`: transferlab's training path against reference loops."""
