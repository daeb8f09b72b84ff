"""Do real Keras 3 and Keras 2 (tf_keras) open, compile and train files written by minikeras?

Run it from the repo root with the repo's Python (the one that imports minikeras):

    python compat_tests/check_minikeras_files_in_keras.py \
        [--k3 /work/venvs/k3/bin/python] [--k2 /work/venvs/k2/bin/python] \
        [--log compat_tests/check_minikeras_files_in_keras.log] [--keep DIR]

1. It writes minikeras models to a temporary folder (or --keep DIR), every case in every
   format: `<case>.h5` (model.save), `<case>.keras`, `<case>.weights.h5` and
   `<case>_weights_legacy.h5` (save_weights), with sidecars: `<case>.npz` (inputs x,
   targets y, minikeras' predictions `pred`, its optimizer variables `opt_<i>`, and the
   loss of one more epoch after reloading: `cont_restored` with the optimizer state
   restored, `cont_fresh` with a new optimizer) and `<case>.json` (what was compiled).
2. It runs itself again under each real-Keras interpreter (`--check 3` / `--check 2`),
   which never imports minikeras. Keras 3 checks `.h5` (compile=True and False), `.keras`,
   `.weights.h5` and the legacy weights `.h5`; tf_keras checks `.h5`, `.weights.h5` and
   the legacy weights `.h5` (and, for information only, `.keras`). For each file: load,
   compare predictions (1e-5), compare the compiled optimizer and its hyperparameters,
   compare the restored optimizer variables where the format carries them, fit one epoch
   (batch 8, no shuffle) and compare its loss with minikeras' own continuation.
3. It writes the combined output to the log (committed as
   compat_tests/check_minikeras_files_in_keras.log) and exits non-zero if a required check
   failed. Lines marked INFO are expected limitations, not failures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from custom_layers import custom_objects  # noqa: E402
N = 32
BATCH = 8
PRED_TOL = 1e-5
LOSS_RTOL = 1e-4  # minikeras vs TF/JAX float32 over 4 steps


# ----------------------------------------------------------------------------- writer

def _cases(keras):
    L = keras.layers
    scaled_dense = custom_objects(keras)["ScaledDense"]
    reg = keras.regularizers.L1L2(l1=0.01, l2=0.01)

    def seq(n_in, layers):
        return keras.Sequential([keras.Input(shape=(n_in,))] + layers)

    def func_two_inputs():
        a = keras.Input(shape=(3,))
        b = keras.Input(shape=(2,))
        h = L.Concatenate()([L.Dense(4, activation="relu")(a), b])
        return keras.Model([a, b], L.Dense(1)(h))

    def func_simple():
        i = keras.Input(shape=(5,))
        return keras.Model(i, L.Dense(2)(L.Dense(7, activation="relu")(i)))

    return [
        # name, builder, n_in (list for several inputs), target kind, n_out, compile kwargs
        ("seq_uncompiled", lambda: seq(4, [L.Dense(5, activation="relu"), L.Dense(3)]),
         4, "regression", 3, None),
        ("seq_sgd_mse", lambda: seq(4, [L.Dense(8, activation="relu"), L.Dense(2)]),
         4, "regression", 2, dict(optimizer="sgd", loss="mse")),
        ("seq_adam_acc", lambda: seq(6, [L.Dense(10, activation="relu"),
                                         L.Dense(3, activation="softmax")]),
         6, "categorical", 3,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.002),
              loss="categorical_crossentropy", metrics=["accuracy"])),
        ("func_adam_mae", func_simple, 5, "regression", 2,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="mse",
              metrics=["mae"])),
        ("seq_rmsprop_reg_dropout_bn",
         lambda: seq(8, [L.Dense(16, activation="relu", kernel_regularizer=reg),
                         L.Dropout(0.25), L.BatchNormalization(),
                         L.Dense(1, activation="sigmoid")]),
         8, "binary", 1,
         dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.005),
              loss="binary_crossentropy", metrics=["accuracy"])),
        ("seq_sgd_nesterov_clipnorm_lossobj",
         lambda: seq(4, [L.Dense(6, activation="tanh"), L.Dense(1)]), 4, "regression", 1,
         dict(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True,
                                             clipnorm=1.0),
              loss=keras.losses.MeanSquaredError())),
        ("seq_k2_style_input_dim",
         lambda: keras.Sequential([L.Dense(5, input_dim=4, activation="relu"), L.Dense(1)]),
         4, "regression", 1,
         dict(optimizer=keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5,
                                                 centered=True),
              loss="mean_absolute_error", metrics=["mse"])),
        ("seq_keras2_sgd_decay",
         lambda: keras.Sequential([L.Dense(6, input_shape=(4,), activation="relu"),
                                   L.Dense(1)]), 4, "regression", 1,
         dict(optimizer=keras.optimizers.SGD(lr=0.05, decay=0.01, momentum=0.9),
              loss="mse", metrics=["mae"])),
        ("func_two_inputs_concat", func_two_inputs, [3, 2], "regression", 1,
         dict(optimizer=keras.optimizers.Adam(learning_rate=0.01, amsgrad=True),
              loss="mse")),
        ("custom_layer_autoconfig",
         lambda: seq(4, [scaled_dense(5, scale=0.5), L.Activation("tanh"), L.Dense(1)]),
         4, "regression", 1, dict(optimizer=keras.optimizers.SGD(learning_rate=0.05),
                                  loss="mse")),
        ("chunked_layer_names",
         lambda: seq(4, [L.Dense(1, name=f"chunked_dense_{i:02d}_" + "n" * 1983)
                         for i in range(33)]), 4, "regression", 1, None),
    ]


def _data(seed, n_in, kind, n_out):
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = n_in if isinstance(n_in, list) else [n_in]
    xs = [rng.normal(size=(N, k)).astype("float32") for k in sizes]
    z = sum(x @ rng.normal(size=(x.shape[1], n_out)).astype("float32") for x in xs)
    if kind == "binary":
        y = (z[:, :1] > 0).astype("float32")
    elif kind == "categorical":
        y = np.eye(n_out, dtype="float32")[np.argmax(z, axis=1)]
    else:
        y = z.astype("float32")
    return xs, y


def write_files(out: str) -> list:
    sys.path.insert(0, ROOT)
    import numpy as np

    import minikeras as keras

    written = []
    for seed, (name, build, n_in, kind, n_out, ck) in enumerate(_cases(keras)):
        keras.backend.clear_session()
        keras.utils.set_random_seed(100 + seed)
        xs, y = _data(seed, n_in, kind, n_out)
        x_arg = xs if len(xs) > 1 else xs[0]
        model = build()
        meta = {"case": name, "compiled": ck is not None, "n_inputs": len(xs),
                "dropout": "dropout" in name}
        if ck is not None:
            model.compile(**ck)
            model.fit(x_arg, y, epochs=2, batch_size=BATCH, shuffle=False, verbose=0)
            opt = model.optimizer
            meta["optimizer"] = {"class_name": type(opt).__name__,
                                 "config": {k: v for k, v in opt.get_config().items()
                                            if isinstance(v, (int, float, bool)) or v is None}}
            meta["loss"] = ck["loss"] if isinstance(ck["loss"], str) else \
                type(ck["loss"]).__name__
            meta["metrics"] = ck.get("metrics")
        pred = model.predict(x_arg, verbose=0)
        base = os.path.join(out, name)
        model.save(base + ".h5")
        model.save(base + ".keras")
        model.save_weights(base + ".weights.h5")
        model.save_weights(base + "_weights_legacy.h5")
        arrays = {f"x{i}": x for i, x in enumerate(xs)}
        arrays.update(y=y, pred=pred)
        if ck is not None:
            for i, v in enumerate(model.optimizer.variables):
                arrays[f"opt_{i}"] = np.asarray(v.value)
            meta["n_opt"] = len(model.optimizer.variables)
            custom = custom_objects(keras)
            restored = keras.models.load_model(base + ".h5", custom_objects=custom)
            h = restored.fit(x_arg, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
            meta["cont_restored"] = float(h.history["loss"][0])
            fresh = keras.models.load_model(base + ".h5", compile=False, custom_objects=custom)
            fresh.compile(**{**ck, "optimizer": type(model.optimizer).from_config(
                model.optimizer.get_config())})
            h = fresh.fit(x_arg, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
            meta["cont_fresh"] = float(h.history["loss"][0])
        np.savez(base + ".npz", **arrays)
        with open(base + ".json", "w") as fh:
            json.dump(meta, fh, indent=1)
        written.append(name)
    return written


# ----------------------------------------------------------------------------- checker

class Checker:
    def __init__(self, kv: int, folder: str) -> None:
        self.kv = kv
        self.folder = folder
        self.results = []
        if kv == 3:
            os.environ.setdefault("KERAS_BACKEND", "jax")
            import keras
        else:
            import tf_keras as keras
        self.keras = keras
        self.custom = custom_objects(keras)
        import numpy as np

        self.np = np

    def line(self, status, case, fmt, action, detail=""):
        self.results.append({"status": status, "case": case, "format": fmt,
                             "action": action, "detail": detail})
        print(f"{status:4s} k{self.kv} {case:34s} {fmt:18s} {action:34s} {detail}",
              flush=True)

    def data(self, case):
        z = self.np.load(os.path.join(self.folder, case + ".npz"))
        with open(os.path.join(self.folder, case + ".json")) as fh:
            meta = json.load(fh)
        xs = [z[f"x{i}"] for i in range(meta["n_inputs"])]
        return z, meta, (xs if len(xs) > 1 else xs[0])

    def check_pred(self, case, fmt, model, x, z):
        pred = model.predict(x, verbose=0)
        diff = float(self.np.max(self.np.abs(pred - z["pred"])))
        ok = diff <= PRED_TOL
        self.line("OK" if ok else "FAIL", case, fmt, "predict", f"max|dy|={diff:.2e}")
        return ok

    def check_compiled(self, case, fmt, model, meta):
        opt = getattr(model, "optimizer", None)
        if opt is None or not getattr(model, "compiled", getattr(model, "_is_compiled", True)):
            self.line("FAIL", case, fmt, "compiled from the file", "model is not compiled")
            return False
        cfg = opt.get_config()
        want = meta["optimizer"]
        problems = []
        name = type(opt).__name__
        if name.lower() != want["class_name"].lower():
            problems.append(f"optimizer {name} != {want['class_name']}")
        keys = ("learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon",
                "amsgrad", "rho", "centered", "clipnorm")
        if self.kv == 2:
            keys += ("decay",)  # Keras 3 has no decay (it warns and ignores it)
        for key in keys:
            if key in want["config"] and want["config"][key] is not None:
                got = cfg.get(key, "<absent>")
                exp = want["config"][key]
                if isinstance(exp, bool) or isinstance(got, str):
                    same = got == exp
                else:
                    same = got is not None and abs(float(got) - float(exp)) <= \
                        1e-6 * max(1.0, abs(float(exp)))
                if not same:
                    problems.append(f"{key}={got!r}, expected {exp!r}")
        ok = not problems
        detail = f"{name}(" + ", ".join(
            f"{k}={cfg[k]:.6g}" if isinstance(cfg.get(k), float) else f"{k}={cfg.get(k)}"
            for k in ("learning_rate", "momentum", "nesterov", "beta_1", "rho", "centered",
                      "amsgrad", "clipnorm") if k in want["config"]) + ")"
        self.line("OK" if ok else "FAIL", case, fmt, "compiled: optimizer + hyperparams",
                  detail if ok else "; ".join(problems))
        return ok

    def check_opt_state(self, case, fmt, model, z, meta):
        opt = model.optimizer
        ours = [v for v in opt.variables]
        if len(ours) != meta["n_opt"]:
            self.line("FAIL", case, fmt, "optimizer state restored",
                      f"{len(ours)} variables, minikeras saved {meta['n_opt']}")
            return False
        worst = 0.0
        for i, v in enumerate(ours):
            a = self.np.asarray(v.numpy() if hasattr(v, "numpy") else v)
            b = z[f"opt_{i}"]
            if a.shape != b.shape:
                self.line("FAIL", case, fmt, "optimizer state restored",
                          f"variable {i}: shape {a.shape} vs {b.shape}")
                return False
            worst = max(worst, float(self.np.max(self.np.abs(a.astype("float64") -
                                                             b.astype("float64")))
                                     if a.size else 0.0))
        ok = worst <= 1e-6
        self.line("OK" if ok else "FAIL", case, fmt, "optimizer state restored",
                  f"{len(ours)} variables, max|diff|={worst:.1e}")
        return ok

    def check_fit(self, case, fmt, model, x, z, meta, reference):
        try:
            h = model.fit(x, z["y"], epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
        except Exception as e:  # noqa: BLE001 - reported, not raised
            self.line("FAIL", case, fmt, "fit 1 epoch", f"{type(e).__name__}: {e}"[:300])
            return False
        loss = float(h.history["loss"][0])
        if not self.np.isfinite(loss):
            self.line("FAIL", case, fmt, "fit 1 epoch", f"loss={loss}")
            return False
        if reference is None or meta.get("dropout"):
            self.line("OK", case, fmt, "fit 1 epoch", f"loss={loss:.6g} (keys "
                      f"{sorted(h.history)})")
            return True
        want = meta[reference]
        rel = abs(loss - want) / max(abs(want), 1e-12)
        ok = rel <= LOSS_RTOL
        status = "OK" if ok else "FAIL"
        note = ""
        if self.kv == 3 and meta.get("optimizer", {}).get("config", {}).get("decay"):
            status, note = "INFO", " (expected to differ: Keras 3 ignores Keras 2's decay)"
        self.line(status, case, fmt, f"fit 1 epoch = minikeras ({reference})",
                  f"loss={loss:.7g} minikeras={want:.7g} rel={rel:.1e} keys "
                  f"{sorted(h.history)}{note}")
        return ok

    def guarded(self, case, fmt, action, fn, required=True):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - reported, not raised
            msg = f"{type(e).__name__}: {e}".replace("\n", " ")[:400]
            self.line("FAIL" if required else "INFO", case, fmt, action, msg)
            if os.environ.get("CHECK_TRACEBACKS"):
                traceback.print_exc()
            return None

    def run_case(self, case):
        keras = self.keras
        z, meta, x = self.data(case)
        base = os.path.join(self.folder, case)

        # legacy .h5, compile=True
        model = self.guarded(case, ".h5", "load_model(compile=True)",
                             lambda: keras.models.load_model(base + ".h5",
                                                             custom_objects=self.custom))
        if model is not None:
            self.line("OK", case, ".h5", "load_model(compile=True)")
            self.check_pred(case, ".h5", model, x, z)
            if meta["compiled"]:
                if self.check_compiled(case, ".h5", model, meta):
                    self.check_fit(case, ".h5", model, x, z, meta, "cont_fresh")
        # legacy .h5, compile=False, then compile again
        model = self.guarded(case, ".h5", "load_model(compile=False)",
                             lambda: keras.models.load_model(base + ".h5", compile=False,
                                                            custom_objects=self.custom))
        if model is not None:
            self.line("OK", case, ".h5", "load_model(compile=False)")
            self.check_pred(case, ".h5", model, x, z)
        # .keras
        if self.kv == 3:
            model = self.guarded(case, ".keras", "load_model",
                                 lambda: keras.models.load_model(
                                     base + ".keras", custom_objects=self.custom))
            if model is not None:
                self.line("OK", case, ".keras", "load_model")
                self.check_pred(case, ".keras", model, x, z)
                if meta["compiled"] and self.check_compiled(case, ".keras", model, meta):
                    self.check_opt_state(case, ".keras", model, z, meta)
                    self.check_fit(case, ".keras", model, x, z, meta, "cont_restored")
        else:
            model = self.guarded(case, ".keras", "load_model (information only)",
                                 lambda: keras.models.load_model(
                                     base + ".keras", custom_objects=self.custom),
                                 required=False)
            if model is not None:
                diff = float(self.np.max(self.np.abs(model.predict(x, verbose=0) - z["pred"])))
                self.line("INFO", case, ".keras", "load_model (information only)",
                          f"loads, max|dy|={diff:.1e}")
        # weights files, into a fresh copy of the architecture
        arch = self.guarded(case, "weights", "architecture from the .h5",
                            lambda: keras.models.load_model(base + ".h5", compile=False,
                                                            custom_objects=self.custom))
        if arch is None:
            return
        for fmt, path in ((".weights.h5", base + ".weights.h5"),
                          ("legacy weights .h5", base + "_weights_legacy.h5")):
            def load(path=path):
                clone = keras.models.clone_model(arch)
                clone.load_weights(path)
                return clone

            clone = self.guarded(case, fmt, "load_weights", load)
            if clone is not None:
                self.line("OK", case, fmt, "load_weights")
                self.check_pred(case, fmt, clone, x, z)


def run_checker(kv: int, folder: str) -> int:
    checker = Checker(kv, folder)
    keras = checker.keras
    print(f"# checking with {keras.__name__} {keras.__version__} "
          f"(python {sys.version.split()[0]})", flush=True)
    cases = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json"))
    for case in cases:
        checker.run_case(case)
    fails = sum(r["status"] == "FAIL" for r in checker.results)
    oks = sum(r["status"] == "OK" for r in checker.results)
    print(f"# k{kv} summary: {oks} OK, {fails} FAIL, "
          f"{sum(r['status'] == 'INFO' for r in checker.results)} INFO", flush=True)
    print("#JSON " + json.dumps(checker.results), flush=True)
    return 1 if fails else 0


# ----------------------------------------------------------------------------- driver

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", choices=["2", "3"], help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    p.add_argument("--k3", default="/work/venvs/k3/bin/python")
    p.add_argument("--k2", default="/work/venvs/k2/bin/python")
    p.add_argument("--log", default=os.path.join(HERE, "check_minikeras_files_in_keras.log"))
    p.add_argument("--keep", default=None, help="write the files here and keep them")
    args = p.parse_args(argv)
    if args.check:
        return run_checker(int(args.check), args.dir)

    import numpy as np  # noqa: F401 - the repo's environment

    tmp = None
    folder = args.keep
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="minikeras-files-")
        folder = tmp.name
    os.makedirs(folder, exist_ok=True)
    t0 = time.time()
    import minikeras

    cases = write_files(folder)
    header = [f"# minikeras {minikeras.__version__} wrote {len(cases)} cases x 4 files "
              f"({', '.join(cases)})",
              f"# generated {time.strftime('%Y-%m-%d %H:%M:%S')} by "
              "compat_tests/check_minikeras_files_in_keras.py"]
    log = list(header)
    status = 0
    for kv, python in ((3, args.k3), (2, args.k2)):
        if not os.path.exists(python):
            log.append(f"# k{kv}: interpreter {python} not found; skipped")
            status = 1
            continue
        env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3",
                   JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="", PYTHONWARNINGS="ignore")
        env.pop("PYTHONPATH", None)
        proc = subprocess.run([python, os.path.abspath(__file__), "--check", str(kv),
                               "--dir", folder], capture_output=True, text=True, env=env,
                              cwd=tempfile.gettempdir(), timeout=1800)
        lines = [ln for ln in proc.stdout.splitlines() if not ln.startswith("#JSON ")]
        log.extend(lines)
        if proc.returncode:
            status = 1
            tail = [ln for ln in proc.stderr.splitlines() if ln.strip()][-15:]
            if not any(ln.startswith(("OK", "FAIL", "INFO")) for ln in lines):
                log.extend("# stderr: " + ln for ln in tail)
    log.append(f"# total time {time.time() - t0:.0f} s; exit status {status}")
    text = "\n".join(log) + "\n"
    print(text, end="")
    with open(args.log, "w") as fh:
        fh.write(text)
    if tmp is not None:
        tmp.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
