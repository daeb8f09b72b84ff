"""The training step of a Dense chain, recorded once per `fit` and replayed.

Keras has no counterpart: its backends compile the step (tf.function, jax.jit). Here a
model whose call applies plain `Dense` layers one after the other (linear/relu/tanh/sigmoid
inside, a linear output with mean squared error, or a softmax output with categorical or
sparse categorical cross-entropy, or a sigmoid output with binary cross-entropy), trained
without sample weights, regularisers, constraints or loss scaling, gets a step written out
as a flat sequence of NumPy calls into work arrays allocated once (`out=`): the forward
pass, the loss value, its gradient, the backward pass, then the optimizer's own `apply`
(which takes its short path, see `Optimizer._update_plain`). No Tensor, tape or graph node
is made.

The calls are those the layer-by-layer step makes (`dense_chain`, `softmax`, the fused
losses' `over_batch` forms and their backward functions), in the same order on the same
operands, so the weights are bit-for-bit those of the regular step
(tests/test_step_plan.py). The regular step runs first in each `fit` (it builds the loss,
the metrics and the optimizer and validates the variable list); a batch the replay does not
cover (sample weights, another shape or dtype) runs the regular step.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from minikeras import activations
from minikeras import losses as losses_module
from minikeras.autodiff.primitives import _sigmoid_value
from minikeras.autodiff.tensor import Variable
from minikeras.layers.core import Dense
from minikeras.optimizers.adam import Adam
from minikeras.optimizers.base import Optimizer
from minikeras.optimizers.sgd import SGD

_HIDDEN = {activations.linear: None, activations.relu: "relu", activations.tanh: "tanh",
           activations.sigmoid: "sigmoid"}
# the output activation each loss needs (None: linear)
_LOSSES = {losses_module.mean_squared_error: ("mse", None),
           losses_module.categorical_crossentropy: ("cce", "softmax"),
           losses_module.sparse_categorical_crossentropy: ("sparse", "softmax"),
           losses_module.binary_crossentropy: ("bce", "sigmoid")}
_add_reduce = np.add.reduce
_max_reduce = np.maximum.reduce


def plan_train_step(model: Any, variables: list, y: np.ndarray,
                    targets: np.ndarray | None = None) -> "ReplayedStep | None":
    """The replayed step for `model` trained on `variables` with targets like `y` (all the
    targets of the fit: `targets`, when known), or None when any part of the step is
    outside what the replay reproduces."""
    chain = getattr(model, "_chain_layers", None)
    layers = chain() if chain is not None else None
    if not layers or model.activity_regularizer is not None or model._losses or \
            getattr(type(model), "train_step", None) is not None or \
            getattr(model, "_step_state", None) or getattr(model, "_loss_plan", True) is None:
        return None
    regularized = model._loss_plan[0]
    if regularized:
        return None
    opt = model.optimizer
    if opt._scales_loss or not opt._numpy_update_step:
        return None
    if any(type(layer) is not Dense or not layer.built for layer in layers):
        return None
    found = fused_loss(model, y, layers[-1].units)
    if found is None:
        return None
    loss, kind, out_act = found
    steps = []
    weights = []
    dtype = None
    for i, layer in enumerate(layers):
        if type(layer) is not Dense or not layer._is_plain():
            return None
        dt = layer._np_dtype
        if dtype is None:
            dtype = dt
        if dt is not dtype or dt.kind != "f" or layer.kernel.value.dtype is not dt:
            return None
        last = i == len(layers) - 1
        if last:
            if (out_act is None and layer.activation is not activations.linear) or (
                    out_act is not None and layer.activation is not getattr(
                        activations, out_act)):
                return None
            act = None  # the output activation belongs to the loss' fused form
        else:
            act = _HIDDEN.get(layer.activation, False)
            if act is False:
                return None
        for w in (layer.kernel, layer.bias):
            if w is not None:
                if w.constraint is not None or w.regularizer is not None or not w.trainable:
                    return None
                weights.append(w)
        steps.append((layer.kernel, layer.bias, act))
    if dtype is not loss._np_dtype or len(weights) != len(variables) or \
            any(a is not b for a, b in zip(weights, variables)):
        return None
    if kind == "sparse":
        if y.dtype.kind not in "iu" or y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] != 1):
            return None
    elif y.dtype is not dtype or y.ndim != 2 or y.shape[1] != layers[-1].units:
        return None
    replay = ReplayedStep(steps, kind, dtype, layers[0].kernel.value.shape[0])
    replay.flat = FlatUpdate.make(opt, variables, dtype)
    if kind == "cce" and targets is not None and targets.dtype is dtype and \
            targets.ndim == 2 and targets.shape[1] == y.shape[1]:
        # every target row sums to exactly 1 (one-hot): the gradient's `p * sum(y)` is p
        replay.rows_sum_to_one = bool((_add_reduce(targets, -1) == 1).all())
    return replay


def fused_loss(model: Any, y: np.ndarray, units: int) -> tuple | None:
    """(the compiled loss, its kind, the output activation it needs) when the model's loss
    is one the replay computes (its fused `over_batch` form); None otherwise. Builds the
    compiled loss on `y` as the regular step's first batch would."""
    compiled = model.compiled_loss
    if compiled.losses is None:
        try:
            compiled.build([y], [(y.shape[0], units)])
        except Exception:  # the regular step raises it
            return None
    loss = compiled._single
    if loss is None or type(loss) is not losses_module.LossFunctionWrapper or \
            loss.reduction != "sum_over_batch_size" or type(loss).__call__ is not \
            losses_module.Loss.__call__:
        return None
    kind = _LOSSES.get(loss.fn)
    if kind is None:
        return None
    kw = loss._fn_kwargs
    if kw.get("from_logits") or kw.get("label_smoothing") or kw.get("axis", -1) != -1 or \
            kw.get("ignore_class") is not None:
        return None
    return (loss,) + kind


