"""Stochastic diagonal Levenberg-Marquardt (LeCun et al. 1998, Appendix C), the optimiser of LeNet-5, and of
LeCun et al. 1989 ("a special version of Newton's algorithm that uses a positive, diagonal approximation of the
Hessian matrix"; `configs/lecun1989.py:sdlm`).

Each parameter k gets its own step size eta / (mu + h_kk), where h_kk estimates the second derivative of the loss
in w_k. The paper re-estimates h_kk "on 500 patterns before each pass" and uses mu = 0.02.

Two estimates of h_kk (`optimizer.curvature`):
- "backpropagated", the paper's (Appendix C; `backpropagated_curvature`): second derivatives back-propagated like
  gradients, but with squared weights and squared derivatives of the squashing function (the Gauss-Newton
  approximation, which drops f''), and for a shared weight the sum of its connections' second derivatives, which
  drops the cross terms between connections. It needs the network as a chain of weighted sums and squashings
  (`ChainLayer`); where a weight multiplies a sum of inputs (LeNet-5's subsampling coefficients), the sum is
  that connection's one input, as in the LeCun lab's EBLearn.
- "gauss_newton" (`gauss_newton_curvature`): the exact diagonal of the Gauss-Newton matrix that the paper
  approximates, no cross term dropped, for any network, estimated with Rademacher probes: for random signs v,
  E[(J^T v)^2] = diag(J^T J). Where weights are shared it is larger, so steps are smaller: 2.5-14x in
  LeNet-5's C1-C3, equal in F6. `configs/lenet5.py` says which it uses, and why.

`train/sdlm_rates.py` prints the step sizes of a pass (the paper reports LeNet-5's first).
"""

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax


class SDLMState(NamedTuple):
    count: jax.Array
    curvature: optax.Params  # h_kk, one per parameter, refreshed before each pass (`set_curvature`)


def sdlm(learning_rate: optax.ScalarOrSchedule, mu: float = 0.02) -> optax.GradientTransformation:
    def init(params):
        return SDLMState(jnp.zeros([], jnp.int32), jax.tree.map(jnp.zeros_like, params))

    def update(updates, state, params=None):
        del params
        eta = learning_rate(state.count) if callable(learning_rate) else learning_rate
        updates = jax.tree.map(lambda g, h: -eta * g / (mu + h), updates, state.curvature)
        return updates, SDLMState(state.count + 1, state.curvature)

    return optax.GradientTransformation(init, update)


def gauss_newton_curvature(
    outputs_fn: Callable[[optax.Params, jax.Array], jax.Array],
    params: optax.Params,
    inputs: jax.Array,
    rng: jax.Array,
    output_curvature: float = 2.0,
) -> optax.Params:
    """Exact Gauss-Newton diagonal of a squared error in the outputs, averaged over the examples of `inputs`.

    `outputs_fn(params, inputs)` maps a batch to (batch, features); the loss's Hessian in the outputs is
    `output_curvature` times I (2 for E = sum_j (outputs_j - target_j)^2), so h = output_curvature *
    mean_p diag(J_p^T J_p), estimated with one Rademacher vector per example.
    """

    def projected(p, x, v):
        return jnp.sum(outputs_fn(p, x[None])[0] * v)

    probe_shape = jax.eval_shape(outputs_fn, params, inputs[:1]).shape[1:]
    probes = jax.random.rademacher(rng, (inputs.shape[0], *probe_shape), jnp.float32)
    per_example = jax.vmap(jax.grad(projected), in_axes=(None, 0, 0))(params, inputs, probes)
    return jax.tree.map(lambda g: output_curvature * jnp.mean(g * g, axis=0), per_example)


class ChainLayer(NamedTuple):
    """One layer of the chain `backpropagated_curvature` walks: a = weighted_sum(params, connection_inputs(x)).

    connection_inputs: what the layer's weights multiply, computed from its input x without parameters, each entry
      a sum of entries of x (a selection, a reshape, the sum of a subsampling window): its Jacobian's entries are
      0 or 1, so second derivatives pass back through it unchanged. The identity for most layers.
    weighted_sum: the layer's weighted sums, bilinear in (its weights, those inputs) plus a bias.
    """

    connection_inputs: Callable[[jax.Array], jax.Array]
    weighted_sum: Callable[[optax.Params, jax.Array], jax.Array]


def _identity(x):
    return x


