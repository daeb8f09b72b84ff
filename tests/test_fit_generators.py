"""fit/evaluate/predict fed from Python generators, iterators and PyDataset/Sequence.

Trajectories against real Keras are in compat_tests/test_gen_compat.py; these pin the
checks, errors and the behaviour where Keras offers no reference. Each comment compares
with Keras 3.
"""

import io
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

import minikeras as keras

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 4)).astype("float32")
Y = RNG.normal(size=(40, 2)).astype("float32")


def _model(units=2, act=None, loss="mse", metrics=()):
    keras.utils.set_random_seed(1)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=act)])
    m.compile(keras.optimizers.SGD(0.05), loss, metrics=list(metrics))
    return m


def _batches(x=X, y=Y, size=8):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


def _bad_batch_stops_before_its_step(bad_batch, array_x, array_y):
    """The error for a bad second batch equals the one for the same arrays, and the
    weights are those after the first batch."""
    m = _model()
    with pytest.raises(ValueError) as from_arrays:
        m.fit(array_x, array_y, verbose=0)
    rec = _Recorder()
    batches = _batches()[:1] + [bad_batch]
    with pytest.raises(ValueError) as from_gen:
        m.fit(iter(batches), epochs=1, verbose=0, callbacks=[rec])
    assert str(from_gen.value) == str(from_arrays.value)
    assert len(rec.weights) == 1
    for got, want in zip(m.get_weights(), rec.weights[0]):
        np.testing.assert_array_equal(got, want)


def test_nan_in_a_later_batch_fails_before_that_batch_changes_weights():
    # Keras 3 trains on NaN (loss nan); minikeras refuses NaN in x as for arrays (better)
    bad_x = X[8:16].copy()
    bad_x[3, 1] = np.nan
    _bad_batch_stops_before_its_step((bad_x, Y[8:16]), bad_x, Y[8:16])


def test_wrong_feature_count_in_a_later_batch_has_the_array_message():
    # Keras 3 fails in the layer with its own message; here the same message as for arrays
    bad_x = X[8:16, :3]
    _bad_batch_stops_before_its_step((bad_x, Y[8:16]), bad_x, Y[8:16])


