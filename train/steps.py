"""The compiled units of work: a chunk of training steps run as one device loop, and a whole-split evaluation.

The training data lives on the devices (dealt out over them, `sharding.put_rows`); every step gathers its batch
from the epoch's permutation, augments it with `jax.random`, and updates the state, all inside one `jax.jit`.
Every random choice is derived from the state's rng and the step number, so splitting training into chunks
differently (or resuming) changes nothing.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh

from input_pipeline.dataset import num_examples
from train import sdlm, sharding
from train.optimizers import Optimizer
from train.tasks.training_apply import cast_floats

# Streams of randomness folded out of the state's rng.
_DATA_ORDER, _STEP, _CURVATURE = 0, 1, 2


def _add(a, b):
    return jax.tree.map(jnp.add, a, b)


# Option-name prefixes of XLA's backend-specific debug options: a config's CPU tuning must not stop it on a GPU.
BACKEND_OPTION_PREFIXES = {"cpu": "xla_cpu_", "gpu": "xla_gpu_", "tpu": "xla_tpu_"}


def for_backend(compiler_options: dict, backend: str) -> dict:
    """The options of `compiler_options` that apply on `backend` ("cpu", "gpu" or "tpu"): those meant for another
    backend (by their xla_cpu_ / xla_gpu_ / xla_tpu_ prefix) are left out; all others are kept."""
    backend = "gpu" if backend in ("cuda", "rocm") else backend
    foreign = tuple(p for b, p in BACKEND_OPTION_PREFIXES.items() if b != backend)
    return {k: v for k, v in compiler_options.items() if not k.startswith(foreign)}


def jit_with_options(fn, compiler_options=None, **jit_kwargs):
    """`jax.jit(fn, **jit_kwargs)`, compiled with XLA `compiler_options` (e.g. CPU fusion flags that help one model
    and hurt another, so they belong to a config rather than to the process's XLA_FLAGS). Compiled on the first
    call; later calls must have the same shapes (the trainer's chunks and evaluations do)."""
    jitted = jax.jit(fn, **jit_kwargs)
    compiler_options = for_backend(compiler_options or {}, jax.default_backend())
    if not compiler_options:
        return jitted
    compiled = []

    def call(*args):
        if not compiled:
            compiled.append(jitted.lower(*args).compile(compiler_options=dict(compiler_options)))
        return compiled[0](*args)

    return call


def gradients(loss_fn, params, model_state, batch, rng, accumulation_steps: int = 1):
    """(grads, metric sums, new model state) of `loss_fn(params, model_state, batch, rng) -> (loss, (sums,
    model_state))`, the batch taken as `accumulation_steps` microbatches one after another and their gradients
    averaged: the gradient of a batch that many times larger than fits in memory. Microbatch j holds examples
    j, j + accumulation_steps, ... so it stays split over the devices. Equal to the whole batch's gradient for
    per-example mean losses (a per-token mean weighs the microbatches equally); BatchNorm sees microbatches."""
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)
    if accumulation_steps == 1:
        (_, (sums, model_state)), grads = grad_fn(params, model_state, batch, rng)
        return grads, sums, model_state
    micro = jax.tree.map(
        lambda a: jnp.swapaxes(a.reshape(a.shape[0] // accumulation_steps, accumulation_steps, *a.shape[1:]), 0, 1),
        batch,
    )

    def body(carry, inputs):
        grads, sums, model_state = carry
        microbatch, index = inputs
        (_, (step_sums, model_state)), step_grads = grad_fn(params, model_state, microbatch,
                                                            jax.random.fold_in(rng, index))
        return (_add(grads, step_grads), _add(sums, step_sums), model_state), None

    first = jax.tree.map(lambda a: a[0], micro)
    sums_shape = jax.eval_shape(loss_fn, params, model_state, first, rng)[1][0]
    zeros = (jax.tree.map(jnp.zeros_like, params), jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), sums_shape),
             model_state)
    (grads, sums, model_state), _ = jax.lax.scan(body, zeros, (micro, jnp.arange(accumulation_steps)))
    return jax.tree.map(lambda g: g / accumulation_steps, grads), sums, model_state


COMPUTE_DTYPES = ("float32", "bfloat16")


def make_train_step(model, task, optimizer: Optimizer, augment, accumulation_steps: int = 1,
                    compute_dtype: str = "float32"):
    """Returns `step(state, batch) -> (state, metric sums)`, not jitted: augment `batch` and take one optimizer
    step on it, its random numbers derived from the state's rng and step number (so the same step draws the same
    numbers however training is split into chunks, or resumed). The batch is computed as `accumulation_steps`
    microbatches (see `gradients`).

    compute_dtype "bfloat16" is mixed precision: the forward and backward passes run on bfloat16 copies of the
    parameters and inputs, while the parameters, optimizer state, gradients and the loss (the model's outputs are
    cast back, see `tasks.training_apply`) stay float32.
    """
    if compute_dtype not in COMPUTE_DTYPES:
        raise ValueError(f"Unknown compute_dtype {compute_dtype!r}; choose one of {list(COMPUTE_DTYPES)}.")

    def loss_fn(params, model_state, batch, rng):
        if compute_dtype != "float32":
            params, batch = cast_floats((params, batch), jnp.dtype(compute_dtype))
        return task.train_loss(model, params, model_state, batch, rng)

    def step(state, batch):
        augment_rng, dropout_rng = jax.random.split(jax.random.fold_in(jax.random.fold_in(state.rng, _STEP),
                                                                       state.step))
        grads, sums, model_state = gradients(loss_fn, state.params, state.model_state, augment(batch, augment_rng),
                                             dropout_rng, accumulation_steps)
        updates, opt_state = optimizer.tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state,
                             model_state=model_state), sums

    return step


