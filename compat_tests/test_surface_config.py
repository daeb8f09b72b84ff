"""Keras rules checked here (serialization, issue 11 item 1):

- `keras.saving.serialize_keras_object(obj)` writes `{"module", "class_name", "config",
  "registered_name"}` for objects, Keras 3's function form
  `{"module": "builtins", "class_name": "function", "config": name, "registered_name":
  "function"}` for functions, and plain values as they are;
  `deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs)` inverts
  it, resolving names only through custom objects, scopes, the registry and Keras' public
  namespaces.
- every public class of keras.layers, losses, metrics, optimizers, optimizers.schedules,
  initializers, regularizers and constraints, built with non-default arguments, has the
  config real Keras 3 writes (every key Keras writes, same values; minikeras may hold
  more, e.g. CosineSimilarity's `axis`), and survives `get_config` -> `from_config` and
  `serialize` -> `deserialize` unchanged.
- registered classes and functions (`register_keras_serializable(package, name)`),
  `get_registered_name`, `get_registered_object`, `custom_objects` and
  `custom_object_scope`/`CustomObjectScope` work as Keras 3's tests use them.

Reference: `fixtures/configs_k3.json`, written by real Keras 3 (generate_config_fixtures.py).
"""

from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras.saving import deserialize_keras_object, serialize_keras_object

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = json.load(open(os.path.join(HERE, "fixtures", "configs_k3.json")))
CONFIGS = FIXTURE["configs"]

# Differences that remain, by class and argument, with the reason (docs/compatibility.md).
KNOWN = {
    "layers.Dense": {"quantization_config": "quantization is out of scope (issue 11)"},
    "layers.BatchNormalization": {"renorm": "batch renormalization is not implemented",
                                  "renorm_clipping": "batch renormalization",
                                  "renorm_momentum": "batch renormalization",
                                  "synchronized": "no distribution in minikeras"},
}
# Keras 3.15's variance-scaling initializers take `input_axes`/`output_axes`
for _name in ("GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
              "LecunUniform", "VarianceScaling", "glorot_normal", "glorot_uniform",
              "he_normal", "he_uniform", "lecun_normal", "lecun_uniform"):
    KNOWN[f"initializers.{_name}"] = {"input_axes": "not implemented (Keras 3.15 addition)",
                                      "output_axes": "not implemented (Keras 3.15 addition)"}
KNOWN["layers.InputLayer"] = {"optional": "optional inputs are another part of issue 11"}
KNOWN["layers.Embedding"] = {"quantization_config": "quantization is out of scope (issue 11)"}
# Keras builds these with strides > 1 and dilation_rate > 1 (and fails when called);
# minikeras refuses the pair when the layer is made
for _name in ("DepthwiseConv1D", "SeparableConv1D", "SeparableConvolution1D"):
    KNOWN[f"layers.{_name}"] = {"dilation_rate": "refused with strides > 1 when made"}
# Keys minikeras writes under another name: InputLayer keeps Keras 2's `batch_input_shape`
# (Keras 2 and 3 both read it; the .keras writer turns it into `batch_shape`)
RENAMED = {"layers.InputLayer": {"batch_shape": "batch_input_shape",
                                 "shape": "batch_input_shape"}}
# nested initializer configs inherit the same gap
_NESTED_OK = {"input_axes", "output_axes", "quantization_config"}


def _class(name):
    ns, cls_name = name.rsplit(".", 1)
    module = keras
    for part in ns.split("."):
        module = getattr(module, part)
    return getattr(module, cls_name, None)


CASES = sorted(n for n in CONFIGS if _class(n) is not None)


def _json(x):
    return json.loads(json.dumps(x, default=lambda o: o.tolist() if hasattr(o, "tolist")
                                 else repr(o)))


