"""Keras' automatic names: `dense`, `dense_1`, `dense_2`, ... per prefix, per process."""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=512)  # (every layer and optimizer asks at construction)
def to_snake_case(name: str) -> str:
    """`GaussianNoise` -> `gaussian_noise`, as Keras derives default layer names (Keras 3's
    rules exactly: a digit does not start a word, so `ZeroPadding2D` -> `zero_padding2d`)."""
    s = re.sub(r"\W+", "", name)
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two neighbouring letters each cost 1 (so 'adma' is one step from 'adam')."""
    prev2: list = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def closest(name: str, candidates) -> str | None:
    """The known name nearest to a misspelt one, or None when nothing is close."""
    import difflib

    name = str(name)
    best, best_key = None, None
    for cand in candidates:
        cand = str(cand)
        d = _edit_distance(name.lower(), cand.lower())
        if d > max(2, len(name) // 3):
            continue
        key = (d, -difflib.SequenceMatcher(None, name, cand).ratio())
        if best_key is None or key < best_key:
            best, best_key = cand, key
    if best is None:
        found = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.6)
        best = found[0] if found else None
    return best


def unknown_name_error(kind: str, name, candidates) -> ValueError:
    """The error for an unknown identifier: names it and suggests the closest known one."""
    guess = closest(name, candidates)
    hint = f" Did you mean {guess!r}?" if guess else ""
    keras_kind = _KERAS_IDENTIFIER_KINDS.get(kind)
    if keras_kind:  # Keras' own wording first, which users match on
        return ValueError(f"Could not interpret {keras_kind} identifier: {name}. "
                          f"Unknown {kind}: {name!r}.{hint}")
    return ValueError(f"Unknown {kind}: {name!r}.{hint}")


# the kinds whose `get()` Keras 3 words as "Could not interpret <kind> identifier: <name>"
_KERAS_IDENTIFIER_KINDS = {"activation": "activation function", "loss": "loss",
                           "metric": "metric", "optimizer": "optimizer",
                           "initializer": "initializer", "regularizer": "regularizer",
                           "constraint": "constraint"}
