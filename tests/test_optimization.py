"""Schedules, optimisers (AlexNet's momentum form, SDLM), durations and the classification losses."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from train import durations, optimizers, schedules, sdlm
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
    h = sdlm.estimate_curvature(lambda p, inputs: inputs @ p["w"], params, x, jax.random.PRNGKey(1))
    expected = 2.0 * jnp.mean(x**2, axis=0)[:, None] * jnp.ones((1, 4))
    np.testing.assert_allclose(h["w"], expected, rtol=1e-5)


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
