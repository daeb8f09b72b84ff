"""Multi-input and multi-output functional models, subclassed models, freezing
(`trainable`) and `clone_model`, with Keras 3's names and rules."""

import numpy as np
import pytest

import minikeras as keras

L = keras.layers


def arr(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype("float32")


def two_in_two_out():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = L.Dense(6, activation="relu", name="trunk")(L.Concatenate(name="cat")([a, b]))
    reg = L.Dense(1, name="reg")(h)
    cls = L.Dense(1, activation="sigmoid", name="cls")(h)
    return keras.Model([a, b], [reg, cls])


def data(n=32):
    xa, xb = arr(n, 3), arr(n, 2, seed=1)
    y_reg = arr(n, 1, seed=2)
    y_cls = (arr(n, 1, seed=3) > 0).astype("float32")
    return xa, xb, y_reg, y_cls


def same_start(*models):
    for m in models[1:]:
        m.set_weights(models[0].get_weights())


# --- multi-input, multi-output functional models ---------------------------------------

def test_multi_output_history_names_and_weighted_total_loss():
    xa, xb, y_reg, y_cls = data()
    model = two_in_two_out()
    model.compile("sgd", {"reg": "mse", "cls": "binary_crossentropy"},
                  loss_weights={"reg": 2.0, "cls": 0.5}, metrics={"cls": ["accuracy"]})
    hist = model.fit([xa, xb], [y_reg, y_cls], epochs=2, batch_size=8, verbose=0,
                     validation_split=0.25)
    # Keras 3 (trainers/compile_utils.py): `loss`, `<output>_loss`, `<output>_<metric>`
    assert set(hist.history) == {"loss", "reg_loss", "cls_loss", "cls_accuracy", "val_loss",
                                 "val_reg_loss", "val_cls_loss", "val_cls_accuracy"}
    logs = model.evaluate([xa, xb], [y_reg, y_cls], batch_size=32, verbose=0,
                          return_dict=True)
    # per-output losses are logged unweighted; the total is the weighted sum
    np.testing.assert_allclose(logs["loss"], 2.0 * logs["reg_loss"] + 0.5 * logs["cls_loss"],
                               rtol=1e-5)
    reg_pred, cls_pred = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(logs["reg_loss"], np.mean((reg_pred - y_reg) ** 2), rtol=1e-5)
    np.testing.assert_allclose(logs["cls_accuracy"],
                               np.mean((cls_pred > 0.5) == (y_cls > 0.5)), rtol=1e-6)


def test_loss_and_weights_as_lists_equal_the_dict_form():
    xa, xb, y_reg, y_cls = data()
    m_dict, m_list = two_in_two_out(), two_in_two_out()
    same_start(m_dict, m_list)
    m_dict.compile("sgd", {"cls": "binary_crossentropy", "reg": "mse"},
                   loss_weights={"cls": 0.3, "reg": 1.5})
    m_list.compile("sgd", ["mse", "binary_crossentropy"], loss_weights=[1.5, 0.3])
    h1 = m_dict.fit([xa, xb], [y_reg, y_cls], epochs=2, batch_size=8, shuffle=False,
                    verbose=0)
    h2 = m_list.fit({"a": xa, "b": xb}, {"reg": y_reg, "cls": y_cls}, epochs=2, batch_size=8,
                    shuffle=False, verbose=0)
    for key in ("loss", "reg_loss", "cls_loss"):
        np.testing.assert_allclose(h1.history[key], h2.history[key], rtol=1e-6)
    for w1, w2 in zip(m_dict.get_weights(), m_list.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-6)


def test_one_loss_for_every_output_and_nested_metric_lists():
    xa, xb, y_reg, y_cls = data()
    model = two_in_two_out()
    model.compile("sgd", "mse", metrics=[["mae"], ["accuracy", "mse"]])
    hist = model.fit([xa, xb], [y_reg, y_cls], epochs=1, verbose=0)
    assert set(hist.history) == {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy",
                                 "cls_mse"}
    np.testing.assert_allclose(hist.history["loss"][0], hist.history["reg_loss"][0] +
                               hist.history["cls_loss"][0], rtol=1e-5)


def test_zero_loss_weight_leaves_that_head_untouched():
    xa, xb, y_reg, y_cls = data()
    model = two_in_two_out()
    model.compile(keras.optimizers.SGD(0.1), ["mse", "binary_crossentropy"],
                  loss_weights=[0.0, 1.0])
    reg_head = model.get_layer("reg").get_weights()
    cls_head = model.get_layer("cls").get_weights()
    model.fit([xa, xb], [y_reg, y_cls], epochs=2, batch_size=8, verbose=0)
    for a, b in zip(reg_head, model.get_layer("reg").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(cls_head[0], model.get_layer("cls").kernel.numpy())


def test_multi_output_predict_and_errors():
    xa, xb, y_reg, y_cls = data(10)
    model = two_in_two_out()
    out = model.predict({"a": xa, "b": xb}, verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(10, 1), (10, 1)]
    with pytest.raises(ValueError, match="not output names|outputs are"):
        model.compile("sgd", {"regression": "mse", "cls": "mse"})


def test_one_target_for_two_outputs_is_an_error():
    xa, xb, y_reg, y_cls = data(10)
    model = two_in_two_out()
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises((ValueError, KeyError)):
        model.fit([xa, xb], y_reg, verbose=0)
    assert not any(changed(before, model.get_weights()))


def test_functional_layer_order_matches_keras3():
    # orders observed from Keras 3.15 on these graphs (keras/src/ops/function.py map_graph:
    # by depth from the outputs, then by first visit from the outputs)
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    h = L.Dense(4, name="d1")(a)
    h = L.Dense(4, name="d2")(h)
    c = L.Concatenate(name="cat")([h, b])
    o1, o2 = L.Dense(1, name="o1")(c), L.Dense(1, name="o2")(h)
    shared = L.Dense(4, name="shared")
    o3 = L.Add(name="addo")([shared(a), shared(b)])
    model = keras.Model([a, b], [o1, o2, o3])
    assert [x.name for x in model.layers] == ["a", "d1", "d2", "b", "cat", "shared", "o1",
                                              "o2", "addo"]
    assert model.input_names == ["a", "b"]
    other = keras.Model([b, a], [o3, o2])
    assert [x.name for x in other.layers] == ["a", "b", "d1", "shared", "d2", "addo", "o2"]
    assert [w.path for w in other.weights][:2] == ["d1/kernel", "d1/bias"]


def test_shared_layer_whose_later_call_runs_first_saves_and_loads(tmp_path):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = L.Dense(4, name="shared")
    s1 = shared(a)  # node 0: close to the output
    s2 = shared(L.Dense(4, name="pre2")(L.Dense(4, name="pre")(b)))  # node 1: deeper
    out = L.Add(name="add")([L.Dense(4, name="post")(L.Dense(4, name="post0")(s2)), s1])
    model = keras.Model([a, b], out)
    # order observed from Keras 3.15 for this graph
    assert [x.name for x in model.layers] == ["b", "pre", "pre2", "shared", "post0", "a",
                                              "post", "add"]
    xs = [arr(3, 4), arr(3, 4, seed=1)]
    for suffix in (".h5", ".keras"):
        model.save(tmp_path / f"m{suffix}")
        loaded = keras.models.load_model(tmp_path / f"m{suffix}")
        np.testing.assert_allclose(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0),
                                   rtol=1e-6)


def test_an_unused_input_still_belongs_to_the_model():
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="unused")
    model = keras.Model([a, b], L.Dense(1, name="d")(a))
    assert [x.name for x in model.layers] == ["a", "unused", "d"]  # as Keras 3.15
    assert model.predict([arr(4, 2), arr(4, 3)], verbose=0).shape == (4, 1)