def test_nan_sample_weight_in_a_generator_batch_is_refused():
    # Keras 3 turns the weights into NaN; minikeras refuses it (better)
    sw = np.ones(8, "float32")
    sw[2] = np.nan
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match="sample_weight"):
        m.fit(iter([(X[:8], Y[:8], sw)]), verbose=0)
    for got, want in zip(m.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_finite_generator_ends_the_epoch_and_predict_evaluate_follow_the_array_results():
    m = _model()
    h = m.fit((b for b in _batches()), epochs=1, verbose=0)
    assert h.epoch == [0]
    ref = m.predict(X, verbose=0)
    np.testing.assert_allclose(m.predict((b for b in _batches()), verbose=0), ref, rtol=1e-6)
    np.testing.assert_allclose(m.predict(iter([(X[:20],), (X[20:],)]), verbose=0), ref,
                               rtol=1e-6)
    np.testing.assert_allclose(m.evaluate(iter(_batches()), verbose=0),
                               m.evaluate(X, Y, batch_size=8, verbose=0), rtol=1e-6)


def test_generator_running_out_warns_and_stops():
    # Keras 3 warns and then replays the two batches it peeked at, every later epoch;
    # Keras 2 records an empty epoch; minikeras warns with Keras' text and stops
    m = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        h = m.fit((b for b in _batches()), epochs=3, verbose=0)
    assert h.epoch == [0]


def test_stream_argument_errors():
    m = _model()
    # same as Keras 3: y and sample_weight belong in the batches
    with pytest.raises(ValueError, match="`y` should not be passed"):
        m.fit(iter(_batches()), Y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weight` should not be passed"):
        m.fit(iter(_batches()), sample_weight=np.ones(40), verbose=0)
    # same as Keras 3: an empty generator
    with pytest.raises(ValueError, match="at least one batch"):
        m.fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match="at least one batch"):
        m.evaluate(iter([]), verbose=0)
    # same as Keras 3: a batch must be a tuple
    with pytest.raises(ValueError, match="must be a tuple"):
        m.fit(iter([[X[:8], Y[:8]]]), verbose=0)
    # Keras 3 fails later on a generator with validation_split; here at once (better)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(iter(_batches()), validation_split=0.2, verbose=0)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="steps_per_epoch"):
            m.fit(iter(_batches()), steps_per_epoch=bad, verbose=0)
    with pytest.raises(ValueError, match="`workers`"):
        m.fit(iter(_batches()), workers="many", verbose=0)


def test_class_weight_with_a_generator_weights_each_batch():
    # Keras 3 refuses class_weight for generators; Keras 2's fit_generator applies it per
    # batch, and so do we. A batch that also carries sample weights is refused (Keras 3).
    labels = (Y[:, 0] > 0).astype("int32")
    cw = {0: 0.5, 1: 3.0}
    sw = np.where(labels == 1, 3.0, 0.5).astype("float32")
    a = _model(1, "sigmoid", "binary_crossentropy")
    a.fit(iter([(X[i:i + 8], labels[i:i + 8]) for i in range(0, 40, 8)]), class_weight=cw,
          verbose=0)
    b = _model(1, "sigmoid", "binary_crossentropy")
    b.fit(X, labels, sample_weight=sw, batch_size=8, shuffle=False, verbose=0)
    for got, want in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(ValueError, match="class_weight"):
        a.fit(iter([(X[:8], labels[:8], sw[:8])]), class_weight=cw, verbose=0)


class _Keras2Sequence(keras.utils.Sequence):
    """Written as for Keras 2: no super().__init__()."""

    def __init__(self, n_batches=5):
        self.n = n_batches
        self.ends = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8]

    def on_epoch_end(self):
        self.ends += 1


def test_keras2_sequence_and_fit_generator():
    # Keras 3 warns that super().__init__() was not called; Keras 2 code never calls it
    assert keras.utils.Sequence is keras.utils.PyDataset
    seq = _Keras2Sequence()
    m = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = m.fit_generator(seq, epochs=2, verbose=0, workers=4, use_multiprocessing=True,
                            max_queue_size=3, shuffle=False)
    assert h.epoch == [0, 1] and seq.workers == 1
    assert seq.ends == 3  # once when fit starts (as Keras 3), then once per epoch
    assert np.shape(m.predict_generator(seq, steps=2)) == (16, 2)
    assert np.isfinite(m.evaluate_generator(seq))


def test_pydataset_arguments_are_checked_and_kept():
    class DS(keras.utils.PyDataset):
        def __init__(self, **kw):
            super().__init__(**kw)

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return X[:8], Y[:8]

    d = DS(workers=3, use_multiprocessing=True, max_queue_size=5)
    assert (d.workers, d.use_multiprocessing, d.max_queue_size) == (3, True, 5)
    with pytest.raises(ValueError, match="workers"):
        DS(workers=-1)

    class Infinite(keras.utils.PyDataset):
        num_batches = None

        def __getitem__(self, i):
            return X[:8], Y[:8]

    m = _model()
    # Keras 3 loops forever on an infinite PyDataset without steps; we refuse (better)
    with pytest.raises(ValueError, match="steps"):
        m.fit(Infinite(), verbose=0)
    assert m.fit(Infinite(), steps_per_epoch=3, epochs=2, verbose=0).epoch == [0, 1]


def test_shuffle_reorders_pydataset_batches_per_epoch():
    # Keras 3 shuffles a PyDataset's batch order when shuffle=True (fit's default)
    seen = []

    class DS(keras.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            seen.append(i)
            return X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8]

    keras.utils.set_random_seed(3)
    m = _model()
    m.fit(DS(), epochs=3, verbose=0)
    epochs = [seen[1 + 5 * e:1 + 5 * (e + 1)] for e in range(3)]  # seen[0]: Keras' peek
    assert all(sorted(e) == [0, 1, 2, 3, 4] for e in epochs)
    assert any(e != [0, 1, 2, 3, 4] for e in epochs)


def test_progress_bar_with_an_unknown_number_of_steps():
    # Keras 3: "n/Unknown" while the first epoch runs, "n/n" on the final line
    m = _model()
    out = io.StringIO()
    with redirect_stdout(out):
        m.fit((b for b in _batches()), epochs=1, verbose=2)
    assert out.getvalue().startswith("5/5 - ")


def test_validation_generator_is_cached_for_later_epochs():
    # Keras 3 replays the first two batches it peeked at; we keep every batch of the first
    # pass, so validation sees the same data each epoch
    pulled = []

    def val():
        for b in _batches(size=10):
            pulled.append(1)
            yield b

    m = _model()
    h = m.fit(X, Y, validation_data=val(), epochs=3, verbose=0)
    assert len(pulled) == 4 and len(h.history["val_loss"]) == 3
    m2 = _model()
    h2 = m2.fit(X, Y, validation_data=(X, Y), validation_batch_size=10, epochs=3, verbose=0)
    np.testing.assert_allclose(h.history["val_loss"], h2.history["val_loss"], rtol=1e-6)
