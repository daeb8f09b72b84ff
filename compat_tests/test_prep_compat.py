"""minikeras' Keras 2 preprocessing utilities against tf_keras 2.21 (fixtures written by
generate_prep_fixtures.py from cases_prep.py)."""

import json
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_prep as cases  # noqa: E402

from minikeras.preprocessing import sequence, text  # noqa: E402

with open(os.path.join(HERE, "fixtures", "prep_k2.json")) as f:
    FIX = json.load(f)


def _roundtrip(obj):
    # the fixture went through JSON: compare like with like (tuples -> lists, int keys -> str)
    return json.loads(json.dumps(obj))


def _assert_same(got, want, path=""):
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), path
        for k in want:
            _assert_same(got[k], want[k], f"{path}/{k}")
    elif isinstance(want, list) and want and isinstance(want[0], (list, float)):
        assert len(got) == len(want), path
        if isinstance(want[0], float) or (isinstance(want[0], list) and want[0]
                                          and isinstance(want[0][0], float)):
            np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float),
                                       rtol=1e-12, atol=1e-12, err_msg=path)
        else:
            for i, (g, w) in enumerate(zip(got, want)):
                _assert_same(g, w, f"{path}[{i}]")
    else:
        assert got == want, path


TEXT = _roundtrip(cases.text_cases(text))


def _parse_tables(tokenizer_json):
    # word_docs/index_docs are filled from a set, so their key order follows string hashing
    # (random per process in Keras too): compare the JSON-in-JSON tables as dicts.
    config = dict(tokenizer_json["config"])
    for key in ("word_counts", "word_docs", "index_docs", "index_word", "word_index"):
        config[key] = json.loads(config[key])
    return {**tokenizer_json, "config": config}


@pytest.mark.parametrize("name", sorted(FIX["text"]))
def test_text_matches_tf_keras(name):
    got, want = TEXT[name], FIX["text"][name]
    if name == "to_json":
        got, want = _parse_tables(got), _parse_tables(want)
        # word_counts keeps insertion order (an OrderedDict in both): check it as a list
        assert list(got["config"]["word_counts"]) == list(want["config"]["word_counts"])
    _assert_same(got, want, name)


def test_tokenizer_from_keras_json_reloads():
    tok = text.tokenizer_from_json(json.dumps(FIX["text"]["to_json"]))
    assert tok.num_words == 8 and tok.oov_token == "?"
    _assert_same(_roundtrip(tok.texts_to_sequences(cases.NEW_TEXTS)),
                 FIX["text"]["from_json"]["sequences"])


@pytest.mark.parametrize("name", sorted(FIX["timeseries"]))
def test_timeseries_matches_tf_keras(name):
    got = _roundtrip(cases.timeseries_cases(sequence)[name])
    _assert_same(got, FIX["timeseries"][name], name)


@pytest.mark.parametrize("name", sorted(FIX["skipgrams"]))
def test_skipgrams_matches_tf_keras(name):
    got = _roundtrip(cases.skipgram_cases(sequence)[name])
    assert got == FIX["skipgrams"][name]


def _is_rectangular(value):
    try:
        np.asarray(value, dtype=float)
    except (ValueError, TypeError):
        return False
    return True


def _assert_close_tree(got, want, path=""):
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), path
        for k in want:
            _assert_close_tree(got[k], want[k], f"{path}/{k}")
    elif isinstance(want, str) or want is None:
        assert got == want, path
    elif isinstance(want, list) and any(isinstance(w, (list, dict)) for w in want) and (
            not _is_rectangular(want)):
        # a list of dicts, or of unequal parts (batches of (x, y, sample_weight))
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_close_tree(g, w, f"{path}[{i}]")
    else:
        # float32 image arithmetic on values up to 255
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float),
                                   rtol=1e-5, atol=1e-3, err_msg=path)


@pytest.fixture(scope="module")
def image_results():
    pytest.importorskip("scipy")
    pytest.importorskip("PIL")
    from minikeras.preprocessing import image

    return _roundtrip(cases.image_cases(image))


@pytest.mark.parametrize("name", sorted(FIX["image"]))
def test_image_matches_tf_keras(name, image_results):
    _assert_close_tree(image_results[name], FIX["image"][name], name)
