"""Interrupting `fit` is safe (issue 3, acceptance item 4).

(a) A KeyboardInterrupt raised inside a batch leaves the model's weights equal to those
    after the last completed step: raised from a callback's on_train_batch_begin/end, from
    a custom layer's `call` in the middle of the forward pass, with BatchNormalization's
    moving statistics, and from a Ctrl-C (SIGINT) arriving during the optimizer update.
(b) `fit` with BackupAndRestore after a simulated crash (an exception, a KeyboardInterrupt,
    or a process killed with os._exit) resumes at the right epoch and ends with exactly the
    weights of an uninterrupted run: bit-identical with shuffle=False, and with shuffling,
    Dropout (global and seeded) and Adam's moments when the runs are seeded.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks as cbs
from minikeras.autodiff import tensor as autodiff_tensor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def data(n=32, seed=0):
    rs = np.random.RandomState(seed)
    x = rs.normal(size=(n, 4)).astype("float32")
    y = (x @ rs.normal(size=(4, 3))).astype("float32")
    return x, y


class Bomb(keras.layers.Layer):
    """Identity; raises KeyboardInterrupt on its `at`-th training call (1-based)."""

    def __init__(self, at=None, **kwargs):
        super().__init__(**kwargs)
        self.at = at
        self.calls = 0

    def call(self, inputs, training=None):
        if training:
            self.calls += 1
            if self.calls == self.at:
                raise KeyboardInterrupt
        return inputs


def build(seed=7, bomb_at=None, batchnorm=False, dropout=False, optimizer="adam",
          constraint=None):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="relu")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization())
    if dropout:
        layers += [keras.layers.Dropout(0.3), keras.layers.Dropout(0.2, seed=5)]
    layers.append(Bomb(bomb_at))
    layers.append(keras.layers.Dense(3, kernel_constraint=constraint))
    model = keras.Sequential(layers)
    model.compile(optimizer, "mse")
    return model


class Snapshots(cbs.Callback):
    """weights[i] = the model's weights after i completed steps."""

    def on_train_begin(self, logs=None):
        self.weights = [self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(self.model.get_weights())


def reference_snapshots(**kwargs):
    x, y = data()
    model = build(**kwargs)
    snaps = Snapshots()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[snaps])
    return snaps.weights


def assert_weights_equal(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def check_after_interrupt(model, snaps):
    """The weights are those after the last completed step, and the model still works."""
    steps = int(model.optimizer.iterations.value)
    assert_weights_equal(model.get_weights(), snaps[steps])
    assert autodiff_tensor._state.tape is None and autodiff_tensor._state.recording
    x, y = data()
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)      # inference mode: Dropout is off
    model.layers[-2].at = None
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return steps


# --- (a) KeyboardInterrupt inside a batch -------------------------------------------------

@pytest.mark.parametrize("hook,step,completed", [
    ("on_train_batch_begin", 5, 5), ("on_train_batch_end", 5, 6),
    ("on_train_batch_begin", 0, 0), ("on_train_batch_end", 11, 12)])
def test_interrupt_from_a_callback(hook, step, completed):
    snaps = reference_snapshots(dropout=True)
    x, y = data()
    model = build(dropout=True)
    count = {"n": -1}

    def bomb(batch, logs=None):
        count["n"] += 1
        if count["n"] == step:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0,
                  callbacks=[cbs.LambdaCallback(**{hook: bomb})])
    assert check_after_interrupt(model, snaps) == completed


@pytest.mark.parametrize("at", [1, 6, 9])
def test_interrupt_from_a_layer_mid_forward(at):
    snaps = reference_snapshots(dropout=True)
    x, y = data()
    model = build(dropout=True, bomb_at=at)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert check_after_interrupt(model, snaps) == at - 1


def test_interrupt_mid_forward_undoes_batchnorm_moving_statistics():
    """BatchNormalization updates its moving mean and variance during the forward pass;
    an interrupt later in the same step must not leave them half a step ahead."""
    snaps = reference_snapshots(batchnorm=True)
    x, y = data()
    model = build(batchnorm=True, bomb_at=6)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert check_after_interrupt(model, snaps) == 5


class _SigintDuringUpdate:
    """A kernel constraint (applied inside optimizer.apply, after that variable's update
    and before the next ones') that delivers a real SIGINT on its `at`-th call, as a
    Ctrl-C at that moment would."""

    def __init__(self, at):
        self.at = at
        self.calls = 0

    def __call__(self, w):
        self.calls += 1
        if self.calls == self.at:
            signal.raise_signal(signal.SIGINT)
        return w


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals are delivered to the main thread")
def test_ctrl_c_during_the_optimizer_update_completes_the_step():
    snaps = reference_snapshots(constraint=_SigintDuringUpdate(None))
    x, y = data()
    model = build(constraint=_SigintDuringUpdate(6))
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    # the interrupted update is completed (6 steps), never left half-applied
    assert check_after_interrupt(model, snaps) == 6


