"""`launch.py` with TensorFlow Datasets mocked (random examples in each dataset's format, nothing read or
downloaded), for tests that train a streamed dataset in real subprocesses: python tests/mock_tfds_launch.py
NUM_EXAMPLES <launch.py flags>."""

import runpy
import sys

import tensorflow_datasets as tfds
from tfds_mocking import finish_each_save

finish_each_save()

if __name__ == "__main__":
    num_examples, sys.argv = int(sys.argv[1]), ["launch.py", *sys.argv[2:]]
    with tfds.testing.mock_data(num_examples=num_examples):
        runpy.run_path("launch.py", run_name="__main__")
