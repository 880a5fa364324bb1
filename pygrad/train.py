"""``pygrad train``: train a small network end to end and report how well it does.

Default: the handwritten digits (1797 × 64, 10 classes), Linear → Sigmoid → Linear with
softmax cross-entropy and Adam in mini-batches, on the best available device. ``--task
binary`` trains on breast cancer with BCE-with-logits and reports precision, recall, the PR
curve and the threshold trade-off; ``--data FILE.csv --target COL`` trains on your table.
``--compare-torch`` trains the identical torch model (same initial weights, same batch
order) and prints both side by side; ``--out DIR`` writes the model, metrics.json and plots.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .io import atomic_open

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam", "adamw")
# learning rates that train the default network well in the default number of epochs
DEFAULT_LR = {"sgd": 0.1, "adagrad": 0.05, "rmsprop": 0.003, "adam": 0.01, "adamw": 0.01}
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:     # also false for nan
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .cli import Parser
    p = Parser(
        prog="pygrad train",
        description="Train Linear → Sigmoid → Linear on a bundled dataset or your CSV.")
    p.add_argument("--task", choices=("multiclass", "binary"), default=None,
                   help="multiclass: digits, softmax cross-entropy (default); binary: breast "
                        "cancer, BCE-with-logits. With --data: inferred from the target.")
    p.add_argument("--data", metavar="FILE.csv", help="train on a CSV with a header row")
    p.add_argument("--target", metavar="COL", help="the label column of --data")
    p.add_argument("--optim", choices=OPTIMIZERS, default="adam", help="optimizer (adam)")
    p.add_argument("--lr", type=_learning_rate, default=None,
                   help="learning rate (default per optimizer: "
                        + ", ".join(f"{k} {v}" for k, v in DEFAULT_LR.items()) + ")")
    p.add_argument("--epochs", type=_positive_int, default=30,
                   help="passes over the training set (30)")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="mini-batch size (64)")
    p.add_argument("--hidden", type=_positive_int, default=64, help="hidden units (64)")
    p.add_argument("--device", default=None,
                   help="cpu, cuda or cuda:N (default: $PYGRAD_DEVICE if set, else the best "
                        "available)")
    p.add_argument("--seed", type=_seed, default=0, help="seed for split, init and batches (0)")
    p.add_argument("--test-size", type=_fraction, default=0.2, help="held-out fraction (0.2)")
    p.add_argument("--out", metavar="DIR", help="write model.pg, model.onnx, metrics.json and PNG plots")
    p.add_argument("--compare-torch", action="store_true",
                   help="also train the identical torch model and compare")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=_positive_int, default=1,
                   metavar="N",
                   help="train data-parallel in N processes (pygrad.distributed, needs the "
                        "mpi extra); --batch-size is then per process, the global batch "
                        "N × batch. Metrics are printed once, by rank 0")
    return p


# ----------------------------------------------------------------------------- data

@dataclass
class Split:
    """Standardised train/test arrays (float32 features, int64 labels) and their names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    name: str
    class_names: list
    positive: str = ""


def input_problem(args) -> str | None:
    """Why ``--data`` / ``--target`` cannot be used (the file first), or None."""
    if args.data:
        if not os.path.exists(args.data):
            return f"argument --data: no such file: {args.data!r}"
        if not os.path.isfile(args.data):
            return f"argument --data: {args.data!r} is not a file"
        if not os.access(args.data, os.R_OK):
            return f"argument --data: {args.data!r} cannot be read (permission denied)"
        if not args.target:
            return "argument --data: needs --target COL (the label column)"
    elif args.target:
        return "argument --target: only used with --data"
    return None


