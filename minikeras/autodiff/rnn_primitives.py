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
    # repeated ids add up: one bincount over (row, column) cells of the flat table sums
    # every upstream value into its cell (np.add.at, or sorting the ids and a reduceat,
    # cost several times more for a batch of a few thousand ids)
    def backward(g):
        cells = (ids.reshape(-1, 1) * width + np.arange(width)).reshape(-1)
        full = np.bincount(cells, weights=np.asarray(g).reshape(-1), minlength=n_rows * width)
        return (full.reshape(n_rows, width).astype(table.value.dtype, copy=False),)

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


# --- work arrays kept between calls --------------------------------------------------------
# The LSTM's loop needs a dozen arrays of up to a few MB per call. Freshly allocated, each is
# new memory from the operating system (glibc maps or trims large blocks), and the first
# write to every page faults: in a training loop that cost as much as the loop's
# arithmetic. The arrays are therefore taken from a small pool: the backward's own
# temporaries go back when it returns, the forward's (which the backward reads) when the
# graph node that holds them is freed.

_POOL: dict = {}
_POOL_DEPTH = 4  # arrays kept per (shape, dtype)
_POOL_MAX_BYTES = 64 << 20  # all arrays kept, at most (larger loops allocate as before)
_pool_bytes = 0


def _take(shape: tuple, dtype: Any) -> np.ndarray:
    global _pool_bytes
    try:
        a = _POOL[(shape, dtype)].pop()
    except (KeyError, IndexError):  # (not a check-then-pop: other threads may take too)
        return np.empty(shape, dtype=dtype)
    _pool_bytes -= a.nbytes
    return a


def _give_back(arrays: tuple) -> None:
    global _pool_bytes
    for a in arrays:
        stack = _POOL.setdefault((a.shape, a.dtype), [])
        if len(stack) < _POOL_DEPTH and _pool_bytes + a.nbytes <= _POOL_MAX_BYTES:
            stack.append(a)
            _pool_bytes += a.nbytes


