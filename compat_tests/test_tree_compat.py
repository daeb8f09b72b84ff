"""keras.tree against Keras 3.15 (compat_tests/fixtures/policy_k3.json, section "tree",
written by generate_policy_fixtures.py): every case's result (its repr), the visits of
`traverse`, or the type of the error Keras raises.

Keras rules checked: dict leaves in sorted-key order (OrderedDict: its own order), None
is a leaf, namedtuples and deques are nested, pack_sequence_as keeps the dict's key
order, map_structure needs the same structure (list vs tuple differ, dict keys must
match), traverse's top-down/bottom-up orders and MAP_TO_NONE."""

import collections
import json
from pathlib import Path

import pytest

from minikeras import tree

CASES = json.loads((Path(__file__).parent / "fixtures" / "policy_k3.json").read_text())[
    "sections"]["tree"]["cases"]
# Keras 3.15's optree implementation raises on the examples of its own docstring for
# map_structure_up_to; minikeras does what the docstring (and Keras' dmtree
# implementation) says: [2, 2] and ['[1, 1]', ['2', '2']] (docs/decisions.md)
FOLLOWS_THE_DOCSTRING = {"map_up_to_len": "[2, 2]", "map_up_to_str": "['[1, 1]', ['2', '2']]"}

Foo = collections.namedtuple("Foo", ["a", "b"])
Bar = collections.namedtuple("Bar", ["a", "b"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_tree_function_as_keras(name):
    case = CASES[name]
    visits: list = []
    env = {"tree": tree, "collections": collections, "Foo": Foo, "Bar": Bar, "v": visits}
    if name in FOLLOWS_THE_DOCSTRING:
        assert case["error"] == "ValueError"
        assert repr(eval(case["expr"], env)) == FOLLOWS_THE_DOCSTRING[name]  # noqa: S307
        return
    if "error" in case:
        with pytest.raises(Exception) as e:
            eval(case["expr"], env)  # noqa: S307 - the fixture's own expressions
        assert type(e.value).__name__ == case["error"], str(e.value)
        return
    assert repr(eval(case["expr"], env)) == case["result"]  # noqa: S307
    assert repr(visits) == case["visits"]
