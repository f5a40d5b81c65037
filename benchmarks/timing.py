"""Throughput timing shared by the benchmarks (plain Python: the PyTorch scripts use it too)."""

import statistics
import time
from collections.abc import Callable


def rates(run: Callable[[], object], items: int, repeats: int) -> list[float]:
    """Items per second of `run()` (which must return only when its work is done), measured `repeats` times."""
    measured = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        measured.append(items / (time.perf_counter() - start))
    return measured


def summary(measured: list[float], unit: str) -> str:
    return f"median {statistics.median(measured):.0f} {unit} (runs: {', '.join(f'{r:.0f}' for r in measured)})"