class _Owner:
    """Held by a backward closure; when it is freed its arrays return to the pool."""

    __slots__ = ("__weakref__",)


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

    if cell == "lstm":
        # The loop works on the gates in the order o i f g (Keras: i f g o): the three
        # sigmoid gates side by side, and i f next to g c_{t-1} so that i*g and f*c_{t-1}
        # are one product. With the sigmoid as recurrent activation its columns are also
        # scaled by 0.5 (exact in binary floating point), so that ONE tanh over the four
        # gates gives tanh for g and, after `*0.5 + 0.5`, sigmoid(x) = 0.5 tanh(x/2) + 0.5
        # for the others. K and R keep the unscaled permuted copies for the backward.
        gate_cols = np.concatenate([np.arange(k * U, (k + 1) * U) for k in (3, 0, 1, 2)])
        one_tanh = recurrent_activation == "sigmoid" and activation == "tanh"
        K, R = K[:, gate_cols], R[:, gate_cols]
        if bv is not None:
            bv = bv[gate_cols]
        if one_tanh:
            half = np.ones(4 * U, dtype=dtype)
            half[:3 * U] = 0.5
            K_run, R_run = K * half, R * half
            b_run = None if bv is None else bv * half
        else:
            K_run, R_run, b_run = K, R, bv
    else:
        K_run, R_run, b_run = K, R, (None if bv is None else bv[0] if gru_split else bv)

    # all timesteps' inputs times the kernel, time-major, in processing order
    xt = xv.transpose(1, 0, 2)
    if go_backwards:
        xt = xt[::-1]
    xt = np.ascontiguousarray(xt)
    if cell != "lstm":  # the LSTM's loop does this in its step's product (below)
        XW = np.matmul(xt.reshape(T * B, D), K_run).reshape(T, B, G * U)
        if b_run is not None:
            XW += b_run
    b_rec = bv[1] if gru_split else None
    if mask is not None:
        M = np.asarray(mask, dtype=bool).T
        if go_backwards:
            M = M[::-1]
        M = np.ascontiguousarray(M)[:, :, None]  # (T, B, 1)
    else:
        M = None
    rm = None if recurrent_mask is None else np.asarray(recurrent_mask, dtype=dtype)

    H = None if cell == "lstm" else np.empty((T, B, U), dtype=dtype)  # h after each step
    h = h0.value.astype(dtype, copy=False)
    z = np.empty((B, G * U), dtype=dtype)
    owner = None
    if cell == "lstm":
        # Each step works on transposed arrays, (4U, B) for the gates and (U, B) for the
        # states: then every gate is one contiguous block, and NumPy's element-wise calls on
        # contiguous blocks cost a third of those on column slices of a (B, 4U) array.
        # A step's gates are ONE product [R; K; b]^T @ [h_{t-1}; x_t; 1]: HX holds the
        # inputs and the ones from the start, and each step writes its h into the next
        # step's block (cheaper than a product of all inputs before the loop, transposed
        # and added back at each step).
        W_run = np.zeros((4 * U, U + D + 1), dtype=dtype)
        W_run[:, :U] = R_run.T
        W_run[:, U:U + D] = K_run.T
        if b_run is not None:
            W_run[:, U + D] = b_run
        HX = _take((T + 1, U + D + 1, B), dtype)
        HX[:T, U:U + D] = xt.transpose(0, 2, 1)
        HX[T, U:U + D] = 0.0
        HX[:, U + D] = 1.0
        HX[0, :U] = h0.value.T
        rmT = None if rm is None else np.ascontiguousarray(rm.T)
        MT = None if M is None else M.transpose(0, 2, 1)  # (T, 1, B)
        HT = HX[1:, :U]  # h after each step
        # step t's gates in A[t, :4U] and c_{t-1} in A[t, 4U:]: each step writes its c
        # into the next step's block
        A = _take((T + 1, 5 * U, B), dtype)
        A[0, 4 * U:] = c0.value.T
        CT = A[1:, 4 * U:]  # c after each step
        TCT = _take((T, U, B), dtype)  # activation(c)
        IGFC = _take((T, 2 * U, B), dtype)  # i * g and f * c_{t-1}, kept for the backward
        h = HX[0, :U]
        U3, U4 = 3 * U, 4 * U
        dot, multiply, add, tanh = np.dot, np.multiply, np.add, np.tanh
        for t in range(T):
            a5 = A[t]
            a = a5[:U4]
            if rmT is None:
                dot(W_run, HX[t], out=a)
            else:
                hx = HX[t].copy()
                hx[:U] *= rmT
                dot(W_run, hx, out=a)
            if one_tanh:
                tanh(a, out=a)
                sig = a[:U3]
                sig *= 0.5
                sig += 0.5
            else:
                ract(a[:U3], out=a[:U3])
                act(a[U3:], out=a[U3:])
            tmp = multiply(a5[U:U3], a5[U3:], out=IGFC[t])  # i * g, f * c_{t-1}
            c_new = add(tmp[:U], tmp[U:], out=CT[t])
            tc = act(c_new, out=TCT[t])
            if MT is None:
                multiply(a[:U], tc, out=HT[t])
            else:
                HT[t] = np.where(MT[t], a[:U] * tc, h)
                c_new[...] = np.where(MT[t], c_new, a5[U4:])
            h = HT[t]
        H = _take((T, B, U), dtype)
        H[...] = HT.transpose(0, 2, 1)
        C = CT.transpose(0, 2, 1)
        owner = _Owner()  # the backward holds it; the arrays return to the pool after both
        weakref.finalize(owner, _give_back, (HX, A, TCT, H, IGFC))
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

    def backward(g, _owner=owner):  # holding the owner keeps its arrays out of the pool
        lstm = cell == "lstm"  # the LSTM's loop runs on transposed arrays, as its forward
        if full:
            gt = g.transpose(1, 0, 2)  # (T, B, S), processing order
            gH = gt[:, :, :U]
            gC = gt[:, :, U:] if lstm else None
            if lstm:
                gH, gC = gH.transpose(0, 2, 1), gC.transpose(0, 2, 1)
            dh = np.zeros((U, B) if lstm else (B, U), dtype=dtype)
        else:
            gH = gC = None
            dh = np.array(g.T if lstm else g, dtype=dtype, order="C")
        dc = np.zeros((U, B), dtype=dtype) if lstm else None
        Mf = None if M is None else (MT if lstm else M).astype(dtype)
        if lstm:
            # everything the loop multiplies by that does not depend on the gradient,
            # for every step at once: then a step is three element-wise products and one
            # matrix product. A step's block of Z holds [dh·o·act'(c) | dz_o dz_g dz_i dz_f |
            # dc_{t-1}]: dh times P[t] fills the first two parts, dc times Q[t] the last four.
            # (The forward's gates are o i f g; the backward's o g i f.)
            a_o, a_i, a_f, a_g = (A[:T, k * U:(k + 1) * U] for k in range(4))
            Z = _take((T, 6, U, B), dtype)
            P = _take((T, 2, U, B), dtype)
            Q = _take((T, 4, U, B), dtype)
            work = (Z, P, Q)
            sig = A[:T, :3 * U]
            OdTC, TO = P[:, 0], P[:, 1]
            if recurrent_activation == "sigmoid" and activation == "tanh":
                # the same factors in fewer passes over memory, from what the forward kept:
                # s' = s (1 - s), so g s'(i) = (i g)(1 - i) and c_{t-1} s'(f) = (f c)(1 - f);
                # act(c) s'(o) = h (1 - o); o act'(c) = o - h act(c); i act'(g) = i - (i g) g.
                # (Where a mask kept the previous h, h differs from o act(c), but the loop
                # multiplies those steps' factors by a zero gradient.)
                hT = HX[1:, :U]
                np.subtract(1.0, sig[:, U:], out=Q[:, 1:3].reshape(T, 2 * U, B))
                Q[:, 1:3].reshape(T, 2 * U, B)[...] *= IGFC
                np.subtract(1.0, a_o, out=TO)
                TO *= hT                                        # dL/dz_o = dh * h (1 - o)
                np.multiply(hT, TCT, out=OdTC)
                np.subtract(a_o, OdTC, out=OdTC)                # dL/dc += dh * o * act'(c)
                np.multiply(IGFC[:, :U], a_g, out=Q[:, 0])
                np.subtract(a_i, Q[:, 0], out=Q[:, 0])          # dL/dz_g = dc * i * act'(g)
            else:
                ds = _take((T, 3, U, B), dtype)  # s'(o), s'(i), s'(f)
                work += (ds,)
                ds[...] = d_ract(sig).reshape(T, 3, U, B)
                if activation == "tanh":
                    np.multiply(a_g, a_g, out=TO)
                    np.subtract(1.0, TO, out=TO)
                    np.multiply(a_i, TO, out=Q[:, 0])           # dL/dz_g = dc * i * act'(g)
                    np.multiply(TCT, TCT, out=OdTC)
                    np.subtract(1.0, OdTC, out=OdTC)
                else:
                    np.multiply(a_i, d_act(a_g), out=Q[:, 0])
                    OdTC[...] = d_act(TCT)
                OdTC *= a_o                                     # dL/dc  += dh * o * act'(c)
                np.multiply(TCT, ds[:, 0], out=TO)              # dL/dz_o = dh * act(c) * s'(o)
                np.multiply(a_g, ds[:, 1], out=Q[:, 1])         # dL/dz_i = dc * g * s'(i)
                np.multiply(A[:T, 4 * U:], ds[:, 2], out=Q[:, 2])  # dL/dz_f = dc * c_prev * s'(f)
            Q[:, 3] = a_f                                       # dc_{t-1} = dc * f
            bcols = np.concatenate([np.arange(k * U, (k + 1) * U) for k in (0, 3, 1, 2)])
            R_b = np.ascontiguousarray(R[:, bcols])
            dXW = None
        else:
            dXW = np.empty((T, B, G * U), dtype=dtype)
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
            if lstm:
                zt = Z[t]
                np.multiply(dh, P[t], out=zt[:2])
                dc += zt[0]  # through h_t = o * act(c_t)
                np.multiply(dc, Q[t], out=zt[2:])
                dc = zt[5]
                dh = np.dot(R_b, zt[1:5].reshape(4 * U, B))
                if rm is not None:
                    dh *= rmT
                if Mf is not None:
                    dh += keep_h
                    dc += keep_c
                continue
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

        def keras_order(gw):  # the LSTM's gradients back from o g i f to Keras' i f g o
            if cell != "lstm":
                return gw
            out = np.empty_like(gw)
            out[..., gate_cols[bcols]] = gw
            return out

        if lstm and rm is None:
            # straight from the (T, 4U, batch) blocks, no transpose of dz: dx by a batched
            # product with dz transposed (BLAS reads it as is), and dR, dK, db as ONE
            # contraction of dz with the steps' [h_{t-1}; x_t; 1] that the forward kept
            dz = Z[:, 1:5].reshape(T, G * U, B)
            dW = np.tensordot(dz, HX[:T], axes=([0, 2], [0, 2]))  # (4U, U + D + 1)
            dx = None
            if x.needs_grad:
                dx = np.matmul(dz.transpose(0, 2, 1), K[:, bcols].T)  # (T, B, D)
                if go_backwards:
                    dx = dx[::-1]
                dx = dx.transpose(1, 0, 2)
            grads = [dx, keras_order(dW[:, U:U + D].T) if kernel.needs_grad else None,
                     keras_order(dW[:, :U].T) if recurrent_kernel.needs_grad else None]
            if bias is not None:
                grads.append(keras_order(dW[:, U + D].copy()))
            grads += [dh.T, dc.T.copy()]  # (dc may be a view of Z, which goes back to the pool)
            _give_back(work)
            return grads
        if lstm:  # back from the transposed arrays
            dXW = _take((T, B, G * U), dtype)  # dz in the backward's gate order o g i f
            dXW[...] = Z[:, 1:5].reshape(T, G * U, B).transpose(0, 2, 1)
            work += (dXW,)
            dh, dc = dh.T, dc.T.copy()  # (dc may be a view of Z, which goes back to the pool)
        grads: list = []
        flat_dXW = dXW.reshape(T * B, G * U)

        if x.needs_grad:
            K_b = K[:, bcols] if lstm else K
            dx = np.matmul(flat_dXW, K_b.T).reshape(T, B, D)  # processing order
            if go_backwards:
                dx = dx[::-1]
            grads.append(dx.transpose(1, 0, 2))
        else:
            grads.append(None)
        grads.append(keras_order(xt.reshape(T * B, D).T @ flat_dXW) if kernel.needs_grad
                     else None)
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
            grads.append(keras_order(dR))
        else:
            grads.append(None)
        if bias is not None:
            db_in = flat_dXW.sum(axis=0)
            if gru_split:
                grads.append(np.stack([db_in, dREC.reshape(T * B, 3 * U).sum(axis=0)]))
            else:
                grads.append(keras_order(db_in))
        grads.append(dh)
        if c0 is not None:
            grads.append(dc)
        if lstm:
            _give_back(work)  # nothing returned above is a view of them
        return grads

    return record(out, tuple(parents), backward)
