"""`launch.py` with TensorFlow Datasets mocked (random examples in each dataset's format, nothing read or
downloaded), for tests that train a streamed dataset in real subprocesses: python tests/mock_tfds_launch.py
NUM_EXAMPLES <launch.py flags>."""

import runpy
import sys

import tensorflow_datasets as tfds

from train import checkpointing

# mock_data swaps the file system while it opens a dataset; an asynchronous checkpoint written meanwhile would land
# in its scratch directory, so each save finishes before training goes on.
_save = checkpointing.Checkpointer.save
checkpointing.Checkpointer.save = lambda self, step, state: (_save(self, step, state), self.wait())

if __name__ == "__main__":
    num_examples, sys.argv = int(sys.argv[1]), ["launch.py", *sys.argv[2:]]
    with tfds.testing.mock_data(num_examples=num_examples):
        runpy.run_path("launch.py", run_name="__main__")