def load_split(args) -> Split:
    """Load the dataset named by ``args``, split it (stratified) and standardise it on the
    training part only. Raises ValueError (or OSError) with a one-line reason."""
    from . import data
    positive = ""
    if args.data:
        problem = input_problem(args)
        if problem:
            raise ValueError(problem)
        table = data.load_csv(args.data, args.target)
        names = table.target_names
        task = args.task or ("binary" if len(np.unique(table.target)) <= 2 else "multiclass")
        if task == "binary" and table.target.max() > 1:
            raise ValueError(f"--task binary needs labels 0/1 in {args.target!r}, "
                             f"found {sorted(set(table.target.tolist()))}")
        x, y = table.data, table.target
        if task == "binary":
            positive = names[1] if len(names) > 1 else "1"
    elif args.task == "binary":
        table = data.load_breast_cancer()
        # screening question: is it malignant? so malignant is the positive class (1)
        x, y = table.data, 1 - table.target
        names, task, positive = ["benign", "malignant"], "binary", "malignant"
    else:
        table = data.load_digits()
        x, y, names, task = table.data, table.target, table.target_names, "multiclass"
    if args.target and not args.data:
        raise ValueError("argument --target: only used with --data")
    x_tr, x_te, y_tr, y_te = data.train_test_split(x, y, test_size=args.test_size,
                                                   random_state=args.seed, stratify=y)
    scaler = data.StandardScaler().fit(x_tr)
    f32 = np.float32
    return Split(scaler.transform(x_tr).astype(f32), y_tr.astype(np.int64),
                 scaler.transform(x_te).astype(f32), y_te.astype(np.int64), task,
                 table.name, list(names), positive)


# ----------------------------------------------------------------------------- model

def build_model(n_features: int, hidden: int, n_out: int, device):
    """Linear(n_features, hidden) → Sigmoid → Linear(hidden, n_out) on ``device``."""
    from . import nn
    return nn.Sequential(nn.Linear(n_features, hidden), nn.Sigmoid(),
                         nn.Linear(hidden, n_out)).to(device)


def make_optimizer(module, name: str, params, lr: float):
    """``module.optim.<Name>(params, lr)``; works for pygrad.optim and torch.optim alike."""
    cls = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam",
           "adamw": "AdamW"}[name]
    extra = {"momentum": 0.9} if name == "sgd" else {}
    return getattr(module, cls)(params, lr=lr, **extra)


def pick_device(spec):
    """The device to train on: ``spec`` (``--device``) if given, else ``$PYGRAD_DEVICE`` if
    set, else cuda when available, else cpu.

    A device that is not one, or a GPU that cannot be reached, raises ValueError or
    RuntimeError whose message names where it came from, before any training.
    """
    import pygrad as pg
    source = f"argument --device {spec!r}"
    if not spec:
        spec = os.environ.get("PYGRAD_DEVICE", "").strip()
        source = f"PYGRAD_DEVICE={spec!r}"
    if spec:
        try:
            device = pg.device(spec)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{source} is not a device: {str(e).removeprefix('device: ')}") \
                from None
        except RuntimeError as e:      # "cuda" asks CUDA for the current device
            raise RuntimeError(f"{source}: {e}") from None
        if device.type == "cuda":      # fail here, with the reason, not mid-training
            pg.cuda._check_index(device.index, source=source)
        return device
    try:
        if pg.cuda.is_available():
            return pg.device("cuda")
    except Exception:   # a broken CUDA install must not stop CPU training
        pass
    return pg.device("cpu")


# ----------------------------------------------------------------------------- training

@dataclass
class Run:
    """What one training run produced."""

    losses: list = field(default_factory=list)
    accuracies: list = field(default_factory=list)
    scores: np.ndarray = None      # (N_test, C) logits, or (N_test,) positive probabilities
    y_pred: np.ndarray = None
    seconds: float = 0.0
    weights: dict = None


def _progress(total, enabled, desc):
    # a bar only on a terminal: redirected to a log, its \r frames would fill the file
    if enabled and sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm
            return tqdm(total=total, desc=desc, unit="epoch", leave=False, file=sys.stderr)
        except ImportError:
            pass
    return None


def _say(bar, text):
    if bar is not None:
        bar.write(text)
    else:
        print(text, flush=True)


class Diverged(ArithmeticError):
    """The training loss stopped being a finite number."""


def _end_epoch(run, bar, loss: float, epoch: int, args, lr: float, model, x_test, split,
               binary: bool, log: bool) -> None:
    """Record an epoch's train loss and test accuracy (Diverged on a non-finite loss), then
    show them on the progress bar and, when ``log``, as a line."""
    run.losses.append(loss)
    if not math.isfinite(loss):
        if bar is not None:
            bar.close()
        raise Diverged(f"training diverged: train loss {loss} at epoch {epoch}; "
                       f"try a smaller --lr (it was {lr})")
    pred = predict(model, x_test, binary)
    run.accuracies.append(float(np.mean(pred == split.y_test)))
    if bar is not None:
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", acc=f"{run.accuracies[-1]:.4f}")
    if log:
        _say(bar, f"epoch {epoch:3d}/{args.epochs}  train loss {loss:.4f}  "
                  f"test accuracy {run.accuracies[-1]:.4f}")