class ReplayedStep:
    """Work arrays for batches of up to `rows` rows, made on the first call."""

    def __init__(self, steps: list, kind: str, dtype: np.dtype, input_dim: int) -> None:
        self.steps = steps
        self.kind = kind
        self.dtype = dtype
        self.input_dim = input_dim
        self.rows = 0
        self.grads: list = []
        self.flat: FlatUpdate | None = None
        self.rows_sum_to_one = False
        self.program: tuple | None = None
        self.compiles = kind in ("mse", "cce")  # the kinds `run_full` knows
        self.variables: list | None = None

    def fits(self, x: np.ndarray, y: np.ndarray) -> bool:
        return (type(x) is np.ndarray and x.dtype is self.dtype and x.ndim == 2 and
                x.shape[1] == self.input_dim and x.shape[0] == y.shape[0] > 0 and
                (self.kind == "sparse" or y.dtype is self.dtype))

    def _allocate(self, rows: int) -> None:
        dt = self.dtype
        self.rows = rows
        self.z = []  # per layer: its output (after its activation)
        self.gz = []  # per layer: the gradient at its output
        self.mask = []  # relu's (out > 0), per layer
        self.grads = []
        for kernel, _, act in self.steps:
            units = kernel.value.shape[1]
            self.z.append(np.empty((rows, units), dt))
            self.gz.append(np.empty((rows, units), dt))
            self.mask.append(np.empty((rows, units), bool) if act == "relu" else None)
        if self.flat is not None:  # views of one flat gradient array
            self.grads = self.flat.grads
        else:
            for kernel, bias, _ in self.steps:  # in the variables' order
                self.grads.append(np.empty_like(kernel.value))
                if bias is not None:
                    self.grads.append(np.empty_like(bias.value))
        units = self.steps[-1][0].value.shape[1]
        self.tmp = np.empty((rows, units), dt)  # the loss' work array
        self.tmp2 = np.empty((rows, units), dt)
        self.program = None
        self.grad_index = []  # per layer: the index of its kernel's gradient
        k = 0
        for _, bias, _ in self.steps:
            self.grad_index.append(k)
            k += 1 if bias is None else 2

    def _compile(self) -> None:
        """`run` for full batches as lists of (function, arguments): every operand is a
        fixed array (the work arrays, and the variables' views of the flat update), so a
        step is a loop of calls. Only the batch's own arrays are passed at each step."""
        steps, zs, gzs, rows = self.steps, self.z, self.gz, self.rows
        dt = self.dtype
        # constants as 0-d arrays of the work dtype: the same values as the Python numbers
        # of `run` (NumPy casts those to the array's dtype), without a conversion per call
        zero = np.zeros((), dt)
        last = len(steps) - 1
        self.inv_n = np.asarray(zs[last].shape[-1] / zs[last].size, dt)
        forward: list = []
        for i, (kernel, bias, act) in enumerate(steps):
            z = zs[i]
            if i:
                forward.append((zs[i - 1].dot, (kernel.value, z)))
            if bias is not None:
                forward.append((np.add, (z, bias.value, z)))
            if act == "relu":
                forward.append((functools.partial(np.maximum, out=z), (z, zero)))
            elif act == "tanh":
                forward.append((np.tanh, (z, z)))
            elif act == "sigmoid":
                forward.append((_sigmoid_into, (z,)))
        h = zs[last]
        if self.kind == "cce":  # softmax and its cache, then log p
            col = (rows, 1)
            self.m, self.s, self.lse = (np.empty(col, dt) for _ in range(3))
            self.logs, self.ysum = np.empty(col, dt), np.empty(col, dt)
            forward += [(_max_reduce, (h, -1, None, self.m, True)),
                        (np.subtract, (h, self.m, self.tmp)),
                        (np.exp, (self.tmp, self.tmp)),
                        (_add_reduce, (self.tmp, -1, None, self.s, True)),
                        (np.divide, (self.tmp, self.s, self.tmp2)),
                        (np.log, (self.s, self.logs)),
                        (np.add, (self.m, self.logs, self.lse)),
                        (np.subtract, (h, self.lse, self.tmp))]
        backward: list = []
        for i in range(last, -1, -1):
            kernel, bias, act = steps[i]
            g, out = gzs[i], zs[i]
            if act is not None and i != last:
                if act == "relu":
                    backward += [(np.greater, (out, zero, self.mask[i])),
                                 (np.multiply, (g, self.mask[i], g))]
                else:
                    t, t2 = np.empty_like(out), np.empty_like(out)
                    if act == "tanh":
                        backward += [(np.multiply, (out, out, t)), (np.subtract, (1.0, t, t)),
                                     (np.multiply, (g, t, g))]
                    else:
                        backward += [(np.multiply, (g, out, t)), (np.subtract, (1.0, out, t2)),
                                     (np.multiply, (t, t2, g))]
            k = self.grad_index[i]
            if bias is not None:
                backward.append((_add_reduce, (g, 0, None, self.grads[k + 1])))
            if i:
                backward.append((zs[i - 1].T.dot, (g, self.grads[k])))
                backward.append((g.dot, (kernel.value.T, gzs[i - 1])))
        self.program = (forward, backward)

    def run_full(self, x: np.ndarray, y: np.ndarray) -> tuple | None:
        """`run` for a batch of `rows` rows through the compiled lists (only while the
        variables are the flat update's views: their arrays are operands)."""
        if self.program is None:
            self._compile()
        forward, backward = self.program
        steps = self.steps
        last = len(steps) - 1
        x.dot(steps[0][0].value, self.z[0])
        for fn, args in forward:
            fn(*args)
        g = self.gz[last]
        if self.kind == "mse":
            d = np.subtract(self.z[last], y, out=self.tmp)
            size = d.size
            value = np.vdot(d, d) / size
            np.multiply(d, 2.0 / size, out=g)
            pred = self.z[last]
        else:
            h, pred = self.z[last], self.tmp2
            inv_n = h.shape[-1] / h.size
            value = -np.vdot(y, self.tmp) * inv_n
            if self.rows_sum_to_one:  # p * 1 is p, bit for bit
                np.subtract(pred, y, out=g)
            else:
                np.multiply(pred, _add_reduce(y, -1, None, self.ysum, True), out=g)
                g -= y
            np.multiply(g, self.inv_n, g)  # (inv_n in the work dtype, as NumPy casts it)
        for fn, args in backward:
            fn(*args)
        x.T.dot(self.gz[0], self.grads[self.grad_index[0]])
        return float(value), pred, self.grads

    def run(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """Forward, loss and backward for one batch: (loss value, prediction array, the
        gradients in the variables' order). Writes nothing but the work arrays."""
        n = x.shape[0]
        if n > self.rows:
            self._allocate(n)
        steps = self.steps
        last = len(steps) - 1
        full = n == self.rows
        zs, gzs = self.z, self.gz
        # forward: dense_chain (h.dot(kernel); += bias; the activation in place)
        h = x
        for i, (kernel, bias, act) in enumerate(steps):
            z = zs[i] if full else zs[i][:n]
            h.dot(kernel.value, out=z)  # (the method: no dispatch layer)
            if bias is not None:
                z += bias.value
            if act == "relu":
                np.maximum(z, 0, out=z)
            elif act == "tanh":
                np.tanh(z, out=z)
            elif act == "sigmoid":
                z[...] = _sigmoid_value(z)
            h = z
        g = gzs[last] if full else gzs[last][:n]
        kind = self.kind
        tmp = self.tmp if full else self.tmp[:n]
        if kind == "mse":  # squared_error_mean(over_batch=True) and its backward
            d = np.subtract(h, y, out=tmp)
            size = d.size
            value = np.vdot(d, d) / size
            np.multiply(d, 2.0 / size, out=g)
            pred = h
        elif kind == "bce":  # sigmoid_cross_entropy(over_batch=True)
            pred = _sigmoid_value(h)  # the model's output (P.sigmoid)
            out = np.maximum(h, 0, out=tmp)
            zy = np.multiply(h, y, out=self.tmp2[:n])
            out -= zy
            e = np.exp(-np.abs(h))
            out += np.log1p(e)
            inv_n = 1.0 / out.size
            value = _add_reduce(out, None) * inv_n
            p = np.where(h >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
            np.subtract(p, y, out=g)
            g *= inv_n
        else:  # softmax (P.softmax), then the softmax cross-entropies from its cache
            m = _max_reduce(h, -1, keepdims=True)
            e = np.subtract(h, m, out=tmp)
            np.exp(e, out=e)
            s = _add_reduce(e, -1, keepdims=True)
            pred = np.divide(e, s, out=self.tmp2 if full else self.tmp2[:n])  # p
            lse = m + np.log(s)
            if kind == "cce":
                logp = np.subtract(h, lse, out=tmp)
                inv_n = h.shape[-1] / h.size
                value = -np.vdot(y, logp) * inv_n
                if self.rows_sum_to_one:  # p * 1 is p, bit for bit
                    np.subtract(pred, y, out=g)
                else:
                    np.multiply(pred, _add_reduce(y, -1, keepdims=True), out=g)
                    g -= y
                g *= inv_n
            else:  # sparse: -(z[label] - lse), mean; gradient (p - onehot) / n
                idx = y.astype(np.int64, copy=False)
                if idx.ndim == 2:
                    idx = idx[:, 0]
                if idx.min() < 0 or idx.max() >= h.shape[-1]:
                    return None  # the regular step raises the error
                at = idx[:, None]
                per = np.take_along_axis(h, at, axis=-1)
                per -= lse
                out = -per[:, 0]
                inv_n = 1.0 / out.size
                value = _add_reduce(out, None) * inv_n
                np.copyto(g, pred)
                np.put_along_axis(g, at, np.take_along_axis(g, at, -1) - 1, -1)
                g *= inv_n
        # backward: dense_chain's, layer by layer from the last
        grads = self.grads
        k = len(grads)
        for i in range(last, -1, -1):
            kernel, bias, act = steps[i]
            if act is not None and i != last:
                out = zs[i] if full else zs[i][:n]
                if act == "relu":
                    mask = np.greater(out, 0, out=self.mask[i] if full else self.mask[i][:n])
                    g = np.multiply(g, mask, out=g)
                elif act == "tanh":
                    t = out * out
                    np.subtract(1.0, t, out=t)
                    g = np.multiply(g, t, out=g)
                else:
                    t = g * out
                    g = np.multiply(t, 1.0 - out, out=g)
            if bias is not None:
                k -= 1
                _add_reduce(g, 0, out=grads[k])
            k -= 1
            inp = (zs[i - 1] if full else zs[i - 1][:n]) if i else x
            inp.T.dot(g, out=grads[k])
            if i:
                g = g.dot(kernel.value.T, out=gzs[i - 1] if full else gzs[i - 1][:n])
        return float(value), pred, grads


def _sigmoid_into(z: np.ndarray) -> None:
    z[...] = _sigmoid_value(z)


def _flat_views(arrays: list, dtype: np.dtype) -> tuple:
    """One flat array holding `arrays` one after the other (each from a 64-byte boundary),
    and a view of it shaped like each."""
    align = max(1, 64 // dtype.itemsize)
    offsets = []
    total = 0
    for a in arrays:
        offsets.append(total)
        total += -(-a.size // align) * align
    flat = np.zeros(total, dtype)
    views = []
    for a, start in zip(arrays, offsets):
        view = flat[start:start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
    return flat, views


# Above this many parameters the flat update is not used: copying the variables and their
# slots into flat arrays costs more than the per-variable calls it saves (on `wide`, 1.8 M
# parameters trained for 8 steps, the copies cost about 2 % of the run).
FLAT_LIMIT = 1 << 20


class FlatUpdate:
    """SGD's or Adam's update over all the variables at once: their values, their slots and
    their gradients are views of flat arrays, so a step is a few NumPy calls whatever the
    number of variables. Every Variable (and slot Variable) keeps its own array (a view),
    so `get_weights`, `assign` and callbacks see and change the same numbers; a variable
    whose array was replaced (rebinding `.value`) ends the flat update, and the
    optimizer's `apply` takes over. The operations are `update_step`'s, element by
    element, so the numbers are the same."""

    def __init__(self, opt: Any, variables: list, slots: list, dtype: np.dtype) -> None:
        self.opt = opt
        self.kind = "adam" if type(opt) is Adam else "sgd"
        self.param_flat, values = _flat_views([v.value for v in variables], dtype)
        self.grad_flat, self.grads = _flat_views([v.value for v in variables], dtype)
        self.slot_flats = []
        watched = list(zip(variables, values))
        for group in slots:
            flat, views = _flat_views([s.value for s in group], dtype)
            self.slot_flats.append(flat)
            watched += list(zip(group, views))
        self.tmp = np.empty_like(self.grad_flat)
        for var, view in watched:
            var.value = view
        self.watched = watched
        # set by `fit` while no user code can run between steps (no batch hooks, no
        # schedule): `usable` then holds until the next epoch's callbacks
        self.trusted = False

    @classmethod
    def make(cls, opt: Any, variables: list, dtype: np.dtype) -> "FlatUpdate | None":
        kind = type(opt)
        if sum(v.value.size for v in variables) > FLAT_LIMIT:
            return None
        if kind not in (SGD, Adam) or (kind is Adam and opt.amsgrad) or \
                type(opt)._prepare_step is not Optimizer._prepare_step or \
                opt._has_step_extras():
            return None
        try:  # `Optimizer.apply`'s checks, as its short path requires
            if opt._current_learning_rate().dtype is not dtype:
                return None
        except Exception:  # a schedule that fails: the regular step raises it
            return None
        if not opt.built:
            opt.build(variables)
        elif any(id(v) not in opt._index for v in variables):
            return None  # the regular step raises its error
        if kind is SGD:
            slots = [opt.momentums] if opt.momentum else []
        else:
            slots = [opt.momentums, opt.velocities]
        index = opt._index
        for group in slots:
            if len(group) != len(variables) or any(
                    group[index[id(v)]] is not s for v, s in zip(variables, group)):
                return None
            if any(s.value.dtype is not dtype for s in group):
                return None
        return cls(opt, variables, slots, dtype)

    def usable(self) -> bool:
        """False once a variable's array was replaced, or the optimizer was set to clip,
        decay, average or accumulate (its `apply` then does the step)."""
        opt = self.opt
        if opt._has_step_extras():
            return False
        for var, view in self.watched:
            if var.value is not view:
                return False
        return True

    def apply(self) -> None:
        """One update of every variable from the flat gradients (`Optimizer.apply`'s
        short path, over the flat arrays)."""
        opt = self.opt
        lr = opt._learning_rate
        # the rate variable's array, or a schedule's value (Optimizer._current_learning_rate)
        lr = lr.value if type(lr) is Variable and not opt.decay else \
            opt._current_learning_rate()
        opt._coef.clear()  # (SGD and Adam have no `_prepare_step`)
        w, g, tmp = self.param_flat, self.grad_flat, self.tmp
        if self.kind == "sgd":
            opt.apply_rule(w, g, self.slot_flats[0] if opt.momentum else None, tmp, lr)
        else:
            m, v = self.slot_flats
            opt.apply_rule(w, g, m, v, tmp, lr)
        opt._count_step()
