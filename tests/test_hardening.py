"""What adversarial probing found (issue 13), each case pinned: linear model building and
caps on config sizes, layer dtype validation, all-or-nothing optimizer updates, input
casting to the layer's dtype. Each test's comment compares the case with Keras 3."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras.saving import h5_io, legacy_h5

L = keras.layers


# --- 1. building is linear in the number of layers; caps ----------------------------------

def _sequential_config(n: int) -> dict:
    return {"class_name": "Sequential", "config": {"name": "deep", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2],
                                                "name": "in"}}] + [
        {"class_name": "Dense", "config": {"units": 2, "name": f"d{i}"}} for i in range(n)]}}


def _python_calls(fn) -> int:
    """Python function calls (generator resumptions included) made by fn(): a measure of
    work that a loaded machine does not disturb."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_building_a_sequential_model_from_its_config_is_linear():
    # Keras 3: Sequential.add checks names against a list too, but a 20k-layer file is not
    # something it guards against. minikeras: a set of names kept in step with the stack,
    # so 4x the layers is 4x the work (a scan per add made it 16x: 8M calls for 4000).
    small = _python_calls(lambda: legacy_h5.model_from_config(_sequential_config(500)))
    large = _python_calls(lambda: legacy_h5.model_from_config(_sequential_config(2000)))
    assert large / small < 4.6, (small, large)


def _functional_config(n: int) -> dict:
    inputs = keras.Input((2,))
    x = inputs
    for _ in range(n):
        x = L.Dense(2)(x)
    return {"class_name": "Functional", "config": keras.Model(inputs, x).get_config()}


def test_building_a_functional_model_from_its_config_is_linear():
    # Keras 3: no guard either. minikeras ordered the layers of a graph with a scan per
    # node (16x the work for 4x the layers); now a set.
    small, large = _functional_config(150), _functional_config(600)
    small = _python_calls(lambda: legacy_h5.model_from_config(small))
    large = _python_calls(lambda: legacy_h5.model_from_config(large))
    assert large / small < 4.6, (small, large)


def test_unique_names_still_checked_after_pop_and_rename():
    # Keras 3: the same ValueError for a duplicate name.
    model = keras.Sequential([keras.Input((2,)), L.Dense(2, name="a"), L.Dense(2, name="b")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(L.Dense(2, name="a"))
    model.pop()
    model.add(L.Dense(2, name="b"))  # the popped name is free again
    model.layers[0].name = "renamed"
    model.add(L.Dense(2, name="a"))  # and so is a renamed layer's old name
    with pytest.raises(ValueError, match="unique names"):
        model.add(L.Dense(2, name="renamed"))


def test_layer_count_and_json_size_are_capped():
    # Keras 3 has no such caps (deliberately different: a file must not make loading run
    # for hours). The layer count is refused before any layer is built.
    config = _sequential_config(legacy_h5.MAX_LAYERS)  # + the InputLayer: one too many
    with pytest.raises(ValueError, match=f"more than {legacy_h5.MAX_LAYERS} layers"):
        legacy_h5.model_from_config(config)
    nested = {"class_name": "Sequential", "config": {"name": "outer", "layers": [
        {"class_name": "Sequential", "config": {"name": f"inner{i}", "layers": [
            {"class_name": "Dense", "config": {"units": 1}}] * 1000}} for i in range(101)]}}
    with pytest.raises(ValueError, match="layers"):
        legacy_h5.model_from_config(nested)
    with pytest.raises(ValueError, match="64 MiB"):
        h5_io.loads_json(" " * (h5_io.MAX_JSON_BYTES + 1) + "{}", "attribute 'model_config'")


def test_many_short_layer_names_fit_in_a_name_list(tmp_path):
    # Keras 3 writes such a name list as one fixed-length attribute too; minikeras' variable-
    # length form overflowed HDF5's 64 KB object header (16 bytes a name) from about 4000
    # short names, so a model of 5000 Dense layers could not be saved as .h5.
    names = [f"d{i}" for i in range(5000)]
    with h5py.File(tmp_path / "names.h5", "w") as f:
        h5_io.write_name_list(f, "layer_names", names)
        assert h5_io.read_name_list(f, "layer_names") == names


# --- 2. layer dtypes ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["str", "object", "complex128", "int32", "bool", "bfloat16",
                                   "string", {"class_name": "DTypePolicy",
                                              "config": {"name": "complex64"}}])