def test_flat_metric_list_with_one_entry_per_output():
    xa, xb, y_reg, y_cls = data()
    model = two_in_two_out()
    model.compile("sgd", ["mse", "binary_crossentropy"], metrics=["mae", "accuracy"])
    hist = model.fit([xa, xb], [y_reg, y_cls], epochs=1, verbose=0)
    assert set(hist.history) == {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"}


def test_no_per_output_loss_when_only_one_output_has_a_loss():
    xa, xb, y_reg, y_cls = data()
    model = two_in_two_out()
    model.compile("sgd", ["mse", None])
    hist = model.fit([xa, xb], [y_reg, y_cls], epochs=1, verbose=0)
    assert set(hist.history) == {"loss"}


def test_evaluate_list_order_for_multi_output_metrics():
    xa, xb, y_reg, y_cls = data()
    model = two_in_two_out()
    model.compile("sgd", {"reg": "mse", "cls": "binary_crossentropy"},
                  metrics={"reg": ["mae"], "cls": ["accuracy"]})
    logs = model.evaluate([xa, xb], [y_reg, y_cls], verbose=0, return_dict=True)
    values = model.evaluate([xa, xb], [y_reg, y_cls], verbose=0)
    order = ["loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae"]
    np.testing.assert_allclose(values, [logs[k] for k in order], rtol=1e-6)


# --- subclassed models -----------------------------------------------------------------

class MLP(keras.Model):
    def __init__(self, units=8, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.hidden = L.Dense(units, activation="relu")
        self.norm = L.BatchNormalization()
        self.drop = L.Dropout(rate)
        self.head = L.Dense(2)

    def call(self, x, training=False):
        h = self.norm(self.hidden(x), training=training)
        return self.head(self.drop(h, training=training))

    def get_config(self):
        return {"units": self.units, "rate": self.rate, **super().get_config()}


def test_subclassed_model_trains_and_tracks_its_layers():
    x = arr(64, 4)
    y = x[:, :2] * 0.5 + 1.0
    model = MLP(rate=0.1)
    model.compile("adam", "mse", metrics=["mae"])
    hist = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert set(hist.history) == {"loss", "mae"}
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert [type(x).__name__ for x in model.layers] == ["Dense", "BatchNormalization",
                                                        "Dropout", "Dense"]
    assert [w.name for w in model.weights] == ["kernel", "bias", "gamma", "beta",
                                               "moving_mean", "moving_variance", "kernel",
                                               "bias"]
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    assert not np.allclose(model.norm.moving_mean.numpy(), 0)  # training=True reached BN
    p1, p2 = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(p1, p2)  # Dropout is off at inference
    np.testing.assert_allclose(p1, model(x).numpy(), rtol=1e-6)


@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_subclassed_model_weights_save_and_load(tmp_path, suffix):
    x, y = arr(32, 4), arr(32, 2, seed=1)
    model = MLP()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / f"mlp{suffix}"
    model.save_weights(path)
    fresh = MLP()
    fresh(x[:1])
    fresh.load_weights(path)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclassed_model_freezing_and_config():
    x, y = arr(32, 4), arr(32, 2, seed=1)
    model = MLP(units=5, rate=0.1, name="mlp")
    model(x[:1])
    model.hidden.trainable = False
    model.compile("sgd", "mse")
    hidden = model.hidden.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(hidden, model.hidden.get_weights()):
        np.testing.assert_array_equal(a, b)
    again = MLP.from_config(model.get_config())
    assert again.units == 5 and again.rate == 0.1 and again.name == "mlp"


def test_subclassed_model_with_two_inputs_and_two_outputs():
    class Two(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.da, self.db = L.Dense(3), L.Dense(3)
            self.o1, self.o2 = L.Dense(1), L.Dense(2)

        def call(self, inputs):
            a, b = inputs
            h = self.da(a) + self.db(b)
            return self.o1(h), self.o2(h)

    model = Two()
    model([arr(1, 4), arr(1, 5)])
    model.compile("sgd", ["mse", "mae"])
    hist = model.fit([arr(16, 4), arr(16, 5, seed=1)], [arr(16, 1, seed=2),
                                                         arr(16, 2, seed=3)], verbose=0)
    assert set(hist.history) == {"loss", "mse_loss", "mae_loss"}


# --- freezing ----------------------------------------------------------------------------

def seq_model():
    return keras.Sequential([keras.Input((4,)), L.Dense(5, name="d1"),
                             L.BatchNormalization(name="bn"), L.Dense(1, name="d2")])


def changed(before, after):
    return [not np.array_equal(a, b) for a, b in zip(before, after)]


def test_layer_frozen_before_or_after_compile_keeps_its_weights():
    x, y = arr(32, 4, scale=2), arr(32, 1, seed=1)
    for freeze_after_compile in (False, True):
        model = seq_model()
        if not freeze_after_compile:
            model.get_layer("d1").trainable = False
        model.compile("sgd", "mse")
        if freeze_after_compile:  # Keras 3 reads the trainable weights when fit runs
            model.get_layer("d1").trainable = False
        before = model.get_weights()
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        # d1 kernel, d1 bias | gamma, beta, moving stats | d2 kernel, bias
        assert changed(before, model.get_weights()) == [False, False, True, True, True, True,
                                                        True, True]


def test_model_trainable_false_changes_nothing():
    x, y = arr(32, 4), arr(32, 1, seed=1)
    model = seq_model()
    model.trainable = False
    model.compile("sgd", "mse")
    before = model.get_weights()
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 8
    assert not any(changed(before, model.get_weights()))
    np.testing.assert_allclose(hist.history["loss"][0], hist.history["loss"][1], rtol=1e-6)
    model.trainable = True
    assert len(model.trainable_weights) == 6
    assert all(w.trainable for w in model.get_layer("d1").weights)


def test_layers_built_after_being_frozen_have_non_trainable_weights():
    # counts as Keras 3 reports them for this model
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, trainable=False),
                              L.BatchNormalization(trainable=False), L.Dense(1)])
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 6
    assert [w.trainable for w in model.weights] == [False] * 6 + [True, True]
    lazy = keras.Sequential([L.Dense(3, trainable=False), L.Dense(1)])
    lazy(np.zeros((1, 4), "float32"))
    assert len(lazy.trainable_weights) == 2
    lazy.layers[0].trainable = True
    assert len(lazy.trainable_weights) == 4


