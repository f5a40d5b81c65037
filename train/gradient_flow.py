"""The vanishing gradient made visible: ||dLoss/dh_t|| against t for the Elman RNN, the LSTM and the GRU.

Each cell (128 units) reads the same batch of adding-problem sequences; the loss is the squared error of a linear
read-out of the last hidden state (the `many_to_one` model of configs/adding_problem.py). dLoss/dh_t is the
gradient with respect to an offset added to h_t (zero), so it counts every path from h_t to the loss (Bengio et
al. 1994; Pascanu et al. 2013, section 2). Drawn at initialisation and, given the adding-problem runs' workdirs,
after training: there the LSTM and GRU carry the gradient back to the marked steps; the Elman RNN's still shrinks
geometrically with the distance T - t.

    python -m train.gradient_flow --png=docs/figures/vanishing_gradients.png --trained=runs/adding_{cell}
"""

import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from input_pipeline import synthetic
from models.layers.recurrent import Recurrent
from train import trained

CELLS = ("rnn", "lstm", "gru")
NAMES = {"rnn": "Elman RNN", "lstm": "LSTM", "gru": "GRU"}


class _ReadOut(nn.Module):
    cell: str
    features: int = 128

    @nn.compact
    def __call__(self, inputs, hidden_offsets=None):
        _, outputs = Recurrent(self.cell, self.features, name="recurrent")(inputs, hidden_offsets=hidden_offsets)
        return nn.Dense(1, name="head")(outputs[:, -1])[:, 0]


def _trained_params(workdir: str, cell: str) -> dict:
    """The read-out's parameters from an adding-problem run (a one-layer `many_to_one` model)."""
    config, _, variables = trained.load(workdir)
    if config.model.name != "many_to_one" or config.model.cell != cell or config.model.num_layers != 1:
        raise ValueError(f"{workdir} is not a one-layer many_to_one run of the {cell!r} cell.")
    params = variables["params"]
    return {"params": {"recurrent": params["recurrent"]["layer0_forward"], "head": params["head"]}}


def gradient_norms(cell: str, length: int = 200, batch: int = 256, seed: int = 0,
                   workdir: str = "") -> np.ndarray:
    """Mean over the batch of ||dLoss/dh_t||, t = 1..length, at initialisation or from the run in `workdir`."""
    data = synthetic.adding_problem(batch, length, np.random.default_rng([seed, 2]))  # not a training sequence
    model = _ReadOut(cell)
    if workdir:
        params = _trained_params(workdir, cell)
    else:
        params = model.init(jax.random.PRNGKey(seed), data["inputs"][:1])

    def loss(offsets):
        return jnp.mean((model.apply(params, data["inputs"], offsets) - data["target"]) ** 2)

    grads = jax.grad(loss)(jnp.zeros((batch, length, model.features)))
    return np.asarray(jnp.mean(jnp.linalg.norm(grads, axis=-1), axis=0))


def plot(panels: dict[str, dict[str, np.ndarray]], path: str) -> None:
    """One panel per title ({"at initialisation": {cell: norms}, ...}), log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), 4.0), squeeze=False)
    for ax, (title, norms) in zip(axes[0], panels.items(), strict=True):
        for cell, values in norms.items():
            ax.semilogy(np.arange(1, len(values) + 1), np.maximum(values, 1e-30), label=NAMES[cell])
        ax.set_xlabel("time step t (the loss reads the last state, t = T)")
        ax.set_ylabel("mean ||dLoss / dh_t||")
        ax.set_title(f"{title}, adding problem, T = {len(values)}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    del argv
    panels = {"at initialisation": {cell: gradient_norms(cell, flags.FLAGS.length) for cell in CELLS}}
    length, workdirs = flags.FLAGS.length, flags.FLAGS.trained
    if workdirs:
        panels["after training"] = {
            cell: gradient_norms(cell, length, workdir=workdirs.format(cell=cell)) for cell in CELLS
        }
    plot(panels, flags.FLAGS.png)
    for title, norms in panels.items():
        for cell, values in norms.items():
            print(f"{title:18s} {NAMES[cell]:10s} ||dL/dh_T|| {values[-1]:.3g}  ||dL/dh_1|| {values[0]:.3g}")
    if flags.FLAGS.json:
        with open(flags.FLAGS.json, "w") as f:
            json.dump({title: {c: v.tolist() for c, v in norms.items()} for title, norms in panels.items()}, f)


if __name__ == "__main__":  # flags are defined only when run, so both tools import together
    flags.DEFINE_string("png", "vanishing_gradients.png", "Where to write the plot.")
    flags.DEFINE_string("json", "", "Optionally, where to write the norms.")
    flags.DEFINE_integer("length", 200, "Sequence length T.", lower_bound=1)
    flags.DEFINE_string(
        "trained", "", "Workdirs of trained adding-problem runs with {cell} standing for rnn, lstm and gru, "
        "e.g. runs/adding_{cell}.")
    app.run(main)
