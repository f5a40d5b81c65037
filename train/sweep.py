"""Config sweeps: a config file may declare `get_sweep(arg) -> list[dict]`, one dict of overrides per run. Key
"config" holds config arguments (appended to the sweep's own, "model=rnn"); every other key is a field
(`{"seed": 1}` -> `--config.seed=1`). Each run gets its own workdir, `<workdir>/<run name>`.

    python -m train.sweep --config=configs/lecun1989.py --workdir=runs/lecun1989_seeds          # run them here
    python -m train.sweep --config=configs/lecun1989.py --workdir=runs/lecun1989_seeds --print_commands
    python -m train.collect runs/lecun1989_seeds --columns=test/error,wall_time_seconds            # the table

`--grid` sweeps a Cartesian product given on the command line instead of the config's `get_sweep` (which the
config then need not declare): each `--grid=key=v1,v2,...` is one axis; a plain key is a config argument, a
`config.` key a field.

    python -m train.sweep --config=configs/alexnet_fig1.py:epochs=6 --workdir=runs/fig1_learning_rates \\
        --grid=activation=relu,tanh --grid=learning_rate=0.003,0.01,0.03 --set=data.data_dir=../shared/data

Running here goes run after run and skips finished ones (those with a summary.json), so rerunning a sweep
resumes it; a preempted run resumes from its checkpoint. A failed run (a learning rate that diverges to NaN,
say) does not stop the others: the sweep names the failed runs at the end and exits with an error.
`--print_commands` prints one `launch.py` command per run for a cluster scheduler instead. `--set=field=value`
(repeatable) adds an override to every run.
"""

import json
import os
import shlex
import signal
import subprocess
import sys

from absl import app, flags

from configs import flag_checks

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def declared_runs(config: str) -> list[dict]:
    """The override dicts the config file's `get_sweep` declares for `config` ("path[:arguments]")."""
    path, _, argument = config.partition(":")
    module = flag_checks.load_module(path)
    if not hasattr(module, "get_sweep"):
        raise ValueError(f"{path} declares no sweep (a get_sweep(arg) function returning a list of overrides).")
    runs = list(module.get_sweep(argument or None))
    if not runs:
        raise ValueError(f"{path}'s get_sweep returned no runs.")
    return runs


def grid_runs(axes: list[str]) -> list[dict]:
    """The override dicts of the Cartesian product of `axes` ("key=v1,v2,..."; the first axis varies slowest)."""
    runs = [{}]
    for axis in axes:
        key, has_value, values = axis.partition("=")
        values = [v.strip() for v in values.split(",") if v.strip()]
        if not has_value or not key.strip() or not values:
            raise ValueError(f"--grid={axis!r}: expected key=v1,v2,... (a config argument, or config.<field>).")
        key = key.strip()
        if key.startswith("config."):
            field = key.removeprefix("config.")
            runs = [{**run, field: value} for run in runs for value in values]
        else:
            runs = [{**run, "config": ",".join(filter(None, [run.get("config"), f"{key}={value}"]))}
                    for run in runs for value in values]
    return runs


def run_name(overrides: dict) -> str:
    """A directory name that says what the run changes, e.g. "model=rnn,seed=1"."""
    parts = [overrides["config"]] if overrides.get("config") else []
    parts += [f"{key}={value}" for key, value in overrides.items() if key != "config"]
    name = ",".join(parts) or "default"
    return name.replace("/", "_").replace(" ", "")


