"""A Keras 3 style progress bar: `32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - loss: 0.2500`."""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from minikeras import config
from minikeras.utils.io_utils import print_msg


def _format_value(v: Any) -> str:
    v = float(np.asarray(v.value if hasattr(v, "value") else v))
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4):
        return f"{v:.4e}"
    return f"{v:.4f}"


class Progbar:
    """Displays progress towards `target` steps; verbose 1 redraws one line, 2 prints only
    the final line."""

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, unit_name: str = "step") -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._start = time.time()
        self._last_update = 0.0
        # redraw one line only on a terminal, and never when messages go to `logging`
        self._dynamic = (config.is_interactive_logging_enabled()
                         and hasattr(sys.stdout, "isatty") and sys.stdout.isatty())

    def _line(self, current: int, logs: dict | None) -> str:
        elapsed = time.time() - self._start
        per_step = elapsed / current if current else 0.0
        if per_step >= 1:
            rate = f"{per_step:.0f}s/{self.unit_name}"
        elif per_step >= 1e-3:
            rate = f"{per_step * 1e3:.0f}ms/{self.unit_name}"
        else:
            rate = f"{per_step * 1e6:.0f}us/{self.unit_name}"
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in (logs or {}).items())
        if self.verbose == 2:
            return f"{current}/{self.target} - {elapsed:.0f}s - {rate}{metrics}"
        if self.target:
            done = int(self.width * current / self.target)
            bar = "\u2501" * done + "\u2501" * 0 + " " * (self.width - done) \
                if not self._dynamic else "\u2501" * done + "\u2500" * (self.width - done)
            head = f"{current}/{self.target} {bar}"
        else:
            head = f"{current}/Unknown"
        return f"{head} {elapsed:.0f}s {rate}{metrics}"

    def update(self, current: int, logs: dict | None = None, finalize: bool = False) -> None:
        if not self.verbose:
            return
        now = time.time()
        if self.verbose == 1 and not finalize:
            if not self._dynamic or now - self._last_update < self.interval:
                return
            sys.stdout.write("\r" + self._line(current, logs))
            sys.stdout.flush()
            self._last_update = now
            return
        if finalize:
            line = self._line(current, logs)
            print_msg(("\r" if self._dynamic and self.verbose == 1 else "") + line)
