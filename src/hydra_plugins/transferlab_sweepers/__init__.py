"""Hydra sweepers of transferlab: a grid sweeper that keeps failures local, and an Optuna sweeper.

Hydra finds them through the `hydra_plugins` namespace package; select them with
`hydra/sweeper=transferlab_grid` (the default in conf/hydra/default.yaml) or `transferlab_optuna`.
"""
