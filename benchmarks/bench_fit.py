"""Training speed of minikeras against a hand-written NumPy loop of the same network.

    python benchmarks/bench_fit.py [--repeats 9] [--workloads lecture,digits]

BLAS is pinned to one thread (set before NumPy is imported). Each workload is measured in
the same run for both contenders, alternately: the figures are the medians of `--repeats`
runs in samples per second, and the ratio is the median over those pairs of runs of
minikeras' speed / the hand-written loop's (the floor: 1.0 would mean no overhead at all).
Workloads are those of DESIGN.md section 5.
"""

from __future__ import annotations

import os

import sys  # noqa: E402

if "--default-threads" not in sys.argv:  # else: the machine's default, as a user has it
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402

# the minikeras of this checkout, not an installed one
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

# name: (layer sizes, hidden activation, output, optimizer, loss, batch, samples, epochs)
WORKLOADS = {
    "lecture": ([4, 5, 7, 3], "linear", "linear", "sgd", "mse", 32, 4096, 3),
    "digits": ([64, 128, 10], "relu", "softmax", "sgd", "categorical_crossentropy", 32, 4096, 3),
    "mnist-mlp": ([784, 256, 256, 10], "relu", "softmax", "adam", "categorical_crossentropy",
                  128, 4096, 2),
    "wide": ([784, 1024, 1024, 10], "relu", "softmax", "momentum", "categorical_crossentropy",
             256, 2048, 1),
}


def make_data(sizes, loss, n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, sizes[0])).astype("float32")
    if loss == "mse":
        y = rng.normal(size=(n, sizes[-1])).astype("float32")
    else:
        y = np.eye(sizes[-1], dtype="float32")[rng.integers(0, sizes[-1], n)]
    return x, y


def glorot(rng, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype("float32")


def numpy_loop(sizes, hidden, output, opt, loss, batch, x, y, epochs):
    """The floor: forward, backward and update written out by hand, no framework at all."""
    rng = np.random.default_rng(1)
    ws = [glorot(rng, a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b, "float32") for b in sizes[1:]]
    params = [p for pair in zip(ws, bs) for p in pair]
    lr = np.float32(0.001 if opt == "adam" else 0.01)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = 0
    n = len(x)
    for _ in range(epochs):
        for s in range(0, n, batch):
            xb, yb = x[s:s + batch], y[s:s + batch]
            acts = [xb]
            h = xb
            for i, (w, b) in enumerate(zip(ws, bs)):
                z = h @ w + b
                last = i == len(ws) - 1
                if last and output == "softmax":
                    e = np.exp(z - z.max(axis=1, keepdims=True))
                    h = e / e.sum(axis=1, keepdims=True)
                elif not last and hidden == "relu":
                    h = np.maximum(z, 0)
                else:
                    h = z
                acts.append(h)
            if loss == "mse":
                g = (2.0 / h.size) * (h - yb)
            else:
                g = (h - yb) / len(xb)
            grads = [None] * len(params)
            for i in range(len(ws) - 1, -1, -1):
                grads[2 * i] = acts[i].T @ g
                grads[2 * i + 1] = g.sum(axis=0)
                if i:
                    g = g @ ws[i].T
                    if hidden == "relu":
                        g = g * (acts[i] > 0)
            t += 1
            for j, (p, gp) in enumerate(zip(params, grads)):
                if opt == "adam":
                    m[j] += (gp - m[j]) * np.float32(0.1)
                    v[j] += (gp * gp - v[j]) * np.float32(0.001)
                    alpha = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                    p -= np.float32(alpha) * m[j] / (np.sqrt(v[j]) + np.float32(1e-7))
                elif opt == "momentum":
                    m[j] *= np.float32(0.9)
                    m[j] -= lr * gp
                    p += m[j]
                else:
                    p -= lr * gp


def minikeras_fit(sizes, hidden, output, opt, loss, batch, x, y, epochs):
    import minikeras as keras

    model = keras.Sequential([keras.Input(shape=(sizes[0],))] + [
        keras.layers.Dense(u, activation=hidden) for u in sizes[1:-1]] + [
        keras.layers.Dense(sizes[-1], activation=output)])
    # (only the optimizer used is made: building all three cost 0.3 ms per run)
    optimizer = {"sgd": lambda: keras.optimizers.SGD(0.01),
                 "adam": lambda: keras.optimizers.Adam(0.001),
                 "momentum": lambda: keras.optimizers.SGD(0.01, momentum=0.9)}[opt]()
    model.compile(optimizer, loss)
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)


def predict_minikeras(x):
    import minikeras as keras

    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(256, "relu"),
                              keras.layers.Dense(256, "relu"),
                              keras.layers.Dense(10, "softmax")])
    model.predict(x, batch_size=1024, verbose=0)


