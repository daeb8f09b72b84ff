"""Primitives of the sequence layers: the embedding lookup and the recurrent loop.

`recurrent` runs a whole SimpleRNN, LSTM or GRU layer as ONE node of the graph: its forward
loop and its backward loop (backpropagation through time) sit side by side below. The
inputs of all timesteps are multiplied by the input kernel in one matrix product before the
loop; each step then does one product with the recurrent kernel and a few element-wise
operations on preallocated arrays. docs/recurrent.md walks through the derivation.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from minikeras.autodiff.tensor import Tensor, constant_like, record


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else constant_like(x)


# --- embedding lookup --------------------------------------------------------------------

def embedding_lookup(table: Any, ids: np.ndarray) -> Tensor:
    """`table[ids]` (Keras' `ops.take(embeddings, ids, axis=0)`); the gradient scatters the
    upstream rows back onto the rows of `table` they came from (repeated ids add up)."""
    table = _t(table)
    ids = np.asarray(ids, dtype=np.intp)
    out = table.value[ids]

    n_rows, width = table.value.shape[0], table.value.shape[-1]
    # repeated ids add up: one unbuffered add (np.add.at) over the (row, column) cells of
    # the flat table sums every upstream value into its cell in the table's dtype, as
    # Keras' scatter-add does (a float64 bincount, or sorting the ids and a reduceat,
    # cost more for a batch of a few thousand ids)
    def backward(g):
        cells = (ids.reshape(-1, 1) * width + np.arange(width)).reshape(-1)
        full = np.zeros(n_rows * width, dtype=table.value.dtype)
        np.add.at(full, cells, np.asarray(g, dtype=full.dtype).reshape(-1))
        return (full.reshape(table.value.shape),)

    return record(out, (table,), backward)


# --- activations the fused loop knows: value, and derivative from the value ------------

def _tanh(v, out=None):
    return np.tanh(v, out=out)


def _sigmoid(v, out=None):
    # 0.5 * tanh(0.5 v) + 0.5: exact sigmoid, no overflow for large |v|, three in-place ops
    out = np.multiply(v, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _linear(v, out=None):
    if out is None:
        return v.copy()
    out[...] = v
    return out


def _relu(v, out=None):
    return np.maximum(v, 0, out=out)


def _hard_sigmoid(v, out=None):  # Keras 3: relu6(x + 3) / 6
    out = np.add(v, 3.0, out=out)
    np.clip(out, 0.0, 6.0, out=out)
    out /= 6.0
    return out


def _d_tanh(y):
    return 1.0 - y * y


def _d_sigmoid(y):
    return y * (1.0 - y)


def _d_linear(y):
    return np.ones_like(y)


def _d_relu(y):
    return (y > 0).astype(y.dtype)


def _d_hard_sigmoid(y):
    return ((y > 0) & (y < 1)).astype(y.dtype) / 6.0


ACTIVATIONS = {"tanh": (_tanh, _d_tanh), "sigmoid": (_sigmoid, _d_sigmoid),
               "linear": (_linear, _d_linear), "relu": (_relu, _d_relu),
               "hard_sigmoid": (_hard_sigmoid, _d_hard_sigmoid)}


# --- the LSTM's work arrays, kept between calls -------------------------------------------
# The LSTM's loop needs a few MB of arrays per call and a dozen views of them per step.
# Freshly allocated, each array is new memory from the operating system (glibc maps or trims
# large blocks) whose first write faults every page, and the views cost a fraction of a
# microsecond each, thousands of times per batch: in a training loop both cost as much as
# the loop's arithmetic. So a call takes a whole set (arrays and views) from a small pool,
# and the graph node that reads them gives the set back when it is freed.

_POOL: dict = {}
_POOL_DEPTH = 2  # sets kept per shape
_POOL_MAX_BYTES = 64 << 20  # all sets kept, at most (larger loops allocate as before)
_pool_bytes = 0
_CHUNK = 16  # steps whose backward runs together: their factors and dz stay in the cache


class _LSTMWork:
    """The arrays of one LSTM call over (T, B) inputs of width D with U units, and every
    step's views of them."""

    def __init__(self, T: int, B: int, U: int, D: int, dtype: Any) -> None:
        self.key = (T, B, U, D, np.dtype(dtype))
        U3, U4 = 3 * U, 4 * U
        k = min(T, _CHUNK)
        # step t's product input [h_{t-1}; x_t; 1], and its gates o i f g next to c_{t-1}:
        # each step writes its h and c into the next step's block
        self.HX = HX = np.empty((T + 1, U + D + 1, B), dtype)
        HX[T, U:] = 0.0  # (the last block's x is never read)
        HX[:, U + D] = 1.0  # the bias' input, once for all calls
        self.A = A = np.empty((T + 1, 5 * U, B), dtype)
        self.TC = TC = np.empty((T, U, B), dtype)  # activation(c_t)
        self.IGFC = IGFC = np.empty((T, 2 * U, B), dtype)  # i * g and f * c_{t-1}
        self.forward_steps = [
            (HX[t], A[t, :U4], A[t, :U3], A[t, U:U3], A[t, U3:], IGFC[t], IGFC[t, :U],
             IGFC[t, U:], A[t + 1, U4:], TC[t], A[t, :U], HX[t + 1, :U]) for t in range(T)]
        # the backward, a chunk of steps at a time; a step's block of Z holds
        # [dh·o·act'(c) | dz_o dz_g dz_i dz_f | dc_{t-1}]
        self.Z = Z = np.empty((k, 6, U, B), dtype)
        self.P = P = np.empty((k, 2, U, B), dtype)  # factors of dh: o act'(c), act(c) s'(o)
        self.Q = Q = np.empty((k, 4, U, B), dtype)  # of dc: i act'(g), g s'(i), c s'(f), f
        # (two products by dh, as a broadcast over two blocks costs more than two calls)
        self.backward_steps = [(P[j, 0], Z[j, 0], P[j, 1], Z[j, 1], Q[j], Z[j, 2:], Z[j, 5],
                                Z[j, 1:5].reshape(U4, B)) for j in range(k)]
        self.dh = np.empty((U, B), dtype)
        self.nbytes = sum(a.nbytes for a in (HX, A, TC, IGFC, Z, P, Q))


def _take_work(T: int, B: int, U: int, D: int, dtype: Any) -> _LSTMWork:
    global _pool_bytes
    try:
        work = _POOL[(T, B, U, D, np.dtype(dtype))].pop()
    except (KeyError, IndexError):  # (not a check-then-pop: other threads may take too)
        return _LSTMWork(T, B, U, D, dtype)
    _pool_bytes -= work.nbytes
    return work


def _give_back(work: _LSTMWork) -> None:
    global _pool_bytes
    stack = _POOL.setdefault(work.key, [])
    if len(stack) < _POOL_DEPTH and _pool_bytes + work.nbytes <= _POOL_MAX_BYTES:
        stack.append(work)
        _pool_bytes += work.nbytes


class _Owner:
    """Held by a backward closure; when it is freed its work set returns to the pool."""

    __slots__ = ("__weakref__",)


def _unpack(x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, activation: str,
            recurrent_activation: str) -> tuple:
    """The activations' (value, derivative) pairs, the arrays, and B, T, D, U."""
    xv, R = x.value, recurrent_kernel.value
    return (ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation], xv, kernel.value, R,
            *xv.shape, R.shape[0])


