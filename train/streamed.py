"""Training and evaluation on a `StreamingDataset`: the same step as the in-memory path (`steps.make_train_step`),
fed one global batch at a time from the host, each process contributing its own share of every batch.

`make_train_chunk` and `make_split_evaluator` have the in-memory path's call shapes, so `train.loop` runs both
kinds of dataset the same way.
"""

import jax
import jax.numpy as jnp

from input_pipeline.streaming import StreamingDataset
from train import sharding, steps


def to_global(local_batch: dict, mesh) -> dict:
    """This process's share of a batch -> global arrays split along the mesh's data axis."""
    return jax.tree.map(
        lambda a: jax.make_array_from_process_local_data(sharding.batch_sharded(mesh), a), local_batch
    )


def make_train_chunk(model, task, optimizer, data: StreamingDataset, mesh, batch_size: int,
                     compiler_options=None, accumulation_steps: int = 1, compute_dtype: str = "float32"):
    """Returns `chunk(state, num_steps) -> (state, metric sums)`: `num_steps` steps on the stream's next batches.
    The stream is opened at the state's step on the first call, so a resumed run reads on from where it stopped."""
    if optimizer.curvature_samples:
        raise ValueError("The SDLM optimizer re-estimates curvature on in-memory data; it cannot stream.")
    step_fn = steps.make_train_step(model, task, optimizer, data.augment, accumulation_steps, compute_dtype)
    jitted = steps.jit_with_options(step_fn, compiler_options, donate_argnums=0)
    stream = []

    def chunk(state, num_steps: int):
        if not stream:
            stream.append(data.train_batches(int(state.step), batch_size))
        sums = None
        for _ in range(num_steps):
            state, step_sums = jitted(state, to_global(next(stream[0]), mesh))
            sums = step_sums if sums is None else jax.tree.map(jnp.add, sums, step_sums)
        return state, sums

    return chunk


def make_split_evaluator(model, task, data: StreamingDataset, mesh, batch_size: int, compiler_options=None):
    """Returns `evaluate(state, name) -> metric sums` over the whole split `name`, padding masked out."""

    def batch_sums(state, batch, mask):
        return task.eval_sums(model, {"params": state.params, **state.model_state}, batch, mask)

    jitted = steps.jit_with_options(batch_sums, compiler_options)

    def evaluate(state, name: str):
        total = None  # summed on the device: the host waits once per split, not once per batch
        for batch, mask in data.eval_batches(name, batch_size):
            sums = jitted(state, to_global(batch, mesh), to_global(mask, mesh))
            total = sums if total is None else jax.tree.map(jnp.add, total, sums)
        return total

    return evaluate
