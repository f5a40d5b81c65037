"""A trained model from its workdir: the config it ran with and its latest checkpoint's variables, for tools that
use a model after training (decoding, plots, analysis)."""

import json
import os

import ml_collections
import orbax.checkpoint as ocp

import models


def load(workdir: str, step: int | None = None):
    """(config, model, variables) of the run in `workdir`, at `step` or its latest checkpoint."""
    config_path = os.path.join(workdir, "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(f"{workdir} holds no config.json: not a training workdir (see launch.py).")
    with open(config_path) as f:
        config = ml_collections.ConfigDict(json.load(f))
    manager = ocp.CheckpointManager(os.path.abspath(os.path.join(workdir, "checkpoints")))
    step = manager.latest_step() if step is None else step
    if step is None:
        raise FileNotFoundError(f"{workdir}/checkpoints holds no checkpoint yet.")
    state = manager.restore(step, args=ocp.args.StandardRestore())
    manager.close()
    variables = {"params": state["params"], **state.get("model_state", {})}
    return config, models.build(config.model), variables
