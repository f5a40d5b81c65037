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
    with pytest.raises(ValueError, match=r"Unknown dataset 'mnsit'; available datasets: \['fashion_mnist', "):
        input_pipeline.get_data({"name": "mnsit"})
    with pytest.raises(ValueError, match="Unknown data source 'hub'; choose one of"):
        input_pipeline.get_data({"name": "usps", "source": "hub"})
    with pytest.raises(ValueError, match="Unknown data field"):
        input_pipeline.get_data({"name": "usps", "shuffle": True})
    with pytest.raises(ValueError, match="Unknown evaluation split 'validation'"):
        input_pipeline.get_data({"name": "usps", "eval_splits": ("validation",)})


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


def test_pixel_range_maps_background_and_ink():
    out = to_pixel_range(np.array([[[0.0, 1.0]]]), -1.0, 1.0)
    np.testing.assert_array_equal(out[..., 0], [[[-1.0, 1.0]]])


def test_tfds_source_when_available():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12):
        data = input_pipeline.get_data({"name": "mnist", "source": "tfds"})
    assert data.train["image"].shape == (12, 28, 28, 1)
