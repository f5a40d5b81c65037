"""Checks `--config=<file>[:<argument>]` and its `--config.<field>=<value>` overrides before absl parses them.

ml_collections reports a missing config file as a chained OSError ("Failed loading config file config_config"),
and an override of a field the config lacks as a bare AttributeError, unless a close match exists; these checks
turn both into errors that name the problem and the valid choices.
"""

import difflib
import glob
import importlib.util
import os
from collections.abc import Sequence

import ml_collections

CONFIG_DIR = os.path.dirname(os.path.abspath(__file__))


def load_module(path: str):
    """The config module at `path` (a .py file), imported under its own name."""
    if not (os.path.isfile(path) and path.endswith(".py")):
        raise FileNotFoundError(f"No config file {path!r}; the configs are: {available_configs()}.")
    spec = importlib.util.spec_from_file_location(f"config_{os.path.basename(path)[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def available_configs() -> list[str]:
    """The config files of configs/ (those defining get_config), as paths relative to the working directory."""
    def defines_get_config(path):
        with open(path) as f:
            return "\ndef get_config(" in f.read()

    return sorted(os.path.relpath(p) for p in glob.glob(os.path.join(CONFIG_DIR, "*.py")) if defines_get_config(p))


def check(argv: Sequence[str], flag: str = "config") -> None:
    """Raises FileNotFoundError or ValueError for the first problem: a `--<flag>` file that does not exist, a
    config argument it rejects, or a `--<flag>.<field>` override naming no field of that config. The rest is left
    to absl and ml_collections (a missing flag, a value of the wrong type)."""
    spec = _value_of(argv, flag)
    if spec is None:
        return
    path, _, argument = spec.partition(":")
    module = load_module(path)
    config = module.get_config(argument) if argument else module.get_config()  # its argument errors, too
    for item in argv:
        if item.startswith(f"--{flag}."):
            check_field(config, item[len(flag) + 3:].split("=", 1)[0], f"--{flag}.")


def check_field(config: ml_collections.ConfigDict, dotted: str, prefix: str = "") -> None:
    """Raises ValueError if `dotted` (e.g. "optimizer.momentum") names no field of `config`, listing the fields of
    the deepest part that exists and the closest matches."""
    node, walked = config, []
    for part in dotted.split("."):
        if not isinstance(node, ml_collections.ConfigDict):
            return  # inside a leaf value (a tuple index, say): left to ml_collections
        if part not in node:
            where = f"{prefix}{'.'.join(walked)}" if walked else "the config"
            close = difflib.get_close_matches(part, list(node.keys()), n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"{prefix}{dotted}: {where} has no field {part!r}.{hint} Its fields: "
                             f"{sorted(node.keys())}.")
        node = node[part]
        walked.append(part)


def _value_of(argv: Sequence[str], flag: str) -> str | None:
    for i, item in enumerate(argv):
        if item.startswith(f"--{flag}="):
            return item.split("=", 1)[1]
        if item == f"--{flag}" and i + 1 < len(argv):
            return argv[i + 1]
    return None
