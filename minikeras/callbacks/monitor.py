"""What EarlyStopping, ReduceLROnPlateau and ModelCheckpoint share: which way is better."""

from __future__ import annotations

import operator
import warnings
from typing import Any

from minikeras.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Chooses `monitor_op` from `mode` as Keras 3 does: 'min', 'max', or 'auto', where
    'auto' means min for losses and otherwise follows the metric's direction."""

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: Any = None,
                 min_delta: float = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode {mode!r} is unknown, falling back to "
                          "'auto'", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            listed = getattr(self.model, "metrics", []) or []
            # the compiled metrics are one entry of model.metrics (as Keras 3): look inside
            flat = [x for m in listed for x in (m.metrics if isinstance(
                getattr(m, "metrics", None), list) else [m])]
            for m in flat:
                if getattr(m, "name", None) == name and getattr(m, "_direction", None):
                    self.monitor_op = operator.gt if m._direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(f"{type(self).__name__} received monitor={self.monitor!r}, but "
                                 "cannot tell whether it should be maximized or minimized. Pass "
                                 "mode='max' or mode='min'.")
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, value: float, reference: Any) -> bool:
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))
