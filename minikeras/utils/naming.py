"""Keras' automatic names: `dense`, `dense_1`, `dense_2`, ... per prefix, per process."""

from __future__ import annotations

import re
from collections import defaultdict

_UIDS: defaultdict = defaultdict(int)


def get_uid(prefix: str = "") -> int:
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids() -> None:
    _UIDS.clear()


def auto_name(prefix: str) -> str:
    uid = get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def to_snake_case(name: str) -> str:
    """`GaussianNoise` -> `gaussian_noise`, as Keras derives default layer names."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s


def closest(name: str, candidates) -> str | None:
    import difflib

    found = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.5)
    return found[0] if found else None


def unknown_name_error(kind: str, name, candidates) -> ValueError:
    """The error for an unknown identifier: names it and suggests the closest known one."""
    guess = closest(name, candidates)
    hint = f" Did you mean {guess!r}?" if guess else ""
    return ValueError(f"Unknown {kind}: {name!r}.{hint}")