def test_freezing_a_nested_model():
    inner = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Dense(3)], name="inner")
    x_in = keras.Input((4,))
    outer = keras.Model(x_in, L.Dense(1, name="top")(inner(x_in)))
    inner.trainable = False
    outer.compile("sgd", "mse")
    before = inner.get_weights()
    top = outer.get_layer("top").get_weights()
    outer.fit(arr(16, 4), arr(16, 1, seed=1), verbose=0)
    assert not any(changed(before, inner.get_weights()))
    assert all(changed(top, outer.get_layer("top").get_weights()))
    assert len(outer.trainable_weights) == 2


# --- clone_model ---------------------------------------------------------------------------

def test_clone_sequential_has_new_layers_and_fresh_weights():
    model = seq_model()
    clone = keras.models.clone_model(model)
    assert [x.name for x in clone.layers] == ["d1", "bn", "d2"]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_layer("d1").kernel.numpy(),
                           model.get_layer("d1").kernel.numpy())
    assert not clone.compiled
    clone.set_weights(model.get_weights())
    x = arr(5, 4)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    clone.compile("sgd", "mse")
    before = model.get_weights()
    clone.fit(x, arr(5, 1), verbose=0)
    assert not any(changed(before, model.get_weights()))


def test_clone_functional_keeps_structure_and_sharing():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = L.Dense(2, name="shared")
    out = L.Concatenate()([shared(a), shared(b)])
    model = keras.Model([a, b], [L.Dense(1, name="o1")(out), L.Dense(2, name="o2")(out)],
                        name="fun")
    clone = keras.models.clone_model(model)
    assert clone.name == "fun" and clone.input_names == ["a", "b"]
    assert [x.name for x in clone.layers] == [x.name for x in model.layers]
    assert len(clone.weights) == len(model.weights) == 6
    assert [t.shape for t in clone.outputs] == [(None, 1), (None, 2)]
    clone.set_weights(model.get_weights())
    xs = [arr(4, 3), arr(4, 3, seed=1)]
    for p, q in zip(clone.predict(xs, verbose=0), model.predict(xs, verbose=0)):
        np.testing.assert_allclose(p, q, rtol=1e-6)


