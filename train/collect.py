"""Runs' metrics.jsonl -> one table, a row per run: the run's overrides (from a sweep's sweep.json) and the
chosen columns, each the metric's latest logged value.

    python -m train.collect runs/lecun1989_seeds --columns=test/error,wall_time_seconds
    python -m train.collect runs/a runs/b --format=csv > table.csv

A directory argument is a run (it holds metrics.jsonl) or a sweep (its sweep.json, else every subdirectory that
holds metrics.jsonl). Rates (names ending in error/accuracy) print as percentages in markdown.
"""

import csv
import io
import json
import os

from absl import app, flags

from train import metric_writers

PERCENT_SUFFIXES = ("error", "accuracy")


def latest_values(workdir: str) -> dict:
    """Each metric's last logged value in the run's metrics.jsonl (plus the final summary's, when it ended)."""
    latest = {}
    for record in metric_writers.read_metrics(workdir):
        latest.update(record)
    summary = os.path.join(workdir, "summary.json")
    if os.path.exists(summary):
        with open(summary) as f:
            latest.update(json.load(f)["final"])
    return latest


def find_runs(paths: list[str]) -> list[tuple[str, dict, str]]:
    """(name, overrides, workdir) for every run under `paths`."""
    runs = []
    for path in paths:
        if os.path.exists(os.path.join(path, "metrics.jsonl")):
            runs.append((os.path.basename(os.path.normpath(path)), {}, path))
            continue
        sweep_file = os.path.join(path, "sweep.json")
        if os.path.exists(sweep_file):
            with open(sweep_file) as f:
                declared = json.load(f)["runs"]
            runs += [(name, overrides, os.path.join(path, name)) for name, overrides in declared.items()
                     if os.path.exists(os.path.join(path, name, "metrics.jsonl"))]
            continue
        found = sorted(d for d in os.listdir(path) if os.path.exists(os.path.join(path, d, "metrics.jsonl")))
        if not found and not runs:
            raise FileNotFoundError(f"{path} holds no run (no metrics.jsonl in it or its subdirectories).")
        runs += [(name, {}, os.path.join(path, name)) for name in found]
    return runs


def table(paths: list[str], columns: list[str]) -> tuple[list[str], list[list]]:
    """Header and rows: run, its override keys, then `columns` (None where a run lacks one; a column that no run
    logged is an error naming the logged ones)."""
    runs = find_runs(paths)
    values = [latest_values(workdir) for _, _, workdir in runs]
    if not columns:
        columns = sorted({k for v in values for k in v if "/" in k and not k.startswith("training/")})
    logged = sorted({k for v in values for k in v})
    missing = [c for c in columns if c not in logged]
    if missing:  # a misspelt column would otherwise print as a column of "-"
        raise ValueError(f"No run under {paths} logged {missing}; logged metrics: {logged}.")
    override_keys = list(dict.fromkeys(k for _, overrides, _ in runs for k in overrides))
    header = ["run", *override_keys, *columns]
    rows = [[name, *(overrides.get(k) for k in override_keys), *(v.get(c) for c in columns)]
            for (name, overrides, _), v in zip(runs, values, strict=True)]
    return header, rows


def cell(column: str, value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if column.endswith(PERCENT_SUFFIXES):
            return f"{100 * value:.2f}%"
        return f"{value:.4g}"
    return str(value)


def render(header: list[str], rows: list[list], fmt: str) -> str:
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return out.getvalue()
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c, v) for c, v in zip(header, row, strict=True)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) < 2:
        raise app.UsageError("Give one or more run or sweep directories.")
    try:
        header, rows = table(argv[1:], flags.FLAGS.columns)
    except (ValueError, FileNotFoundError) as e:
        raise app.UsageError(str(e)) from e
    print(render(header, rows, flags.FLAGS.format), end="")


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_list("columns", [], "Metrics to show (default: every evaluation metric the runs logged).")
    flags.DEFINE_enum("format", "markdown", ["markdown", "csv"], "Table format.")
    app.run(main)
