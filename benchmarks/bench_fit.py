"""Training speed of minikeras against a hand-written NumPy loop of the same network.

    python benchmarks/bench_fit.py [--repeats 9] [--workloads lecture,digits]
    python benchmarks/bench_fit.py --workloads mnist-cnn,digits-cnn [--keras3 PYTHON]

The conv workloads (mnist-cnn, digits-cnn) compare minikeras with Keras 3 on JAX instead
(the same Keras code, `CNN_MODEL_CODE`, runs in both): the whole benchmark is pinned to one
CPU, Keras runs in a child process of the --keras3 interpreter (skipped cleanly when it is
not there) that keeps its model (compiled once), and the two alternate fit by fit; the
figures are medians, the ratio the median of the per-pair ratios (minikeras / Keras).

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


# --- sequence workloads (branch rnn): the same Keras code in minikeras and in Keras 3 on JAX
#
#     python benchmarks/bench_fit.py --workloads text-lstm,small-rnn [--repeats 5]
#
# Each repeat times one epoch of `fit` (after a warm-up epoch, which also compiles JAX's
# step) in minikeras (this process) and then in a fresh Keras 3 process
# (/work/venvs/k3, KERAS_BACKEND=jax), both pinned to the same CPU. Figures: medians in
# samples per second and the median over pairs of minikeras / Keras. Without Keras 3 the
# Keras column says so and minikeras is measured alone.

SEQUENCE_WORKLOADS = {"text-lstm": 2048, "small-rnn": 8192}  # samples per timed epoch
KERAS3_PYTHON = "/work/venvs/k3/bin/python"


def sequence_model(keras, name):
    """The workload's model, written as a Keras user writes it."""
    L = keras.layers
    if name == "text-lstm":
        model = keras.Sequential([keras.Input(shape=(80,)), L.Embedding(5000, 32), L.LSTM(32),
                                  L.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy")
    else:
        model = keras.Sequential([keras.Input(shape=(20, 3)), L.SimpleRNN(16), L.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def sequence_data(name):
    rng = np.random.default_rng(0)
    n = SEQUENCE_WORKLOADS[name]
    if name == "text-lstm":
        return (rng.integers(0, 5000, size=(n, 80)).astype("float32"),
                (rng.random((n, 1)) < 0.5).astype("float32"))
    return (rng.normal(size=(n, 20, 3)).astype("float32"),
            rng.normal(size=(n, 1)).astype("float32"))


def time_sequence_fit(keras, name):
    """Seconds for one epoch of fit (batch 32, no shuffle), after a warm-up epoch."""
    x, y = sequence_data(name)
    model = sequence_model(keras, name)
    model.fit(x[:256], y[:256], batch_size=32, epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - start


def _keras3_child(name):  # runs inside the Keras 3 venv
    os.environ["KERAS_BACKEND"] = "jax"
    import keras

    import resource

    print(f"SECONDS {time_sequence_fit(keras, name)!r}")
    print(f"RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")  # peak, KiB


def _keras3_seconds(name, cpu):
    import subprocess

    if not os.path.exists(KERAS3_PYTHON):
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    code = (f"import os, sys; os.sched_setaffinity(0, {{{cpu}}}); sys.path.insert(0, {here!r}); "
            f"import bench_fit; bench_fit._keras3_child({name!r})")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    out = subprocess.run([KERAS3_PYTHON, "-c", code], capture_output=True, text=True, env=env)
    found = dict(line.split(None, 1) for line in out.stdout.splitlines()
                 if line.startswith(("SECONDS ", "RSS ")))
    if "SECONDS" in found:
        return float(found["SECONDS"]), int(found.get("RSS", 0)) / 1024
    raise RuntimeError(f"Keras 3 run failed: {out.stderr[-800:]}")


def run_sequence_workloads(names, repeats):
    import minikeras as keras

    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    import resource

    print("# peak RSS: Keras' child process, and this whole process (the largest workload")
    print("# run so far in it)")
    print(f"{'workload':<10} {'Keras 3 (jax)':>14} {'minikeras':>14} {'ratio':>7} "
          f"{'keras RSS':>10} {'ours RSS':>9}")
    for name in names:
        ours, theirs, ratios, rss = [], [], [], []
        for _ in range(repeats):
            ours.append(time_sequence_fit(keras, name))
            found = _keras3_seconds(name, cpu)
            if found is not None:
                theirs.append(found[0])
                rss.append(found[1])
                ratios.append(found[0] / ours[-1])
        n = SEQUENCE_WORKLOADS[name]
        k3 = f"{n / statistics.median(theirs):>12,.0f}/s" if theirs else f"{'not installed':>14}"
        ratio = f"{statistics.median(ratios):>7.2f}" if ratios else f"{'-':>7}"
        our_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        k_rss = f"{max(rss):>7.0f} MB" if rss else f"{'-':>10}"
        print(f"{name:<10} {k3} {n / statistics.median(ours):>12,.0f}/s {ratio} {k_rss} "
              f"{our_rss:>6.0f} MB")


# --- conv workloads: minikeras against Keras 3 on JAX ------------------------------------

# name: (input shape, batch, optimizer, samples per timed fit)
CNN_WORKLOADS = {
    "mnist-cnn": ((28, 28, 1), 64, "adam", 1024),
    "digits-cnn": ((8, 8, 1), 32, "sgd", 16384),
}

# The model code both libraries run, given `keras` and `name`; it defines `model`, `x`, `y`.
CNN_MODEL_CODE = """
import numpy as np
shape, batch, opt, n = CNN_WORKLOADS[name]
L = keras.layers
if name == "mnist-cnn":
    layers = [L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
              L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
              L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
else:
    layers = [L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
              L.Dense(10, activation="softmax")]
model = keras.Sequential([keras.Input(shape=shape)] + layers)
model.compile(keras.optimizers.Adam(0.001) if opt == "adam" else keras.optimizers.SGD(0.01),
              "categorical_crossentropy")
rng = np.random.default_rng(0)
x = rng.uniform(size=(n,) + shape).astype("float32")
y = np.eye(10, dtype="float32")[rng.integers(0, 10, n)]
"""

# The Keras side: builds the model, fits once (JIT compilation), then times one fit for
# every line read from stdin and prints the seconds.
_KERAS_CHILD = """
import os, sys, time
os.environ["KERAS_BACKEND"] = "jax"
import keras
CNN_WORKLOADS = {workloads!r}
name = sys.argv[1]
exec({code!r})
model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
print("ready", flush=True)
for line in sys.stdin:
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    print(time.perf_counter() - t, flush=True)
import resource
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)  # peak RSS, KiB
"""


def _pin_one_cpu() -> int | None:
    """Pin this process (and the children it starts) to one CPU; returns it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def measure_cnn(name: str, keras3: str, repeats: int) -> None:
    import subprocess

    import minikeras as keras

    ns: dict = {"keras": keras, "name": name, "CNN_WORKLOADS": CNN_WORKLOADS}
    exec(CNN_MODEL_CODE, ns)
    model, x, y, batch = ns["model"], ns["x"], ns["y"], ns["batch"]
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)  # warm-up

    def ours() -> float:
        t = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        return time.perf_counter() - t

    child = None
    if keras3 and os.path.exists(keras3):
        env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
                   XLA_FLAGS="--xla_cpu_multi_thread_eigen=false "
                             "intra_op_parallelism_threads=1",
                   TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
        env.pop("PYTHONPATH", None)
        code = _KERAS_CHILD.format(workloads=CNN_WORKLOADS, code=CNN_MODEL_CODE)
        child = subprocess.Popen([keras3, "-c", code, name], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 env=env)
        if child.stdout.readline().strip() != "ready":
            child = None

    def theirs() -> float:
        child.stdin.write("go\n")
        child.stdin.flush()
        return float(child.stdout.readline())

    mine, keras_t = [], []
    for _ in range(repeats):
        mine.append(ours())
        if child is not None:
            keras_t.append(theirs())
    keras_rss = None
    if child is not None:
        child.stdin.close()
        keras_rss = int(child.stdout.readline()) / 1024
        child.wait(timeout=60)
    import resource

    our_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(x)
    med = statistics.median(mine)
    if keras_t:
        ratio = statistics.median(k / m for k, m in zip(keras_t, mine))
        print(f"{name:<10} {n / statistics.median(keras_t):>12,.0f}/s {n / med:>12,.0f}/s "
              f"{ratio:>7.2f} {keras_rss:>9,.0f} MB {our_rss:>9,.0f} MB")
    else:
        print(f"{name:<10} {'(no keras3)':>14} {n / med:>12,.0f}/s {'-':>7} {'-':>12} "
              f"{our_rss:>9,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--workloads", default="lecture,digits")
    parser.add_argument("--keras3", default="/work/venvs/k3/bin/python",
                        help="a Python with Keras 3 and JAX, for the conv workloads")
    parser.add_argument("--default-threads", action="store_true",
                        help="leave BLAS at the machine's default thread count")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process' CPU time (time.process_time), which a "
                             "busy machine disturbs less than the wall clock")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    names = args.workloads.split(",")
    sequence = [n for n in names if n in SEQUENCE_WORKLOADS]  # branch rnn
    names = [n for n in names if n not in SEQUENCE_WORKLOADS]
    if sequence:
        run_sequence_workloads(sequence, args.repeats)
    cnn = [n for n in names if n in CNN_WORKLOADS]
    if cnn:
        cpu = _pin_one_cpu()
        print(f"# pinned to CPU {cpu}")
        print("# peak RSS: each whole process (imports included; minikeras' is the benchmark's")
        print("# own process, so it is the largest workload run so far)")
        print(f"{'workload':<10} {'keras3-jax':>14} {'minikeras':>14} {'ratio':>7} "
              f"{'keras RSS':>12} {'ours RSS':>12}")
        for name in cnn:
            measure_cnn(name, args.keras3, args.repeats)
    names = [n for n in names if n not in CNN_WORKLOADS]
    if names:
        print(f"{'workload':<10} {'numpy loop':>14} {'minikeras':>14} {'ratio':>7}")
    for name in names:
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
