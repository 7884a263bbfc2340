"""Healthcare: a small neural network tells malignant from benign breast tumours.

scikit-learn's Wisconsin breast-cancer set: 569 tumours, 30 measurements of cell nuclei
each. Seeded 80/20 train/test split; features standardised with the training set's mean
and deviation; an MLP gives the probability that a tumour is malignant. Besides accuracy
it reports the ROC AUC (computed here in numpy from the ranks of the scores) and the
sensitivity and specificity at threshold 0.5.

Bar: >= 95% test accuracy.

    python resources/examples/healthcare_breast_cancer.py
    python resources/examples/healthcare_breast_cancer.py --epochs 50 --seed 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import core
import core.nn as nn
import core.nn.functional as F
from core.utils.data import DataLoader


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative (Mann-Whitney U from the ranks of the scores; ties share their mean rank)."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # 1-based, ties averaged
    positives = labels.sum()
    negatives = len(labels) - positives
    u = ranks[labels == 1].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates as the threshold sweeps down from above every score."""
    thresholds = np.r_[np.inf, np.unique(scores)[::-1]]
    predicted = scores[None, :] >= thresholds[:, None]  # (thresholds, samples)
    tpr = (predicted & (labels == 1)).sum(1) / (labels == 1).sum()
    fpr = (predicted & (labels == 0)).sum(1) / (labels == 0).sum()
    return fpr, tpr


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    core.manual_seed(args.seed)
    data = core.datasets.breast_cancer()  # classes: 0 malignant, 1 benign
    train, test = data.split([0.8, 0.2], seed=args.seed)
    train, test = core.datasets.standardize(train, test)  # the training set's statistics
    print(f"{len(train)} training and {len(test)} test tumours, {train.input_shape[0]} features")

    model = nn.Sequential(
        nn.Linear(30, 32),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(32, 16),
        nn.ReLU(),
        nn.Linear(16, 1),  # logit of "malignant"
    )
    optimizer = core.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total_loss = 0.0
        for features, labels in loader:
            malignant = (labels == 0).float()
            loss = F.binary_cross_entropy_with_logits(model(features).squeeze(1), malignant)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(labels)
        if epoch % 20 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  training loss {total_loss / len(train):.4f}")
    seconds = time.perf_counter() - start

    model.eval()
    with core.no_grad():
        scores = core.sigmoid(model(test.data).squeeze(1)).numpy()  # P(malignant)
    malignant = (test.targets.numpy() == 0).astype(np.int64)
    predicted = (scores >= 0.5).astype(np.int64)
    test_accuracy = float((predicted == malignant).mean())
    sensitivity = float(predicted[malignant == 1].mean())  # malignant tumours caught
    specificity = float(1 - predicted[malignant == 0].mean())  # benign ones cleared
    auc = roc_auc(malignant, scores)
    fpr, tpr = roc_curve(malignant, scores)
    print(f"test accuracy {test_accuracy:.2%} (bar >= 95%)")
    trapezoid = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    print(f"ROC AUC {auc:.4f} (trapezoid rule over {len(fpr)} ROC points: {trapezoid:.4f})")
    print(f"at threshold 0.5: sensitivity {sensitivity:.2%}, specificity {specificity:.2%}")
    for target in (0.90, 0.95, 1.0):
        i = int(np.argmax(tpr >= target))  # the first (highest) threshold reaching it
        print(f"  sensitivity {tpr[i]:.0%} costs specificity {1 - fpr[i]:.2%}")
    return {
        "test_accuracy": test_accuracy,
        "auc": auc,
        "sensitivity": sensitivity,
        "specificity": specificity,
        "seconds": seconds,
    }


if __name__ == "__main__":
    main()
