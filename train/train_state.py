"""The train state: everything a resumed run needs besides the config."""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax import struct
from jax.sharding import Mesh

from train import sharding


@struct.dataclass
class TrainState:
    """step; params; model_state (non-trainable collections, e.g. batch_stats); opt_state; rng (raw uint32 key
    from which every per-step key, including the data order, is derived, so a resumed run sees the same data)."""

    step: jax.Array
    params: Any
    model_state: Any
    opt_state: Any
    rng: jax.Array


def create(model: nn.Module, tx, example_inputs, seed: int, mesh: Mesh) -> TrainState:
    """Shape-first sharded initialisation: trace `init` abstractly, choose shardings, then run it jitted with
    those output shardings so no parameter is ever materialised on one device first."""

    def init(rng):
        init_rng, train_rng = jax.random.split(rng)
        inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
        variables = model.init({"params": init_rng, "dropout": init_rng}, *inputs, train=False)
        params = variables.pop("params")
        return TrainState(
            step=jnp.zeros([], jnp.int32), params=params, model_state=dict(variables),
            opt_state=tx.init(params), rng=train_rng,
        )

    abstract = jax.eval_shape(init, jax.random.PRNGKey(seed))
    # Data parallelism: the state is replicated. (Model parallelism would choose other specs here.)
    shardings = jax.tree.map(lambda _: sharding.replicated(mesh), abstract)
    key = jax.random.PRNGKey(seed)
    # `init` runs once. On the CPU, LLVM spends seconds optimising its unrolled random-bit code for nothing
    # (2.6 s -> 0.5 s for LeCun 1989 at level 0), so compile it unoptimised there.
    options = {"xla_backend_optimization_level": 0} if jax.default_backend() == "cpu" else None
    return jax.jit(init, out_shardings=shardings).lower(key).compile(compiler_options=options)(key)


def abstract_like(state: TrainState):
    """ShapeDtypeStructs (with shardings) describing `state`, for restoring a checkpoint into its layout."""
    return jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=a.sharding), state)