def test_non_float_layer_dtypes_are_refused(dtype):
    # Keras 3: "str"/"object" refused by the constructor (ValueError); "complex128", "int32",
    # "bool" accepted and fail later when the kernel is made; "bfloat16" works (through
    # ml_dtypes). minikeras refuses all of them at once, naming the dtype: better, except
    # bfloat16 (deliberately refused: NumPy has no bfloat16, see docs/decisions.md).
    with pytest.raises(ValueError, match="dtype"):
        L.Dense(3, dtype=dtype)


def test_float_dtypes_and_policies_are_accepted():
    # Keras 3: the same names; mixed policies compute in float16 there, and their variables
    # are float32 in both.
    for name in ("float16", "float32", "float64"):
        layer = L.Dense(2, dtype=name)
        layer(np.ones((1, 3), "float32"))
        assert layer.kernel.dtype == name
    assert L.Dense(2, dtype="mixed_float16").dtype == "float32"
    assert L.Dense(2, dtype={"class_name": "DTypePolicy",
                             "config": {"name": "float64"}}).dtype == "float64"
    assert L.InputLayer(shape=(2,), dtype="int32").dtype == "int32"  # indices come in


@pytest.mark.parametrize("bad", ["object", "complex128",
                                 {"module": "keras", "class_name": "DTypePolicy",
                                  "config": {"name": "str"}, "registered_name": None}])
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_files_with_non_float_layer_dtypes_are_refused(tmp_path, suffix, bad):
    # Keras 3 refuses "object"/"str" policies when it deserializes them and fails on
    # complex128 only when the kernel is initialised; minikeras refuses all with a
    # ValueError naming the dtype before any weight is made: better.
    path = tmp_path / f"m{suffix}"
    keras.Sequential([keras.Input((4,)), L.Dense(3, name="d")]).save(path)
    if suffix == ".h5":
        with h5py.File(path, "r+") as f:
            config = json.loads(f.attrs["model_config"])
            config["config"]["layers"][1]["config"]["dtype"] = bad
            del f.attrs["model_config"]
            f.attrs["model_config"] = json.dumps(config).encode()
    else:
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        config = json.loads(members["config.json"])
        config["config"]["layers"][0]["config"]["dtype"] = bad
        members["config.json"] = json.dumps(config).encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
        path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="dtype"):
        keras.models.load_model(path)


def test_add_weight_refuses_dtypes_that_are_not_numbers():
    # Keras 3 accepts integer and boolean variables (counters, flags), as minikeras does;
    # a string or object variable fails there inside the backend; minikeras: ValueError.
    class Odd(L.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), dtype="int64", initializer="zeros")
            self.text = self.add_weight(shape=(), dtype="object", initializer="zeros")

    with pytest.raises(ValueError, match="object"):
        Odd()(np.ones((1, 2), "float32"))


# --- 3. the optimizer update is all or nothing -----------------------------------------------

def _state(model):
    arrays = [w.numpy().copy() for w in model.weights]
    arrays += [np.array(v.value, copy=True) for v in model.optimizer.variables]
    return arrays


def _assert_same(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


class _FailOn:
    """Raises on its `fail_at`-th call (counting from 1) while `armed`."""

    def __init__(self, fail_at):
        self.calls = 0
        self.fail_at = fail_at

    def tick(self):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("failing on purpose")


class _FailingNonNeg(keras.constraints.Constraint):
    def __init__(self, counter):
        self.counter = counter

    def __call__(self, w):
        self.counter.tick()
        return keras.ops.maximum(w, 0.0)


def _bn_model(constraint=None, optimizer=None):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)),
                              L.Dense(5, activation="relu", kernel_constraint=constraint),
                              L.BatchNormalization(),
                              L.Dense(2)])
    model.compile(optimizer or keras.optimizers.Adam(0.01), "mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


@pytest.mark.parametrize("use_ema", [False, True])
def test_a_failing_constraint_leaves_the_step_undone(use_ema):
    # Keras 3 on JAX computes the step as a pure function and assigns its results only when
    # it returns, so a failing constraint changes nothing there either: the same. Before,
    # minikeras left the weights at step n+1 and `iterations` at n.
    x, y = _data()
    counter = _FailOn(fail_at=3)
    model = _bn_model(_FailingNonNeg(counter),
                      keras.optimizers.Adam(0.01, use_ema=use_ema, ema_overwrite_frequency=2))
    reference = _bn_model(_FailingNonNeg(_FailOn(fail_at=0)),
                          keras.optimizers.Adam(0.01, use_ema=use_ema,
                                                ema_overwrite_frequency=2))
    for _ in range(2):
        model.train_on_batch(x, y)
        reference.train_on_batch(x, y)
    before = _state(model)
    with pytest.raises(RuntimeError, match="on purpose"):
        model.train_on_batch(x, y)
    _assert_same(before, _state(model))
    assert int(model.optimizer.iterations.value) == 2
    # and the next step is exactly step 3 (Adam's bias correction not off by one)
    model.train_on_batch(x, y)
    reference.train_on_batch(x, y)
    _assert_same(_state(reference), _state(model))


class _FailingSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, fail_at_step):
        self.fail_at_step = fail_at_step

    def __call__(self, step):
        if int(np.asarray(step.value if hasattr(step, "value") else step)) == \
                self.fail_at_step:
            raise RuntimeError("failing on purpose")
        return 0.05

    def get_config(self):
        return {"fail_at_step": self.fail_at_step}


