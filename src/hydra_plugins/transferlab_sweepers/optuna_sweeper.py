"""Optuna sweeper: each trial is one Hydra job; the study lives in SQLite inside the sweep directory.

Running the same command again with the same `hydra.sweep.dir` loads the study and finishes the
trials still missing. A trial left running by a killed process is marked failed (user attribute
`interrupted`) and its parameters are queued again, so the search resumes where it stopped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep, Transformer
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.transferlab_sweepers import config  # noqa: F401  (registers the configs)
from hydra_plugins.transferlab_sweepers.naming import exclude_fixed_keys
from transferlab.log import get_logger
from transferlab.sweeps.status import INTERRUPTED, read_status, write_status

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution

log = get_logger(__name__)

DIRECTIONS = {"max": "maximize", "maximize": "maximize", "min": "minimize", "minimize": "minimize"}
STORAGE_FILE = "optuna.db"
RESULTS_FILE = "optimization_results.yaml"
INTERRUPTED_ATTR = "interrupted"


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def distribution_of(override: Override) -> BaseDistribution:
    """Translate one sweep override (choice, range or interval, optionally tagged `log`) to an Optuna distribution."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    sweep = override.value()
    key = override.get_key_element()
    log_scale = "log" in getattr(sweep, "tags", set())
    if isinstance(sweep, ChoiceSweep):
        values = list(sweep.list)
        if all(_is_primitive(value) for value in values):
            return CategoricalDistribution(values)
        # Lists and dicts travel as their override strings, e.g. "[0.9,0.99]".
        return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
    if isinstance(sweep, RangeSweep):
        start, stop, step = sweep.start, sweep.stop, sweep.step
        if all(isinstance(v, int) for v in (start, stop, step)):
            last = start + ((stop - start - 1) // step) * step
            return IntDistribution(start, last, step=step, log=log_scale)
        return CategoricalDistribution(list(override.sweep_iterator()))
    if isinstance(sweep, IntervalSweep):
        # Hydra parses interval bounds as floats; use range(...) for integers.
        return FloatDistribution(float(sweep.start), float(sweep.end), log=log_scale)
    raise ValueError(f"{key}: unsupported sweep {override.input_line!r}; use choice(...), range(...) or interval(...)")


def format_value(value: Any) -> str:
    """Write a sampled value as an override value Hydra parses back to the same thing."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class OptunaSweeper(Sweeper):
    def __init__(
        self,
        direction: str,
        study_name: str,
        storage: Optional[str],
        n_trials: int,
        n_jobs: int,
        sampler: str,
        seed: Optional[int],
        params: Dict[str, str],
    ) -> None:
        if str(direction) not in DIRECTIONS:
            raise ValueError(f"hydra.sweeper.direction must be one of {sorted(DIRECTIONS)}, got {direction!r}")
        if n_trials < 1 or n_jobs < 1:
            raise ValueError(f"hydra.sweeper.n_trials and n_jobs must be >= 1, got {n_trials} and {n_jobs}")
        if sampler not in ("tpe", "random"):
            raise ValueError(f"hydra.sweeper.sampler must be tpe or random, got {sampler!r}")
        self.direction = DIRECTIONS[str(direction)]
        self.study_name = study_name
        self.storage = storage
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.sampler_name = sampler
        self.seed = seed
        self.params = dict(params or {})
        self.config: Optional[DictConfig] = None
        self.hydra_context: Optional[HydraContext] = None
        self.launcher = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def _search_space(self, arguments: List[str]) -> tuple[Dict[str, BaseDistribution], List[str]]:
        """Split configured params and command-line arguments into distributions and fixed overrides.

        A fixed command-line value for a key in `params` takes that key out of the search space.
        """
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        space: Dict[str, BaseDistribution] = {}
        for override in parser.parse_overrides([f"{key}={value}" for key, value in self.params.items()]):
            space[override.get_key_element()] = distribution_of(override)
        fixed, fixed_keys = [], []
        for override in parser.parse_overrides(list(arguments)):
            key = override.get_key_element()
            if override.is_sweep_override():
                space[key] = distribution_of(override)
            else:
                space.pop(key, None)
                fixed.append(override.input_line)
                if not override.is_hydra_override():
                    fixed_keys.append(override.key_or_group)
        fixed.append(exclude_fixed_keys(self.config, fixed_keys))
        if not space:
            raise ValueError("the Optuna search space is empty; set hydra.sweeper.params or pass sweeps such as optimizer.lr=interval(1e-5,1e-4)")
        return space, fixed

    def _sampler(self, offset: int) -> optuna.samplers.BaseSampler:
        import optuna

        # A resumed study offsets the seed by its trial count, so it does not propose the first trials again.
        seed = None if self.seed is None else self.seed + offset
        if self.sampler_name == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        return optuna.samplers.TPESampler(seed=seed)

    def _load_study(self, sweep_dir: Path) -> optuna.Study:
        import optuna

        storage = self.storage or f"sqlite:///{(sweep_dir / STORAGE_FILE).resolve()}"
        study = optuna.create_study(
            study_name=self.study_name, storage=storage, sampler=self._sampler(0),
            direction=self.direction, load_if_exists=True,
        )
        if study.direction.name.lower() != self.direction:
            raise ValueError(
                f"study {self.study_name!r} in {storage} was created to {study.direction.name.lower()}, "
                f"but hydra.sweeper.direction is {self.direction}; use another hydra.sweep.dir or study_name"
            )
        existing = len(study.get_trials(deepcopy=False))
        if existing:
            study.sampler = self._sampler(existing)
        return study

    @staticmethod
    def _requeue_interrupted(study: optuna.Study, sweep_dir: Path) -> None:
        from optuna.trial import TrialState

        # NOTE: a trial that another process is still running on a shared storage looks the same as an
        # interrupted one. Run one sweep process per study.
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            study._storage.set_trial_user_attr(trial._trial_id, INTERRUPTED_ATTR, True)
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            study.enqueue_trial(trial.params, user_attrs={"rerun_of": trial.number})
            for job_dir in sweep_dir.glob(f"{trial.number}_*"):
                if read_status(job_dir) is None:
                    write_status(job_dir, INTERRUPTED, error=InterruptedError("the sweep process stopped during this trial; it was queued again"))
            log.warning("Trial %d was interrupted by an earlier run; queued its parameters again", trial.number)

    @staticmethod
    def _finished(study: optuna.Study) -> int:
        from optuna.trial import TrialState

        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        trials = study.get_trials(deepcopy=False, states=states)
        return sum(not trial.user_attrs.get(INTERRUPTED_ATTR, False) for trial in trials)

    def sweep(self, arguments: List[str]) -> List[Sequence[JobReturn]]:
        assert self.config is not None and self.launcher is not None
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if not (sweep_dir / "multirun.yaml").exists():
            OmegaConf.save(self.config, sweep_dir / "multirun.yaml")

        space, fixed = self._search_space(arguments)
        study = self._load_study(sweep_dir)
        self._requeue_interrupted(study, sweep_dir)
        finished = self._finished(study)
        log.info(
            "Optuna study %r in %s: %d of %d trials finished, searching %s",
            self.study_name, sweep_dir, finished, self.n_trials, ", ".join(space),
        )

        returns: List[Sequence[JobReturn]] = []
        while finished < self.n_trials:
            trials = [study.ask(space) for _ in range(min(self.n_jobs, self.n_trials - finished))]
            batch = [fixed + [f"{key}={format_value(trial.params[key])}" for key in space] for trial in trials]
            # Job directories are numbered by trial, so a resumed search never reuses a directory.
            numbers = [trial.number for trial in trials]
            if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
                results = list(self.launcher.launch(batch, initial_job_idx=numbers[0]))
            else:
                results = [r for trial, job in zip(trials, batch) for r in self.launcher.launch([job], initial_job_idx=trial.number)]
            for trial, result in zip(trials, results):
                self._tell(study, trial, result)
            finished += len(trials)
            returns.append(results)

        self._write_results(study, sweep_dir)
        return returns

    def _tell(self, study: optuna.Study, trial: optuna.Trial, result: JobReturn) -> None:
        from optuna.trial import TrialState

        value = result._return_value
        if result.status == JobStatus.COMPLETED and isinstance(value, (int, float)) and math.isfinite(value):
            study.tell(trial, float(value))
            log.info("Trial %d finished: objective %.6g with %s", trial.number, value, trial.params)
            return
        reason = repr(value) if result.status == JobStatus.COMPLETED else f"{type(value).__name__}: {value}"
        trial.set_user_attr("error", reason[:500])
        study.tell(trial, state=TrialState.FAIL)
        log.warning("Trial %d failed (%s); the search continues", trial.number, reason)

    def _write_results(self, study: optuna.Study, sweep_dir: Path) -> None:
        from optuna.trial import TrialState

        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not completed:
            log.warning("No trial of study %r completed", self.study_name)
            return
        best = study.best_trial
        results = {"name": self.study_name, "best_trial": best.number, "best_value": best.value, "best_params": best.params}
        OmegaConf.save(OmegaConf.create(results), sweep_dir / RESULTS_FILE)
        log.info("Best trial %d: objective %.6g with %s", best.number, best.value, best.params)
