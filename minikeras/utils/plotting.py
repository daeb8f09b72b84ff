"""Learning curves from a History: `plot_history` (a minikeras addition; Keras has no such
helper).

matplotlib is an optional dependency (`pip install -e ".[plot]"`). It is imported only when
`plot_history` is called, never when minikeras is imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

MISSING_MATPLOTLIB = ("plot_history needs matplotlib, which is not installed. Install it with "
                      "`pip install matplotlib` (or `pip install -e \".[plot]\"` in a minikeras "
                      "checkout).")


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(MISSING_MATPLOTLIB) from e
    return plt


def _as_dict(history: Any) -> dict[str, list[float]]:
    """The `{name: [value per epoch]}` dict of a History, or of a dict given directly."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError("plot_history expects the History returned by `model.fit` (or its "
                        f"`.history` dict), got {type(history).__name__}")
    if not logs:
        raise ValueError("plot_history: the history is empty (was `fit` run for 0 epochs?)")
    out = {}
    for name, values in logs.items():
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        out[str(name)] = values
    return out


def _panels(logs: dict, metrics: Any) -> list[str]:
    """The metric names to draw, one panel each: `loss` first, then the others in History
    order; a `val_x` entry is drawn in the panel of `x`."""
    if metrics is None:
        names = [n[4:] if n.startswith("val_") else n for n in logs]
        names = list(dict.fromkeys(names))
        if "loss" in names:
            names.remove("loss")
            names.insert(0, "loss")
        return names
    if isinstance(metrics, str):
        metrics = [metrics]
    names = []
    for m in metrics:
        m = str(m)
        base = m[4:] if m.startswith("val_") else m
        if base not in logs and "val_" + base not in logs:
            raise ValueError(f"plot_history: no {m!r} in this history; it has "
                             f"{sorted(logs)}")
        names.append(base)
    return list(dict.fromkeys(names))


def plot_history(history: Any, metrics: Any = None, axes: Any = None, label: str | None = None,
                 title: str | None = None, logy: bool = False, filename: Any = None,
                 figsize: tuple | None = None) -> Any:
    """Draw the learning curves of a training run; return the matplotlib Figure.

    Args:
        history: the `History` returned by `model.fit`, or its `.history` dict.
        metrics: names to draw (`"loss"`, `["loss", "accuracy"]`); default all. Each name gets
            one panel with its training curve (solid) and its `val_` curve (dashed), if any.
            A `learning_rate` entry (from a schedule) gets its own panel.
        axes: a matplotlib Axes (or a sequence, one per metric) to draw into, e.g. to put
            several runs on the same axes; default a new figure.
        label: a prefix for the legend entries ("Adam" gives "Adam training",
            "Adam validation", or just "Adam" when there is no validation curve), for
            comparing runs on the same axes; a run's two curves then share a colour.
        title: the figure's title.
        logy: logarithmic y axis.
        filename: if given, save the figure there (PNG, SVG, PDF... by its suffix).
        figsize: size of a new figure, in inches.

    Epochs are numbered from 1, as `fit` prints them. Nothing is shown: call
    `matplotlib.pyplot.show()` yourself to open a window.
    """
    logs = _as_dict(history)
    names = _panels(logs, metrics)
    plt = _pyplot()
    if axes is None:
        n = len(names)
        fig, axes = plt.subplots(1, n, figsize=figsize or (5.0 * n, 3.8), squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(axes) if isinstance(axes, (Sequence, np.ndarray)) else [axes]
        if len(axes) != len(names):
            raise ValueError(f"plot_history: got {len(axes)} axes for {len(names)} metrics "
                             f"{names}")
        fig = axes[0].figure
    prefix = f"{label} " if label else ""
    for ax, name in zip(axes, names):
        color = None
        if name in logs:
            values = logs[name]
            if name == "learning_rate":
                text = f"{prefix}{name}".strip()
            elif label and "val_" + name not in logs:
                text = label  # a run with no validation curve: its label says it all
            else:
                text = f"{prefix}training"
            (line,) = ax.plot(np.arange(1, len(values) + 1), values, "-", label=text)
            color = line.get_color()
        if "val_" + name in logs:
            values = logs["val_" + name]
            # one colour per run when runs are compared (label given), else two colours
            ax.plot(np.arange(1, len(values) + 1), values, "--",
                    color=color if label else None, label=f"{prefix}validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        if logy:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    if filename is not None:
        fig.tight_layout()
        fig.savefig(os.fspath(filename), dpi=100)
    return fig
