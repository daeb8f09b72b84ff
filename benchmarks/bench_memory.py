"""Peak memory (max RSS) of training mnist-mlp with minikeras against the hand-written loop.

    python benchmarks/bench_memory.py [--samples 60000]

Each contender runs in a fresh process (peak RSS cannot be reset), on the same data: 60,000
samples of 784 float32 features (188 MB) and one-hot targets, one epoch.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402

# the minikeras of this checkout, not an installed one
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import resource  # noqa: E402
import subprocess  # noqa: E402


def run(which: str, samples: int) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_fit

    sizes, hidden, output, opt, loss, batch, _, _ = bench_fit.WORKLOADS["mnist-mlp"]
    import numpy as np

    # made in float32 directly (make_data's float64 draw would be the peak of both)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, sizes[0]), dtype=np.float32)
    y = np.zeros((samples, sizes[-1]), np.float32)
    y[np.arange(samples), rng.integers(0, sizes[-1], samples)] = 1
    fn = bench_fit.numpy_loop if which == "floor" else bench_fit.minikeras_fit
    fn(sizes, hidden, output, opt, loss, batch, x, y, 1)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--run", choices=("floor", "minikeras"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.samples)
        return
    peaks: dict = {"floor": [], "minikeras": []}
    for _ in range(args.repeats):
        for which in peaks:
            out = subprocess.run([sys.executable, __file__, "--run", which, "--samples",
                                  str(args.samples)], check=True, capture_output=True,
                                 text=True, cwd=os.path.dirname(os.path.dirname(
                                     os.path.abspath(__file__))))
            peaks[which].append(float(out.stdout.split()[-1]))
    floor, ours = min(peaks["floor"]), min(peaks["minikeras"])
    print(f"peak RSS: floor {floor:.0f} MB, minikeras {ours:.0f} MB, ratio {ours / floor:.3f}")


if __name__ == "__main__":
    main()
