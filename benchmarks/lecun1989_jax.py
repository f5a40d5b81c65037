"""Wall time of the complete LeCun 1989 reproduction (23 passes of per-example SGD over 7,291 USPS digits, then
evaluation on both splits), compilation included, measured from before JAX is imported.

    python benchmarks/lecun1989_jax.py            # prints the wall time and the test error
"""

import time

START = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import logging  # noqa: E402

import train  # noqa: E402
from configs import lecun1989  # noqa: E402


def main() -> float:
    logging.set_verbosity(logging.WARNING)
    with tempfile.TemporaryDirectory() as workdir:
        final = train.train_and_evaluate(lecun1989.get_config(), workdir)
    wall = time.perf_counter() - START
    print(f"jax: 23 passes + evaluation in {wall:.1f} s wall (compilation included); "
          f"test error {100 * final['test/error']:.2f}%, train error {100 * final['train/error']:.2f}%")
    return wall


if __name__ == "__main__":
    main()
