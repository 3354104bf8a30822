"""Where sweeps and walk-forward folds run: in-process, a local process pool, or a Ray cluster.

Every executor has the same ``map(fn, items)`` and returns results in the order of ``items``,
so a research run gives the same output whichever executor ran it. The process pool uses the
``spawn`` start method: forking a process that already runs polars' thread pool can deadlock,
and spawn is also what Ray workers do, so a task that works locally works on the cluster.
Tasks must therefore be module-level functions (or ``functools.partial`` of them).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar, cast

from qgtm_core import ConfigError

__all__ = ["ProcessPoolTaskExecutor", "RayTaskExecutor", "SerialTaskExecutor", "TaskExecutor", "executor_for"]

T = TypeVar("T")
R = TypeVar("R")


class TaskExecutor(Protocol):
    """Runs one function over many inputs, results in input order."""

    @property
    def name(self) -> str: ...

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]: ...


class SerialTaskExecutor:
    """In this process, one after the other (debugging, tiny sweeps, coverage)."""

    name = "serial"

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Apply ``fn`` to each item."""
        return [fn(item) for item in items]


class ProcessPoolTaskExecutor:
    """A local pool of spawned worker processes (the default)."""

    name = "process-pool"

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers or os.cpu_count() or 1

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Apply ``fn`` to each item on the pool."""
        if not items:
            return []
        workers = min(self._max_workers, len(items))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(fn, items))


class RayTaskExecutor:
    """A Ray cluster at ``address`` (``"local"`` starts a local instance for this process)."""

    name = "ray"

    def __init__(self, address: str, num_cpus: int | None = None) -> None:
        # Under ``uv run`` Ray would rebuild the environment for its workers, which needs the
        # internet and hangs without it; the workers share this interpreter's environment instead.
        # Ray reads this when it is imported, so it is set before the import.
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        try:
            self._ray = importlib.import_module("ray")
        except ModuleNotFoundError:
            msg = f"backtest.ray_address: {address!r} is set but ray is not installed (uv sync --group peers)"
            raise ConfigError(msg) from None
        self._address = address
        self._num_cpus = num_cpus

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Apply ``fn`` to each item as Ray tasks."""
        ray = self._ray
        if not ray.is_initialized():
            local = self._address == "local"
            ray.init(
                address=self._address,
                num_cpus=self._num_cpus if local else None,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        remote = ray.remote(num_cpus=1)(_call)
        shipped = ray.put(fn)  # once, not once per task: partials often carry whole bar feeds
        return cast("list[R]", ray.get([remote.remote(shipped, item) for item in items]))

    def shutdown(self) -> None:
        """Disconnect (and stop a local instance)."""
        if self._ray.is_initialized():
            self._ray.shutdown()


def _call(fn: Callable[[T], R], item: T) -> R:
    """Ray only decorates plain functions; this one applies any picklable callable."""
    return fn(item)


def executor_for(ray_address: str | None, max_workers: int | None = None) -> TaskExecutor:
    """Ray when an address is configured, else the local process pool."""
    if ray_address:
        return RayTaskExecutor(ray_address, max_workers)
    return ProcessPoolTaskExecutor(max_workers)
