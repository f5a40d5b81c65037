"""RandAugment: each transformation against the Python Imaging Library's, magnitude 0, exact geometric cases, and the
batch augmentation behind standardisation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import input_pipeline
from input_pipeline import augment, randaugment
from input_pipeline.dataset import standardize


def _images(count=6, seed=0):
    """Structured 8-bit RGB images: a gradient, a bright square and noise, each image in its own value range."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[:24, :32]  # 768 pixels: PIL's equalize leaves images under 256 pixels as they are
    images = []
    for i in range(count):
        low, high = 10 * i, 255 - 12 * i
        base = low + (high - low) * (rows[..., None] + 2 * columns[..., None] + np.arange(3) * 5) / 95.0
        base[6:14, 8:18] = high
        base += rng.normal(0, 12, base.shape)
        images.append(np.clip(np.round(base), low, high).astype(np.uint8))
    return images


PIL_OPS = [
    ("equalize", lambda p: ImageOps.equalize(p), lambda x: randaugment.equalize(x)),
    ("solarize", lambda p: ImageOps.solarize(p, 100), lambda x: randaugment.solarize(x, 100.0)),
    ("posterize", lambda p: ImageOps.posterize(p, 5), lambda x: randaugment.posterize(x, 5.0)),
    ("posterize", lambda p: ImageOps.posterize(p, 2), lambda x: randaugment.posterize(x, 2.0)),
] + [
    (name, lambda p, e=enhancer, f=factor: e(p).enhance(f), lambda x, o=op, f=factor: o(x, f))
    for name, enhancer, op in [
        ("color", ImageEnhance.Color, randaugment.color),
        ("contrast", ImageEnhance.Contrast, randaugment.contrast),
        ("brightness", ImageEnhance.Brightness, randaugment.brightness),
        ("sharpness", ImageEnhance.Sharpness, randaugment.sharpness),
    ]
    for factor in (0.19, 0.6, 1.45, 1.81)
]


@pytest.mark.parametrize("name,pil_op,our_op", PIL_OPS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(PIL_OPS)])
def test_pixel_transformations_equal_pil(name, pil_op, our_op):
    for image in _images():
        assert name != "equalize" or np.asarray(pil_op(Image.fromarray(image))).tobytes() != image.tobytes()
        expected = np.asarray(pil_op(Image.fromarray(image)), np.float32)
        np.testing.assert_array_equal(np.asarray(our_op(jnp.asarray(image, jnp.float32))), expected, err_msg=name)


def test_auto_contrast_is_pils_stretch_without_its_float_rounding():
    for image in _images():
        pil = np.asarray(ImageOps.autocontrast(Image.fromarray(image)), np.int64)
        ours = np.asarray(randaugment.auto_contrast(jnp.asarray(image, jnp.float32)))
        low, high = image.min(axis=(0, 1)).astype(np.int64), image.max(axis=(0, 1)).astype(np.int64)
        exact = 255 * (image - low) // (high - low)  # floor(255 (x - low) / (high - low)) in integers
        np.testing.assert_array_equal(ours, exact)
        # PIL computes it as x * s - low * s in float64, which puts some exact quotients (the channel's maximum
        # among them) just below their integer: there, and only there, PIL is one lower
        np.testing.assert_array_equal(pil[pil != exact], exact[pil != exact] - 1)
        assert ours.min() == 0 and ours.max() == 255
    constant = jnp.full((4, 4, 3), 77.0)
    np.testing.assert_array_equal(randaugment.auto_contrast(constant), constant)


def test_magnitude_zero_leaves_images_unchanged_except_the_parameterless_ops():
    image = jnp.asarray(_images(3)[2], jnp.float32)  # values 20-231: auto_contrast stretches them
    for number, name in enumerate(randaugment.OPS):
        out = randaugment.apply_op(image, jnp.int32(number), 0.0, jnp.float32(-1.0))
        if name in ("auto_contrast", "equalize"):
            assert np.abs(np.asarray(out) - np.asarray(image)).max() > 0, name
        else:
            np.testing.assert_array_equal(out, image, err_msg=name)