def backpropagated_curvature(
    layers: Sequence[ChainLayer | Callable[[optax.Params, jax.Array], jax.Array]],
    squash: Callable[[jax.Array], jax.Array],
    params: optax.Params,
    inputs: jax.Array,
    output_curvature: float = 2.0,
) -> optax.Params:
    """The paper's h_kk (LeCun et al. 1998, Appendix C), averaged over the examples of `inputs`.

    The network is the chain x_0 = input, u_l = connection_inputs_l(x_{l-1}), a_l = weighted_sum_l(params, u_l),
    x_l = squash(a_l) (a plain callable (params, x) -> a is a layer whose connection inputs are x itself). With
    the loss's second derivative `output_curvature` in every unit of the last x (2 for a squared error, as in the
    RBF units' penalty), the paper's recursion is
        d2E/da_i^2 = f'(a_i)^2 d2E/dx_i^2,    d2E/du_j^2 = sum_i w_ij^2 d2E/da_i^2,
        h_kk = sum over the connections (i, j) that share weight k of u_j^2 d2E/da_i^2 (a bias: u_j = 1),
    and d2E/dx^2 gathers d2E/du^2 back through connection_inputs' 0/1 entries. That is the back-propagation
    (transpose) of the chain's linearisation with every factor squared: weights w^2, inputs u^2, derivatives
    f'(a)^2. We build that squared linear map from each weighted sum's own calls (its linearisation at
    (params^2, u^2): ws(delta, u^2) + ws(params^2, du) - ws(params^2, 0), exact for a bilinear sum plus a bias)
    and let `jax.vjp` transpose it, so any layer of that form works without its own rule, including layers with
    a hand-written backward pass (`jax.custom_vjp`, which forward-mode `jax.jvp` cannot enter: LeCun 1989's
    strided convolutions).

    What counts as one connection matters where a weight multiplies a sum: LeNet-5's S2 and S4 add the four inputs
    of a window and multiply the sum by the coefficient (II.B), so their connection input is the sum and h gets
    (x_1 + ... + x_4)^2, as the LeCun lab's EBLearn computes it (`subsampling_module::bbprop`), not
    x_1^2 + ... + x_4^2.
    """

    layers = [layer if isinstance(layer, ChainLayer) else ChainLayer(_identity, layer) for layer in layers]
    squared_params = jax.tree.map(jnp.square, params)

    def per_example(x):
        def squared_chain(delta):  # parameter perturbation -> squared-factor perturbation of the last layer
            state, tangent = x[None], jnp.zeros_like(x[None])
            for layer in layers:
                u, tangent_u = jax.jvp(layer.connection_inputs, (state,), (tangent,))  # 0/1 entries: unsquared
                a = layer.weighted_sum(params, u)
                squared_u = jnp.square(u)
                da = (layer.weighted_sum(delta, squared_u) + layer.weighted_sum(squared_params, tangent_u)
                      - layer.weighted_sum(squared_params, jnp.zeros_like(tangent_u)))  # the bias counted once
                slope = jax.jvp(squash, (a,), (jnp.ones_like(a),))[1]
                state, tangent = squash(a), jnp.square(slope) * da
            return tangent

        out, transpose = jax.vjp(squared_chain, jax.tree.map(jnp.zeros_like, params))
        return transpose(jnp.full_like(out, output_curvature))[0]

    return jax.tree.map(lambda h: jnp.mean(h, axis=0), jax.vmap(per_example)(inputs))


def model_chain(model, variables: dict):
    """The (layers, squash) arguments of `backpropagated_curvature` for a flax model that declares its chain: a
    CHAIN of layer names and `connection_inputs(name, x)`, `weighted_sum(name, u)` and `squash(a)` methods (as
    `models.lenet5.LeNet5`). `variables` are the model's variables other than its parameters."""
    required = ("CHAIN", "connection_inputs", "weighted_sum", "squash")
    if not all(hasattr(model, attr) for attr in required):
        raise ValueError(
            f"optimizer.curvature='backpropagated' (LeCun et al. 1998's estimate) needs a model that declares its "
            f"chain of layers ({', '.join(required)}), as LeNet5 and LeCun1989 do; {type(model).__name__} does not. "
            f"Set optimizer.curvature='gauss_newton' for any model.")
    cls = type(model)

    def connection_inputs(name, x):
        return model.apply({"params": {}, **variables}, name, x, method=cls.connection_inputs)

    def weighted_sum(name, params, u):
        return model.apply({"params": params, **variables}, name, u, method=cls.weighted_sum)

    def squash(a):
        return model.apply({"params": {}, **variables}, a, method=cls.squash)

    layers = [ChainLayer(functools.partial(connection_inputs, name), functools.partial(weighted_sum, name))
              for name in model.CHAIN]
    return layers, squash


def get_curvature(opt_state) -> optax.Params:
    """The curvature of the SDLMState in `opt_state` (wherever it sits in an optax chain)."""
    if isinstance(opt_state, SDLMState):
        return opt_state.curvature
    for part in opt_state if isinstance(opt_state, tuple) else ():
        found = get_curvature(part)
        if found is not None:
            return found
    return None


def set_curvature(opt_state, curvature: optax.Params):
    """Returns `opt_state` with the curvature of its SDLMState replaced (wherever it sits in an optax chain)."""
    if isinstance(opt_state, SDLMState):
        return opt_state._replace(curvature=curvature)
    if isinstance(opt_state, tuple):
        parts = [set_curvature(s, curvature) for s in opt_state]
        return type(opt_state)(*parts) if hasattr(opt_state, "_fields") else tuple(parts)
    return opt_state
