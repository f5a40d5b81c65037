"""Dataset name -> data. Small datasets come back whole as an `InMemoryDataset` (the trainer puts them on the
device and batches them inside the compiled step); TensorFlow is needed only for data.source='tfds'."""

from collections.abc import Mapping

from input_pipeline import augment, sources
from input_pipeline.dataset import InMemoryDataset, standardize, to_pixel_range

DATA_FIELDS = {
    "name", "source", "data_dir", "pixel_range", "pad_to", "augment", "eval_splits", "num_train", "num_eval",
    "held_out", "standardize",
}


def get_data(data_config: Mapping) -> InMemoryDataset:
    """Loads `data_config.name`, preprocesses it once on the host, and attaches its in-step augmentation.

    Fields: name (see `sources.DATASETS`), source ("files" | "tfds"), data_dir ("" = $JAX_CLASSICS_DATA_DIR),
    pixel_range (background, foreground), pad_to (0 = keep size), augment (see `augment.build`), held_out (the
    last N training examples become the "held_out" split and are not trained on; He et al. 2016 hold out 5,000
    of CIFAR-10's 50,000), standardize (see `dataset.standardize`), eval_splits (names among "train", "test",
    "held_out" and a dataset's own, e.g. CIFAR-10's "test_exact"), num_train / num_eval (0 = all; the first N
    examples, for smoke runs).
    """
    unknown = sorted(set(data_config) - DATA_FIELDS)
    if unknown:
        raise ValueError(f"Unknown data field(s) {unknown}; known: {sorted(DATA_FIELDS)}.")
    raw = sources.load_raw(
        data_config["name"], data_config.get("source", "files"),
        sources.data_dir(data_config.get("data_dir", "")),
    )
    background, foreground = data_config.get("pixel_range", (0.0, 1.0))
    pad_to = data_config.get("pad_to", 0)

    held_out = data_config.get("held_out", 0)
    if held_out:
        images, labels = raw["train"]
        if not 0 < held_out < len(labels):
            raise ValueError(f"held_out={held_out} must leave training examples (there are {len(labels)}).")
        raw = {**raw, "train": (images[:-held_out], labels[:-held_out]),
               "held_out": (images[-held_out:], labels[-held_out:])}

    def prepare(split: str, limit: int) -> dict:
        images, labels = raw[split]
        if limit:
            images, labels = images[:limit], labels[:limit]
        return {"image": to_pixel_range(images, background, foreground, pad_to), "label": labels}

    train = prepare("train", data_config.get("num_train", 0))
    names = [s for s in data_config.get("eval_splits", ("test",)) if s != "train"]
    for split in names:
        if split not in raw:
            raise ValueError(f"Unknown evaluation split {split!r}; available: {sorted(raw)}.")
    others = [prepare(split, data_config.get("num_eval", 0)) for split in names]
    train["image"], standardized = standardize(
        train["image"], [o["image"] for o in others], data_config.get("standardize", "")
    )
    for other, images in zip(others, standardized, strict=True):
        other["image"] = images
    prepared = dict(zip(names, others, strict=True))
    eval_splits = {s: train if s == "train" else prepared[s] for s in data_config.get("eval_splits", ("test",))}
    return InMemoryDataset(
        train=train,
        eval_splits=eval_splits,
        num_classes=sources.DATASETS[data_config["name"]].num_classes,
        augment=augment.build(data_config.get("augment", {}), background, train["image"]),
    )


__all__ = ["InMemoryDataset", "get_data"]