def test_geometric_transformations_at_exact_positions():
    image = jnp.asarray(np.random.default_rng(1).integers(0, 256, (16, 16, 3)), jnp.float32)
    op = {name: jnp.int32(i) for i, name in enumerate(randaugment.OPS)}
    # magnitude 30 is three times the paper's maximum: a quarter turn, which lands on whole pixels
    turned = randaugment.apply_op(image, op["rotate"], 30.0, jnp.float32(1.0))
    np.testing.assert_array_equal(turned, np.rot90(image, k=-1))
    shift = 4  # 0.45 m * 16 pixels = 4 at m = 5 / 9
    moved = randaugment.apply_op(image, op["translate_x"], 50.0 / 9.0, jnp.float32(1.0))
    np.testing.assert_array_equal(moved[:, :-shift], image[:, shift:])
    np.testing.assert_array_equal(moved[:, -shift:], randaugment.FILL)
    moved = randaugment.apply_op(image, op["translate_y"], 50.0 / 9.0, jnp.float32(-1.0))
    np.testing.assert_array_equal(moved[shift:], image[:-shift])
    # shear 0.3 m = 2 / 15: row r reads columns c + (2 / 15)(r - 7.5), whole pixels for the first and last rows
    sheared = randaugment.apply_op(image, op["shear_x"], 40.0 / 9.0, jnp.float32(1.0))
    np.testing.assert_array_equal(sheared[0, 1:], image[0, :-1])
    np.testing.assert_array_equal(sheared[15, :-1], image[15, 1:])
    assert sheared[0, 0, 0] == randaugment.FILL
    sheared_y = randaugment.apply_op(image, op["shear_y"], 40.0 / 9.0, jnp.float32(1.0))
    np.testing.assert_array_equal(sheared_y[1:, 0], image[:-1, 0])


def test_rand_augment_through_standardisation():
    pixels = np.stack(_images(8)).astype(np.float32) / 255.0
    standardized, _, (mean, std) = standardize(pixels, [], "per_channel")
    rand_augment = augment.build({"randaugment_layers": 2, "randaugment_magnitude": 9.0}, 0.0, standardized,
                                 to_unit=(std, mean))
    batch = {"image": jnp.asarray(standardized), "label": jnp.arange(8)}
    out = rand_augment(batch, jax.random.PRNGKey(0))
    again = rand_augment(batch, jax.random.PRNGKey(0))
    np.testing.assert_array_equal(out["image"], again["image"])
    assert out["image"].shape == batch["image"].shape and out["image"].dtype == jnp.float32
    np.testing.assert_array_equal(out["label"], batch["label"])
    back = np.asarray(out["image"]) * std + mean  # 8-bit pixels again
    np.testing.assert_allclose(back * 255.0, np.round(back * 255.0), atol=1e-3)
    assert back.min() >= -1e-6 and back.max() <= 1.0 + 1e-6
    changed = [not np.allclose(o, i, atol=1e-4) for o, i in zip(np.asarray(out["image"]), standardized, strict=True)]
    assert sum(changed) >= 6  # two draws of 14 leave an image unchanged rarely (identity twice, 1 in 196)
    with pytest.raises(ValueError, match=r"augment.randaugment_magnitude must be >= 0 \(0 is off\); got -1.0"):
        augment.build({"randaugment_layers": 2, "randaugment_magnitude": -1.0}, 0.0)


def test_cifar_loader_hands_randaugment_its_pixel_mapping(cifar_dir):
    config = {"name": "cifar10", "data_dir": cifar_dir, "standardize": "per_channel", "num_train": 256,
              "num_eval": 8, "eval_splits": ("test_exact",), "augment": {"randaugment_layers": 1,
                                                                        "randaugment_magnitude": 0.0}}
    data = input_pipeline.get_data(config)
    batch = {"image": jnp.asarray(data.train["image"]), "label": jnp.asarray(data.train["label"])}
    out = data.augment(batch, jax.random.PRNGKey(3))
    # at magnitude 0 only auto_contrast and equalize (2 of 14 draws) change an image; the rest come back as stored
    same = [np.allclose(o, i, atol=1e-5) for o, i in zip(np.asarray(out["image"]), batch["image"], strict=True)]
    assert 160 <= sum(same) < 256