def _norm(v):
    """Keras' DTypePolicy dicts as their name; nested objects as class_name + config."""
    if isinstance(v, dict):
        if v.get("class_name") == "DTypePolicy":
            return (v.get("config") or {}).get("name")
        if "class_name" in v and "config" in v:
            return {"class_name": v["class_name"], "config": _norm(v["config"])}
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def _differences(ours, theirs, path=""):
    """Where `ours` lacks or differs from what Keras wrote (extra keys in ours are fine)."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        out = []
        for k, v in theirs.items():
            if k not in ours:
                if k not in _NESTED_OK or not path:
                    out.append(f"{path}{k}: missing (Keras: {v!r})")
            else:
                out += _differences(ours[k], v, f"{path}{k}.")
        return out
    if isinstance(theirs, list) and isinstance(ours, list) and len(ours) == len(theirs):
        return [d for a, b in zip(ours, theirs) for d in _differences(a, b, path)]
    numbers = (int, float)
    if isinstance(ours, numbers) and isinstance(theirs, numbers) and \
            not isinstance(ours, bool) and not isinstance(theirs, bool) and \
            (isinstance(ours, float) or isinstance(theirs, float)):
        same = math.isclose(ours, theirs, rel_tol=1e-6, abs_tol=1e-12)
    else:
        same = ours == theirs and type(ours) is type(theirs)
    return [] if same else [f"{path.rstrip('.')}: {ours!r} != Keras' {theirs!r}"]


def _build(name):
    case = CONFIGS[name]
    known = KNOWN.get(name, {})
    kwargs = {k: v for k, v in case["kwargs"].items() if k not in known}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _class(name)(**kwargs), kwargs


@pytest.mark.parametrize("name", CASES)
def test_config_is_keras3s_and_round_trips(name):
    obj, kwargs = _build(name)
    theirs = CONFIGS[name]["serialized"]
    ours = _json(serialize_keras_object(obj))
    known = KNOWN.get(name, {})
    problems = [f"{k}: {ours.get(k)!r} != Keras' {theirs.get(k)!r}"
                for k in ("module", "class_name", "registered_name")
                if ours.get(k) != theirs.get(k)]
    renamed = RENAMED.get(name, {})
    theirs_cfg = {renamed.get(k, k): v for k, v in _norm(theirs["config"]).items()
                  if k not in known}
    kwargs = {k: v for k, v in kwargs.items() if k not in renamed}  # checked as renamed
    if "name" not in kwargs:  # an automatic name depends on what the process made before
        theirs_cfg.pop("name", None)
    ours_cfg = _norm(ours["config"])
    problems += _differences(ours_cfg, theirs_cfg)
    # every argument given is in the config (even where Keras drops it)
    for k, v in kwargs.items():
        if k not in ours_cfg:
            problems.append(f"argument {k}={v!r} is not in the config")
        elif k not in theirs_cfg and not isinstance(ours_cfg[k], dict):
            problems += _differences(ours_cfg[k], _norm(v), f"argument {k}.")
    assert not problems, f"{name}: " + "; ".join(problems)

    # get_config -> from_config, and serialize -> deserialize, change nothing
    cls = type(obj)
    again = cls.from_config(obj.get_config())
    assert _norm(_json(serialize_keras_object(again))) == _norm(ours)
    back = deserialize_keras_object(json.loads(json.dumps(ours)))
    assert type(back) is cls
    assert _norm(_json(serialize_keras_object(back))) == _norm(ours)


@pytest.mark.parametrize("name", CASES)
def test_keras3_serialized_form_deserializes_here(name):
    theirs = json.loads(json.dumps(CONFIGS[name]["serialized"]))
    known = KNOWN.get(name, {})
    for key in known:
        theirs["config"].pop(key, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obj = deserialize_keras_object(theirs)
    ours = _norm(_json(serialize_keras_object(obj))["config"])
    renamed = RENAMED.get(name, {})
    assert not _differences(ours, {renamed.get(k, k): v
                                   for k, v in _norm(theirs["config"]).items()})


def test_functions_serialize_and_deserialize_as_keras3():
    checked = 0
    for name, theirs in FIXTURE["functions"].items():
        ns, fn_name = name.split(".")
        fn = getattr(getattr(keras, ns), fn_name, None)
        if fn is None:
            continue
        assert serialize_keras_object(fn) == theirs, name
        back = deserialize_keras_object(theirs)
        assert callable(back)
        # the same computation (aliases may be other function objects)
        x = np.linspace(0.05, 0.95, 8, dtype="float32").reshape(2, 4)
        if ns == "activations" and fn_name != "threshold":  # (threshold needs arguments)
            np.testing.assert_allclose(np.asarray(back(x).value), np.asarray(fn(x).value))
        checked += 1
    assert checked >= 40


def test_plain_values_serialize_as_keras3():
    values = {"none": None, "str": "relu", "int": 3, "float": 0.5, "bool": True,
              "list": [1, 2], "tuple": (1, 2), "dict": {"a": 1, "b": [1.5]},
              "np_float32": np.float32(2.0), "np_array": np.array([1, 2], dtype="int64"),
              "np_array_f32": np.array([[1.5, 2.0]], dtype="float32")}
    for key, theirs in FIXTURE["plain"].items():
        ours = serialize_keras_object(values[key])
        assert _json(ours) == theirs, key
        back = deserialize_keras_object(theirs)
        if isinstance(values[key], dict):
            assert back == values[key]
        else:
            np.testing.assert_array_equal(np.asarray(back), np.asarray(values[key]))
    arr = deserialize_keras_object(FIXTURE["plain"]["np_array_f32"])
    assert arr.dtype == np.float32 and arr.shape == (1, 2)


def test_deserialize_signature_and_strings():
    import inspect

    sig = inspect.signature(deserialize_keras_object)
    assert list(sig.parameters)[:3] == ["config", "custom_objects", "safe_mode"]
    assert sig.parameters["safe_mode"].default is True
    assert deserialize_keras_object("relu") == "relu"  # an unregistered string stays
    assert deserialize_keras_object(None) is None
    assert deserialize_keras_object([1, "a"]) == [1, "a"]


def test_registered_class_and_function_round_trip():
    @keras.saving.register_keras_serializable(package="surface_pkg", name="Twice")
    class Twice(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @keras.saving.register_keras_serializable(package="surface_pkg", name="halve")
    def halve(x):
        return x * 0.5

    assert keras.saving.get_registered_name(Twice) == "surface_pkg>Twice"
    assert keras.saving.get_registered_object("surface_pkg>Twice") is Twice
    assert keras.saving.get_registered_name(halve) == "surface_pkg>halve"
    config = serialize_keras_object(Twice(factor=3.0, name="tw"))
    assert config["registered_name"] == "surface_pkg>Twice"
    assert config["class_name"] == "Twice"
    back = deserialize_keras_object(config)
    assert type(back) is Twice and back.factor == 3.0 and back.name == "tw"
    fconf = serialize_keras_object(halve)
    assert fconf == {"module": "builtins", "class_name": "function",
                     "config": "surface_pkg>halve", "registered_name": "function"}
    assert deserialize_keras_object(fconf) is halve
    # a registered activation works by name inside a layer config
    dense = keras.layers.Dense(2, activation=halve)
    again = keras.layers.Dense.from_config(dense.get_config())
    assert again.activation is halve


def test_custom_objects_and_scopes():
    class Plain(keras.layers.Layer):
        def call(self, x):
            return x

    config = serialize_keras_object(Plain(name="p"))
    assert config["registered_name"] == "Plain"
    with pytest.raises(TypeError, match="Could not locate class 'Plain'"):
        deserialize_keras_object(config)
    assert type(deserialize_keras_object(config, custom_objects={"Plain": Plain})) is Plain
    with keras.saving.custom_object_scope({"Plain": Plain}):
        assert type(deserialize_keras_object(config)) is Plain
    with keras.saving.CustomObjectScope({"Plain": Plain}):
        assert type(deserialize_keras_object(config)) is Plain
    assert keras.utils.custom_object_scope is keras.saving.custom_object_scope or \
        callable(keras.utils.custom_object_scope)


def test_lambdas_are_never_written_or_run():
    with pytest.raises(ValueError, match="lambda"):
        serialize_keras_object(lambda x: x)
    config = {"class_name": "__lambda__", "config": {"value": "payload"}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        deserialize_keras_object(config)
    keras.config.enable_unsafe_deserialization()
    try:
        with pytest.raises(ValueError, match="never executes code"):
            deserialize_keras_object(config, safe_mode=False)
    finally:
        import minikeras.config as cfg

        cfg._UNSAFE_DESERIALIZATION = False


def test_every_recorded_class_exists_or_is_listed_as_missing():
    """Every class Keras records here is either in minikeras or named in
    docs/compatibility.md as missing (the doc is generated from public names)."""
    doc = open(os.path.join(HERE, "..", "docs", "compatibility.md")).read()
    for name in CONFIGS:
        if _class(name) is None:
            assert name.rsplit(".", 1)[1] in doc, name


# --- cases of Keras 3's own keras/src/saving/serialization_lib_test.py -------------------

def _roundtrip(obj, custom_objects=None):
    serialized = serialize_keras_object(obj)
    data = json.loads(json.dumps(serialized))
    back = deserialize_keras_object(data, custom_objects=custom_objects)
    return serialized, back, serialize_keras_object(back)


def _lists(x):
    return json.loads(json.dumps(x))


def test_keras_spec_simple_objects():
    for obj in ["hello", b"hello", np.array([0, 1]), np.array([0.0, 1.0]), np.float32(1.0),
                ["hello", 0, "world", 1.0, True], {"1": "hello", "2": 0, "3": True},
                {"1": "hello", "2": [True, False]}, slice(None, 20, 1), Ellipsis]:
        serialized, back, again = _roundtrip(obj)
        assert _lists(serialized) == _lists(again), obj
    assert _roundtrip(Ellipsis)[1] is Ellipsis
    assert _roundtrip(b"hello")[1] == b"hello"


def test_keras_spec_builtin_layer():
    layer = keras.layers.Dense(3, name="foo", trainable=False)
    serialized, restored, again = _roundtrip(layer)
    assert _lists(serialized) == _lists(again)
    assert (restored.name, restored.trainable) == ("foo", False)


def test_keras_spec_get_item_model():
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, inp[:, 1])
    serialized, restored, again = _roundtrip(model)
    assert _lists(serialized) == _lists(again)
    x = np.arange(6, dtype="float32").reshape(3, 2)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), x[:, 1])


def test_keras_spec_custom_fn_and_keras36_function_names():
    def custom_fn(x):
        return x ** 2

    obj = {"activation": custom_fn}
    serialized, back, again = _roundtrip(obj, custom_objects={"custom_fn": custom_fn})
    assert serialized == again and back["activation"] is custom_fn

    @keras.saving.register_keras_serializable(package="serial_test")
    def custom_registered_fn(x):
        return x ** 2

    for name in ("custom_registered_fn", "serial_test>custom_registered_fn"):
        config = {"module": "builtins", "class_name": "function", "config": name,
                  "registered_name": "function"}
        assert deserialize_keras_object(config) is custom_registered_fn


def test_keras_spec_registered_name_for_builtin_is_refused():
    for bad in ("builtins.eval", "subprocess.Popen", "not.a.real.name", "my_pkg>MyDense"):
        with pytest.raises(ValueError, match="resolved to a Keras built-in"):
            deserialize_keras_object({"class_name": "Dense", "module": "keras.layers",
                                      "registered_name": bad, "config": {"units": 1}})
    for ok in ("Dense", None, ""):
        obj = deserialize_keras_object({"class_name": "Dense", "module": "keras.layers",
                                        "registered_name": ok, "config": {"units": 1}})
        assert isinstance(obj, keras.layers.Dense)
    with pytest.raises(ValueError, match="resolved to a Keras built-in"):
        deserialize_keras_object({"class_name": "function", "module": "builtins",
                                  "registered_name": "some_other_name", "config": "relu"})
    for name in ("function", "kl_divergence"):
        obj = deserialize_keras_object({"class_name": "function", "module": "builtins",
                                        "registered_name": name, "config": "kl_divergence"})
        assert obj is keras.metrics.kl_divergence


def test_keras_spec_invalid_configs():
    with pytest.raises(TypeError, match="Could not parse config"):
        deserialize_keras_object(object())
    with pytest.raises(TypeError, match="Expected 'config' to be a non-null str"):
        deserialize_keras_object({"class_name": "function", "config": None, "module": None,
                                  "registered_name": None})


def test_compiled_model_round_trip_keeps_compile_config():
    """Keras 3 adds `compile_config` to a compiled model's serialized form and compiles the
    model it deserializes."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    config = json.loads(json.dumps(serialize_keras_object(model)))
    assert config["compile_config"]["loss"] == "mse"
    again = deserialize_keras_object(config)
    assert again.compiled and isinstance(again.optimizer, keras.optimizers.Adam)
    np.testing.assert_allclose(again.optimizer.learning_rate.value, 0.01, rtol=1e-6)
    again.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    assert again.metrics_names == ["loss", "mae"]


