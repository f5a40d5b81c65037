"""What training under `tfds.testing.mock_data` needs: mock_data swaps the file system while it opens a dataset,
so an asynchronous checkpoint written meanwhile would land in its scratch directory. `finish_each_save` makes
every save complete before training goes on."""

from train import checkpointing


def finish_each_save(setattr_fn=setattr) -> None:
    """Patches `Checkpointer.save` to wait for its write; pass `monkeypatch.setattr` in a test to undo it after."""
    save = checkpointing.Checkpointer.save
    setattr_fn(checkpointing.Checkpointer, "save", lambda self, step, state: (save(self, step, state), self.wait()))
