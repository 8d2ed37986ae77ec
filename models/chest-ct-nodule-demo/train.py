#!/usr/bin/env python3
"""Train the demo chest-CT nodule CNN on synthetic slices, evaluate it on a held-out seed, and export it.

    /usr/bin/python3 models/chest-ct-nodule-demo/train.py   # defaults below: 5-12 min data (cached), ~9 min training

Data (scripts/models/make_synthetic_ct.py): seed 1 slices 0..3599 train, 3600..3999 validation (picks the epoch
and the threshold); seed 2 slices 0..999 are the held-out test set, seen once, at the end. Each slice goes through
preprocess.py exactly as the gateway will (HU → lung window → [0,1] → 100x100 bilinear → 3 channels).
Preprocessed sets are cached as .npz in --data-dir (git-ignored), keyed by a hash of the generator and
preprocessing sources, so a rerun only trains.

Training: Adam (lr 1e-3), batch 32, binary cross-entropy on the logit, random left-right flips, 10 epochs; the
epoch with the lowest validation loss is kept. torch.manual_seed, deterministic algorithms and one thread make the
run repeatable on one machine and torch build (other thread counts or builds may differ in the last bits).

Then export.py writes model.onnx, tfjs/, reference/, model-config.json and metrics.json next to this file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts", "models"))
sys.path.insert(0, HERE)

import make_synthetic_ct as synth  # noqa: E402
import preprocess  # noqa: E402
from metrics import binary_metrics, youden_threshold  # noqa: E402
from nodule_net import NoduleNet  # noqa: E402


def _source_hash() -> str:
    h = hashlib.sha256()
    for path in (synth.__file__, preprocess.__file__):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:12]


def _render(job: tuple[int, int]) -> tuple[np.ndarray, int, float, int]:
    seed, index = job
    hu, label, nodules = synth.make_slice(seed, index)
    max_d = max((n.diameter_mm for n in nodules), default=0.0)
    return preprocess.preprocess_gray(hu), label, max_d, len(nodules)


def build_dataset(seed: int, count: int, jobs: int, data_dir: str) -> dict[str, np.ndarray]:
    """Preprocessed slices 0..count-1 of seed: x [N,100,100] float32, y [N], max nodule diameter [N], nodules [N]."""
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, f"seed{seed}-n{count}-{_source_hash()}.npz")
    if os.path.exists(path):
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    t0 = time.time()
    work = [(seed, i) for i in range(count)]
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            rows = pool.map(_render, work, chunksize=16)
    else:
        rows = [_render(w) for w in work]
    data = {
        "x": np.stack([r[0] for r in rows]),
        "y": np.array([r[1] for r in rows], dtype=np.int64),
        "max_diameter_mm": np.array([r[2] for r in rows], dtype=np.float32),
        "nodules": np.array([r[3] for r in rows], dtype=np.int64),
    }
    np.savez(path, **data)
    print(f"seed {seed}: {count} slices generated in {time.time() - t0:.0f} s → {path}", flush=True)
    return data


def _batch(x: np.ndarray) -> torch.Tensor:
    """[B,100,100] gray → [B,3,100,100] channels-last tensor (the 3 replicated channels)."""
    t = torch.from_numpy(x)[:, None].expand(-1, 3, -1, -1)
    return t.contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def predict(net: NoduleNet, x: np.ndarray, batch: int = 128) -> np.ndarray:
    net.eval()
    out = [torch.sigmoid(net(_batch(x[i:i + batch]))).numpy()[:, 0] for i in range(0, len(x), batch)]
    return np.concatenate(out).astype(np.float64)


def train(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.torch_seed)

    full = build_dataset(synth.TRAIN_SEED, args.train_count, args.jobs, args.data_dir)
    test = build_dataset(synth.TEST_SEED, args.test_count, args.jobs, args.data_dir)
    n_val = args.train_count // 10
    xtr, ytr = full["x"][:-n_val], full["y"][:-n_val].astype(np.float32)
    xva, yva = full["x"][-n_val:], full["y"][-n_val:]

    net = NoduleNet(pool_first=True).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    gen = torch.Generator().manual_seed(args.torch_seed)
    best = (float("inf"), -1, None)
    history = []
    for epoch in range(1, args.epochs + 1):
        net.train()
        t0 = time.time()
        order = torch.randperm(len(xtr), generator=gen).numpy()
        flips = torch.rand(len(xtr), generator=gen).numpy() < 0.5
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            xb = xtr[idx].copy()
            xb[flips[i:i + args.batch]] = xb[flips[i:i + args.batch]][:, :, ::-1]
            yb = torch.from_numpy(ytr[idx])[:, None]
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(net(_batch(xb)), yb)
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        pva = predict(net, xva)
        val_loss = float(np.mean(-(yva * np.log(np.clip(pva, 1e-7, 1)) + (1 - yva) * np.log(np.clip(1 - pva, 1e-7, 1)))))
        val_auc = binary_metrics(yva, pva, 0.5)["auc"]
        history.append({"epoch": epoch, "train_loss": total / len(order), "val_loss": val_loss, "val_auc": val_auc,
                        "seconds": round(time.time() - t0, 1)})
        print(json.dumps(history[-1]), flush=True)
        if val_loss < best[0]:
            best = (val_loss, epoch, {k: v.detach().clone() for k, v in net.state_dict().items()})

    net = NoduleNet()
    net.load_state_dict(best[2])
    net.eval()
    pva = predict(net, xva)
    threshold = youden_threshold(yva, pva)
    pte = predict(net, test["x"])
    metrics = {
        "kept_epoch": best[1],
        "threshold": threshold,
        "threshold_rule": "maximum Youden J (sensitivity + specificity - 1) on the validation split, rounded to 2 decimals",
        "validation": binary_metrics(yva, pva, threshold),
        "test": binary_metrics(test["y"], pte, threshold),
        "test_at_0.5": binary_metrics(test["y"], pte, 0.5),
        "test_sensitivity_by_largest_nodule_mm": {},
        "history": history,
        "data": {
            "generator": "scripts/models/make_synthetic_ct.py",
            "train": {"seed": synth.TRAIN_SEED, "slices": f"0..{args.train_count - n_val - 1}"},
            "validation": {"seed": synth.TRAIN_SEED, "slices": f"{args.train_count - n_val}..{args.train_count - 1}"},
            "test": {"seed": synth.TEST_SEED, "slices": f"0..{args.test_count - 1}"},
            "source_hash": _source_hash(),
        },
        "training": {"epochs": args.epochs, "batch": args.batch, "lr": args.lr, "optimizer": "Adam",
                     "torch_seed": args.torch_seed, "threads": args.threads, "augmentation": "left-right flip p=0.5"},
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
    }
    pos = test["y"] == 1
    for lo, hi in ((3, 5), (5, 10), (10, 20), (20, 30.01)):
        sel = pos & (test["max_diameter_mm"] >= lo) & (test["max_diameter_mm"] < hi)
        metrics["test_sensitivity_by_largest_nodule_mm"][f"{lo}-{int(hi)}"] = {
            "n": int(sel.sum()), "sensitivity": round(float((pte[sel] >= threshold).mean()), 4) if sel.any() else None}
    print(json.dumps({k: metrics[k] for k in ("kept_epoch", "threshold", "validation", "test", "test_at_0.5",
                                               "test_sensitivity_by_largest_nodule_mm")}, indent=1), flush=True)
    torch.save(best[2], os.path.join(args.data_dir, "weights.pt"))
    with open(os.path.join(args.data_dir, "train-metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)

    if not args.no_export:
        import export
        export.export_all(net, test, pte, metrics, args.out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-count", type=int, default=4000, help="seed-1 slices; the last 10%% validate")
    ap.add_argument("--test-count", type=int, default=1000, help="seed-2 slices, held out")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 for a repeatable run)")
    ap.add_argument("--jobs", type=int, default=2, help="processes generating data (does not change the data)")
    ap.add_argument("--torch-seed", type=int, default=0)
    ap.add_argument("--data-dir", default=os.path.join(HERE, ".data"))
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--no-export", action="store_true")
    train(ap.parse_args())


if __name__ == "__main__":
    main()