@pytest.mark.parametrize("how", ["fit", "train_on_batch"])
def test_a_failing_schedule_leaves_batch_norm_statistics_undone(how):
    # Keras 3 on JAX: the same (the schedule is part of the pure step). Before, minikeras
    # left the trainable weights at step n and BatchNormalization's moving statistics at
    # n+1.
    x, y = _data()
    model = _bn_model(optimizer=keras.optimizers.SGD(_FailingSchedule(2), momentum=0.9))
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)  # steps 0 and 1
    before = _state(model)
    with pytest.raises(RuntimeError, match="on purpose"):
        if how == "fit":
            model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        else:
            model.train_on_batch(x, y)
    _assert_same(before, _state(model))


class _OpsSGD(keras.optimizers.Optimizer):
    """An optimizer written with keras.ops, as a user writes one, failing on demand."""

    def __init__(self, counter, **kwargs):
        super().__init__(learning_rate=0.1, **kwargs)
        self.counter = counter

    def build(self, variables):
        super().build(variables)
        self.velocity = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        v = self.velocity[self._get_variable_index(variable)]
        self.assign(v, keras.ops.add(keras.ops.multiply(v, 0.9), gradient))
        self.assign_sub(variable, keras.ops.multiply(v, learning_rate))
        self.counter.tick()


def test_a_failing_update_step_of_a_users_optimizer_leaves_everything_undone():
    # Keras 3 on JAX: the same (a pure step). The failure comes after some variables
    # and their slots have been written.
    x, y = _data()
    counter = _FailOn(fail_at=9)  # 6 variables a step: the 3rd of step 2
    model = _bn_model(optimizer=_OpsSGD(counter))
    model.train_on_batch(x, y)
    before = _state(model)
    with pytest.raises(RuntimeError, match="on purpose"):
        model.train_on_batch(x, y)
    _assert_same(before, _state(model))


def test_a_failing_loss_leaves_batch_norm_statistics_undone():
    # Keras 3: the same. (This held before; kept next to the cases above.)
    x, y = _data()
    model = _bn_model()
    model.train_on_batch(x, y)
    calls = _FailOn(fail_at=1)

    def bad_loss(y_true, y_pred):
        calls.tick()
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    before = _state(model)
    model.compile(model.optimizer, bad_loss)
    with pytest.raises(RuntimeError, match="on purpose"):
        model.train_on_batch(x, y)
    _assert_same(before, _state(model))


# --- 5. inputs are cast to the layer's dtype -----------------------------------------------

def test_a_float32_layer_after_a_float64_layer_returns_float32():
    # Keras 3: the same (each layer casts floating inputs to its compute dtype).
    x = np.ones((3, 8), "float32")
    model = keras.Sequential([keras.Input((8,)), L.Dense(4, dtype="float64"), L.Dense(1)])
    assert model(x).dtype == "float32"
    assert model.predict(x, verbose=0).dtype == np.float32
    inputs = keras.Input((8,))
    functional = keras.Model(inputs, L.Dense(1)(L.Dense(4, dtype="float64")(inputs)))
    assert functional(x).dtype == "float32"
    model.compile("sgd", "mse")
    kernel = model.layers[0].kernel.numpy().copy()
    model.fit(x, np.ones((3, 1)), epochs=1, verbose=0)  # the training plan casts too
    assert model.layers[0].kernel.dtype == "float64"
    assert not np.array_equal(model.layers[0].kernel.numpy(), kernel)  # gradient flows
    assert model(x).dtype == "float32"