def test_keras_spec_functional_subclass():
    class PlainFunctionalSubclass(keras.Model):
        pass

    inputs = keras.Input((2,), batch_size=3)
    model = PlainFunctionalSubclass(inputs, keras.layers.Dense(1)(inputs))
    x = np.random.default_rng(0).normal(size=(2, 2)).astype("float32")
    _, new_model, _ = _roundtrip(
        model, custom_objects={"PlainFunctionalSubclass": PlainFunctionalSubclass})
    new_model.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), new_model.predict(x, verbose=0))
    assert isinstance(new_model, PlainFunctionalSubclass)

    class FunctionalSubclassWCustomInit(keras.Model):
        def __init__(self, num_units=2):
            inputs = keras.Input((2,), batch_size=3)
            outputs = keras.layers.Dense(num_units)(inputs)
            super().__init__(inputs, outputs)
            self.num_units = num_units

        def get_config(self):
            return {"num_units": self.num_units}

    model = FunctionalSubclassWCustomInit(num_units=3)
    _, new_model, _ = _roundtrip(
        model, custom_objects={"FunctionalSubclassWCustomInit": FunctionalSubclassWCustomInit})
    new_model.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), new_model.predict(x, verbose=0))
    assert isinstance(new_model, FunctionalSubclassWCustomInit)


