"""Task registry. A task owns its loss, metrics, evaluation and decoding; the training loop knows none of them.

A task provides: example_inputs(split) (the model's inputs, a tuple when it takes several),
train_loss(model, params, model_state, batch, rng) -> (loss, (metric sums, new model state)),
eval_sums(model, variables, batch, mask) -> metric sums, summarize(sums) -> {name: float}, and optionally
final_evaluation(model, params, data) -> {name: float}, run once after training (decoding, BLEU).
"""

import dataclasses
from collections.abc import Mapping

from train.tasks.classification import Classification
from train.tasks.ctc import CTC
from train.tasks.regression import Regression
from train.tasks.sequence_labeling import SequenceLabeling
from train.tasks.translation import Translation

TASKS = {
    "classification": Classification,
    "regression": Regression,
    "sequence_labeling": SequenceLabeling,
    "ctc": CTC,
    "translation": Translation,
}


def build(task_config: Mapping, num_classes: int):
    fields = dict(task_config)
    name = fields.pop("name", "classification")
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; registered tasks: {sorted(TASKS)}.")
    cls = TASKS[name]
    declared = {f.name for f in dataclasses.fields(cls)}
    valid = declared - {"num_classes"}
    unknown = sorted(set(fields) - valid)
    if unknown:
        raise ValueError(f"Task {name!r} has no field(s) {unknown}; its fields are {sorted(valid)}.")
    if "num_classes" in declared:  # the dataset's, not the config's
        fields["num_classes"] = num_classes
    return cls(**fields)