def _end_training(run, bar, start: float, model, x_test, binary: bool) -> None:
    """The training time, then the trained model's test scores and predicted classes."""
    run.seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    run.scores = scores(model, x_test, binary)
    run.y_pred = (run.scores >= 0.5).astype(np.int64) if binary else run.scores.argmax(1)


def train_pygrad(split: Split, args, device, lr: float, log=True) -> tuple:
    """Train the pygrad model; returns (model, Run)."""
    import pygrad as pg
    from . import data, nn
    pg.manual_seed(args.seed)
    binary = split.task == "binary"
    n_out = 1 if binary else len(split.class_names)
    model = build_model(split.x_train.shape[1], args.hidden, n_out, device)
    initial = {k: v.to("cpu").numpy().copy() for k, v in model.state_dict().items()}
    opt = make_optimizer(pg.optim, args.optim, model.parameters(), lr)
    loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    y_train = split.y_train.astype(np.float32)[:, None] if binary else split.y_train
    ds = data.TensorDataset(pg.tensor(split.x_train, device=device),
                            pg.tensor(y_train, device=device))
    loader = data.DataLoader(ds, batch_size=args.batch_size, shuffle=True,
                             generator=np.random.default_rng(args.seed))
    x_test = pg.tensor(split.x_test, device=device)
    run = Run(weights=initial)
    bar = _progress(args.epochs, log and not args.no_progress, "pygrad")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = None
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            # summed on the device: the epoch's loss is read once, at its end
            part = loss.detach() * xb.shape[0]
            total = part if total is None else total + part
        _end_epoch(run, bar, total.item() / len(ds), epoch, args, lr, model, x_test, split,
                   binary, log)
    _end_training(run, bar, start, model, x_test, binary)
    return model, run


def train_pygrad_ddp(split: Split, args, device, lr: float, log=True) -> tuple:
    """``train_pygrad`` data-parallel, in every rank of a ``pygrad.distributed`` job.

    Each step takes the next global batch of ``world × --batch-size`` rows, in the order one
    process with that batch size would draw them; rank r trains on its part of it
    (``np.array_split``) and DDP averages the gradients. The loss is the sum over the rank's
    rows times world / global batch, so the averaged gradient is the global batch's mean —
    the single-process step, up to rounding, also for a short last batch.
    """
    import pygrad as pg
    import pygrad.distributed as dist
    from . import data, nn
    rank, world = dist.get_rank(), dist.get_world_size()
    pg.manual_seed(args.seed)
    binary = split.task == "binary"
    n_out = 1 if binary else len(split.class_names)
    model = build_model(split.x_train.shape[1], args.hidden, n_out, device)
    initial = {k: v.to("cpu").numpy().copy() for k, v in model.state_dict().items()}
    ddp = dist.DDP(model)
    opt = make_optimizer(pg.optim, args.optim, ddp.parameters(), lr)
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum") if binary else \
        nn.CrossEntropyLoss(reduction="sum")
    y_train = split.y_train.astype(np.float32)[:, None] if binary else split.y_train
    x_all, y_all = pg.tensor(split.x_train, device=device), pg.tensor(y_train, device=device)
    global_batch = args.batch_size * world
    loader = data.DataLoader(range(len(split.x_train)), batch_size=global_batch, shuffle=True,
                             generator=np.random.default_rng(args.seed))
    x_test = pg.tensor(split.x_test, device=device)
    run = Run(weights=initial)
    bar = _progress(args.epochs, log and rank == 0 and not args.no_progress, "pygrad")
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        ddp.train()
        total = pg.zeros((), dtype=x_all.dtype, device=device)
        for idx in loader.batch_indices():
            part = np.array_split(idx, world)[rank]
            opt.zero_grad()
            out = ddp(x_all[part])
            if len(part):
                loss = loss_fn(out, y_all[part]) * (world / len(idx))
                total = total + loss.detach() * (len(idx) / world)
            else:       # a last batch smaller than the world: a zero gradient from this rank
                loss = out.sum() * 0
            loss.backward()
            opt.step()
        dist.all_reduce(total)
        _end_epoch(run, bar, total.item() / len(split.x_train), epoch, args, lr, model,
                   x_test, split, binary, log and rank == 0)
    _end_training(run, bar, start, model, x_test, binary)
    return model, run


