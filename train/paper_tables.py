"""What the notebooks in notebooks/ do, as functions: run a paper's runs (a config's sweep, or single configs)
with the same launch commands as the command line, then put the measured numbers beside the paper's and draw the
training curves from each run's metrics.jsonl.

Smoke mode (the notebooks' default) shrinks every run with the config's `smoke` argument and may keep only some
rows of a sweep; the full recipe is the README's.
"""

import json
import os
import subprocess
import sys

from train import collect, metric_writers, reach, sweep

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _with_smoke(config: str, full: bool) -> str:
    if full:
        return config
    path, _, argument = config.partition(":")
    return f"{path}:{','.join(filter(None, [argument, 'smoke']))}"


def _overrides(data_dir: str) -> list[str]:
    return [f"data.data_dir={data_dir}"] if data_dir else []


def run_sweep(config: str, workdir: str, full: bool = False, smoke_rows: tuple[str, ...] = (),
              data_dir: str = "") -> str:
    """Runs `config`'s declared sweep into `workdir` (skipping finished runs; all rows when `full`, else the
    `smoke_rows` run names, or every row when none are given). Returns `workdir`."""
    planned = sweep.plan(_with_smoke(config, full), os.path.abspath(workdir), _overrides(data_dir))
    if not full and smoke_rows:
        unknown = sorted(set(smoke_rows) - {name for name, _, _ in planned})
        if unknown:
            raise ValueError(f"No sweep rows named {unknown}; the rows are {[n for n, _, _ in planned]}.")
        planned = [run for run in planned if run[0] in smoke_rows]
    sweep.write_declaration(config, planned, os.path.abspath(workdir))
    sweep.run_locally(planned, os.path.abspath(workdir))
    return workdir


def run_one(config: str, workdir: str, full: bool = False, data_dir: str = "") -> str:
    """Trains one config into `workdir` (resuming or skipping as the command line would). Returns `workdir`."""
    command = sweep.launch_command(_with_smoke(config, full), {}, os.path.abspath(workdir), _overrides(data_dir))
    if not sweep.is_finished(workdir):
        print("[run]", " ".join(command), flush=True)
        subprocess.run([sys.executable, *command[1:]], cwd=REPO, check=True)
    return workdir


def beside_paper(paths: list[str], column: str, paper: dict[str, float] | None = None) -> str:
    """A markdown table: each run's `column` beside the paper's figure for it: `paper[run name]`, or by default
    the `reference` its config recorded in summary.json (- where there is none)."""
    runs = collect.find_runs(paths)
    lines = [f"| run | paper {column} | ours |", "|---|---|---|"]
    for name, _, workdir in runs:
        ours = collect.latest_values(workdir).get(column)
        figure = paper.get(name) if paper is not None else _recorded_reference(workdir).get(column)
        lines.append(f"| {name} | {collect.cell(column, figure)} | {collect.cell(column, ours)} |")
    return "\n".join(lines) + "\n"


def _recorded_reference(workdir: str) -> dict:
    path = os.path.join(workdir, "summary.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f).get("reference", {})


def curves(paths: list[str], metrics: list[str], x: str = "epoch"):
    """A matplotlib figure: one panel per metric, one line per run, against `x` ("epoch" or "step")."""
    import matplotlib.pyplot as plt

    runs = collect.find_runs(paths)
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        for name, _, workdir in runs:
            records = [r for r in reach.by_step(metric_writers.read_metrics(workdir)) if metric in r]
            axis.plot([r.get(x, r["step"]) for r in records], [r[metric] for r in records], label=name)
        axis.set_xlabel(x)
        axis.set_ylabel(metric)
        axis.legend(fontsize=7)
    figure.tight_layout()
    return figure
