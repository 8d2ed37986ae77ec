"""Binary classification metrics for the model card (numpy only)."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney U statistic; ties count one half."""
    y = np.asarray(y).astype(bool)
    ranks = rankdata(p)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def binary_metrics(y, p, threshold: float) -> dict:
    """AUC, and sensitivity/specificity/accuracy with 'positive' meaning p >= threshold."""
    y = np.asarray(y).astype(bool)
    pred = np.asarray(p) >= threshold
    tp, fn = int((pred & y).sum()), int((~pred & y).sum())
    tn, fp = int((~pred & ~y).sum()), int((pred & ~y).sum())
    return {
        "n": int(y.size), "positives": tp + fn, "negatives": tn + fp, "threshold": threshold,
        "auc": round(auc(y, p), 5),
        "sensitivity": round(tp / (tp + fn), 4), "specificity": round(tn / (tn + fp), 4),
        "accuracy": round((tp + tn) / y.size, 4), "tp": tp, "fn": fn, "tn": tn, "fp": fp,
    }


def youden_threshold(y, p) -> float:
    """The threshold in 0.01..0.99 (step 0.01) with the largest sensitivity + specificity - 1; ties → nearest 0.5."""
    y = np.asarray(y).astype(bool)
    best = None
    for t in np.round(np.arange(0.01, 1.0, 0.01), 2):
        pred = np.asarray(p) >= t
        j = (pred & y).sum() / y.sum() + (~pred & ~y).sum() / (~y).sum() - 1
        key = (round(float(j), 9), -abs(t - 0.5))
        if best is None or key > best[0]:
            best = (key, float(t))
    return best[1]