# --- cases of Keras 3's keras/src/saving/object_registration_test.py ---------------------

def test_keras_spec_custom_object_scope_in_get():
    def custom_fn():
        pass

    class CustomClass:
        pass

    with keras.saving.custom_object_scope({"CustomClass": CustomClass, "custom_fn": custom_fn}):
        assert keras.activations.get("custom_fn") is custom_fn
        assert keras.regularizers.get("CustomClass").__class__ is CustomClass


def test_keras_spec_registered_plain_classes_and_functions():
    @keras.saving.register_keras_serializable()
    class TestClass:
        def __init__(self, value):
            self._value = value

        def get_config(self):
            return {"value": self._value}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    assert keras.saving.get_registered_name(TestClass) == "Custom>TestClass"
    inst = TestClass(value=10)
    config = serialize_keras_object(inst)
    assert config["class_name"] == "TestClass"
    new = deserialize_keras_object(config)
    assert new is not inst and isinstance(new, TestClass) and new._value == 10

    @keras.saving.register_keras_serializable("TestPackage", "CustomName")
    class OtherTestClass:
        def __init__(self, val):
            self._val = val

        def get_config(self):
            return {"val": self._val}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    assert keras.saving.get_registered_name(OtherTestClass) == "TestPackage>CustomName"
    assert keras.saving.get_registered_object("TestPackage>CustomName") is OtherTestClass
    new = deserialize_keras_object(serialize_keras_object(OtherTestClass(val=5)))
    assert isinstance(new, OtherTestClass) and new._val == 5

    @keras.saving.register_keras_serializable()
    def my_fn():
        return 42

    assert keras.saving.get_registered_name(my_fn) == "Custom>my_fn"
    assert deserialize_keras_object(serialize_keras_object(my_fn))() == 42
    assert keras.saving.get_registered_object("Custom>my_fn")() == 42

    with pytest.raises(ValueError, match="Cannot register a class that does not have a "
                                         "get_config"):
        @keras.saving.register_keras_serializable("TestPackage", "TestClass")
        class NoConfig:
            def __init__(self, value):
                self._value = value