# --- the recurrent loop --------------------------------------------------------------------

def recurrent(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any, initial_states: list, *,
              cell: str, activation: str = "tanh", recurrent_activation: str = "sigmoid",
              mask: np.ndarray | None = None, go_backwards: bool = False, full: bool = False,
              reset_after: bool = True, recurrent_mask: np.ndarray | None = None) -> Tensor:
    """A SimpleRNN (`cell="simple"`), LSTM (`"lstm"`) or GRU (`"gru"`) over a whole sequence.

    x (batch, T, D); kernel (D, G·U); recurrent_kernel (U, G·U); bias (G·U,), GRU with
    `reset_after` (2, 3U), or None; `initial_states` [h0] or, for the LSTM, [h0, c0].
    `mask` (batch, T) booleans: a masked step keeps the previous states and outputs the
    previous h (Keras 3's scan). `go_backwards` reads the sequence from its end; outputs
    come in the order they were computed (as Keras). `recurrent_mask` (batch, U) multiplies
    h wherever it meets the recurrent kernel (recurrent dropout).

    Returns the last h, (batch, U), or with `full` every step's states, (batch, T, S) with
    S = U (h) or 2U for the LSTM ([h, c]); the last row holds the final states.
    """
    x = _t(x)
    kernel, recurrent_kernel = _t(kernel), _t(recurrent_kernel)
    h0 = _t(initial_states[0])
    parents = [x, kernel, recurrent_kernel]
    if bias is not None:
        parents.append(_t(bias))
    parents.append(h0)
    if mask is not None:
        M = np.asarray(mask, dtype=bool).T
        if go_backwards:
            M = M[::-1]
        M = np.ascontiguousarray(M)[:, :, None]  # (T, B, 1)
    else:
        M = None
    if cell == "lstm":
        c0 = _t(initial_states[1])
        parents.append(c0)
        out, backward = _lstm(x, kernel, recurrent_kernel, None if bias is None else _t(bias),
                              h0, c0, activation, recurrent_activation, M, go_backwards,
                              full, recurrent_mask)
        return record(out, tuple(parents), backward)

    (act, d_act), (ract, d_ract), xv, K, R, B, T, D, U = _unpack(
        x, kernel, recurrent_kernel, activation, recurrent_activation)
    dtype = xv.dtype
    G = 3 if cell == "gru" else 1
    bv = None if bias is None else _t(bias).value
    gru_split = cell == "gru" and reset_after and bv is not None  # (input bias, recurrent bias)

    # all timesteps' inputs times the kernel, time-major, in processing order
    xt = xv.transpose(1, 0, 2)
    if go_backwards:
        xt = xt[::-1]
    xt = np.ascontiguousarray(xt)
    XW = np.matmul(xt.reshape(T * B, D), K).reshape(T, B, G * U)
    b_in = None if bv is None else bv[0] if gru_split else bv
    if b_in is not None:
        XW += b_in
    b_rec = bv[1] if gru_split else None
    rm = None if recurrent_mask is None else np.asarray(recurrent_mask, dtype=dtype)

    H = np.empty((T, B, U), dtype=dtype)  # h after each step
    h = h0.value.astype(dtype, copy=False)
    if cell == "gru":
        Zg = np.empty((T, B, U), dtype=dtype)
        Rg = np.empty((T, B, U), dtype=dtype)
        HH = np.empty((T, B, U), dtype=dtype)
        RH = np.empty((T, B, U), dtype=dtype)  # reset_after: h@R_h + b_h; else r * h
        rec = np.empty((B, 3 * U), dtype=dtype) if reset_after else np.empty((B, 2 * U), dtype)
        R_zr, R_h = R[:, :2 * U], R[:, 2 * U:]
        for t in range(T):
            hd = h if rm is None else h * rm
            xw = XW[t]
            if reset_after:
                np.matmul(hd, R, out=rec)
                if b_rec is not None:
                    rec += b_rec
                zz = Zg[t]
                np.add(xw[:, :U], rec[:, :U], out=zz)
                ract(zz, out=zz)
                rr = Rg[t]
                np.add(xw[:, U:2 * U], rec[:, U:2 * U], out=rr)
                ract(rr, out=rr)
                RH[t] = rec[:, 2 * U:]
                hh = np.multiply(rr, rec[:, 2 * U:], out=HH[t])
            else:
                np.matmul(hd, R_zr, out=rec)
                zz = Zg[t]
                np.add(xw[:, :U], rec[:, :U], out=zz)
                ract(zz, out=zz)
                rr = Rg[t]
                np.add(xw[:, U:2 * U], rec[:, U:], out=rr)
                ract(rr, out=rr)
                np.multiply(rr, hd, out=RH[t])
                hh = np.matmul(RH[t], R_h, out=HH[t])
            hh += xw[:, 2 * U:]
            act(hh, out=hh)
            h_new = hh - h
            h_new *= 1.0 - zz
            h_new += h  # z * h + (1 - z) * hh
            if M is None:
                H[t] = h_new
            else:
                H[t] = np.where(M[t], h_new, h)
            h = H[t]
    else:
        z = np.empty((B, U), dtype=dtype)
        AH = np.empty((T, B, U), dtype=dtype)  # activation output before masking
        for t in range(T):
            hd = h if rm is None else h * rm
            np.matmul(hd, R, out=z)
            z += XW[t]
            act(z, out=AH[t])
            if M is None:
                H[t] = AH[t]
            else:
                H[t] = np.where(M[t], AH[t], h)
            h = H[t]

    out = H.transpose(1, 0, 2) if full else H[T - 1].copy()

    def backward(g):
        if full:
            gH = g.transpose(1, 0, 2)  # (T, B, U), processing order
            dh = np.zeros((B, U), dtype=dtype)
        else:
            gH = None
            dh = np.array(g, dtype=dtype, order="C")
        Mf = None if M is None else M.astype(dtype)
        dXW = np.empty((T, B, G * U), dtype=dtype)
        dREC = np.empty((T, B, 3 * U), dtype=dtype) if cell == "gru" and reset_after else None
        Rt = R.T
        for t in range(T - 1, -1, -1):
            if gH is not None:
                dh = dh + gH[t]
            if Mf is not None:
                m = Mf[t]
                keep_h = dh * (1.0 - m)  # a masked step passes its gradient straight back
                dh = dh * m
            h_prev = h0.value if t == 0 else H[t - 1]
            da = dXW[t]
            if cell == "gru":
                zz, rr, hh = Zg[t], Rg[t], HH[t]
                dhh = dh * (1.0 - zz) * d_act(hh)  # through the candidate's activation
                np.multiply(dh * (h_prev - hh), d_ract(zz), out=da[:, :U])
                da[:, 2 * U:] = dhh
                if reset_after:
                    drec = dREC[t]
                    np.multiply(dhh * RH[t], d_ract(rr), out=da[:, U:2 * U])
                    drec[:, :2 * U] = da[:, :2 * U]
                    np.multiply(dhh, rr, out=drec[:, 2 * U:])
                    dhd = drec @ Rt
                else:
                    d_rh = dhh @ R[:, 2 * U:].T  # gradient of r * hd
                    hd = h_prev if rm is None else h_prev * rm
                    np.multiply(d_rh * hd, d_ract(rr), out=da[:, U:2 * U])
                    dhd = da[:, :2 * U] @ Rt[:2 * U] + d_rh * rr
                if rm is not None:
                    dhd *= rm
                dh_prev = dh * zz + dhd
            else:
                np.multiply(dh, d_act(AH[t]), out=da)
                dh_prev = da @ Rt
                if rm is not None:
                    dh_prev *= rm
            if Mf is not None:
                dh_prev += keep_h
            dh = dh_prev

        grads: list = []
        flat_dXW = dXW.reshape(T * B, G * U)
        if x.needs_grad:
            dx = np.matmul(flat_dXW, K.T).reshape(T, B, D)  # processing order
            if go_backwards:
                dx = dx[::-1]
            grads.append(dx.transpose(1, 0, 2))
        else:
            grads.append(None)
        grads.append(xt.reshape(T * B, D).T @ flat_dXW if kernel.needs_grad else None)
        if recurrent_kernel.needs_grad:
            if rm is None and cell != "gru":
                # sum over steps of h_{t-1}^T dz_t without stacking the h_{t-1}
                dR = H[:T - 1].reshape((T - 1) * B, U).T @ flat_dXW[B:]
                dR += h0.value.T @ flat_dXW[:B]
            else:
                h_prevs = np.empty((T, B, U), dtype=dtype)
                h_prevs[0] = h0.value
                h_prevs[1:] = H[:-1]
                if rm is not None:
                    h_prevs *= rm
                hp = h_prevs.reshape(T * B, U)
                if cell == "gru" and reset_after:
                    dR = hp.T @ dREC.reshape(T * B, 3 * U)
                elif cell == "gru":
                    dR = np.empty_like(R)
                    dR[:, :2 * U] = hp.T @ flat_dXW[:, :2 * U]
                    dR[:, 2 * U:] = RH.reshape(T * B, U).T @ flat_dXW[:, 2 * U:]
                else:
                    dR = hp.T @ flat_dXW
            grads.append(dR)
        else:
            grads.append(None)
        if bias is not None:
            db_in = flat_dXW.sum(axis=0)
            if gru_split:
                grads.append(np.stack([db_in, dREC.reshape(T * B, 3 * U).sum(axis=0)]))
            else:
                grads.append(db_in)
        grads.append(dh)
        return grads

    return record(out, tuple(parents), backward)


