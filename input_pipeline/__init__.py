"""Dataset name -> data. Small datasets come back whole as an `InMemoryDataset` (the trainer puts them on the
device and batches them inside the compiled step); TensorFlow is needed only for data.source='tfds'.

Datasets too large for memory (ImageNet) are streamed instead: `data.source="tfds_streaming"` reads any tfds image
classification dataset by name as a `streaming.StreamingDataset`, one shard per process.

Four kinds of in-memory dataset share one path: named image datasets (`sources.DATASETS`), synthetic sequence problems
(`synthetic.GENERATORS`), images composed from another dataset (`composed.DATASETS`, e.g. zip codes made of
USPS digits) and "translation" (sentence pairs as token ids, `translation`). Every split is a dict of arrays
whose first axis indexes examples.
"""

from collections.abc import Mapping

from input_pipeline import augment, composed, sources, streaming, synthetic, translation
from input_pipeline.dataset import InMemoryDataset, num_examples, standardize, to_pixel_range
from input_pipeline.streaming import StreamingDataset

DATA_FIELDS = {
    "name", "source", "data_dir", "pixel_range", "pad_to", "augment", "eval_splits", "num_train", "num_eval",
    "held_out", "standardize", "generator", "translation", "resize_size", "crop_size", "eval_views", "shuffle_buffer",
    "order",
}
# The order in which a pass presents the training examples: a fresh permutation each pass (drawn from the seed),
# or the split's own order every pass, as LeCun et al. 1989 did (per Karpathy's notes on the paper).
ORDERS = ("shuffled", "constant")
STREAMING = "tfds_streaming"
TRANSLATION = "translation"


def _check_name(name: str) -> None:
    known = {**sources.DATASETS, **synthetic.GENERATORS, **composed.DATASETS, TRANSLATION: None}
    if name not in known:
        raise ValueError(f"Unknown dataset {name!r}; available datasets: {sorted(known)}.")


def _select_splits(raw: dict[str, dict], data_config: Mapping) -> tuple[dict, dict]:
    """(train, {name: split}) after setting aside `held_out`, cutting to num_train / num_eval and choosing the
    evaluation splits (names among "train", "held_out" and the dataset's own)."""
    held_out = data_config.get("held_out", 0)
    if held_out:
        count = num_examples(raw["train"])
        if not 0 < held_out < count:
            raise ValueError(f"held_out={held_out} must be a number of training examples in 1..{count - 1} (there are "
                             f"{count}; 0: none held out).")
        train = raw["train"]
        raw = {**raw, "train": {k: v[:-held_out] for k, v in train.items()},
               "held_out": {k: v[-held_out:] for k, v in train.items()}}

    for field in ("num_train", "num_eval"):
        if data_config.get(field, 0) < 0:
            raise ValueError(f"{field}={data_config[field]} must be a number of examples (0: all of them).")

    def cut(split: dict, limit: int) -> dict:
        return {k: v[:limit] for k, v in split.items()} if limit else dict(split)

    names = data_config.get("eval_splits", ("test",))
    for name in names:
        if name != "train" and name not in raw:
            raise ValueError(f"Unknown evaluation split {name!r}; available: {sorted(raw)}.")
    limit = data_config.get("num_eval", 0)
    return cut(raw["train"], data_config.get("num_train", 0)), {
        name: cut(raw[name], limit) for name in names if name != "train"
    }


def _finish(train: dict, others: dict, names, num_classes: int, augment_fn) -> InMemoryDataset:
    eval_splits = {name: train if name == "train" else others[name] for name in names}
    return InMemoryDataset(train=train, eval_splits=eval_splits, num_classes=num_classes, augment=augment_fn)


