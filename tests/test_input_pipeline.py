"""Loaders (embedded USPS, IDX files, tfds), preprocessing, in-step augmentation, and their errors."""

import gzip
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import input_pipeline
from input_pipeline import augment, idx_files
from input_pipeline.dataset import to_pixel_range


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _fake_mnist(directory, num_train=20, num_test=10):
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, count in (("train", num_train), ("test", num_test)):
        image_file, label_file = idx_files.IDX_FILES[split]
        _write_idx(os.path.join(directory, image_file), rng.integers(0, 256, (count, 28, 28)))
        _write_idx(os.path.join(directory, label_file), rng.integers(0, 10, (count,)))


def test_usps_is_embedded_with_the_classic_split():
    data = input_pipeline.get_data({"name": "usps", "eval_splits": ("test", "train")})
    assert data.train["image"].shape == (7291, 16, 16, 1)
    assert data.eval_splits["test"]["image"].shape == (2007, 16, 16, 1)
    assert data.eval_splits["train"] is data.train
    assert data.num_classes == 10 and set(np.unique(data.train["label"])) == set(range(10))


def test_idx_reader_and_mnist_layout(tmp_path):
    _fake_mnist(tmp_path / "mnist")
    data = input_pipeline.get_data({"name": "mnist", "data_dir": str(tmp_path), "pad_to": 32,
                                    "pixel_range": (-0.1, 1.175)})
    assert data.train["image"].shape == (20, 32, 32, 1)
    image = data.train["image"][0, ..., 0]
    assert np.all(image[:2] == np.float32(-0.1)) and image.max() <= 1.175 + 1e-6  # centred, background border
    raw = idx_files.read_idx(str(tmp_path / "mnist" / "train-images-idx3-ubyte.gz"))
    np.testing.assert_allclose(image[2:30, 2:30], -0.1 + raw[0] / 255.0 * 1.275, atol=1e-6)


def test_real_mnist_counts(data_dir):
    data = input_pipeline.get_data({"name": "mnist", "data_dir": data_dir})
    assert data.num_train == 60_000 and len(data.eval_splits["test"]["label"]) == 10_000


def test_real_fashion_mnist_from_the_debian_package():
    if not os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist).")
    data = input_pipeline.get_data({"name": "fashion_mnist"})  # no data directory: found where Debian puts it
    test_labels = data.eval_splits["test"]["label"]
    assert data.num_train == 60_000 and len(test_labels) == 10_000 and data.num_classes == 10
    assert data.train["image"].shape[1:] == (28, 28, 1)
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images of each of its ten classes.
    assert set(np.bincount(data.train["label"])) == {6_000} and set(np.bincount(test_labels)) == {1_000}


def test_missing_data_directory_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("JAX_CLASSICS_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match=r"no IDX files found; looked in .*mnist.*data_dir"):
        input_pipeline.get_data({"name": "mnist", "data_dir": str(tmp_path / "nowhere")})


def test_corrupt_idx_file_is_a_clear_error(tmp_path):
    _fake_mnist(tmp_path / "mnist")
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as f:
        content = f.read()
    with gzip.open(path, "wb") as f:
        f.write(content[:-100])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz is truncated or corrupt"):
        input_pipeline.get_data({"name": "mnist", "data_dir": str(tmp_path)})
    path.write_bytes(b"not a gzip file")
    with pytest.raises(ValueError, match="Cannot read IDX file"):
        idx_files.read_idx(str(path))


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match=r"Unknown dataset 'mnsit'; available datasets: \['adding', 'cifar10', "):
        input_pipeline.get_data({"name": "mnsit"})
    with pytest.raises(ValueError, match="Unknown data source 'hub'; choose one of"):
        input_pipeline.get_data({"name": "usps", "source": "hub"})
    with pytest.raises(ValueError, match="Unknown data field"):
        input_pipeline.get_data({"name": "usps", "shuffle": True})
    with pytest.raises(ValueError, match="Unknown evaluation split 'validation'"):
        input_pipeline.get_data({"name": "usps", "eval_splits": ("validation",)})
    with pytest.raises(ValueError, match=r"num_train=-3 must be a number of examples \(0: all of them\)"):
        input_pipeline.get_data({"name": "usps", "num_train": -3})
    with pytest.raises(ValueError, match=r"Unknown data order 'sorted'; choose one of \['shuffled', 'constant'\]"):
        input_pipeline.get_data({"name": "usps", "order": "sorted"})
    with pytest.raises(ValueError, match="order='constant' needs the whole dataset in memory"):
        input_pipeline.get_data({"name": "imagenet2012", "source": "tfds_streaming", "order": "constant"})
    assert input_pipeline.get_data({"name": "usps", "order": "constant"}).order == "constant"