def predict(model, x, binary: bool) -> np.ndarray:
    """Predicted classes (host int64) of ``model`` on ``x`` in eval mode."""
    s = scores(model, x, binary)
    return (s >= 0.5).astype(np.int64) if binary else s.argmax(1)


def scores(model, x, binary: bool) -> np.ndarray:
    """Host scores: positive-class probabilities (N,) for binary, logits (N, C) otherwise."""
    import pygrad as pg
    from .metrics import to_numpy
    model.eval()
    with pg.no_grad():
        out = model(x)
        if binary:
            out = out.sigmoid().reshape(-1)
    return to_numpy(out).astype(np.float64)


def train_torch(split: Split, args, lr: float, initial: dict, batches: list) -> Run:
    """The identical model in torch: same initial weights, the same batches in the same
    order, same optimizer and hyperparameters, float32 on the CPU."""
    import torch
    binary = split.task == "binary"
    n_out = 1 if binary else len(split.class_names)
    model = torch.nn.Sequential(torch.nn.Linear(split.x_train.shape[1], args.hidden),
                                torch.nn.Sigmoid(), torch.nn.Linear(args.hidden, n_out))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
    opt = make_optimizer(torch.optim, args.optim, model.parameters(), lr)
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(split.x_train)
    y = torch.from_numpy(split.y_train.astype(np.float32)[:, None] if binary else split.y_train)
    x_test = torch.from_numpy(split.x_test)
    run = Run()
    start = time.perf_counter()
    for epoch_batches in batches:
        model.train()
        total = 0.0
        for idx in epoch_batches:
            idx = torch.from_numpy(idx)
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        run.losses.append(total / len(x))
        with torch.no_grad():
            model.eval()
            out = model(x_test)
            pred = (torch.sigmoid(out).reshape(-1) >= 0.5).long() if binary else out.argmax(1)
        run.accuracies.append(float((pred.numpy() == split.y_test).mean()))
    run.seconds = time.perf_counter() - start
    with torch.no_grad():
        out = model(x_test)
        run.scores = (torch.sigmoid(out).reshape(-1) if binary else out).double().numpy()
    run.y_pred = (run.scores >= 0.5).astype(np.int64) if binary else run.scores.argmax(1)
    run.weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    return run


def batch_order(n: int, args) -> list:
    """The index batches of every epoch exactly as train_pygrad's DataLoader draws them."""
    from .data import DataLoader
    loader = DataLoader(range(n), batch_size=args.batch_size, shuffle=True,
                        generator=np.random.default_rng(args.seed))
    return [loader.batch_indices() for _ in range(args.epochs)]


# ----------------------------------------------------------------------------- reports

def report(split: Split, run: Run) -> dict:
    """Print the final evaluation and return it as a JSON-ready dict."""
    from . import metrics as M
    y, pred = split.y_test, run.y_pred
    acc = M.accuracy(y, pred)
    out = {"dataset": split.name, "task": split.task, "test_accuracy": acc,
           "train_loss": run.losses, "test_accuracy_per_epoch": run.accuracies,
           "train_seconds": run.seconds}
    print(f"\ntest accuracy: {acc:.4f}  ({int(round(acc * len(y)))}/{len(y)})")
    labels = list(range(len(split.class_names)))
    cm = M.confusion_matrix(y, pred, labels=labels)
    out["confusion_matrix"] = cm.tolist()
    print("\nconfusion matrix (rows: true class, columns: predicted)")
    print(_matrix_text(cm, split.class_names))
    print()
    print(M.classification_report(y, pred, labels=labels, target_names=split.class_names,
                                  digits=4, zero_division=0))
    out["per_class"] = M.classification_report(y, pred, labels=labels,
                                               target_names=split.class_names,
                                               output_dict=True, zero_division=0)
    if split.task == "binary":
        out.update(_binary_report(split, run))
    return out


