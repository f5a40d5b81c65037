"""Streamed datasets (ImageNet through tfds, on tfds mock data), multi-view evaluation and top-k error."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_training import _final_params
from tfds_mocking import finish_each_save

import input_pipeline
import train
from configs import imagenet
from train import loop, preemption, tasks

MOCK_EXAMPLES = 18


@pytest.fixture
def mock_imagenet():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=MOCK_EXAMPLES):
        yield lambda **overrides: input_pipeline.get_data(
            {**imagenet.get_config("smoke").data.to_dict(), **overrides}, seed=3)


def test_train_stream_resumes_exactly_and_changes_order_each_epoch(mock_imagenet):
    data = mock_imagenet()
    assert data.num_train == 16 and data.num_classes == 1000 and data.example["image"].shape == (1, 64, 64, 3)
    stream = data.train_batches(0, 4)
    whole = [next(stream) for _ in range(8)]  # two epochs of four batches
    assert whole[0]["image"].shape == (4, 64, 64, 3) and whole[0]["image"].dtype == np.float32
    resumed = data.train_batches(6, 4)  # the third batch of the second epoch
    for expected in whole[6:]:
        got = next(resumed)
        np.testing.assert_array_equal(got["image"], expected["image"])
        np.testing.assert_array_equal(got["label"], expected["label"])
    first, second = np.concatenate([b["label"] for b in whole[:4]]), np.concatenate([b["label"] for b in whole[4:]])
    assert not np.array_equal(first, second)  # a new order (and new crops) every epoch
    other_seed = input_pipeline.get_data({**imagenet.get_config("smoke").data.to_dict()}, seed=4)
    assert not np.array_equal(next(other_seed.train_batches(0, 4))["image"], whole[0]["image"])


def test_eval_stream_pads_and_masks_every_example_once(mock_imagenet):
    batches = list(mock_imagenet(eval_views="center").eval_batches("validation", 4))
    masks = np.concatenate([mask for _, mask in batches])
    assert len(batches) == 5 and masks.sum() == MOCK_EXAMPLES and masks.tolist() == [1.0] * 18 + [0.0] * 2
    assert batches[0][0]["image"].shape == (4, 64, 64, 3)


def test_ten_crop_views_hold_the_centre_crop_and_the_mirror_images(mock_imagenet):
    center = next(mock_imagenet(eval_views="center").eval_batches("validation", 4))[0]["image"]
    views = next(mock_imagenet(eval_views="ten_crop").eval_batches("validation", 4))[0]["views"]
    assert views.shape == (4, 10, 64, 64, 3)
    np.testing.assert_allclose(views[:, 4], center, atol=1e-5)  # corners 0-3, then the centre
    np.testing.assert_array_equal(views[:, 5:], views[:, :5, :, ::-1])  # then the five mirrored
    # The corners of a 72-pixel square: top-left and bottom-right crops overlap in a 56-pixel block.
    np.testing.assert_array_equal(views[:, 0, 8:, 8:], views[:, 3, :-8, :-8])


def test_streaming_errors_name_the_choices(mock_imagenet):
    with pytest.raises(ValueError, match=r"Unknown eval_views 'five'; choose one of \['center', 'ten_crop'\]"):
        mock_imagenet(eval_views="five")
    with pytest.raises(ValueError, match="only pca_lighting applies, not \\['max_translation'\\]"):
        mock_imagenet(augment={"max_translation": 4})
    with pytest.raises(ValueError, match="holds fewer than num_train=40"):
        mock_imagenet(num_train=40)


class _Linear:
    """A stand-in model: logits = image pixels summed per class weight."""

    def apply(self, variables, images, train=False):
        return jnp.sum(images, axis=(1, 2, 3))[:, None] * variables["params"]["w"]


def test_views_average_the_softmax_and_top5_counts_the_label_among_five():
    task = tasks.build({"name": "classification", "top_k": 5}, num_classes=10)
    variables = {"params": {"w": jnp.linspace(-1.0, 1.0, 10)}}
    views = jax.random.normal(jax.random.PRNGKey(0), (3, 4, 2, 2, 1))
    labels = jnp.array([0, 9, 4])
    sums = task.eval_sums(_Linear(), variables, {"views": views, "label": labels}, jnp.ones(3))
    per_view = jax.nn.softmax(jnp.sum(views, axis=(2, 3, 4))[..., None] * variables["params"]["w"])
    mean = jnp.mean(per_view, axis=1)
    expected_loss = -jnp.sum(jnp.log(mean[jnp.arange(3), labels]))
    np.testing.assert_allclose(sums["loss"], expected_loss, rtol=1e-5)
    assert sums["correct"] == jnp.sum(jnp.argmax(mean, -1) == labels)
    top5 = jnp.argsort(-mean, axis=-1)[:, :5]
    assert sums["correct_top5"] == jnp.sum(jnp.any(top5 == labels[:, None], axis=-1))
    metrics = task.summarize(jax.device_get(sums))
    assert metrics["top5_error"] == pytest.approx(1.0 - float(sums["correct_top5"]) / 3)


def test_each_process_reads_its_own_share_of_each_split(mock_imagenet, monkeypatch):
    # Process 1 of 2 (mock data ignores the split it is given, so the test records what is asked for).
    tfds = pytest.importorskip("tensorflow_datasets")
    asked = []
    split_for_process = tfds.split_for_jax_process
    monkeypatch.setattr(tfds, "split_for_jax_process",
                        lambda split, **kw: asked.append((split, kw)) or split_for_process(split, **kw))
    monkeypatch.setattr(jax, "process_count", lambda: 2)
    monkeypatch.setattr(jax, "process_index", lambda: 1)
    data = mock_imagenet(eval_views="center")
    assert next(data.train_batches(0, 4))["image"].shape == (2, 64, 64, 3)  # half of each global batch
    monkeypatch.setattr("input_pipeline.streaming._max_over_processes", lambda count: count)
    assert next(data.eval_batches("validation", 4))[0]["image"].shape == (2, 64, 64, 3)
    assert {(split, kw["process_index"], kw["process_count"]) for split, kw in asked} == {
        ("train", 1, 2), ("validation", 1, 2)}
    with pytest.raises(ValueError, match="global batch of 5 must divide over 2 processes"):
        next(data.train_batches(0, 5))


def test_alexnet_keeps_the_0_to_255_scale_with_the_mean_subtracted(mock_imagenet):
    scaled = next(mock_imagenet(eval_views="center", standardize="per_channel").eval_batches("validation", 4))[0]
    centred = next(mock_imagenet(eval_views="center", standardize="subtract_mean").eval_batches("validation", 4))[0]
    std = np.array(input_pipeline.streaming.IMAGENET_STD, np.float32) * 255.0
    np.testing.assert_allclose(centred["image"], scaled["image"] * std, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match=r"choose one of \['per_channel', 'subtract_mean'\]"):
        mock_imagenet(standardize="per_pixel_mean")


def test_streamed_run_stopped_mid_epoch_resumes_to_the_uninterrupted_result(mock_imagenet, tmp_path, monkeypatch):
    finish_each_save(monkeypatch.setattr)
    uninterrupted = train.train_and_evaluate(imagenet.get_config("smoke"), str(tmp_path / "a"))
    monkeypatch.setattr(loop, "MAX_CHUNK_SECONDS", 0.0)  # every chunk is one step
    calls = []
    monkeypatch.setattr(preemption.StopRequests, "requested", lambda self: calls.append(1) or len(calls) == 3)
    with pytest.raises(preemption.Preempted, match="at step 3 of 8"):  # mid-epoch: 4 steps per epoch
        train.train_and_evaluate(imagenet.get_config("smoke"), str(tmp_path / "b"))
    resumed = train.train_and_evaluate(imagenet.get_config("smoke"), str(tmp_path / "b"))
    assert resumed["validation/loss"] == uninterrupted["validation/loss"]
    jax.tree.map(np.testing.assert_array_equal, _final_params(tmp_path / "a")[1], _final_params(tmp_path / "b")[1])


def test_a_process_with_fewer_examples_pads_to_the_longest_share(mock_imagenet, monkeypatch):
    # With the split's size known, every process runs ceil(ceil(size / processes) / local batch) batches: here a
    # recorded size of 30 asks for 8 batches of 4, of which this process's 18 examples fill 4.5.
    monkeypatch.setattr("input_pipeline.streaming._known_split_size", lambda builder, split: 30)
    batches = list(mock_imagenet(eval_views="center").eval_batches("validation", 4))
    masks = np.stack([mask for _, mask in batches])
    assert len(batches) == 8 and masks.sum() == MOCK_EXAMPLES and not masks[5:].any()
    assert all(batch["image"].shape == (4, 64, 64, 3) for batch, _ in batches)
