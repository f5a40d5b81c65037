"""The trainer: `train_and_evaluate(config, workdir)` and the pieces it is built from, one concern per module."""

from train.loop import NonFiniteLossError, train_and_evaluate

__all__ = ["NonFiniteLossError", "train_and_evaluate"]