def _binary_report(split: Split, run: Run) -> dict:
    from . import metrics as M
    y, s = split.y_test, run.scores
    pos = split.positive or "1"
    p = M.precision(y, s, threshold=0.5, zero_division=0)
    r = M.recall(y, s, threshold=0.5, zero_division=0)
    f1 = M.f1_score(y, s, threshold=0.5, zero_division=0)
    ap = M.average_precision(y, s)
    print(f"positive class: {pos!r}.  At threshold 0.5: precision {p:.4f}, recall {r:.4f}, "
          f"F1 {f1:.4f}; average precision (area under the PR curve) {ap:.4f}")
    prec, rec, thr = M.precision_recall_curve(y, s)
    print("\nthreshold trade-off (predict positive when P(positive) >= threshold):")
    print(f"  {'threshold':>9}  {'false pos':>9}  {'false neg':>9}  {'precision':>9}  "
          f"{'recall':>9}")
    table = []
    for t in THRESHOLDS:
        cm = M.confusion_matrix(y, s, labels=[0, 1], threshold=t)
        fp, fn = int(cm[0, 1]), int(cm[1, 0])
        pt = M.precision(y, s, threshold=t, zero_division=0)
        rt = M.recall(y, s, threshold=t, zero_division=0)
        table.append({"threshold": t, "false_positives": fp, "false_negatives": fn,
                      "precision": pt, "recall": rt})
        print(f"  {t:>9.1f}  {fp:>9d}  {fn:>9d}  {pt:>9.4f}  {rt:>9.4f}")
    print("  raising the threshold flags fewer cases: false positives fall, false negatives "
          "rise (precision up, recall down).")
    return {"positive_class": pos, "precision": p, "recall": r, "f1": f1,
            "average_precision": ap, "thresholds": table,
            "pr_curve": {"precision": prec.tolist(), "recall": rec.tolist(),
                         "thresholds": thr.tolist()}}


def _matrix_text(cm, names) -> str:
    width = max(max(len(str(n)) for n in names), len(str(cm.max())), 3)
    head = " " * (width + 2) + " ".join(f"{n:>{width}}" for n in names)
    rows = [f"{n:>{width}}  " + " ".join(f"{v:>{width}d}" for v in row)
            for n, row in zip(names, cm)]
    return "\n".join([head] + rows)


def compare(split: Split, ours: Run, theirs: Run, final_weights: dict,
            threads: dict | None = None) -> dict:
    """Print pygrad and torch side by side; returns the comparison. ``threads`` is what
    each side ran with, e.g. ``{"pygrad": 4, "torch": 4}`` (printed and returned)."""
    from . import metrics as M
    avg = "binary" if split.task == "binary" else "macro"
    rows = []
    for name, run in (("pygrad", ours), ("torch", theirs)):
        rows.append({"framework": name, "train_seconds": run.seconds,
                     "final_train_loss": run.losses[-1],
                     "test_accuracy": M.accuracy(split.y_test, run.y_pred),
                     f"{avg}_f1": M.f1_score(split.y_test, run.y_pred, average=avg,
                                              zero_division=0)})
    print(f"\n{'':8} {'train time':>11} {'final loss':>11} {'test acc':>9} {avg + ' F1':>9}")
    for r in rows:
        print(f"{r['framework']:8} {r['train_seconds']:>10.2f}s {r['final_train_loss']:>11.5f} "
              f"{r['test_accuracy']:>9.4f} {r[f'{avg}_f1']:>9.4f}")
    ratio = theirs.seconds / ours.seconds if ours.seconds else float("nan")
    drift = max(float(np.abs(final_weights[k] - theirs.weights[k]).max()) for k in final_weights)
    print(f"pygrad took {ours.seconds:.2f}s, torch {theirs.seconds:.2f}s "
          f"(pygrad {ratio:.2f}x torch's speed); final weights differ by at most {drift:.2e}")
    out = {"rows": rows, "speed_ratio": ratio, "max_weight_difference": drift}
    if threads:
        print("threads: " + ", ".join(f"{k} {v}" for k, v in threads.items()))
        out["threads"] = dict(threads)
    return out