def test_random_translation_shifts_content_and_fills_background():
    image = jnp.full((1, 8, 8, 1), -1.0).at[0, 3:5, 3:5, 0].set(1.0)
    shift = augment.build({"max_translation": 2}, background=-1.0)
    outputs = [shift({"image": image, "label": jnp.zeros(1)}, jax.random.PRNGKey(i))["image"]
               for i in range(20)]
    for out in outputs:
        assert float(out.sum()) == float(image.sum())  # the 2x2 blob is moved, never cut (it is 2 from edges)
        assert set(np.unique(out)) == {-1.0, 1.0}
    assert len({tuple(np.argwhere(np.asarray(o[0, ..., 0]) > 0)[0]) for o in outputs}) > 3
    assert augment.build({}, background=0.0) is augment.identity


def test_affine_warp_is_exact_for_the_identity_and_quarter_turns():
    image = jnp.asarray(np.random.default_rng(0).standard_normal((6, 6, 2)), jnp.float32)
    np.testing.assert_allclose(augment.affine_warp(image, jnp.eye(2), 0.0), image, atol=1e-6)
    quarter = jnp.array([[0.0, -1.0], [1.0, 0.0]])  # output (y, x) reads input (5 - x, y): a clockwise turn
    np.testing.assert_allclose(augment.affine_warp(image, quarter, 0.0), np.rot90(image, k=-1), atol=1e-5)
    shrink = augment.affine_warp(jnp.ones((6, 6, 1)), 2.0 * jnp.eye(2), -1.0)  # zoom out: the border is background
    assert float(shrink[0, 0, 0]) == -1.0 and float(shrink[3, 3, 0]) == 1.0


def test_random_affine_distorts_each_image_differently_within_range():
    image = jnp.tile(jnp.full((1, 16, 16, 1), -1.0).at[0, 4:12, 6:10, 0].set(1.0), (8, 1, 1, 1))
    distort = augment.build({"affine_rotation": 15.0, "affine_scale": 0.15, "affine_shear": 15.0}, background=-1.0)
    out = np.asarray(distort({"image": image, "label": jnp.zeros(8)}, jax.random.PRNGKey(0))["image"])
    assert out.shape == image.shape and out.min() >= -1.0 - 1e-6 and out.max() <= 1.0 + 1e-6
    assert len({o.tobytes() for o in out}) == 8  # independent per image
    assert np.abs(out - np.asarray(image)).max() > 0.5  # and not the identity
    np.testing.assert_allclose(out.mean(), float(image.mean()), atol=0.1)  # the ink is moved, not lost


def test_gaussian_smoothing_keeps_constants_inside_and_spreads_an_impulse():
    kernel = augment.gaussian_kernel(1.5)
    assert len(kernel) == 11 and abs(float(kernel.sum()) - 1.0) < 1e-6
    constant = np.asarray(augment.smooth(jnp.ones((16, 16)), kernel))
    np.testing.assert_allclose(constant[5:11, 5:11], 1.0, atol=1e-6)  # zero outside, so only the border dips
    impulse = np.asarray(augment.smooth(jnp.zeros((15, 15)).at[7, 7].set(1.0), kernel))
    np.testing.assert_allclose(impulse, np.outer(np.pad(kernel, 2), np.pad(kernel, 2)), atol=1e-7)
    # A kernel longer than the field (sigma 4: 25 taps on 16 pixels) still gives one output per pixel: the
    # middle of the full convolution.
    wide_kernel, field = augment.gaussian_kernel(4.0), np.random.default_rng(0).uniform(-1, 1, (16, 16))
    full = np.apply_along_axis(np.convolve, 1, np.apply_along_axis(np.convolve, 0, field, wide_kernel), wide_kernel)
    np.testing.assert_allclose(augment.smooth(jnp.asarray(field, jnp.float32), wide_kernel), full[12:28, 12:28],
                               atol=1e-6)


