"""ViT: patch embedding against a reshape-based reference, the checkpoint loader, interpolated positions."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from models import vit_checkpoints
from models.vit import Encoder1DBlock, ViT

TINY = dict(patch_size=4, hidden_size=16, num_layers=2, mlp_dim=32, num_heads=2)


def test_patch_embedding_is_a_linear_map_of_each_flattened_patch():
    model = ViT(num_classes=3, **TINY)
    images = jax.random.normal(jax.random.PRNGKey(0), (2, 8, 8, 3))
    params = model.init(jax.random.PRNGKey(1), images)["params"]
    conv = jax.lax.conv_general_dilated(images, params["embedding"]["kernel"], (4, 4), "VALID",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC")) + params["embedding"]["bias"]
    # Reference: cut into 4x4 patches, flatten each (row, column, channel), multiply by the flattened kernel.
    patches = images.reshape(2, 2, 4, 2, 4, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 4, 4 * 4 * 3)
    reference = patches @ params["embedding"]["kernel"].reshape(48, 16) + params["embedding"]["bias"]
    np.testing.assert_allclose(conv.reshape(2, 4, 16), reference, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"patch_size=4 needs images whose sides are multiples of 4; got 10x8"):
        model.init(jax.random.PRNGKey(1), jnp.zeros((1, 10, 8, 3)))  # would silently drop two rows of pixels


def _checkpoint(tmp_path, image_size=8, num_classes=5):
    model = ViT(num_classes=num_classes, **TINY)
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, image_size, image_size, 3)))["params"]
    params = jax.tree.map(lambda x: x + 0.1, params)  # nothing zero, so a fresh head is visible
    path = str(tmp_path / "ViT-tiny.npz")
    vit_checkpoints.save_npz(path, params)
    return path, params


def _template(image_size, num_classes):
    model = ViT(num_classes=num_classes, **TINY)
    return model, jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0),
                                                    jnp.zeros((1, image_size, image_size, 3))))["params"]


def test_checkpoint_round_trip_gives_the_same_model(tmp_path):
    path, params = _checkpoint(tmp_path)
    model, template = _template(8, 5)
    loaded = vit_checkpoints.load(path, template)
    images = jax.random.normal(jax.random.PRNGKey(2), (2, 8, 8, 3))
    np.testing.assert_allclose(model.apply({"params": loaded}, images), model.apply({"params": params}, images),
                               rtol=1e-6)


def test_other_resolution_and_classes_interpolate_positions_and_start_a_fresh_head(tmp_path):
    path, params = _checkpoint(tmp_path, image_size=8, num_classes=5)
    model, template = _template(16, 10)  # a 4x4 patch grid instead of 2x2, 10 classes instead of 5
    loaded = vit_checkpoints.load(path, template)
    old = params["Transformer"]["posembed_input"]["pos_embedding"]
    new = loaded["Transformer"]["posembed_input"]["pos_embedding"]
    assert new.shape == (1, 17, 16)
    np.testing.assert_array_equal(new[:, 0], old[:, 0])  # the class token's embedding is kept
    np.testing.assert_allclose(new[0, 1:].mean(0), old[0, 1:].mean(0), atol=0.05)  # a resized grid
    assert not np.any(loaded["head"]["kernel"]) and loaded["head"]["kernel"].shape == (16, 10)
    np.testing.assert_array_equal(loaded["cls"], params["cls"])
    assert model.apply({"params": loaded}, jnp.zeros((1, 16, 16, 3))).shape == (1, 10)


def test_unknown_and_missing_keys_are_named(tmp_path):
    path, params = _checkpoint(tmp_path)
    flat = vit_checkpoints.flatten(params)
    flat["pre_logits/kernel"] = np.zeros((16, 16))
    del flat["Transformer/encoder_norm/scale"]
    np.savez(tmp_path / "odd.npz", **flat)
    _, template = _template(8, 5)
    with pytest.raises(ValueError, match=r"missing keys \['Transformer/encoder_norm/scale'\]; unknown keys "
                                         r"\['pre_logits/kernel'\]"):
        vit_checkpoints.load(str(tmp_path / "odd.npz"), template)
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz checkpoint"):
        vit_checkpoints.load(str(tmp_path / "broken.npz"), template)
    whole = open(path, "rb").read()  # an interrupted download: a zip cut short
    (tmp_path / "truncated.npz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"truncated.npz is not a readable .npz checkpoint \(BadZipFile"):
        vit_checkpoints.load(str(tmp_path / "truncated.npz"), template)


def test_rollout_of_attention_that_stays_put_is_the_identity():
    from train import attention_maps

    identity = jnp.tile(jnp.eye(5)[None, None], (2, 3, 1, 1))  # every head attends to its own token
    np.testing.assert_allclose(attention_maps.rollout([identity, identity]), jnp.tile(jnp.eye(5), (2, 1, 1)),
                               atol=1e-6)
    uniform = jnp.full((1, 2, 5, 5), 0.2)
    rolled = attention_maps.rollout([uniform])
    np.testing.assert_allclose(rolled.sum(-1), 1.0, rtol=1e-6)  # rows stay distributions


def test_attention_rollout_png_of_a_model(tmp_path):
    from train import attention_maps

    model = ViT(num_classes=3, **TINY)
    image = jax.random.normal(jax.random.PRNGKey(0), (16, 16, 3))
    params = model.init(jax.random.PRNGKey(1), image[None])["params"]
    attentions = attention_maps.layer_attentions(model, params, image[None])
    assert len(attentions) == 2 and attentions[0].shape == (1, 2, 17, 17)
    maps = attention_maps.class_token_map(attention_maps.rollout(attentions))
    assert maps.shape == (1, 4, 4) and maps.min() == 0.0 and maps.max() == 1.0
    attention_maps.draw(model, params, image, str(tmp_path / "rollout.png"))
    assert (tmp_path / "rollout.png").read_bytes()[:4] == b"\x89PNG"


def test_mixup_trains_on_mixed_images_and_labels():
    import flax.linen as nn

    from train.tasks.classification import Classification

    class Linear(nn.Module):
        @nn.compact
        def __call__(self, x, train=False):
            return nn.Dense(4)(x.reshape(x.shape[0], -1))

    model = Linear()
    images = jax.random.normal(jax.random.PRNGKey(0), (8, 2, 2, 1))
    batch = {"image": images, "label": jnp.arange(8) % 4}
    params = model.init(jax.random.PRNGKey(1), images)["params"]
    plain = Classification(num_classes=4).train_loss(model, params, {}, batch, jax.random.PRNGKey(2))[0]
    mixed = Classification(num_classes=4, mixup_alpha=0.8).train_loss(model, params, {}, batch,
                                                                     jax.random.PRNGKey(2))[0]
    assert np.isfinite(mixed) and not np.isclose(mixed, plain)
    with pytest.raises(ValueError, match="mixup_alpha needs loss='softmax_cross_entropy'"):
        Classification(num_classes=4, loss="mse_tanh_targets", mixup_alpha=0.8)


def test_cutmix_pastes_a_box_of_the_reversed_batch_weighted_by_its_area():
    from train.tasks.classification import Classification

    images = jnp.broadcast_to(jnp.arange(8.0)[:, None, None, None], (8, 16, 12, 1))  # image i is all i
    cutmix = Classification(num_classes=4, cutmix_alpha=1.0)
    areas = []
    for seed in range(12):
        mixed, lam = cutmix._mix(images, jax.random.PRNGKey(seed))
        mixed = np.asarray(mixed)
        for i in range(8):
            pasted = mixed[i, ..., 0] == 7 - i
            assert np.all(pasted | (mixed[i, ..., 0] == i))
            rows, columns = np.nonzero(pasted)
            if rows.size:  # one rectangle, the same for the whole batch
                assert rows.size == (np.ptp(rows) + 1) * (np.ptp(columns) + 1)
            assert np.array_equal(pasted, mixed[0, ..., 0] == 7)
        np.testing.assert_allclose(float(lam), 1.0 - pasted.mean(), atol=1e-6)
        areas.append(pasted.mean())
    assert len(set(areas)) > 6 and 0.2 < np.mean(areas) < 0.8  # 1 - lam, lam ~ Beta(1, 1), less the clipping
    both = Classification(num_classes=4, mixup_alpha=0.8, cutmix_alpha=1.0)
    kinds = {bool(np.all(np.asarray(both._mix(images, jax.random.PRNGKey(s))[0]) % 1 == 0)) for s in range(10)}
    assert kinds == {True, False}  # CutMix keeps whole values, mixup blends: each batch takes one
    with pytest.raises(ValueError, match="cutmix_alpha must be >= 0"):
        Classification(num_classes=4, cutmix_alpha=-1.0)


def test_benchmark_flop_count_matches_deit_table_1():
    # DeiT (Touvron et al. 2021), Table 1: ViT-B/16 at 224x224 is 17.6 GFLOPs (counted as multiply-adds).
    from benchmarks import vit_jax

    fields = vit_jax.model_fields("vit_b16")
    forward = vit_jax.training_flops_per_image(fields, 224) / 3
    assert forward / 2 == pytest.approx(17.6e9, rel=0.01)


def test_stochastic_depth_drops_whole_residual_branches_in_training_only():
    x = jax.random.normal(jax.random.PRNGKey(0), (400, 5, 16))
    rngs = {"dropout": jax.random.PRNGKey(2)}
    block = Encoder1DBlock(num_heads=2, mlp_dim=32, drop_path_rate=0.5)
    params = block.init(jax.random.PRNGKey(1), x, train=False)
    without = Encoder1DBlock(num_heads=2, mlp_dim=32).init(jax.random.PRNGKey(1), x, train=False)
    assert jax.tree.structure(params) == jax.tree.structure(without)  # no parameters of its own
    jax.tree.map(np.testing.assert_array_equal, params, without)
    plain = Encoder1DBlock(num_heads=2, mlp_dim=32).apply(params, x, train=False)
    np.testing.assert_array_equal(block.apply(params, x, train=False), plain)  # evaluation keeps every branch
    trained = block.apply(params, x, train=True, rngs=rngs)
    both_dropped = np.all(np.asarray(trained) == np.asarray(x), axis=(1, 2))
    assert 65 < both_dropped.sum() < 135  # each example loses both branches with probability 1/4
    assert not np.any(np.all(np.asarray(trained) == np.asarray(plain), axis=(1, 2)))  # kept branches are scaled
    all_dropped = Encoder1DBlock(num_heads=2, mlp_dim=32, drop_path_rate=1.0).apply(params, x, train=True, rngs=rngs)
    np.testing.assert_array_equal(all_dropped, x)


def test_stochastic_depth_rises_linearly_over_the_blocks_and_leaves_evaluation_unchanged():
    images = jax.random.normal(jax.random.PRNGKey(0), (2, 8, 8, 3))
    model = ViT(num_classes=3, stochastic_depth_rate=0.2, **{**TINY, "num_layers": 3})
    variables = model.init(jax.random.PRNGKey(1), images)
    bound = model.bind(variables, rngs={"dropout": jax.random.PRNGKey(3)})
    rates = []

    def record(next_fun, args, kwargs, context):
        if type(context.module).__name__ == "Encoder1DBlock" and context.method_name == "__call__":
            rates.append(context.module.drop_path_rate)
        return next_fun(*args, **kwargs)

    with nn.intercept_methods(record):
        bound(images, train=True)
    np.testing.assert_allclose(rates, [0.0, 0.1, 0.2])
    unchanged = ViT(num_classes=3, **{**TINY, "num_layers": 3}).apply(variables, images)
    np.testing.assert_array_equal(model.apply(variables, images), unchanged)


def test_cifar_config_is_vit_lite_7_4_by_its_parameter_count():
    """Hassani et al. 2021 list ViT-Lite-7/4 at 3.717M parameters: 3,716,874 in their code, whose query, key and
    value projections have no bias; ours (the ViT paper's, with biases) has 7 x 3 x 256 more."""
    import models
    from configs import vit_cifar

    config = vit_cifar.get_config()
    model = models.build(config.model)
    shapes = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), jnp.zeros((1, 32, 32, 3))))
    count = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes["params"]))
    assert count == 3_716_874 + 7 * 3 * 256 == 3_722_250