def test_integer_inputs_are_not_cast_and_autocast_false_opts_out():
    # Keras 3: integer inputs keep their dtype (Embedding's indices), and a layer built
    # with autocast=False takes its inputs as they come: the same.
    class Echo(L.Layer):
        def call(self, inputs):
            return inputs

    ints = keras.ops.convert_to_tensor(np.arange(6, dtype="int32").reshape(2, 3))
    assert Echo()(ints).dtype == "int32"
    doubles = keras.ops.convert_to_tensor(np.ones((2, 3)), dtype="float64")
    assert Echo()(doubles).dtype == "float32"
    assert Echo(autocast=False)(doubles).dtype == "float64"
    assert L.Embedding(10, 3).autocast is False  # Keras 3: Embedding(...).autocast is False


# --- 6. files: disagreeing records, linked or absurd optimizer state, symlinks ----------------

def _compiled_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="d")])
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    x = np.ones((8, 4), "float32")
    model.fit(x, x[:, :3], epochs=1, verbose=0)
    return model


def _rewrite_h5_attr(path, name, edit):
    with h5py.File(path, "r+") as f:
        value = json.loads(f.attrs[name])
        edit(value)
        del f.attrs[name]
        f.attrs[name] = json.dumps(value).encode()


def _rewrite_zip(path, member, edit):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[member] = edit(members[member])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_disagreeing_compile_records_warn(tmp_path, suffix, recwarn):
    # Keras 3 reads only its own record (training_config / compile_config), so it cannot
    # notice; minikeras compiles from its exact record and says that the two disagree:
    # better.
    path = tmp_path / f"m{suffix}"
    _compiled_model().save(path)
    keras.models.load_model(path)
    assert not [w for w in recwarn if "disagree" in str(w.message)]
    if suffix == ".h5":
        _rewrite_h5_attr(path, "training_config", lambda c: c.update(loss="mae"))
    else:
        def edit(raw):
            config = json.loads(raw)
            config["compile_config"]["optimizer"]["config"]["learning_rate"] = 0.5
            return json.dumps(config).encode()
        _rewrite_zip(path, "config.json", edit)
    with pytest.warns(UserWarning, match="disagree"):
        model = keras.models.load_model(path)
    assert model.loss in ("mse", "mean_squared_error") or \
        getattr(model.loss, "__name__", "") == "mean_squared_error"


def test_linked_optimizer_state_warns_and_is_not_followed(tmp_path):
    # Keras 3 (h5py) follows an external link wherever it finds one; minikeras never
    # does: the optimizer state is not restored, with the warning any unusable state gets
    # (before: silently fresh for .h5, a load failure for .weights.h5): better.
    model = _compiled_model()
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as f:
        f.create_group("g")
    h5 = tmp_path / "m.h5"
    model.save(h5)
    with h5py.File(h5, "r+") as f:
        del f["minikeras_optimizer_state"]
        f["minikeras_optimizer_state"] = h5py.ExternalLink(str(outside), "/g")
    with pytest.warns(UserWarning, match="link"):
        loaded = keras.models.load_model(h5)
    assert int(loaded.optimizer.iterations.value) == 0
    weights = tmp_path / "w.weights.h5"
    model.save_weights(weights)
    with h5py.File(weights, "r+") as f:
        del f["optimizer/vars"]
        f["optimizer/vars"] = h5py.ExternalLink(str(outside), "/g")
    fresh = _compiled_model()
    with pytest.warns(UserWarning, match="link"):
        fresh.load_weights(weights)
    np.testing.assert_array_equal(fresh.layers[0].kernel.numpy(),
                                  model.layers[0].kernel.numpy())


