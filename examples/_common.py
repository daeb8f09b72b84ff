"""What the examples share: fast mode, where pictures go, and a matplotlib that never opens a
window. Not an example itself.

- `MINIKERAS_FAST=1` (or `--fast`) shortens every example (the test suite uses it).
- Figures go to `examples/output/` (ignored by git), or to `$MINIKERAS_OUTPUT` if set.
- `--docs` (or `MINIKERAS_DOCS=1`) also copies each example's main figure to `docs/images/`.
- Without matplotlib the examples still run and print their numbers; only the figures are
  skipped, with a message.
- The examples' matrices are small, and for small matrices BLAS threads only add overhead
  (on shared 2-core machines they made training up to 10x slower). So, unless you set it
  yourself, BLAS gets one thread. That must happen before NumPy is loaded, which is why the
  examples import this module first.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

if "numpy" not in sys.modules:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
DOCS_IMAGES = ROOT / "docs" / "images"


def fast() -> bool:
    """True in fast mode: `MINIKERAS_FAST=1` or `--fast` on the command line."""
    return os.environ.get("MINIKERAS_FAST") == "1" or "--fast" in sys.argv[1:]


def docs() -> bool:
    return os.environ.get("MINIKERAS_DOCS") == "1" or "--docs" in sys.argv[1:]


def output_dir() -> Path:
    folder = Path(os.environ.get("MINIKERAS_OUTPUT") or ROOT / "examples" / "output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no window), or None with a message
    when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the figures "
              "(pip install -e \".[plot]\" to draw them)")
        return None
    return plt


def save(fig, name: str, doc: bool = True) -> Path:
    """Save `fig` as `<output>/<name>.png` (and into docs/images/ with --docs if `doc`)."""
    import matplotlib.pyplot as plt

    path = output_dir() / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"figure saved to {path}")
    if doc and docs():
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / path.name)
        print(f"copied to {DOCS_IMAGES / path.name}")
    return path


def grid(x, steps: int = 200, margin: float = 0.5):
    """A (steps*steps, 2) grid covering the 2-D points `x`, plus its two axes, for drawing
    decision regions."""
    import numpy as np

    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))
    return np.c_[g0.ravel(), g1.ravel()].astype("float32"), g0, g1


def half_moons(n, seed, noise=0.35):
    """Two interleaved half-moons, noisy enough that the classes overlap."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.integers(0, 2, n)
    x = np.where(upper[:, None] == 1, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x += rng.normal(0, noise, x.shape)
    return x.astype("float32"), upper.astype("float32")