# --- the LSTM: forward and backward loops on transposed arrays ------------------------------
# Each step works on (4U, B) gates and (U, B) states: then every gate is one contiguous
# block, and NumPy's element-wise calls on contiguous blocks cost a third of those on column
# slices of a (B, 4U) array. The gates run in the order o i f g (Keras: i f g o): the three
# sigmoid gates side by side, and i f next to g c_{t-1}, so that i*g and f*c_{t-1} are one
# product. A step's gates are ONE product [R; K; b]^T @ [h_{t-1}; x_t; 1] (cheaper than a
# product of all inputs before the loop, added back at each step). With the sigmoid as
# recurrent activation and tanh as activation, the sigmoid gates' rows of that matrix are
# scaled by 0.5 (exact in binary floating point), so that ONE tanh over the four gates gives
# g and, after `*0.5 + 0.5`, sigmoid(x) = 0.5 tanh(x/2) + 0.5 for the others.

_FORWARD_ORDER = (3, 0, 1, 2)  # o i f g, as Keras' gate numbers (i f g o)
_BACKWARD_ORDER = (3, 2, 0, 1)  # o g i f: the backward's dz, in a step's block of Z


def _gate_columns(U: int, order: tuple) -> np.ndarray:
    return np.concatenate([np.arange(k * U, (k + 1) * U) for k in order])