def compare_with_torch(split: Split, args, lr: float, model, run: Run, device) -> dict:
    """Train the torch twin of ``model`` on the CPU with as many threads as pygrad's CPU
    kernels use (torch's own count is restored afterwards) and print the comparison."""
    import torch
    from .backend import cpu
    before = torch.get_num_threads()
    n = cpu.num_threads()
    torch.set_num_threads(n)
    try:
        threads = {"pygrad": n if device.type == "cpu" else str(device),
                   "torch": torch.get_num_threads()}
        theirs = train_torch(split, args, lr, run.weights, batch_order(len(split.x_train), args))
    finally:
        torch.set_num_threads(before)
    final = {k: v.to("cpu").numpy() for k, v in model.state_dict().items()}
    return compare(split, run, theirs, final, threads)


# ----------------------------------------------------------------------------- --out

def write_outputs(out_dir: str, model, split: Split, run: Run, results: dict) -> list:
    """Write model.pg (state dict), metrics.json and the PNG plots into ``out_dir``.

    Returns the written paths. Plots need matplotlib; without it they are skipped with a
    note. Extend here to write further artefacts.
    """
    import pygrad as pg
    os.makedirs(out_dir, exist_ok=True)
    written = []
    path = os.path.join(out_dir, "model.pg")
    pg.save(model.state_dict(), path)
    written.append(path)
    try:
        import onnx  # noqa: F401
    except ImportError:
        print('note: onnx is not installed, so model.onnx is skipped '
              '(pip install onnx, or "pygrad[train]")')
    else:
        path = os.path.join(out_dir, "model.onnx")
        device = next(model.parameters()).device
        pg.onnx.export(model, pg.tensor(split.x_test[:8], device=device), path,
                       input_names=["features"], output_names=["logits"])
        written.append(path)
    path = os.path.join(out_dir, "metrics.json")
    with atomic_open(path) as f:
        f.write(json.dumps(results, indent=2).encode())
    written.append(path)
    written += _plots(out_dir, split, run, results)
    return written