def test_draw_flat_gives_the_draw_of_the_shape_itself():
    # The elastic field and random erasing's noise are drawn as one row and reshaped (faster to compile); that
    # must leave every value as the direct draw gives it, per image under vmap too.
    keys = jax.random.split(jax.random.key(4), 3)
    direct = jax.vmap(lambda k: jax.random.uniform(k, (2, 5, 6), minval=-1.0, maxval=1.0))(keys)
    flat = jax.vmap(lambda k: augment.draw_flat(jax.random.uniform, k, (2, 5, 6), minval=-1.0, maxval=1.0))(keys)
    np.testing.assert_array_equal(flat, direct)
    normal = augment.draw_flat(jax.random.normal, keys[0], (4, 3, 2), dtype=jnp.bfloat16)
    assert normal.dtype == jnp.bfloat16
    np.testing.assert_array_equal(normal, jax.random.normal(keys[0], (4, 3, 2), jnp.bfloat16))


def test_random_elastic_moves_pixels_smoothly_by_about_alpha_over_sigma():
    image = jnp.tile(jnp.full((1, 16, 16, 1), -1.0).at[0, 4:12, 6:10, 0].set(1.0), (8, 1, 1, 1))
    distort = augment.build({"elastic_alpha": 8.0, "elastic_sigma": 2.0}, background=-1.0)
    out = np.asarray(distort({"image": image, "label": jnp.zeros(8)}, jax.random.PRNGKey(0))["image"])
    assert out.shape == image.shape and out.min() >= -1.0 - 1e-6 and out.max() <= 1.0 + 1e-6
    assert len({o.tobytes() for o in out}) == 8  # independent per image
    assert np.abs(out - np.asarray(image)).max() > 0.5  # the stroke moved
    np.testing.assert_allclose(out.mean(), float(image.mean()), atol=0.1)  # the ink is moved, not lost
    still = augment.build({"elastic_alpha": 1e-6, "elastic_sigma": 2.0}, background=-1.0)
    np.testing.assert_allclose(still({"image": image}, jax.random.PRNGKey(0))["image"], image, atol=1e-4)
    with pytest.raises(ValueError, match="elastic_sigma"):
        augment.build({"elastic_alpha": 8.0}, background=-1.0)
    # A negative size or magnitude is an error, not silently "off".
    with pytest.raises(ValueError, match=r"augment.max_translation must be >= 0 \(0 is off\); got -2"):
        augment.build({"max_translation": -2}, background=-1.0)
    with pytest.raises(ValueError, match=r"augment.affine_scale is a fraction in \[0, 1\); got 1.5"):
        augment.build({"affine_scale": 1.5}, background=-1.0)
    mnist_setting = augment.build({"elastic_alpha": 34.0, "elastic_sigma": 4.0}, background=-1.0)  # on 16 pixels
    assert mnist_setting({"image": image}, jax.random.PRNGKey(0))["image"].shape == image.shape


def test_pixel_range_maps_background_and_ink():
    out = to_pixel_range(np.array([[[0.0, 1.0]]]), -1.0, 1.0)
    np.testing.assert_array_equal(out[..., 0], [[[-1.0, 1.0]]])


def test_tfds_source_when_available():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12):
        data = input_pipeline.get_data({"name": "mnist", "source": "tfds"})
    assert data.train["image"].shape == (12, 28, 28, 1)


def test_cifar10_pickle_layout_equals_the_archive(cifar_dir, tmp_path):
    # The "python version" layout users download, written by the shared folder's own make_batches.py.
    import subprocess
    import sys

    from input_pipeline import cifar10_files

    out = tmp_path / "cifar-10-batches-py"
    script = os.path.join(cifar_dir, "cifar10", "make_batches.py")
    subprocess.run([sys.executable, script, str(out)], check=True, capture_output=True)
    from_pickles = cifar10_files.load(cifar10_files.find(str(tmp_path)))
    from_archive = cifar10_files.load(cifar10_files.find(cifar_dir))
    for split in ("train", "test"):
        np.testing.assert_array_equal(from_pickles[split][0], from_archive[split][0])
        np.testing.assert_array_equal(from_pickles[split][1], from_archive[split][1])
    assert from_pickles["train"][0].shape == (50_000, 32, 32, 3)
    assert len(from_archive["test_exact"][1]) == 1_000  # only test images 0-999 are byte-exact here
    assert len(from_pickles["test_exact"][1]) == 10_000  # the original pickles are all exact

    os.remove(out / "data_batch_3")
    with pytest.raises(FileNotFoundError, match=r"lacks the train split file\(s\) \['data_batch_3'\]"):
        cifar10_files.load(str(out))
    os.rename(out / "data_batch_1", out / "data_batch_3")
    with open(out / "data_batch_1", "wb") as f:
        f.write(b"not a pickle")
    with pytest.raises(ValueError, match="Cannot read the CIFAR-10 batch .*data_batch_1"):
        cifar10_files.load(str(out))


