"""Schedules, optimisers (AlexNet's momentum form, SDLM), durations and the classification losses."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import lenet5 as lenet5_config
from models import lecun1989, lenet5
from models.layers.subsampling import TrainableSubsampling, window_sums
from train import durations, optimizers, schedules, sdlm, sdlm_rates
from train.tasks.classification import Classification


def test_step_schedule_is_lenet5s():
    schedule = schedules.build(
        {"name": "step", "values": (5e-4, 2e-4, 1e-4, 5e-5, 1e-5), "boundaries_epochs": (2, 5, 8, 12)},
        steps_per_epoch=10, total_steps=200,
    )
    assert [float(schedule(s)) for s in (0, 19, 20, 49, 50, 80, 119, 120, 199)] == pytest.approx(
        [5e-4, 5e-4, 2e-4, 2e-4, 1e-4, 5e-5, 5e-5, 1e-5, 1e-5])
    for values, boundaries in (((0.1, 0.0), (10,)), ((0.1, 0.01, 0.001), (20, 10))):
        with pytest.raises(ValueError, match="Step schedule needs positive values and increasing boundaries"):
            schedules.build({"name": "step", "values": values, "boundaries_steps": boundaries}, 10, 200)
    with pytest.raises(ValueError, match="one more value than boundaries"):
        schedules.build({"name": "step", "values": (0.1,), "boundaries_steps": (10,)}, 10, 200)


def test_warmup_then_cosine():
    schedule = schedules.build({"name": "cosine", "learning_rate": 1.0, "warmup_steps": 10}, 5, 110)
    assert float(schedule(0)) == 0.0 and float(schedule(5)) == pytest.approx(0.5)
    assert float(schedule(10)) == pytest.approx(1.0) and float(schedule(110)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="Unknown schedule 'linear'"):
        schedules.build({"name": "linear"}, 5, 10)
    with pytest.raises(ValueError, match=r"schedule.learning_rate=-0.1 must be >= 0"):
        schedules.build({"name": "cosine", "learning_rate": -0.1}, 5, 10)


def test_optimizer_fields_out_of_range_are_errors_naming_the_range():
    schedule = optax.constant_schedule(0.1)
    for fields, message in (({"momentum": 1.0}, r"optimizer.momentum=1.0 is outside \[0.0, 1.0\)"),
                            ({"weight_decay": -1e-4}, r"optimizer.weight_decay=-0.0001 is outside \[0.0, inf\]"),
                            ({"name": "adamw", "b2": 1.5}, r"optimizer.b2=1.5 is outside")):
        with pytest.raises(ValueError, match=message):
            optimizers.build({"name": "sgd", **fields}, schedule)


def test_durations_in_steps_or_epochs():
    assert durations.to_steps({"train_epochs": 2.5}, "train", 10) == 25
    assert durations.to_steps({"train_steps": 7}, "train", 10) == 7
    assert durations.to_steps({}, "eval_every", 10, default=3) == 3
    with pytest.raises(ValueError, match="not both"):
        durations.to_steps({"train_steps": 7, "train_epochs": 1.0}, "train", 10)
    with pytest.raises(ValueError, match=r"train_steps / train_epochs must be positive \(0: unset\); got 0 and -1"):
        durations.to_steps({"train_epochs": -1.0}, "train", 10)


def test_alexnet_sgd_is_the_papers_update_rule():
    lr, momentum, wd = 0.1, 0.9, 0.0005
    tx = optimizers.build({"name": "alexnet_sgd", "momentum": momentum, "weight_decay": wd},
                          optax.constant_schedule(lr)).tx
    w, v = jnp.array([1.0, -2.0]), jnp.zeros(2)
    params, state = w, tx.init(w)
    for grad in (jnp.array([0.5, 0.1]), jnp.array([-0.2, 0.3])):
        v = momentum * v - wd * lr * w - lr * grad  # Krizhevsky et al. 2012, section 5
        w = w + v
        updates, state = tx.update(grad, state, params)
        params = optax.apply_updates(params, updates)
        np.testing.assert_allclose(params, w, rtol=1e-6)


def test_unknown_optimizer_lists_choices():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'sgdm'; choose one of \['sgd', 'alexnet_sgd'"):
        optimizers.build({"name": "sgdm"}, optax.constant_schedule(0.1))


def test_sdlm_curvature_is_the_exact_gauss_newton_diagonal_for_a_linear_map():
    # outputs = x W: J^T v for W_jk is x_j v_k, so (J^T v)^2 = x_j^2 exactly for any Rademacher v.
    x = jax.random.normal(jax.random.PRNGKey(0), (50, 3))
    params = {"w": jnp.ones((3, 4))}
    h = sdlm.gauss_newton_curvature(lambda p, inputs: inputs @ p["w"], params, x, jax.random.PRNGKey(1))
    expected = 2.0 * jnp.mean(x**2, axis=0)[:, None] * jnp.ones((1, 4))
    np.testing.assert_allclose(h["w"], expected, rtol=1e-5)


def test_backpropagated_curvature_follows_the_papers_recursion():
    # Two squashed dense layers, the recursion of LeCun et al. 1998, Appendix C, written out for one example.
    rng = np.random.default_rng(0)
    params = {"1": {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=4)},
              "2": {"w": rng.normal(size=(4, 2)), "b": rng.normal(size=2)}}
    params = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), params)
    layers = [lambda p, x, k=k: x @ p[k]["w"] + p[k]["b"] for k in ("1", "2")]
    x = jnp.asarray(rng.normal(size=(1, 3)), jnp.float32)
    h = sdlm.backpropagated_curvature(layers, jnp.tanh, params, x)

    def slope(a):
        return 1.0 - np.tanh(a) ** 2

    x0 = np.asarray(x[0], np.float64)
    p = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
    a1 = x0 @ p["1"]["w"] + p["1"]["b"]
    a2 = np.tanh(a1) @ p["2"]["w"] + p["2"]["b"]
    d2e_da2 = slope(a2) ** 2 * 2.0  # the squared error's 2, through f'(a)^2
    d2e_da1 = slope(a1) ** 2 * (p["2"]["w"] ** 2 @ d2e_da2)  # squared weights carry it down
    expected = {"1": {"w": np.outer(x0**2, d2e_da1), "b": d2e_da1},
                "2": {"w": np.outer(np.tanh(a1) ** 2, d2e_da2), "b": d2e_da2}}
    jax.tree.map(lambda got, want: np.testing.assert_allclose(got, want, rtol=1e-5), h, expected)


def test_backpropagated_curvature_drops_the_cross_terms_of_a_shared_weight():
    # One unit, a = c x1 + c x2: two connections sharing c. The paper sums each connection's second derivative,
    # 2 (x1^2 + x2^2); the exact Gauss-Newton diagonal is 2 (x1 + x2)^2.
    params = {"c": jnp.array(0.7)}
    x = jnp.array([[1.0, 3.0]])

    def two_connections(p, inputs):
        return p["c"] * inputs[:, :1] + p["c"] * inputs[:, 1:]

    h = sdlm.backpropagated_curvature([two_connections], lambda a: a, params, x)
    np.testing.assert_allclose(h["c"], 2.0 * (1.0 + 9.0), rtol=1e-6)
    exact = sdlm.gauss_newton_curvature(two_connections, params, x, jax.random.PRNGKey(0))
    np.testing.assert_allclose(exact["c"], 2.0 * 4.0**2, rtol=1e-6)


def test_a_subsampling_coefficient_multiplies_one_input_the_window_sum():
    # LeNet-5's S2 adds a window's four inputs, then multiplies the sum by the coefficient (II.B): one connection,
    # whose input is the sum, so h = 2 sum_units (window sum)^2, as the LeCun lab's EBLearn computes it, not
    # 2 sum_units sum_window x^2. Second derivatives reach each input through the sum: c^2 times the unit's.
    layer = TrainableSubsampling()
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 4, 4, 2))
    params = {"S": layer.init(jax.random.PRNGKey(1), x)["params"], "w": jnp.ones((1, 2, 2, 2))}
    chain = [sdlm.ChainLayer(lambda inputs: window_sums(inputs, 2),
                             lambda p, u: layer.apply({"params": p["S"]}, u, method=layer.weigh)),
             lambda p, inputs: jnp.sum(inputs * p["w"])]  # a linear read-out: d2E/da^2 = 2 in every S unit
    h = sdlm.backpropagated_curvature(chain, lambda a: a, params, x)
    sums = np.asarray(window_sums(x, 2))
    np.testing.assert_allclose(h["S"]["coefficient"], 2.0 * (sums**2).sum(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(h["S"]["bias"], 2.0 * 4.0, rtol=1e-6)  # four units per map, input 1


def test_lenet5_curvatures_agree_where_no_weight_is_shared():
    # F6 is fully connected and last: no connection shares a weight there, so both estimates are exact and equal.
    # Below it they differ (the cross terms between connections that share a weight).
    model = lenet5.LeNet5(initializer="lecun_2.4_over_sqrt_fan_in")
    x = jax.random.uniform(jax.random.PRNGKey(0), (4, 32, 32, 1), minval=-0.1, maxval=1.175)
    params = model.init(jax.random.PRNGKey(1), x[:1])["params"]
    paper = jax.jit(lambda p: sdlm.backpropagated_curvature(*sdlm.model_chain(model, {}), p, x))(params)
    exact = jax.jit(lambda p: sdlm.gauss_newton_curvature(
        lambda p, inputs: model.apply({"params": p}, inputs, method=model.features), p, x, jax.random.PRNGKey(2)))(
        params)
    assert jax.tree.structure(paper) == jax.tree.structure(params)
    np.testing.assert_allclose(paper["F6"]["kernel"], exact["F6"]["kernel"], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(paper["F6"]["bias"], exact["F6"]["bias"], rtol=1e-4)
    assert float(jnp.mean(paper["S2"]["coefficient"])) < float(jnp.mean(exact["S2"]["coefficient"]))
    assert all(bool(jnp.all(h >= 0)) for h in jax.tree.leaves(paper))


def test_lecun1989_curvature_is_the_papers_recursion_through_its_strided_layers():
    # LeCun 1989's strided convolutions have a hand-written backward pass (jax.custom_vjp), which forward-mode
    # differentiation cannot enter; the curvature's squared chain must still carry second derivatives through them.
    # The recursion written out in numpy: d2E/da = f'(a)^2 d2E/dx, d2E/dx = W^2 d2E/da above, from 2/10 at the
    # outputs (the mean of ten squares); a unit's own bias gets its d2E/da, H1's shared 5x5 kernel the sum over its
    # 64 positions of (bordered input)^2 d2E/da. H3 and the output are fully connected, so there both equal the
    # exact Gauss-Newton diagonal as well (nothing shared, one unit per weight).
    model = lecun1989.LeCun1989()
    x = jax.random.uniform(jax.random.PRNGKey(0), (3, 16, 16, 1), minval=-1.0, maxval=1.0)
    params = model.init(jax.random.PRNGKey(1), x[:1])["params"]
    h = jax.jit(lambda p: sdlm.backpropagated_curvature(*sdlm.model_chain(model, {}), p, x, 0.2))(params)

    def run(method, *args):
        return np.asarray(model.apply({"params": params}, *args, method=method), np.float64)

    pre, inputs, state = {}, {}, x
    for name in model.CHAIN:
        inputs[name] = run(lecun1989.LeCun1989.connection_inputs, name, state)
        pre[name] = run(lecun1989.LeCun1989.weighted_sum, name, inputs[name])
        state = run(lecun1989.LeCun1989.squash, pre[name])
    slope2 = {name: (1.7159 * 2 / 3 * (1 - np.tanh(2 * a / 3) ** 2)) ** 2 for name, a in pre.items()}
    d2a_out = slope2["output"] * 0.2
    d2a_h3 = slope2["H3"] * (d2a_out @ np.asarray(params["output"]["kernel"], np.float64).T ** 2)
    d2x_h2 = d2a_h3 @ np.asarray(params["H3"]["kernel"], np.float64).T ** 2
    d2a_h2 = slope2["H2"] * d2x_h2.reshape(pre["H2"].shape)
    d2x_h1 = np.zeros(inputs["H2"].shape)  # bordered H1 state: each H2 unit's 5x5 field, weights squared
    kernel_h2 = np.asarray(params["H2"]["kernel"], np.float64) ** 2
    for o, row in enumerate(lecun1989.H2_CONNECTIONS):
        for c, m in enumerate(row):
            k = sum(len(r) for r in lecun1989.H2_CONNECTIONS[:o]) + c
            for i in range(4):
                for j in range(4):
                    field = d2x_h1[:, 2 * i:2 * i + 5, 2 * j:2 * j + 5, m]  # a view: updated in place
                    field += kernel_h2[:, :, k] * d2a_h2[:, i, j, o, None, None]
    d2a_h1 = slope2["H1"] * d2x_h1[:, 2:-2, 2:-2]
    kernel_h1 = np.zeros((5, 5, 12))
    for i in range(8):
        for j in range(8):
            field = inputs["H1"][:, 2 * i:2 * i + 5, 2 * j:2 * j + 5, :]
            kernel_h1 += (field**2 * d2a_h1[:, i, j, None, None]).sum(0)
    expected = {"H1": {"bias": d2a_h1.mean(0), "kernel": kernel_h1 / 3}, "H2": {"bias": d2a_h2.mean(0)},
                "H3": {"bias": d2a_h3.mean(0), "kernel": np.einsum("pj,pi->ji", inputs["H3"] ** 2, d2a_h3) / 3},
                "output": {"bias": d2a_out.mean(0)}}
    for layer, leaves in expected.items():
        for leaf, want in leaves.items():
            np.testing.assert_allclose(h[layer][leaf], want, rtol=2e-4, err_msg=f"{layer}/{leaf}")
    jacobian = jax.jacrev(lambda p: model.apply({"params": p}, x))(params)  # leaves (3, 10, *shape)
    exact = jax.tree.map(lambda j: 0.2 * jnp.mean(jnp.sum(j**2, axis=1), axis=0), jacobian)
    for layer in ("H3", "output"):
        for leaf in ("kernel", "bias"):
            np.testing.assert_allclose(h[layer][leaf], exact[layer][leaf], rtol=1e-4, atol=1e-12)


def test_backpropagated_curvature_needs_a_declared_chain():
    with pytest.raises(ValueError, match=r"LeNet5Modern does not\. Set optimizer\.curvature='gauss_newton'"):
        sdlm.model_chain(lenet5.LeNet5Modern(), {})
    with pytest.raises(ValueError, match=r"Unknown optimizer.curvature 'exact'; choose one of \['backpropagated', "
                                         r"'gauss_newton'\]"):
        optimizers.build({"name": "sdlm", "curvature": "exact"}, optax.constant_schedule(0.1))


def test_sdlm_step_is_eta_over_mu_plus_h():
    tx = sdlm.sdlm(0.1, mu=0.02)
    params = {"w": jnp.array([1.0, 1.0])}
    state = sdlm.set_curvature(tx.init(params), {"w": jnp.array([0.0, 0.98])})
    updates, _ = tx.update({"w": jnp.array([1.0, 1.0])}, state)
    np.testing.assert_allclose(updates["w"], [-0.1 / 0.02, -0.1 / 1.0], rtol=1e-6)


def test_classification_losses():
    labels = jnp.array([2])
    mse = Classification(3, loss="mse_tanh_targets")
    loss, _ = mse._loss_and_scores(jnp.array([[-1.0, -1.0, 1.0]]), labels)
    assert float(loss[0]) == 0.0
    rbf = Classification(3, loss="rbf_map", rbf_j=2.0)
    penalties = jnp.array([[4.0, 3.0, 0.5]])
    loss, scores = rbf._loss_and_scores(penalties, labels)
    expected = 0.5 + np.log(np.exp(-2.0) + np.exp(-4.0) + np.exp(-3.0) + np.exp(-0.5))  # eq. 9
    assert float(loss[0]) == pytest.approx(expected, rel=1e-6) and int(jnp.argmax(scores)) == 2
    with pytest.raises(ValueError, match="Unknown classification loss 'hinge'"):
        Classification(3, loss="hinge")
    # SDLM's curvature starts from the loss's second derivative: a mean of three squares, or a squared distance.
    assert mse.output_curvature() == pytest.approx(2.0 / 3.0) and rbf.output_curvature() == 2.0
    with pytest.raises(ValueError, match=r"SDLM's curvature needs a squared-error loss .* Choose another optimizer"):
        Classification(3).output_curvature()


def test_lenet5_first_pass_step_sizes_are_the_papers(data_dir, tmp_path):
    # III.C.1: "The resulting effective learning rates during the first pass varied between approximately
    # 7 x 10^-5 and 0.016 over the set of parameters." With the LeCun lab's initialisation (configs/lenet5.py)
    # and the paper's curvature, ours span 1.2e-4 to 0.017 (the trainer's own estimate, seed 0).
    config = lenet5_config.get_config()
    config.data.data_dir = data_dir
    config.optimizer.curvature = "backpropagated"
    rates = np.concatenate([a.ravel() for a in sdlm_rates.pass_rates(config, str(tmp_path)).values()])
    assert rates.size == 60_000
    assert 0.012 <= rates.max() <= 0.020
    assert 7e-5 / 2.5 <= rates.min() <= 7e-5 * 2.5