def _plots(out_dir, split: Split, run: Run, results: dict) -> list:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: matplotlib is not installed; skipping the PNG plots")
        return []
    paths = []

    def save(fig, name):
        path = os.path.join(out_dir, name)
        fig.tight_layout()
        with atomic_open(path) as f:
            fig.savefig(f, format="png", dpi=110)
        plt.close(fig)
        paths.append(path)

    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(run.losses) + 1)
    ax.plot(epochs, run.losses, label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax2 = ax.twinx()
    ax2.plot(epochs, run.accuracies, color="tab:orange", label="test accuracy")
    ax2.set_ylabel("test accuracy")
    ax.set_title(f"{split.name}: training")
    handles = ax.get_lines() + ax2.get_lines()
    ax.legend(handles, [h.get_label() for h in handles], loc="upper center",
              bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    save(fig, "loss_curve.png")

    cm = np.array(results["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(cm, cmap="Blues")
    ticks = np.arange(len(split.class_names))
    ax.set_xticks(ticks, split.class_names, rotation=45 if split.task == "binary" else 0)
    ax.set_yticks(ticks, split.class_names)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center",
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix (test)")
    save(fig, "confusion_matrix.png")

    if split.task == "binary":
        curve = results["pr_curve"]
        fig, ax = plt.subplots(figsize=(5, 4.5))
        ax.step(curve["recall"], curve["precision"], where="post")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"PR curve, AP = {results['average_precision']:.3f}")
        save(fig, "pr_curve.png")
    return paths


# ----------------------------------------------------------------------------- main

def _torch_problem() -> str | None:
    """Why ``--compare-torch`` cannot run (torch missing or broken), or None."""
    try:
        import torch  # noqa: F401
    except ImportError:
        from .cli import TORCH_INSTALL
        return f"argument --compare-torch: torch is not installed; install it with: {TORCH_INSTALL}"
    except Exception as e:   # installed but failing to load: say why
        return f"argument --compare-torch: torch cannot be imported: {type(e).__name__}: {e}"
    return None


def main(argv=None) -> int:
    """Entry point of ``pygrad train``; returns the exit status.

    Every check of the input (options, files, torch for ``--compare-torch``, the device,
    the ``--out`` folder) runs before training; a failed one prints one line,
    ``pygrad train: error: ...``, and returns 2.
    """
    from .cli import default_device, writable_dir_problem

    def error(message) -> int:
        print(f"pygrad train: error: {message}", file=sys.stderr)
        return 2

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:    # --help (0) or a bad option (2), already printed
        return e.code
    problem = input_problem(args) or (args.compare_torch and _torch_problem())
    if problem:
        return error(problem)
    try:
        device = pick_device(args.device)
        split = load_split(args)
    except (OSError, ValueError, RuntimeError) as e:
        return error(e)
    if args.out:
        problem = writable_dir_problem(args.out)
        if problem:
            return error(problem)
    world = _world_size()
    if args.nproc_per_node > 1 and world == 1:
        return _launch_ranks(args, argv, error)
    if world > 1:
        device = _join_job(device)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optim]
    n_classes = len(split.class_names)
    print(f"data: {split.name}, {len(split.x_train)} train / {len(split.x_test)} test rows, "
          f"{split.x_train.shape[1]} features, {n_classes} classes ({split.task})")
    print(f"model: Linear({split.x_train.shape[1]}, {args.hidden}) -> Sigmoid -> "
          f"Linear({args.hidden}, {1 if split.task == 'binary' else n_classes}); "
          f"{'BCE-with-logits' if split.task == 'binary' else 'softmax cross-entropy'}; "
          f"{args.optim} lr={lr}; batch {args.batch_size}; {args.epochs} epochs; "
          f"device {device}; seed {args.seed}")
    if world > 1:
        print(f"data-parallel: {world} processes x batch {args.batch_size} = global batch "
              f"{world * args.batch_size}")
    # overflow in a diverging run is reported once, below, not as NumPy warnings per op
    with default_device(device), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            model, run = (train_pygrad_ddp if world > 1 else train_pygrad)(split, args,
                                                                             device, lr)
        except Diverged as e:
            print(f"pygrad train: {e}", file=sys.stderr)
            return 1
        except MemoryError as e:    # also CuPy's OutOfMemoryError
            print(f"pygrad train: out of memory on {device} ({e}); try a smaller --hidden or "
                  f"--batch-size", file=sys.stderr)
            return 1
        print(f"trained in {run.seconds:.2f}s")
        results = report(split, run)
        results.update({"optimizer": args.optim, "lr": lr, "epochs": args.epochs,
                        "batch_size": args.batch_size, "hidden": args.hidden,
                        "device": str(device), "seed": args.seed})
        if world > 1:
            results.update({"processes": world, "global_batch_size": world * args.batch_size})
        if args.compare_torch:
            # the torch twin trains in one process on the same global batches
            same = argparse.Namespace(**{**vars(args), "batch_size": world * args.batch_size})
            results["torch_comparison"] = compare_with_torch(split, same, lr, model, run, device)
        if args.out:
            try:
                written = write_outputs(args.out, model, split, run, results)
            except OSError as e:
                print(f"pygrad train: cannot write into --out {args.out!r}: {e}", file=sys.stderr)
                return 1
            for path in written:
                print(f"wrote {path}")
    return 0


def _world_size() -> int:
    """The world size when this process is a rank started by pygrad's launcher, else 1."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) if "PYGRAD_RUN_DIR" in os.environ \
            else 1
    except ValueError:
        return 1


def _launch_ranks(args, argv, error) -> int:
    """Start ``pygrad train`` again in --nproc-per-node ranks, through the launcher."""
    from .distributed.run import main as run
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        from .distributed import MPI_INSTALL
        return error(f"argument --nproc-per-node: training in several processes needs MPI; "
                     f"install it with {MPI_INSTALL}")
    rest = list(sys.argv[1:] if argv is None else argv)
    rest = rest[1:] if rest[:1] == ["train"] else rest
    return run(["--nproc_per_node", str(args.nproc_per_node), "-m", "pygrad", "train"] + rest,
               prog="pygrad train")


def _join_job(device):
    """Join the job started by ``_launch_ranks``: MPI (or NCCL on GPUs), this rank's GPU;
    stdout only on rank 0, so the metrics are printed once."""
    import pygrad as pg
    import pygrad.distributed as dist
    dist.init_process_group("nccl" if device.type == "cuda" else "mpi")
    if device.type == "cuda":
        device = pg.device("cuda", dist.get_local_rank())
    if dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")
    return device


if __name__ == "__main__":
    sys.exit(main())