def predict_numpy(x):
    rng = np.random.default_rng(1)
    sizes = ((784, 256), (256, 256), (256, 10))
    ws = [glorot(rng, a, b) for a, b in sizes]
    bs = [np.zeros(b, "float32") for _, b in sizes]  # Dense layers have biases
    out = []
    for s in range(0, len(x), 1024):
        h = x[s:s + 1024]
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w + b
            h = np.maximum(h, 0) if i < 2 else np.exp(h - h.max(1, keepdims=True))
        out.append(h / h.sum(1, keepdims=True))
    return np.concatenate(out)


CLOCK = time.perf_counter


def _inference_model():
    """mnist-mlp for inference, and the same weights for the hand-written forward pass."""
    import minikeras as keras

    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(256, "relu"),
                              keras.layers.Dense(256, "relu"),
                              keras.layers.Dense(10, "softmax")])
    model.compile("sgd", "categorical_crossentropy")
    return model, [(layer.kernel.value.copy(), layer.bias.value.copy())
                   for layer in model.layers]


def numpy_forward(params, h):
    """What a competent person writes: h @ w + b, relu, a stable softmax."""
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = np.maximum(h, 0)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def inference_workload(name, x, y, model, params):
    """(floor function, minikeras function) for predict/evaluate at batch 32 and for a
    loop of one-sample predicts."""
    if name == "predict32":
        def floor():
            return np.concatenate([numpy_forward(params, x[s:s + 32])
                                   for s in range(0, len(x), 32)])

        def ours():
            return model.predict(x, batch_size=32, verbose=0)
    elif name == "evaluate32":
        def floor():
            total = 0.0
            for s in range(0, len(x), 32):
                p = numpy_forward(params, x[s:s + 32])
                total += float(-(y[s:s + 32] * np.log(p)).sum(axis=1).mean()) * len(p)
            return total / len(x)

        def ours():
            return model.evaluate(x, y, batch_size=32, verbose=0)
    else:  # predict1: one sample at a time, as students call it in loops
        def floor():
            for i in range(len(x)):
                numpy_forward(params, x[i:i + 1])

        def ours():
            for i in range(len(x)):
                model.predict(x[i:i + 1], verbose=0)
    return floor, ours


def measure(floor_fn, ours_fn, *args, repeats=5):
    """Both contenders run alternately (after one warm-up run each), so that each pair of
    runs sees the same machine: shared machines change speed from one second to the next.
    Returns the median time of each and the median of the per-pair ratios."""
    floor_fn(*args)
    ours_fn(*args)
    times: dict = {floor_fn: [], ours_fn: []}
    for _ in range(repeats):
        for fn in (floor_fn, ours_fn):
            start = CLOCK()
            fn(*args)
            times[fn].append(CLOCK() - start)
    ratios = [f / o for f, o in zip(times[floor_fn], times[ours_fn])]
    return (statistics.median(times[floor_fn]), statistics.median(times[ours_fn]),
            statistics.median(ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--workloads", default="lecture,digits")
    parser.add_argument("--default-threads", action="store_true",
                        help="leave BLAS at the machine's default thread count")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process' CPU time (time.process_time), which a "
                             "busy machine disturbs less than the wall clock")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"{'workload':<10} {'numpy loop':>14} {'minikeras':>14} {'ratio':>7}")
    for name in args.workloads.split(","):
        if name in ("predict32", "evaluate32", "predict1"):
            n = 300 if name == "predict1" else 4096
            x, y = make_data([784, 256, 256, 10], "categorical_crossentropy", n)
            model, params = _inference_model()
            floor_fn, ours_fn = inference_workload(name, x, y, model, params)
            floor, ours, ratio = measure(floor_fn, ours_fn, repeats=args.repeats)
            samples = n
        elif name == "predict":
            x = np.random.default_rng(0).normal(size=(16384, 784)).astype("float32")
            floor, ours, ratio = measure(predict_numpy, predict_minikeras, x,
                                         repeats=args.repeats)
            samples = len(x)
        else:
            sizes, hidden, output, opt, loss, batch, n, epochs = WORKLOADS[name]
            x, y = make_data(sizes, loss, n)
            spec = (sizes, hidden, output, opt, loss, batch, x, y, epochs)
            floor, ours, ratio = measure(numpy_loop, minikeras_fit, *spec, repeats=args.repeats)
            samples = n * epochs
        print(f"{name:<10} {samples / floor:>12,.0f}/s {samples / ours:>12,.0f}/s "
              f"{ratio:>7.2f}")


if __name__ == "__main__":
    main()