def test_clone_function_input_tensors_and_compiled_clone():
    model = seq_model()
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    clone = keras.models.clone_model(
        model, clone_function=lambda layer: layer.__class__.from_config(
            {**layer.get_config(), "name": layer.name + "_c"}))
    assert [x.name for x in clone.layers] == ["d1_c", "bn_c", "d2_c"]
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert float(clone.optimizer.learning_rate) == pytest.approx(0.01)
    hist = clone.fit(arr(8, 4), arr(8, 1), verbose=0)
    assert set(hist.history) == {"loss", "mae"}
    shared = keras.models.clone_model(model, clone_function=lambda layer: layer)
    assert all(a is b for a, b in zip(shared.layers, model.layers))
    new_input = keras.Input((4,), name="new_in")
    clone = keras.models.clone_model(model, input_tensors=new_input)
    assert clone.inputs[0] is new_input


def test_clone_subclassed_model_through_its_config_and_errors():
    model = MLP(units=3, name="mlp")
    clone = keras.models.clone_model(model)
    assert type(clone) is MLP and clone.units == 3 and clone is not model
    with pytest.raises(ValueError, match="Sequential and Functional"):
        keras.models.clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="call_function"):
        keras.models.clone_model(seq_model(), call_function=lambda layer, *a, **k: layer(*a))