def _lstm(x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, bias: Tensor | None,
          h0: Tensor, c0: Tensor, activation: str, recurrent_activation: str,
          M: np.ndarray | None, go_backwards: bool, full: bool,
          recurrent_mask: np.ndarray | None) -> tuple:
    """The LSTM case of `recurrent`: (output, backward)."""
    (act, d_act), (ract, d_ract), xv, K, R, B, T, D, U = _unpack(
        x, kernel, recurrent_kernel, activation, recurrent_activation)
    dtype = xv.dtype
    U3, U4 = 3 * U, 4 * U
    one_tanh = recurrent_activation == "sigmoid" and activation == "tanh"

    fcols = _gate_columns(U, _FORWARD_ORDER)
    W_run = np.empty((U4, U + D + 1), dtype=dtype)
    W_run[:, :U] = R[:, fcols].T
    W_run[:, U:U + D] = K[:, fcols].T
    W_run[:, U + D] = 0.0 if bias is None else bias.value[fcols]
    if one_tanh:
        W_run[:U3] *= 0.5

    work = _take_work(T, B, U, D, dtype)
    HX, A, TC = work.HX, work.A, work.TC
    xs = xv.transpose(1, 2, 0)  # (T, D, B)
    HX[:T, U:U + D] = xs[::-1] if go_backwards else xs
    HX[0, :U] = h0.value.T
    A[0, U4:] = c0.value.T
    rmT = None if recurrent_mask is None else np.ascontiguousarray(
        np.asarray(recurrent_mask, dtype=dtype).T)
    MT = None if M is None else M.transpose(0, 2, 1)  # (T, 1, B)

    dot, multiply, add, tanh = np.dot, np.multiply, np.add, np.tanh
    half = np.array(0.5, dtype=dtype)  # (a 0-d array is NumPy's cheapest scalar operand)
    if one_tanh and MT is None and rmT is None:
        for hx, a, sig, i_f, g_c, igfc, ig, fc, c_new, tc, o, h_new in work.forward_steps:
            dot(W_run, hx, a)
            tanh(a, a)
            multiply(sig, half, sig)
            add(sig, half, sig)
            multiply(i_f, g_c, igfc)  # i * g, f * c_{t-1}
            add(ig, fc, c_new)
            tanh(c_new, tc)
            multiply(o, tc, h_new)
    else:
        for t, (hx, a, sig, i_f, g_c, igfc, ig, fc, c_new, tc, o, h_new) in enumerate(
                work.forward_steps):
            if rmT is not None:
                hx = hx.copy()
                hx[:U] *= rmT
            dot(W_run, hx, a)
            if one_tanh:
                tanh(a, a)
                multiply(sig, half, sig)
                add(sig, half, sig)
            else:
                ract(sig, out=sig)
                act(a[U3:], out=a[U3:])
            multiply(i_f, g_c, igfc)
            add(ig, fc, c_new)
            act(c_new, out=tc)
            if MT is None:
                multiply(o, tc, h_new)
            else:  # a masked step keeps h_{t-1} and c_{t-1}
                h_new[...] = np.where(MT[t], o * tc, HX[t, :U])
                c_new[...] = np.where(MT[t], c_new, A[t, U4:])

    if full:  # [h, c] of every step; a new array, as the work set is used again
        out = np.concatenate([HX[1:, :U], A[1:, U4:]], axis=1).transpose(2, 0, 1)
    else:
        out = HX[T, :U].T.copy()
    owner = _Owner()  # the backward holds it: the set returns to the pool when both are gone
    weakref.finalize(owner, _give_back, work)

    def factors(t0: int, t1: int) -> None:
        """What the backward multiplies by at steps t0..t1-1, all at once: P[j] the
        factors of dh, Q[j] those of dc."""
        n = t1 - t0
        a = A[t0:t1]
        o, i, g, f = a[:, :U], a[:, U:2 * U], a[:, U3:U4], a[:, 2 * U:U3]
        h, tc = HX[t0 + 1:t1 + 1, :U], TC[t0:t1]
        P, Q = work.P[:n], work.Q[:n]
        OdTC, TO = P[:, 0], P[:, 1]
        if one_tanh:
            # from what the forward kept: s' = s (1 - s), so g s'(i) = (i g)(1 - i) and
            # c_{t-1} s'(f) = (f c_{t-1})(1 - f); act(c) s'(o) = h (1 - o);
            # o act'(c) = o - h act(c); i act'(g) = i - (i g) g. (Where a mask kept the
            # previous h, h differs from o act(c), but the loop multiplies those steps'
            # factors by a zero gradient.)
            igfc = work.IGFC[t0:t1]
            q12 = Q[:, 1:3].reshape(n, 2 * U, B)
            np.subtract(1.0, a[:, U:U3], q12)
            q12 *= igfc
            np.subtract(1.0, o, TO)
            TO *= h                                         # dL/dz_o = dh * h (1 - o)
            multiply(h, tc, OdTC)
            np.subtract(o, OdTC, OdTC)                      # dL/dc += dh * o * act'(c)
            multiply(igfc[:, :U], g, Q[:, 0])
            np.subtract(i, Q[:, 0], Q[:, 0])                # dL/dz_g = dc * i * act'(g)
        else:
            ds = d_ract(a[:, :U3]).reshape(n, 3, U, B)  # s'(o), s'(i), s'(f)
            multiply(i, d_act(g), Q[:, 0])                  # dL/dz_g = dc * i * act'(g)
            multiply(d_act(tc), o, OdTC)                    # dL/dc  += dh * o * act'(c)
            multiply(tc, ds[:, 0], TO)                      # dL/dz_o = dh * act(c) * s'(o)
            multiply(g, ds[:, 1], Q[:, 1])                  # dL/dz_i = dc * g * s'(i)
            multiply(a[:, U4:], ds[:, 2], Q[:, 2])          # dL/dz_f = dc * c_prev * s'(f)
        Q[:, 3] = f                                         # dc_{t-1} = dc * f

    def backward(g, _owner=owner):  # holding the owner keeps the set out of the pool
        bcols = _gate_columns(U, _BACKWARD_ORDER)
        R_b = np.ascontiguousarray(R[:, bcols])
        if full:
            gt = g.transpose(1, 2, 0)  # (T, 2U, B), processing order
            gH, gC = gt[:, :U], gt[:, U:]
            dh = np.zeros((U, B), dtype=dtype)
        else:
            gH = gC = None
            dh = np.array(g.T, dtype=dtype, order="C")
        dc = np.zeros((U, B), dtype=dtype)
        Mf = None if MT is None else MT.astype(dtype)
        weights_grad = kernel.needs_grad or recurrent_kernel.needs_grad or (
            bias is not None and bias.needs_grad)
        dW = np.zeros((U4, U + D + 1), dtype=dtype)  # rows o g i f: [dR^T | dK^T | db]
        # dx in the input's layout (batch, T, D), so that the layer before (an Embedding,
        # usually) gets a contiguous gradient; dX_t is its (T, batch, D) view
        dx = np.empty((B, T, D), dtype=dtype) if x.needs_grad else None
        dX = None if dx is None else (dx[:, ::-1] if go_backwards else dx).transpose(1, 0, 2)
        K_bT = K[:, bcols].T
        dh_buffer = work.dh
        plain = gH is None and Mf is None and rmT is None
        # backwards through the steps, a chunk at a time: the factors, the steps, then the
        # chunk's share of the weights' and the inputs' gradients while its dz are at hand
        for t1 in range(T, 0, -_CHUNK):
            t0 = max(t1 - _CHUNK, 0)
            factors(t0, t1)
            if plain:  # the loop below without its options' tests (most calls)
                for p0, e0, p1, dz_o, q, dzdc, dc_prev, dz in \
                        work.backward_steps[t1 - t0 - 1::-1]:
                    multiply(dh, p0, e0)
                    add(dc, e0, dc)
                    multiply(dh, p1, dz_o)
                    multiply(dc, q, dzdc)
                    dc = dc_prev
                    dh = dot(R_b, dz, dh_buffer)
            else:
                for j in range(t1 - t0 - 1, -1, -1):
                    p0, e0, p1, dz_o, q, dzdc, dc_prev, dz = work.backward_steps[j]
                    if gH is not None:
                        dh = dh + gH[t0 + j]
                        dc = dc + gC[t0 + j]
                    if Mf is not None:
                        m = Mf[t0 + j]
                        keep_h = dh * (1.0 - m)  # a masked step passes its gradient straight back
                        dh = dh * m
                        keep_c = dc * (1.0 - m)
                        dc = dc * m
                    multiply(dh, p0, e0)
                    add(dc, e0, dc)  # through h_t = o * act(c_t)
                    multiply(dh, p1, dz_o)
                    multiply(dc, q, dzdc)
                    dc = dc_prev
                    dh = dot(R_b, dz, dh_buffer)
                    if rmT is not None:
                        dh *= rmT
                    if Mf is not None:
                        dh += keep_h
                        dc += keep_c
            dz = work.Z[:t1 - t0, 1:5].reshape(t1 - t0, U4, B)
            if weights_grad:
                hx = HX[t0:t1]
                if rmT is not None:
                    hx = hx.copy()
                    hx[:, :U] *= rmT
                dW += np.tensordot(dz, hx, axes=([0, 2], [0, 2]))
            if dX is not None:
                np.matmul(dz.transpose(0, 2, 1), K_bT, out=dX[t0:t1])

        def keras_order(gw):  # from the backward's o g i f back to Keras' i f g o
            out = np.empty_like(gw)
            out[..., bcols] = gw
            return out

        grads = [dx, keras_order(dW[:, U:U + D].T) if kernel.needs_grad else None,
                 keras_order(dW[:, :U].T) if recurrent_kernel.needs_grad else None]
        if bias is not None:
            grads.append(keras_order(dW[:, U + D]) if bias.needs_grad else None)
        grads += [dh.T.copy(), dc.T.copy()]  # (views of the work set, which is used again)
        return grads

    return out, backward