def test_figure1_cuda_convnet_inputs_are_centred_raw_pixels(cifar_dir):
    """AlexNet section 2: "the (centered) raw RGB values of the pixels", 0-255 less the mean training image."""
    from configs import alexnet_fig1

    config = alexnet_fig1.get_config("cuda_convnet,smoke")
    config.data.data_dir = cifar_dir
    data = input_pipeline.get_data(config.data)
    raw = input_pipeline.get_data({**config.data.to_dict(), "standardize": "", "pixel_range": (0.0, 255.0)})
    np.testing.assert_allclose(data.train["image"].mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(data.train["image"] + raw.train["image"].mean(axis=0), raw.train["image"], atol=1e-3)
    assert raw.train["image"].max() > 250 and 40 < data.train["image"].std() < 90


def test_cifar10_without_files_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Dataset 'cifar10': nothing found in .*cifar-10-batches-py"):
        input_pipeline.get_data({"name": "cifar10", "data_dir": str(tmp_path)})


@pytest.mark.parametrize("damage", ["truncated", "flipped bytes"])
def test_a_damaged_cifar10_archive_is_a_clear_error(tmp_path, damage):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (20, 32, 32, 3), np.uint8), "y_train": np.arange(20) % 10,
              "x_test": rng.integers(0, 256, (10, 32, 32, 3), np.uint8), "y_test": np.arange(10)}
    path = tmp_path / "cifar10" / "cifar10.npz"
    path.parent.mkdir()
    np.savez_compressed(path, **arrays)
    whole = bytearray(path.read_bytes())
    if damage == "truncated":
        whole = whole[: len(whole) // 2]
    else:  # inside the first member's compressed data: its CRC or its deflate stream fails
        whole[200:210] = bytes(255 - b for b in whole[200:210])
    path.write_bytes(bytes(whole))
    with pytest.raises(ValueError, match=r"Cannot read the CIFAR-10 archive .*cifar10.npz: (BadZipFile|error)"):
        input_pipeline.get_data({"name": "cifar10", "data_dir": str(tmp_path)})


def test_held_out_split_and_standardization():
    data = input_pipeline.get_data({
        "name": "usps", "held_out": 1000, "standardize": "per_channel", "eval_splits": ("held_out", "test"),
    })
    raw = input_pipeline.get_data({"name": "usps", "eval_splits": ("train",)})
    assert data.num_train == 6291 and len(data.eval_splits["held_out"]["label"]) == 1000
    np.testing.assert_array_equal(data.eval_splits["held_out"]["label"], raw.train["label"][-1000:])
    # Training statistics only: the training split is standardised exactly, the others with the same map.
    assert abs(data.train["image"].mean()) < 1e-4 and abs(data.train["image"].std() - 1.0) < 1e-3
    scale = raw.train["image"][:6291].std()
    expected = (raw.train["image"][-1000:] - raw.train["image"][:6291].mean()) / scale
    np.testing.assert_allclose(data.eval_splits["held_out"]["image"], expected, atol=1e-4)
    pixel_mean = input_pipeline.get_data({"name": "usps", "standardize": "per_pixel_mean"})
    np.testing.assert_allclose(pixel_mean.train["image"].mean(axis=0), 0.0, atol=1e-5)
    with pytest.raises(ValueError, match="Unknown standardization 'zca'"):
        input_pipeline.get_data({"name": "usps", "standardize": "zca"})
    for held_out in (-5, 7291):
        with pytest.raises(ValueError, match=r"held_out=-?\d+ must be a number of training examples in 1..7290"):
            input_pipeline.get_data({"name": "usps", "held_out": held_out})


def test_horizontal_flip_mirrors_about_half_of_the_images():
    images = jnp.broadcast_to(jnp.arange(8.0).reshape(1, 1, 8, 1), (200, 4, 8, 1))
    flip = augment.build({"horizontal_flip": True}, background=0.0)
    out = flip({"image": images, "label": jnp.zeros(200)}, jax.random.PRNGKey(0))["image"]
    mirrored = np.all(np.asarray(out) == np.asarray(images[:, :, ::-1]), axis=(1, 2, 3))
    unchanged = np.all(np.asarray(out) == np.asarray(images), axis=(1, 2, 3))
    assert np.all(mirrored ^ unchanged) and 70 < mirrored.sum() < 130


def test_pca_lighting_adds_one_colour_shift_per_image_along_the_principal_components():
    rng = np.random.default_rng(0)
    mixing = np.array([[1.0, 0.5, 0.2], [0.0, 1.0, 0.3], [0.0, 0.0, 0.5]])
    train_images = (rng.standard_normal((500, 4, 4, 3)) @ mixing).astype(np.float32)
    eigenvalues, eigenvectors = augment.rgb_principal_components(train_images)
    lighting = augment.build({"pca_lighting": 0.1}, background=0.0, train_images=train_images)
    images = jnp.zeros((4000, 2, 2, 3))
    shifts = np.asarray(lighting({"image": images, "label": jnp.zeros(4000)}, jax.random.PRNGKey(0))["image"])
    assert np.allclose(shifts, shifts[:, :1, :1, :])  # the same RGB offset on every pixel of an image
    # Offsets sum_i a_i l_i p_i with a_i ~ N(0, 0.1^2): covariance P diag((0.1 l)^2) P^T.
    expected = eigenvectors @ np.diag((0.1 * eigenvalues) ** 2) @ eigenvectors.T
    np.testing.assert_allclose(np.cov(shifts[:, 0, 0, :], rowvar=False), expected, rtol=0.15, atol=1e-4)
    with pytest.raises(ValueError, match="needs RGB training images"):
        augment.build({"pca_lighting": 0.1}, background=0.0, train_images=np.zeros((5, 4, 4, 1)))


def test_random_erasing_replaces_one_rectangle_of_bounded_area_and_aspect():
    images = jnp.zeros((400, 32, 32, 3))
    erased = np.asarray(augment.build({"random_erasing": 1.0}, 0.0)({"image": images}, jax.random.PRNGKey(0))["image"])
    changed = erased != 0  # N(0, 1) noise is never exactly 0
    assert (changed == changed[..., :1]).all()  # every channel of an erased pixel
    rows, columns = changed[..., 0].any(axis=2), changed[..., 0].any(axis=1)
    heights, widths = rows.sum(axis=1), columns.sum(axis=1)
    # one rectangle: its pixels are exactly the product of the rows and columns it spans
    np.testing.assert_array_equal(changed[..., 0], rows[:, :, None] & columns[:, None, :])
    erased_any = heights > 0
    assert erased_any.mean() > 0.95  # a fitting box is found within 10 draws almost always
    h, w = heights[erased_any], widths[erased_any]
    assert (h < 32).all() and (w < 32).all()
    area = h * w / 1024.0
    assert area.min() >= 0.015 and area.max() <= 0.37  # 0.02 to 1/3 of the image, sides rounded to pixels
    assert (h / w).min() >= 0.25 and (h / w).max() <= 4.0  # aspect 0.3 to 3.33, rounded
    noise = erased[changed]
    assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1.0) < 0.05


def test_random_erasing_probability_and_its_bounds():
    images = jnp.zeros((1000, 16, 16, 1))
    erased = augment.build({"random_erasing": 0.25}, 0.0)({"image": images}, jax.random.PRNGKey(1))["image"]
    fraction = float(jnp.mean(jnp.any(erased != 0, axis=(1, 2, 3))))
    assert 0.20 < fraction < 0.30  # 0.25, less the rare images whose 10 draws all failed to fit
    assert augment.build({"random_erasing": 0.0}, 0.0) is augment.identity
    with pytest.raises(ValueError, match="probability"):
        augment.build({"random_erasing": 1.5}, 0.0)