def zero_sums(step, state, batch_shape):
    """Zeros shaped like the metric sums `step(state, batch)` returns for a batch of `batch_shape`."""
    sums_shape = jax.eval_shape(step, state, batch_shape)[1]
    return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), sums_shape)


def make_train_chunk(model, task, optimizer: Optimizer, augment, mesh: Mesh, batch_size: int,
                     steps_per_epoch: int, num_train: int, compiler_options=None, accumulation_steps: int = 1,
                     compute_dtype: str = "float32", order: str = "shuffled"):
    """Returns `chunk(state, train_split, num_steps) -> (state, metric sums)`, jitted with the state donated.
    `train_split` holds the `num_train` training examples as `sharding.put_rows` placed them; each step gathers
    its batch of `batch_size` from the epoch's order and runs `make_train_step`'s step on it. That order is a
    fresh permutation each epoch (order "shuffled") or the split's own (order "constant", `InMemoryDataset`).

    A chunk must not cross an epoch boundary (the loop guarantees it): the permutation is computed once per chunk.
    `num_steps` is a traced value, so chunks of any length share one compilation.
    """
    train_step = make_train_step(model, task, optimizer, augment, accumulation_steps, compute_dtype)

    def refresh_curvature(state, train_split, perm, epoch):
        # LeCun et al. 1998, Appendix C: re-estimate the diagonal Hessian on 500 patterns before each pass.
        inputs = sharding.gather_rows(train_split["image"], perm[: optimizer.curvature_samples], mesh,
                                      replicate=True)
        variables = state.model_state
        if optimizer.curvature == "backpropagated":
            layers, squash = sdlm.model_chain(model, variables)
            curvature = sdlm.backpropagated_curvature(layers, squash, state.params, inputs,
                                                      task.output_curvature())
        else:
            method = getattr(model, optimizer.curvature_method)

            def outputs_fn(params, x):
                return model.apply({"params": params, **variables}, x, train=False, method=method)

            rng = jax.random.fold_in(jax.random.fold_in(state.rng, _CURVATURE), epoch)
            curvature = sdlm.gauss_newton_curvature(outputs_fn, state.params, inputs, rng, task.output_curvature())
        return state.replace(opt_state=sdlm.set_curvature(state.opt_state, curvature))

    def chunk(state, train_split, num_steps):
        epoch = state.step // steps_per_epoch
        if order == "constant":
            perm = jnp.arange(num_train)
        else:
            perm = jax.random.permutation(
                jax.random.fold_in(jax.random.fold_in(state.rng, _DATA_ORDER), epoch), num_train
            )
        if optimizer.curvature_samples:
            state = jax.lax.cond(
                state.step % steps_per_epoch == 0,
                lambda s: refresh_curvature(s, train_split, perm, epoch), lambda s: s, state,
            )

        def body(_, carry):
            state, sums = carry
            position = state.step % steps_per_epoch
            indices = jax.lax.dynamic_slice_in_dim(perm, position * batch_size, batch_size)
            state, step_sums = train_step(state, sharding.gather_rows(train_split, indices, mesh))
            return state, _add(sums, step_sums)

        batch_shape = jax.tree.map(
            lambda a: jax.ShapeDtypeStruct((batch_size, *a.shape[1:]), a.dtype), train_split
        )
        return jax.lax.fori_loop(0, num_steps, body, (state, zero_sums(train_step, state, batch_shape)))

    return jit_with_options(chunk, compiler_options, donate_argnums=0)


def make_evaluator(model, task, mesh: Mesh, batch_size: int, compiler_options=None):
    """Returns `evaluate(state, stacked, mask, first_batch, num_batches) -> metric sums` over the batches
    `first_batch, ..., first_batch + num_batches - 1` of `stacked` (see `stack_eval_splits`; placed on the
    devices with `sharding.put_batches`). Padding examples
    have mask 0, so no example is dropped or counted twice. The batch range is traced, so one compilation
    serves every split."""
    def evaluate(state, stacked, mask, first_batch, num_batches):
        variables = {"params": state.params, **state.model_state}

        def batch_sums(index):
            batch, batch_mask = sharding.local_batch((stacked, mask), index, batch_size, mesh)
            return task.eval_sums(model, variables, batch, batch_mask)

        shapes = jax.eval_shape(batch_sums, 0)
        zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        return jax.lax.fori_loop(
            first_batch, first_batch + num_batches, lambda i, sums: _add(sums, batch_sums(i)), zeros
        )

    return jit_with_options(evaluate, compiler_options)


def stack_eval_splits(splits: dict[str, dict], batch_size: int) -> tuple[dict, np.ndarray, dict]:
    """Host-side: pads each split with zeros to a multiple of `batch_size` and stacks them all into one set of
    arrays, so that a single compiled evaluator reads any of them. Returns the arrays, the mask (1 for real
    examples) and, per split name, its (first batch, number of batches)."""
    arrays, masks, ranges, first = [], [], {}, 0
    for name, split in splits.items():
        count = num_examples(split)
        num_batches = -(-count // batch_size)
        pad = num_batches * batch_size - count
        arrays.append({k: np.concatenate([v, np.zeros((pad, *v.shape[1:]), v.dtype)]) for k, v in split.items()})
        masks.append(np.concatenate([np.ones(count, np.float32), np.zeros(pad, np.float32)]))
        ranges[name] = (first, num_batches)
        first += num_batches
    stacked = {k: np.concatenate([a[k] for a in arrays]) for k in arrays[0]}
    return stacked, np.concatenate(masks), ranges
