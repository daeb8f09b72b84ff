"""Where progress bars and training messages go: stdout, or Python's `logging` when
`keras.config.disable_interactive_logging()` is in effect (Keras sends them to absl logging)."""

from __future__ import annotations

import logging
import sys

from minikeras import config

_LOGGER = logging.getLogger("minikeras")


def print_msg(message: str, line_break: bool = True) -> None:
    """Print `message` (Keras' `io_utils.print_msg`)."""
    if config.is_interactive_logging_enabled():
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        _LOGGER.info(message)
