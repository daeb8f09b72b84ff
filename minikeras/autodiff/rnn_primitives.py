"""Primitives of the sequence layers: the embedding lookup and the recurrent loop.

`recurrent` runs a whole SimpleRNN, LSTM or GRU layer as ONE node of the graph: its forward
loop and its backward loop (backpropagation through time) sit side by side below. The
inputs of all timesteps are multiplied by the input kernel in one matrix product before the
loop; each step then does one product with the recurrent kernel and a few element-wise
operations on preallocated arrays. docs/recurrent.md walks through the derivation.
"""

from __future__ import annotations

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

    flat = ids.reshape(-1)
    order = np.argsort(flat, kind="stable")
    sorted_ids = flat[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if flat.size \
        else np.zeros(0, dtype=np.intp)

    def backward(g):
        # rows of the same id summed with one reduceat over the sorted rows (np.add.at is
        # many times slower)
        full = np.zeros_like(table.value)
        if flat.size:
            rows = g.reshape(-1, full.shape[-1])[order]
            full[sorted_ids[starts]] = np.add.reduceat(rows, starts, axis=0)
        return (full,)

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
    c0 = _t(initial_states[1]) if cell == "lstm" else None
    act, d_act = ACTIVATIONS[activation]
    ract, d_ract = ACTIVATIONS[recurrent_activation]
    xv, K, R = x.value, kernel.value, recurrent_kernel.value
    dtype = xv.dtype
    B, T, D = xv.shape
    U = R.shape[0]
    G = {"simple": 1, "lstm": 4, "gru": 3}[cell]
    bv = None if bias is None else _t(bias).value
    gru_split = cell == "gru" and reset_after and bv is not None  # (input bias, recurrent bias)

    # all timesteps' inputs times the kernel, time-major, in processing order
    xt = xv.transpose(1, 0, 2)
    if go_backwards:
        xt = xt[::-1]
    xt = np.ascontiguousarray(xt)
    XW = np.matmul(xt, K)
    if bv is not None:
        XW += bv[0] if gru_split else bv
    b_rec = bv[1] if gru_split else None
    if mask is not None:
        M = np.asarray(mask, dtype=bool).T
        if go_backwards:
            M = M[::-1]
        M = np.ascontiguousarray(M)[:, :, None]  # (T, B, 1)
    else:
        M = None
    rm = None if recurrent_mask is None else np.asarray(recurrent_mask, dtype=dtype)

    H = np.empty((T, B, U), dtype=dtype)  # h after each step
    h = h0.value.astype(dtype, copy=False)
    z = np.empty((B, G * U), dtype=dtype)
    if cell == "lstm":
        C = np.empty((T, B, U), dtype=dtype)  # c after each step
        c = c0.value.astype(dtype, copy=False)
        A = np.empty((T, B, 4 * U), dtype=dtype)  # gates after their activations: i f g o
        TC = np.empty((T, B, U), dtype=dtype)  # activation(c)
        tmp = np.empty((B, U), dtype=dtype)
        for t in range(T):
            np.matmul(h if rm is None else h * rm, R, out=z)
            z += XW[t]
            a = A[t]
            ract(z, out=a)
            act(z[:, 2 * U:3 * U], out=a[:, 2 * U:3 * U])
            c_new = np.multiply(a[:, U:2 * U], c, out=C[t] if M is None else None)
            c_new += np.multiply(a[:, :U], a[:, 2 * U:3 * U], out=tmp)
            tc = act(c_new, out=TC[t])
            if M is None:
                np.multiply(a[:, 3 * U:], tc, out=H[t])
            else:
                H[t] = np.where(M[t], a[:, 3 * U:] * tc, h)
                C[t] = np.where(M[t], c_new, c)
            h, c = H[t], C[t]
    elif cell == "gru":
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

    if full:
        out = (np.concatenate([H, C], axis=2) if cell == "lstm" else H).transpose(1, 0, 2)
    else:
        out = H[T - 1].copy()
    parents = [x, kernel, recurrent_kernel]
    if bias is not None:
        parents.append(_t(bias))
    parents.append(h0)
    if c0 is not None:
        parents.append(c0)

    def backward(g):
        if full:
            gt = g.transpose(1, 0, 2)  # (T, B, S), processing order
            gH = gt[:, :, :U]
            gC = gt[:, :, U:] if cell == "lstm" else None
            dh = np.zeros((B, U), dtype=dtype)
        else:
            gH = gC = None
            dh = np.array(g, dtype=dtype)
        dc = np.zeros((B, U), dtype=dtype) if cell == "lstm" else None
        Mf = None if M is None else M.astype(dtype)
        dXW = np.empty((T, B, G * U), dtype=dtype)
        if cell == "lstm":
            # everything the loop multiplies by that does not depend on the gradient,
            # for every step at once: then a step is a handful of element-wise products
            a_i, a_f, a_g, a_o = (A[:, :, k * U:(k + 1) * U] for k in range(4))
            c_prev = np.empty_like(C)
            c_prev[0] = c0.value
            c_prev[1:] = C[:-1]
            Q = np.empty((T, B, 3, U), dtype=dtype)
            np.multiply(a_g, d_ract(a_i), out=Q[:, :, 0])     # dL/dz_i = dc * g * s'(i)
            np.multiply(c_prev, d_ract(a_f), out=Q[:, :, 1])  # dL/dz_f = dc * c_prev * s'(f)
            np.multiply(a_i, d_act(a_g), out=Q[:, :, 2])      # dL/dz_g = dc * i * act'(g)
            TO = TC * d_ract(a_o)                              # dL/dz_o = dh * act(c) * s'(o)
            OdTC = a_o * d_act(TC)                             # dL/dc  += dh * o * act'(c)
            F = np.ascontiguousarray(a_f)
            tmp = np.empty((B, U), dtype=dtype)
        dREC = np.empty((T, B, 3 * U), dtype=dtype) if cell == "gru" and reset_after else None
        Rt = R.T
        for t in range(T - 1, -1, -1):
            if gH is not None:
                dh = dh + gH[t]
                if gC is not None:
                    dc = dc + gC[t]
            if Mf is not None:
                m = Mf[t]
                keep_h = dh * (1.0 - m)  # a masked step passes its gradient straight back
                dh = dh * m
                if dc is not None:
                    keep_c = dc * (1.0 - m)
                    dc = dc * m
            h_prev = h0.value if t == 0 else H[t - 1]
            da = dXW[t]
            if cell == "lstm":
                np.multiply(dh, OdTC[t], out=tmp)
                dc += tmp  # through h_t = o * act(c_t)
                da = dXW[t].reshape(B, 4, U)
                np.multiply(dc[:, None, :], Q[t], out=da[:, :3])  # d i, d f, d g
                np.multiply(dh, TO[t], out=da[:, 3])                # d o
                dc *= F[t]  # d c_{t-1}
                dh = dXW[t] @ Rt
                if rm is not None:
                    dh *= rm
                if Mf is not None:
                    dh += keep_h
                    dc += keep_c
            elif cell == "gru":
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
                if Mf is not None:
                    dh_prev += keep_h
                dh = dh_prev
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
            dx = np.matmul(dXW, K.T)  # (T, B, D), processing order
            if go_backwards:
                dx = dx[::-1]
            grads.append(dx.transpose(1, 0, 2))
        else:
            grads.append(None)
        grads.append(xt.reshape(T * B, D).T @ flat_dXW if kernel.needs_grad else None)
        if recurrent_kernel.needs_grad:
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
        if c0 is not None:
            grads.append(dc)
        return grads

    return record(out, tuple(parents), backward)
