#!/usr/bin/env python3
"""Detecting electricity theft on a ghostload dataset with scikit-learn.

A worked example to copy:

1. generate a dataset in memory (5 000 meters x 24 months, seed 7);
2. build per-meter features from the wide consumption table
   (``monthly_consumption_YYYYMM`` columns): later-half vs first-half mean,
   coefficient of variation, min / mean, share of zero months, the largest
   month-to-month drop, the share of repeated readings, the last quarter vs the first, the trend, and the
   meter's level and monthly shape against its transformer's other meters;
3. split the meters into train and test (70 / 30, stratified by anomaly
   type, so every type is in both);
4. fit an unsupervised ``IsolationForest`` (labels unused) and a supervised
   ``HistGradientBoostingClassifier`` on the training meters;
5. print the ROC AUC of each model per anomaly type (that type's test
   meters against the normal test meters) and overall (every anomalous test
   meter against the normal ones).

"Normal" meters are those without a row in ``labels``; benign look-alikes
(vacancies, new connections, solar installs, outages: ``events`` rows with
``anomaly_flag = 0``) count as normal, as they would in the field, and make
the task harder. Everything is seeded: the output is the same on every run.

    python examples/python/detect.py [--num-meters 5000] [--num-months 24] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional, Tuple

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import ghostload

NORMAL = "normal"


def load(num_meters: int, num_months: int, seed: int) -> Tuple[pd.DataFrame, List[str], pd.Series]:
    """The meters joined with the wide consumption table (the layout of
    ``meter_consumption.csv``), its month columns and every meter's anomaly
    type (``"normal"`` for meters without a label), by meter_id."""
    ds = ghostload.generate(
        num_meters=num_meters,
        num_transformers=max(1, num_meters // 50),
        num_months=num_months,
        seed=seed,
        tables=["meters", "consumption", "labels"],
    )
    # The consumption matrix is keyed by meter_id; the attributes are in `meters`.
    wide = ds.meters.to_pandas().merge(ds.consumption.to_pandas(), on="meter_id", validate="one_to_one")
    months = [c for c in wide.columns if c.startswith("monthly_consumption_")]
    labels = ds.labels.to_pandas()
    kind = pd.Series(NORMAL, index=wide["meter_id"].astype(str), name="anomaly_type")
    kind.loc[labels["meter_id"].astype(str)] = labels["anomaly_type"].astype(str).to_numpy()
    return wide, months, kind


def features(wide: pd.DataFrame, months: List[str]) -> pd.DataFrame:
    """Per-meter features of the monthly series, scale-free (ratios), so
    households and commercial meters compare."""
    x = wide[months].to_numpy(dtype=float)
    n = x.shape[1]
    eps = 1e-9
    mean = x.mean(axis=1) + eps
    half = n // 2
    quarter = max(1, n // 4)
    first, later = x[:, :half].mean(axis=1), x[:, half:].mean(axis=1)
    drops = (x[:, :-1] - x[:, 1:]) / mean[:, None]  # positive = consumption fell
    t = np.arange(n) - (n - 1) / 2
    slope = (x * t).sum(axis=1) / (t * t).sum() / mean  # share of the mean per month
    out = pd.DataFrame(
        {
            "later_vs_first_half": later / (first + eps),
            "cv": x.std(axis=1) / mean,
            "min_vs_mean": x.min(axis=1) / mean,
            "max_vs_mean": x.max(axis=1) / mean,
            "zero_share": (x <= 0).mean(axis=1),
            "max_drop": drops.max(axis=1),
            "max_rise": (-drops).max(axis=1),
            "last_vs_first_quarter": x[:, -quarter:].mean(axis=1) / (x[:, :quarter].mean(axis=1) + eps),
            "trend": slope,
            "kwh_per_kva": mean / (wide["kVA"].to_numpy(dtype=float) + eps),
            "repeat_share": (np.abs(np.diff(x, axis=1)) < 1e-6).mean(axis=1),
        },
        index=wide["meter_id"].astype(str),
    )
    # The meter's mean against the median of its transformer's meters of the same class.
    peer = pd.Series(mean, index=out.index).groupby(
        [wide["transformer_id"].astype(str).to_numpy(), wide["customer_class"].astype(str).to_numpy()]
    ).transform("median")
    out["vs_peers"] = mean / (peer.to_numpy() + eps)
    # How the meter's monthly shape follows its transformer's (seasonality,
    # order of the months): correlation with the transformer's mean profile.
    shape = x / mean[:, None]
    tx = wide["transformer_id"].astype(str).to_numpy()
    profile = pd.DataFrame(shape).groupby(tx).transform("mean").to_numpy()
    a = shape - shape.mean(axis=1, keepdims=True)
    b = profile - profile.mean(axis=1, keepdims=True)
    out["peer_corr"] = (a * b).sum(axis=1) / (np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1)) + eps)
    return out


def auc_table(kind: pd.Series, scores: dict) -> pd.DataFrame:
    """ROC AUC per anomaly type (its meters vs the normal meters) and overall,
    for each model's scores (higher = more suspicious)."""
    normal = kind == NORMAL
    rows = []
    for t in sorted(set(kind) - {NORMAL}) + ["overall"]:
        pos = (kind != NORMAL) if t == "overall" else (kind == t)
        mask = (pos | normal).to_numpy()
        y = pos.to_numpy()[mask]
        row = {"anomaly type": t, "test meters": int(pos.sum())}
        for name, s in scores.items():
            row[name] = roc_auc_score(y, s[mask]) if 0 < y.sum() < len(y) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: Optional[List[str]] = None) -> int:
    """Generates, trains both models, prints the AUC table; 0 on success."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-meters", type=int, default=5000)
    p.add_argument("--num-months", type=int, default=24)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)

    start = time.perf_counter()
    wide, months, kind = load(args.num_meters, args.num_months, args.seed)
    X = features(wide, months)
    y_kind = kind.loc[X.index]
    X_train, X_test, k_train, k_test = train_test_split(
        X, y_kind, test_size=0.3, random_state=0, stratify=y_kind
    )
    print(
        f"{len(X)} meters x {len(months)} months, {int((y_kind != NORMAL).sum())} anomalous "
        f"({(y_kind != NORMAL).mean():.1%}); train {len(X_train)}, test {len(X_test)}; "
        f"{X.shape[1]} features"
    )

    iso = IsolationForest(n_estimators=300, random_state=0).fit(X_train)
    gbt = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    gbt.fit(X_train, (k_train != NORMAL).astype(int))
    scores = {
        "IsolationForest": -iso.score_samples(X_test),  # higher = more anomalous
        "HistGradientBoosting": gbt.predict_proba(X_test)[:, 1],
    }

    table = auc_table(k_test, scores)
    print()
    print("ROC AUC on the test meters (each anomaly type vs the normal meters)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