def get_data(data_config: Mapping, workdir: str = "", seed: int = 0) -> InMemoryDataset | StreamingDataset:
    """Loads `data_config.name`, preprocesses it once on the host, and attaches its in-step augmentation.

    Fields: name (see the module docstring), source ("files" | "tfds"), data_dir ("" = $JAX_CLASSICS_DATA_DIR),
    pixel_range (background, foreground), pad_to (0 = keep size), augment (see `augment.build`), held_out (the
    last N training examples become the "held_out" split and are not trained on; He et al. 2016 hold out 5,000
    of CIFAR-10's 50,000), standardize (see `dataset.standardize`), eval_splits (names among "train", "test",
    "held_out" and a dataset's own, e.g. CIFAR-10's "test_exact"), num_train / num_eval (0 = all; the first N
    examples, for smoke runs), generator (options of a synthetic or composed dataset; see their modules),
    translation (options of the "translation" dataset, see `translation`; its tokenizers live in `workdir`),
    order (see `ORDERS`; in-memory datasets only). With source "tfds_streaming": resize_size, crop_size,
    eval_views, shuffle_buffer (see `streaming.load`), and `seed` fixes the data order.
    """
    unknown = sorted(set(data_config) - DATA_FIELDS)
    if unknown:
        raise ValueError(f"Unknown data field(s) {unknown}; known: {sorted(DATA_FIELDS)}.")
    order = data_config.get("order", "shuffled")
    if order not in ORDERS:
        raise ValueError(f"Unknown data order {order!r}; choose one of {list(ORDERS)}.")
    if data_config.get("source") == STREAMING:
        if order != "shuffled":
            raise ValueError(f"order={order!r} needs the whole dataset in memory; source={STREAMING!r} streams it "
                             f"in a shuffled order (shuffle_buffer). Use order='shuffled'.")
        return streaming.load(data_config, seed)
    dataset = _load_in_memory(data_config, workdir)
    dataset.order = order
    return dataset


def _load_in_memory(data_config: Mapping, workdir: str) -> InMemoryDataset:
    name = data_config["name"]
    _check_name(name)
    names = data_config.get("eval_splits", ("test",))
    generator_options = dict(data_config.get("generator", {}))
    if name == TRANSLATION:
        if not workdir:
            raise ValueError("The translation dataset needs a workdir to keep its tokenizers in.")
        loaded = translation.load(data_config.get("translation", {}), workdir)
        train, others = _select_splits(loaded.splits, data_config)
        dataset = _finish(train, others, names, loaded.target_tokenizer.vocab_size, augment.identity)
        dataset.metadata = loaded
        return dataset
    if name in synthetic.GENERATORS:
        train, others = _select_splits(synthetic.generate(name, generator_options), data_config)
        return _finish(train, others, names, synthetic.GENERATORS[name].num_classes, augment.identity)

    directory = sources.data_dir(data_config.get("data_dir", ""))
    if name in composed.DATASETS:
        raw = composed.DATASETS[name].make(directory, generator_options)
        train, others = _select_splits(raw, data_config)
        return _finish(train, others, names, composed.DATASETS[name].num_classes,
                       augment.build(data_config.get("augment", {}), 0.0, train.get("image")))

    raw = sources.load_raw(name, data_config.get("source", "files"), directory)
    train, others = _select_splits(
        {split: {"image": images, "label": labels} for split, (images, labels) in raw.items()}, data_config
    )
    background, foreground = data_config.get("pixel_range", (0.0, 1.0))
    pad_to = data_config.get("pad_to", 0)
    for split in (train, *others.values()):
        split["image"] = to_pixel_range(split["image"], background, foreground, pad_to)
    train["image"], standardized, (mean, std) = standardize(
        train["image"], [o["image"] for o in others.values()], data_config.get("standardize", "")
    )
    for other, images in zip(others.values(), standardized, strict=True):
        other["image"] = images
    # stored value x -> [0, 1] pixel: (x std + mean - background) / (foreground - background)
    to_unit = (std / (foreground - background), (mean - background) / (foreground - background))
    return _finish(train, others, names, sources.DATASETS[name].num_classes,
                   augment.build(data_config.get("augment", {}), background, train["image"], to_unit))


__all__ = ["InMemoryDataset", "StreamingDataset", "get_data", "num_examples"]