def _value(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def launch_command(config: str, overrides: dict, workdir: str, common: list[str]) -> list[str]:
    path, _, argument = config.partition(":")
    argument = ",".join(filter(None, [argument, overrides.get("config", "")]))
    command = ["python", "launch.py", f"--config={path}" + (f":{argument}" if argument else ""),
               f"--workdir={workdir}"]
    command += [f"--config.{key}={_value(value)}" for key, value in overrides.items() if key != "config"]
    return command + [f"--config.{item}" for item in common]


def plan(config: str, sweep_dir: str, common: list[str], grid: list[str] = ()) -> list[tuple[str, dict, list[str]]]:
    """(run name, overrides, launch command) per run (of `grid` if given, else declared), in order; run names
    must differ."""
    runs = [(run_name(o), o) for o in (grid_runs(grid) if grid else declared_runs(config))]
    names = [name for name, _ in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"Sweep runs must differ; got the names {names}.")
    planned = [(name, o, launch_command(config, o, os.path.join(sweep_dir, name), common)) for name, o in runs]
    for _, _, command in planned:  # a misspelt --set or --grid field stops the sweep before any run starts
        flag_checks.check(command[2:])
    return planned


def is_finished(workdir: str) -> bool:
    return os.path.exists(os.path.join(workdir, "summary.json"))


def write_declaration(config: str, planned, sweep_dir: str) -> None:
    """sweep.json: the config and each run's overrides, which `train.collect` shows as columns."""
    os.makedirs(sweep_dir, exist_ok=True)
    with open(os.path.join(sweep_dir, "sweep.json"), "w") as f:
        json.dump({"config": config, "runs": {name: o for name, o, _ in planned}}, f, indent=2)


def run_locally(planned, sweep_dir: str) -> None:
    """Runs each unfinished run in turn. A run that fails (a diverged learning rate, say) is reported and the
    sweep goes on to the next; the sweep exits with an error naming the failed runs at the end. SIGTERM is passed
    on to the running one (which saves a checkpoint) and stops the sweep."""
    failed = []
    for name, _, command in planned:
        workdir = os.path.join(sweep_dir, name)
        if is_finished(workdir):
            print(f"[sweep] {name}: finished already, skipped", flush=True)
            continue
        print(f"[sweep] {name}: {shlex.join(command)}", flush=True)
        child = subprocess.Popen([sys.executable, *command[1:]], cwd=REPO)
        terminated = []

        def pass_on(signum, frame, child=child, terminated=terminated):
            terminated.append(signum)
            child.send_signal(signum)

        previous = signal.signal(signal.SIGTERM, pass_on)
        try:
            status = child.wait()
        finally:
            signal.signal(signal.SIGTERM, previous)
        if terminated or (status == 0 and not is_finished(workdir)):
            raise SystemExit(f"[sweep] {name} stopped before the end (preempted); rerun to resume the sweep.")
        if status != 0:
            print(f"[sweep] {name} failed with status {status} (its error is above); going on.", flush=True)
            failed.append(name)
    if failed:
        raise SystemExit(f"[sweep] {len(failed)} of {len(planned)} runs failed: {', '.join(failed)}. The others "
                         "finished; rerunning the sweep retries the failed ones from their last checkpoints.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    sweep_dir = os.path.abspath(flags.FLAGS.workdir)
    try:
        planned = plan(flags.FLAGS.config, sweep_dir, flags.FLAGS.set, flags.FLAGS.grid)
    except (FileNotFoundError, ValueError) as error:  # a bad config, argument, grid or override: no traceback
        raise SystemExit(f"[sweep] {error}") from None
    if flags.FLAGS.print_commands:
        for _, _, command in planned:
            print(shlex.join(command))
        return
    write_declaration(flags.FLAGS.config, planned, sweep_dir)
    run_locally(planned, sweep_dir)


if __name__ == "__main__":  # flags are defined only when run, so the tools import together
    flags.DEFINE_string("config", None, "configs/<file>.py[:arguments] declaring get_sweep (unless --grid).",
                        required=True)
    flags.DEFINE_string("workdir", None, "Directory that holds one workdir per run (and sweep.json).",
                        required=True)
    flags.DEFINE_bool("print_commands", False, "Print one launch command per run instead of running them.")
    flags.DEFINE_multi_string("grid", [], "key=v1,v2,...: one axis of a Cartesian-product sweep run instead of "
                              "the config's get_sweep (key: a config argument, or config.<field>).")
    flags.DEFINE_multi_string("set", [], "field=value override added to every run (data.data_dir=../shared/data).")
    app.run(main)