def test_sigint_handler_is_left_as_it_was():
    before = signal.getsignal(signal.SIGINT)
    x, y = data()
    build().fit(x, y, epochs=1, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        build(bomb_at=2).fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert signal.getsignal(signal.SIGINT) is before


# --- (b) BackupAndRestore -----------------------------------------------------------------

class Crash(cbs.Callback):
    """Raises `exc` at (epoch, batch): batch None means at on_epoch_begin."""

    def __init__(self, epoch, batch=None, exc=RuntimeError):
        super().__init__()
        self.epoch, self.batch, self.exc = epoch, batch, exc
        self.current = None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch and self.batch is None:
            raise self.exc("simulated crash")

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise self.exc("simulated crash")


FIT = dict(epochs=6, batch_size=8, verbose=0)


def uninterrupted(shuffle, **model_kwargs):
    x, y = data(40)
    model = build(**model_kwargs)
    h = model.fit(x, y, shuffle=shuffle, validation_split=0.2, **FIT)
    return model.get_weights(), h.history, model


def crash_then_resume(tmp_path, shuffle, crash, **model_kwargs):
    x, y = data(40)
    backup = str(tmp_path / "backup")
    model = build(**model_kwargs)
    with pytest.raises((RuntimeError, KeyboardInterrupt)):
        model.fit(x, y, shuffle=shuffle, validation_split=0.2,
                  callbacks=[cbs.BackupAndRestore(backup), crash], **FIT)
    assert os.listdir(backup) == ["training_state.h5"]
    # a new process: another seed, a freshly initialised model
    fresh = build(seed=12345, **model_kwargs)
    h = fresh.fit(x, y, shuffle=shuffle, validation_split=0.2,
                  callbacks=[cbs.BackupAndRestore(backup)], **FIT)
    assert not os.path.exists(backup)
    return fresh.get_weights(), h, fresh


@pytest.mark.parametrize("crash", [Crash(3), Crash(3, batch=2, exc=KeyboardInterrupt)],
                         ids=["at-epoch-begin", "keyboard-interrupt-mid-epoch"])
def test_resume_without_shuffle_is_bit_identical(tmp_path, crash):
    want, ref_hist, _ = uninterrupted(False)
    got, h, _ = crash_then_resume(tmp_path, False, crash)
    assert h.epoch == [3, 4, 5]
    assert_weights_equal(got, want)
    # (the epoch loss is a running mean whose last bit depends on whether any callback
    # reads it every batch: see test_callbacks.py::test_logs_do_not_depend_on_batch_hooks)
    np.testing.assert_allclose(h.history["loss"], ref_hist["loss"][3:], rtol=1e-6)
    assert h.history["val_loss"] == ref_hist["val_loss"][3:]


def test_resume_with_shuffle_dropout_and_adam_is_bit_identical(tmp_path):
    want, ref_hist, ref_model = uninterrupted(True, dropout=True)
    got, h, fresh = crash_then_resume(tmp_path, True, Crash(4, batch=0), dropout=True)
    assert h.epoch == [4, 5]
    assert_weights_equal(got, want)
    assert_weights_equal(fresh.optimizer.get_weights(), ref_model.optimizer.get_weights())
    np.testing.assert_allclose(h.history["loss"], ref_hist["loss"][4:], rtol=1e-6)


def test_keras_docstring_example_runs_the_remaining_epochs(tmp_path):
    """Keras' own example: interrupted at epoch 4 of 10, the next fit runs 6 epochs."""
    backup = str(tmp_path / "backup")
    model = keras.Sequential([keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(), loss="mse")
    model.build(input_shape=(None, 20))
    x, y = np.arange(100).reshape(5, 20).astype("float32") / 100, np.zeros((5, 10))
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=10, batch_size=1, verbose=0,
                  callbacks=[cbs.BackupAndRestore(backup), Crash(4)])
    h = model.fit(x, y, epochs=10, batch_size=1, verbose=0,
                  callbacks=[cbs.BackupAndRestore(backup)])
    assert len(h.history["loss"]) == 6


_CHILD = textwrap.dedent("""
    import os, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    import test_interrupt as T
    from minikeras import callbacks as cbs

    class Die(cbs.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 3 and batch == 1:
                os._exit(17)  # no cleanup, no on_train_end: as if the process were killed

    x, y = T.data(40)
    model = T.build(dropout=True)
    model.fit(x, y, shuffle=True, validation_split=0.2,
              callbacks=[cbs.BackupAndRestore({backup!r}), Die()], **T.FIT)
""")


def test_resume_after_the_process_was_killed(tmp_path):
    backup = str(tmp_path / "backup")
    code = _CHILD.format(root=ROOT, tests=os.path.dirname(os.path.abspath(__file__)),
                         backup=backup)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 17, proc.stderr
    want, ref_hist, _ = uninterrupted(True, dropout=True)
    x, y = data(40)
    fresh = build(seed=999, dropout=True)
    h = fresh.fit(x, y, shuffle=True, validation_split=0.2,
                  callbacks=[cbs.BackupAndRestore(backup)], **FIT)
    assert h.epoch == [3, 4, 5]
    assert_weights_equal(fresh.get_weights(), want)


# --- BackupAndRestore: what it writes and restores (independent of the loop) --------------

class EpochEndState(cbs.Callback):
    """What the model, optimizer and global generator hold at each epoch end."""

    def on_train_begin(self, logs=None):
        self.states = {}

    def on_epoch_end(self, epoch, logs=None):
        self.states[epoch] = (self.model.get_weights(), self.model.optimizer.get_weights(),
                              np.random.get_state()[1].copy())


def test_backup_holds_the_state_of_the_last_epoch_end(tmp_path):
    x, y = data(40)
    backup = str(tmp_path / "b")
    model = build(dropout=True)
    # BackupAndRestore after EpochEndState: both see the same epoch end
    record = EpochEndState()
    with pytest.raises(RuntimeError):
        model.fit(x, y, callbacks=[record, cbs.BackupAndRestore(backup), Crash(2, batch=1)],
                  **FIT)
    weights, opt_weights, rng_keys = record.states[1]
    fresh = build(seed=3, dropout=True)
    np.random.seed(77)
    cb = cbs.BackupAndRestore(backup)
    cb.set_model(fresh)
    cb.on_train_begin({})
    assert fresh._initial_epoch == 2
    assert_weights_equal(fresh.get_weights(), weights)
    assert_weights_equal(fresh.optimizer.get_weights(), opt_weights)
    np.testing.assert_array_equal(np.random.get_state()[1], rng_keys)
    cb.on_epoch_begin(2, {})
    assert fresh._initial_epoch is None        # read once by the loop, then cleared


def test_backup_deleted_at_the_end_unless_asked_and_other_files_kept(tmp_path):
    x, y = data()
    backup = tmp_path / "b"
    model = build()
    model.fit(x, y, callbacks=[cbs.BackupAndRestore(str(backup))], **FIT)
    assert not backup.exists()
    model.fit(x, y, callbacks=[cbs.BackupAndRestore(str(backup), delete_checkpoint=False)],
              **FIT)
    with h5py.File(backup / "training_state.h5", "r") as f:
        assert f.attrs["epoch"] == 6
    backup2 = tmp_path / "c"
    backup2.mkdir()
    (backup2 / "notes.txt").write_text("mine")
    model.fit(x, y, callbacks=[cbs.BackupAndRestore(str(backup2))], **FIT)
    assert os.listdir(backup2) == ["notes.txt"]


def test_backup_every_n_batches(tmp_path):
    x, y = data(40)   # 5 batches an epoch
    backup = str(tmp_path / "b")
    seen = []

    class Peek(cbs.Callback):
        def on_train_batch_end(self, batch, logs=None):
            path = os.path.join(backup, "training_state.h5")
            if os.path.exists(path):
                with h5py.File(path, "r") as f:
                    seen.append((int(f.attrs["epoch"]), int(f.attrs["batch"])))

    with pytest.raises(RuntimeError):
        build().fit(x, y, callbacks=[cbs.BackupAndRestore(backup, save_freq=3), Peek(),
                                     Crash(1, batch=4)], **FIT)
    assert sorted(set(seen)) == [(0, 2), (1, 0), (1, 3)]


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    x, y = data()
    backup = tmp_path / "b"
    with pytest.raises(RuntimeError):
        build().fit(x, y, callbacks=[cbs.BackupAndRestore(str(backup), double_checkpoint=True),
                                     Crash(3)], **FIT)
    assert sorted(os.listdir(backup)) == ["training_state.h5", "training_state.h5.bkp"]
    (backup / "training_state.h5").write_bytes(b"torn")
    fresh = build(seed=1)
    cb = cbs.BackupAndRestore(str(backup), double_checkpoint=True)
    cb.set_model(fresh)
    cb.on_train_begin({})
    assert fresh._initial_epoch == 2
    cb = cbs.BackupAndRestore(str(backup))
    cb.set_model(fresh)
    with pytest.raises(OSError, match="cannot be read"):
        cb.on_train_begin({})


def test_backup_of_another_model_is_an_error(tmp_path):
    x, y = data()
    backup = str(tmp_path / "b")
    with pytest.raises(RuntimeError):
        build().fit(x, y, callbacks=[cbs.BackupAndRestore(backup), Crash(1)], **FIT)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    other.compile("adam", "mse")
    with pytest.raises(ValueError, match="different model"):
        other.fit(x, y, callbacks=[cbs.BackupAndRestore(backup)], **FIT)
    sgd_model = build(optimizer="sgd")
    with pytest.raises(ValueError, match="optimizer variables"):
        sgd_model.fit(x, y, callbacks=[cbs.BackupAndRestore(backup)], **FIT)


def test_backup_and_restore_arguments():
    with pytest.raises(ValueError, match="backup_dir"):
        cbs.BackupAndRestore("")
    for bad in ("batch", 0, 1.5):
        with pytest.raises(ValueError, match="save_freq"):
            cbs.BackupAndRestore("/tmp/x", save_freq=bad)
    cbs.BackupAndRestore("/tmp/x", save_freq=False)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    cb = cbs.BackupAndRestore("/tmp/x")
    cb.set_model(unbuilt)
    with pytest.raises(ValueError, match="must be built"):
        cb.on_train_begin({})