@pytest.mark.parametrize("bad", [np.nan, -0.5, np.inf])
@pytest.mark.parametrize("suffix", [".h5", ".keras", ".weights.h5"])
def test_absurd_stored_learning_rate_is_refused(tmp_path, suffix, bad):
    # Keras 3 assigns whatever the file holds (a NaN rate then turns every weight into
    # NaN at the next step); minikeras refuses the state with the warning any unusable
    # state gets and keeps the configured rate: better. Optimizer.set_weights raises.
    model = _compiled_model()
    path = tmp_path / f"m{suffix}"
    if suffix == ".weights.h5":
        model.save_weights(path)
        with h5py.File(path, "r+") as f:
            f["optimizer/vars/1"][()] = bad
    elif suffix == ".h5":
        model.save(path)
        with h5py.File(path, "r+") as f:
            g = f["minikeras_optimizer_state"]
            g[[n for n in g if "learning_rate" in n][0]][()] = bad
    else:
        model.save(path)

        def edit(raw):
            buffer = io.BytesIO(raw)
            with h5py.File(buffer, "r+") as f:
                f["optimizer/vars/1"][()] = bad
            return buffer.getvalue()
        _rewrite_zip(path, "model.weights.h5", edit)
    with pytest.warns(UserWarning, match="learning rate"):
        if suffix == ".weights.h5":
            loaded = _compiled_model()
            loaded.load_weights(path)
        else:
            loaded = keras.models.load_model(path)
    assert float(loaded.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    values = model.optimizer.get_weights()
    values[1] = np.asarray(bad, dtype=values[1].dtype)
    with pytest.raises(ValueError, match="learning rate"):
        model.optimizer.set_weights(values)


@pytest.mark.parametrize("suffix", [".h5", ".keras", ".weights.h5"])
def test_saving_through_a_symlink_replaces_its_target(tmp_path, suffix):
    # Keras 3 opens the path for writing, which writes through the link too: the same
    # (but minikeras still writes atomically, beside the target). Before, the link was
    # replaced by a plain file and its target kept the old model.
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / f"m{suffix}"
    link = tmp_path / f"link{suffix}"
    old, new = _compiled_model(), _compiled_model()
    new.layers[0].kernel.assign(np.full((4, 3), 0.25, "float32"))
    save = (lambda m, p: m.save_weights(p)) if suffix == ".weights.h5" else \
        (lambda m, p: m.save(p))
    save(old, target)
    link.symlink_to(target)
    save(new, link)
    assert link.is_symlink()
    back = _compiled_model()
    if suffix == ".weights.h5":
        back.load_weights(target)
    else:
        back = keras.models.load_model(target)
    np.testing.assert_array_equal(back.layers[0].kernel.numpy(), 0.25)
    assert not [p for p in tmp_path.rglob(".minikeras-*")]


# --- 7. temporaries of killed saves are cleaned up ------------------------------------------

def test_a_later_save_removes_the_temporaries_of_killed_saves(tmp_path):
    # Keras 3 writes in place (a killed save leaves a torn file and no temporary);
    # minikeras saves atomically and the next save of the same target removes what a
    # killed one left (writer process gone), and nothing else: better.
    target = tmp_path / "m.h5"
    code = ("import os, sys; from minikeras.saving import h5_io\n"
            "with h5_io.atomic_path(sys.argv[1]) as tmp:\n"
            "    open(tmp, 'wb').write(b'half a file')\n"
            "    os._exit(0)  # dies before the rename, as a killed save does\n")
    root = str(pathlib.Path(keras.__file__).parents[1])
    seen = []
    for _ in range(2):  # each dead writer's file is removed by the next save, even a failed one
        subprocess.run([sys.executable, "-c", code, str(target)], check=True, cwd=root)
        left = [p.name for p in tmp_path.glob(".minikeras-*.tmp")]
        assert len(left) == 1 and left[0].startswith(".minikeras-m.h5.") and \
            left[0] not in seen
        seen.append(left[0])
    pid = left[0].split(".")[-3]
    live = tmp_path / left[0].replace(f".{pid}.", f".{os.getpid()}.")
    live.write_bytes(b"a save in progress")  # a writer that is alive: kept
    other = tmp_path / left[0].replace("m.h5", "other.h5")
    other.write_bytes(b"another target")  # another target's: kept
    legacy = tmp_path / ".minikeras-abc123.tmp"
    legacy.write_bytes(b"old naming")  # not attributable to a target: kept
    _compiled_model().save(target)
    remaining = sorted(p.name for p in tmp_path.glob(".minikeras-*.tmp"))
    assert remaining == sorted([live.name, other.name, legacy.name])
    keras.models.load_model(target)
