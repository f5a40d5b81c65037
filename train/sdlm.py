"""Stochastic diagonal Levenberg-Marquardt (LeCun et al. 1998, Appendix C), the optimiser of LeNet-5.

Each parameter k gets its own step size eta / (mu + h_kk), where h_kk estimates the diagonal of the Gauss-Newton
approximation of the Hessian. The paper re-estimates h_kk "on 500 patterns before each pass" and uses mu = 0.02.

The paper obtains h_kk by back-propagating diagonal second derivatives (eqs. 21-26), which drops the cross terms
between connections that share a weight. We instead compute the exact Gauss-Newton diagonal of a squared error
on the chosen model outputs, without materialising the Jacobian: for Rademacher vectors v, E[(J^T v)^2] = diag(J^T
J). It is the same quantity the paper approximates, measured without its extra approximation.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax


class SDLMState(NamedTuple):
    count: jax.Array
    curvature: optax.Params  # h_kk, one per parameter, refreshed by `estimate_curvature`


def sdlm(learning_rate: optax.ScalarOrSchedule, mu: float = 0.02) -> optax.GradientTransformation:
    def init(params):
        return SDLMState(jnp.zeros([], jnp.int32), jax.tree.map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        del params
        eta = learning_rate(state.count) if callable(learning_rate) else learning_rate
        updates = jax.tree.map(lambda g, h: -eta * g / (mu + h), updates, state.curvature)
        return updates, SDLMState(state.count + 1, state.curvature)

    return optax.GradientTransformation(init, update)


def estimate_curvature(
    outputs_fn: Callable[[optax.Params, jax.Array], jax.Array],
    params: optax.Params,
    inputs: jax.Array,
    rng: jax.Array,
) -> optax.Params:
    """Gauss-Newton diagonal of E = sum_j (outputs_j - target_j)^2, averaged over the examples of `inputs`.

    `outputs_fn(params, inputs)` maps a batch to (batch, features); the squared error's Hessian in the outputs is
    2I, so h = 2 * mean_p diag(J_p^T J_p), estimated with one Rademacher vector per example.
    """

    def projected(p, x, v):
        return jnp.sum(outputs_fn(p, x[None])[0] * v)

    probe_shape = jax.eval_shape(outputs_fn, params, inputs[:1]).shape[1:]
    probes = jax.random.rademacher(rng, (inputs.shape[0], *probe_shape), jnp.float32)
    per_example = jax.vmap(jax.grad(projected), in_axes=(None, 0, 0))(params, inputs, probes)
    return jax.tree.map(lambda g: 2.0 * jnp.mean(g * g, axis=0), per_example)


def set_curvature(opt_state, curvature: optax.Params):
    """Returns `opt_state` with the curvature of its SDLMState replaced (wherever it sits in an optax chain)."""
    if isinstance(opt_state, SDLMState):
        return opt_state._replace(curvature=curvature)
    if isinstance(opt_state, tuple):
        parts = [set_curvature(s, curvature) for s in opt_state]
        return type(opt_state)(*parts) if hasattr(opt_state, "_fields") else tuple(parts)
    return opt_state
