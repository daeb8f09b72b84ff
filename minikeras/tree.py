"""`keras.tree`: nested structures (lists, tuples, namedtuples, dicts, deques) as Keras 3
handles them (its optree implementation): dict values in sorted-key order (an
OrderedDict's in its own order), `None` a leaf, namedtuples rebuilt with their class.

Where we differ: `register_tree_node_class` (custom node types) is not provided."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any


class MAP_TO_NONE:  # noqa: N801 - Keras' name
    """Returned by a `traverse` function to put None in place of a sub-tree."""


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure: Any) -> bool:
    """True for lists, tuples (namedtuples too), dicts and deques."""
    return isinstance(structure, (list, tuple, dict, collections.deque))


def _keys(d: dict) -> list:
    if isinstance(d, collections.OrderedDict):
        return list(d)
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(f"keras.tree: dicts with non-sortable keys are not supported, got "
                        f"keys {list(d)}") from None


def _children(x: Any) -> list:
    if isinstance(x, dict):
        return [x[k] for k in _keys(x)]
    return list(x)


def _rebuild(x: Any, children: list) -> Any:
    """A node like `x` holding `children` (in `_children`' order)."""
    if isinstance(x, dict):
        by_key = dict(zip(_keys(x), children))
        if isinstance(x, collections.defaultdict):
            out: Any = collections.defaultdict(x.default_factory)
        else:
            out = type(x)() if type(x) is not dict else {}
        for k in x:  # the original key order, as optree
            out[k] = by_key[k]
        return out
    if _is_namedtuple(x):
        return type(x)(*children)
    if isinstance(x, collections.deque):
        return collections.deque(children, maxlen=x.maxlen)
    if isinstance(x, tuple):
        return tuple(children) if type(x) is tuple else type(x)(children)
    return list(children)


def _flatten(x: Any, out: list, is_leaf: Callable | None = None) -> None:
    if (is_leaf is not None and is_leaf(x)) or not is_nested(x):
        out.append(x)
        return
    for c in _children(x):
        _flatten(c, out, is_leaf)


def flatten(structure: Any) -> list:
    """The leaves in order: `flatten([[1, 2], {"b": 3, "a": 4}]) == [1, 2, 4, 3]`."""
    out: list = []
    _flatten(structure, out)
    return out


def flatten_with_path(structure: Any) -> list:
    """`(path, leaf)` pairs; a path is the tuple of indices and keys leading to the leaf."""
    out: list = []

    def walk(x: Any, path: tuple) -> None:
        if not is_nested(x):
            out.append((path, x))
            return
        keys = _keys(x) if isinstance(x, dict) else range(len(x))
        for k, c in zip(keys, _children(x)):
            walk(c, path + (k,))

    walk(structure, ())
    return out


def _same_structure(a: Any, b: Any, types: bool = True) -> str | None:
    """Why `a` and `b` differ in structure, or None."""
    na, nb = is_nested(a), is_nested(b)
    if not na and not nb:
        return None
    if na != nb:
        return f"{type(a).__name__} vs {type(b).__name__}"
    if types:
        ka = dict if isinstance(a, dict) else type(a)
        kb = dict if isinstance(b, dict) else type(b)
        if ka is not kb:
            return f"type {type(a).__name__} vs {type(b).__name__}"
    else:
        if isinstance(a, dict) != isinstance(b, dict):
            return f"type {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict) and set(a) != set(b):
        return f"dict keys {sorted(map(str, a))} vs {sorted(map(str, b))}"
    if len(a) != len(b):
        return f"lengths {len(a)} vs {len(b)}"
    for ca, cb in zip(_children(a), _children(b)):
        why = _same_structure(ca, cb, types)
        if why:
            return why
    return None


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """ValueError unless `a` and `b` nest the same way (same container types; dict,
    OrderedDict and defaultdict count as the same). `check_types` is deprecated in Keras
    and has no effect."""
    why = _same_structure(a, b)
    if why:
        raise ValueError(f"The two structures don't have the same nested structure ({why})."
                         f"\nFirst structure: {a}\n\nSecond structure: {b}")


def assert_same_paths(a: Any, b: Any) -> None:
    """ValueError unless `a` and `b` have the same paths (container types ignored)."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError("The two structures don't have the same paths. Paths in the first "
                         f"but not the second: {sorted(map(str, pa - pb))}; in the second "
                         f"but not the first: {sorted(map(str, pb - pa))}")


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """`func` applied to the leaves at the same places of `structures` (which must nest
    the same way); the result nests like the first."""
    if not callable(func):
        raise TypeError(f"map_structure: `func` must be callable, got {func!r}")
    if not structures:
        raise TypeError("map_structure: give at least one structure")
    for s in structures[1:]:
        assert_same_structure(structures[0], s)

    def walk(*xs: Any) -> Any:
        x = xs[0]
        if not is_nested(x):
            if x is None and not none_is_leaf:
                return None
            return func(*xs)
        kids = [_children(y) for y in xs]
        return _rebuild(x, [walk(*cs) for cs in zip(*kids)])

    return walk(*structures)


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """`map_structure` down to the leaves of `shallow_structure` only (deeper parts of
    `structures` are passed to `func` whole)."""
    def walk(shallow: Any, *xs: Any) -> Any:
        if not is_nested(shallow):
            return func(*xs)
        for x in xs:
            if not is_nested(x) or len(x) != len(shallow) or (
                    isinstance(shallow, dict) and (not isinstance(x, dict) or
                                                   set(x) != set(shallow))):
                raise ValueError("map_structure_up_to: the structures must be at least as "
                                 f"deep as `shallow_structure`; got {x!r} for {shallow!r}")
        kids = [_children(x) for x in xs]
        return _rebuild(shallow, [walk(s, *cs) for s, *cs in zip(_children(shallow), *kids)])

    return walk(shallow_structure, *structures)


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """`flat_sequence` packed into the nesting of `structure` (inverse of `flatten`)."""
    if not is_nested(flat_sequence):
        raise TypeError("pack_sequence_as: `flat_sequence` must be a sequence, got "
                        f"{type(flat_sequence).__name__}")
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if len(flat) != n:
        raise ValueError(f"pack_sequence_as: the structure has {n} leaves but "
                         f"`flat_sequence` has {len(flat)} elements. Structure: {structure}")
    it = iter(flat)

    def build(x: Any) -> Any:
        if not is_nested(x):
            return next(it)
        return _rebuild(x, [build(c) for c in _children(x)])

    return build(structure)


unflatten_as = pack_sequence_as  # the name Keras 2 (tf.nest) users know


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Depth-first: top-down, `func(subtree)` None goes on into it, anything else
    replaces it (`MAP_TO_NONE` for None); bottom-up, `func` sees the traversed sub-tree
    and None keeps it."""
    def walk(x: Any) -> Any:
        def children() -> Any:
            if not is_nested(x):
                return x
            return _rebuild(x, [walk(c) for c in _children(x)])

        if top_down:
            ret = func(x)
            if ret is None:
                return children()
        else:
            done = children()
            ret = func(done)
            if ret is None:
                return done
        return None if ret is MAP_TO_NONE else ret

    return walk(structure)


def lists_to_tuples(structure: Any) -> Any:
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """`map_structure` where lists and tuples of ints and Nones (shapes) are leaves."""
    def is_shape(x: Any) -> bool:
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None)))
                                                    for e in x)

    def walk(x: Any) -> Any:
        if is_shape(x) or not is_nested(x):
            return func(x)
        return _rebuild(x, [walk(c) for c in _children(x)])

    return walk(structure)


__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse",
           "unflatten_as"]
