"""Bad arguments to fit/evaluate found by adversarial probing (issue 13, item 4).

Each is refused with a ValueError that names the argument, before any weight changes. The
comment on each test compares with Keras 3 (3.15, jax).
"""

import numpy as np
import pytest

import minikeras as keras

RNG = np.random.default_rng(3)
X = RNG.normal(size=(30, 4)).astype("float32")
Y = RNG.normal(size=(30, 2)).astype("float32")
LABELS = RNG.integers(0, 3, size=30).astype("int32")


def _model(units=2, act=None, loss="mse"):
    keras.utils.set_random_seed(2)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=act)])
    m.compile("adam", loss)
    return m


def _refused_without_change(model, match, call):
    before = [w.copy() for w in model.get_weights()]
    iterations = int(model.optimizer.iterations.numpy()) if hasattr(
        model.optimizer.iterations, "numpy") else int(np.asarray(model.optimizer.iterations))
    with pytest.raises(ValueError, match=match):
        call()
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    assert int(np.asarray(getattr(model.optimizer.iterations, "value",
                                  model.optimizer.iterations))) == iterations


def test_wrong_validation_target_shape_fails_before_training():
    # Keras 3 trains the first epoch, then fails in validation with a TypeError about
    # broadcasting; refused up front, naming validation_data (better)
    m = _model()
    _refused_without_change(m, "validation_data", lambda: m.fit(
        X, Y, validation_data=(X[:10], np.zeros((10, 3), "float32")), epochs=2, verbose=0))
    # a validation generator's first batch is checked as well
    _refused_without_change(m, "validation_data", lambda: m.fit(
        X, Y, validation_data=iter([(X[:10], np.zeros((10, 5), "float32"))]), verbose=0))


@pytest.mark.parametrize("freq", [0, -1, 1.5, "2", None])
def test_validation_freq_is_checked(freq):
    # Keras 3, after the first epoch: ZeroDivisionError for 0, -1 silently never validates,
    # ValueError for float/str/None; here a ValueError before training (better)
    m = _model()
    _refused_without_change(m, "validation_freq", lambda: m.fit(
        X, Y, validation_data=(X, Y), validation_freq=freq, verbose=0))


def test_validation_freq_list_validates_those_epochs():
    # same as Keras 3: a list names the epochs (from 1) to validate after
    m = _model()
    h = m.fit(X, Y, validation_data=(X, Y), validation_freq=[1, 3], epochs=3, verbose=0)
    assert len(h.history["val_loss"]) == 2 and len(h.history["loss"]) == 3
    h = m.fit(X, Y, validation_data=(X, Y), validation_freq=2, epochs=4, verbose=0)
    assert len(h.history["val_loss"]) == 2


def test_evaluate_on_empty_data_raises():
    # Keras 3 raises a bare StopIteration on empty arrays; here a ValueError as fit gives
    # (better)
    m = _model()
    with pytest.raises(ValueError, match="no samples"):
        m.evaluate(X[:0], Y[:0], verbose=0)
    with pytest.raises(ValueError, match="no training samples"):
        m.fit(X[:0], Y[:0], verbose=0)


def test_sample_weight_with_class_weight_is_refused():
    # same as Keras 3 ("You cannot `class_weight` and `sample_weight` at the same time");
    # Keras 2 multiplied them. See docs/decisions.md.
    m = _model(3, "softmax", "sparse_categorical_crossentropy")
    sw = np.ones(30, "float32")
    for call in (lambda: m.fit(X, LABELS, sample_weight=sw, class_weight={0: 2.0},
                               verbose=0),
                 lambda: m.train_on_batch(X, LABELS, sample_weight=sw,
                                          class_weight={0: 2.0})):
        _refused_without_change(m, "class_weight` and `sample_weight", call)


@pytest.mark.parametrize("verbose", ["loud", 3, -1, 1.0, None])
def test_verbose_is_checked(verbose):
    # Keras 3 accepts all of these silently; here a ValueError naming `verbose` (better)
    m = _model()
    _refused_without_change(m, "`verbose`", lambda: m.fit(X, Y, verbose=verbose))
    with pytest.raises(ValueError, match="`verbose`"):
        m.evaluate(X, Y, verbose=verbose)
    with pytest.raises(ValueError, match="`verbose`"):
        m.predict(X, verbose=verbose)


def test_two_arrays_for_a_single_input_model():
    # Keras 3 warns about the input structure and trains on the first array only; here a
    # clear ValueError (better)
    m = _model()
    _refused_without_change(m, "expects 1 input, but `x` is a list of 2 arrays",
                            lambda: m.fit([X, X], Y, verbose=0))


def test_nan_in_sample_weight_or_class_weight_is_refused():
    # Keras 3 trains and the weights become NaN (checked: 3.15, jax); refused like NaN in x
    # (better)
    m = _model(3, "softmax", "sparse_categorical_crossentropy")
    sw = np.ones(30, "float32")
    sw[4] = np.nan
    _refused_without_change(m, "`sample_weight` contains 1 NaN",
                            lambda: m.fit(X, LABELS, sample_weight=sw, verbose=0))
    _refused_without_change(m, r"class_weight\[1\]",
                            lambda: m.fit(X, LABELS, class_weight={0: 1.0, 1: np.nan},
                                          verbose=0))
    _refused_without_change(m, "sample_weight", lambda: m.evaluate(
        X, LABELS, sample_weight=sw, verbose=0))


def test_fractional_sparse_labels_are_refused():
    # Keras 3 trains on them silently (float labels are cast to int); refused (better).
    # Integer-valued float labels are fine, as in Keras.
    m = _model(3, "softmax", "sparse_categorical_crossentropy")
    frac = LABELS.astype("float32")
    frac[7] = 1.5
    _refused_without_change(m, "fractional", lambda: m.fit(X, frac, verbose=0))
    m.fit(X, LABELS.astype("float32"), verbose=0)
    with pytest.raises(ValueError, match="fractional"):
        keras.losses.SparseCategoricalCrossentropy()(frac, np.full((30, 3), 1 / 3, "float32"))
