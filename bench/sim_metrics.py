"""Figures of the learning simulator, with 95 % bootstrap intervals over learners; model quality (calibration,
AUC) of the predicted success the server stores with each answer.

Every figure is a statistic of per-learner outcomes (bench.sim_policies.Outcome); its interval resamples
the learners with replacement (percentile bootstrap, fixed seed), so a figure and its interval are
deterministic for a seed.
"""
import math
import random
import sqlite3
from pathlib import Path

INF = math.inf


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1) of a non-empty list (inf allowed: unfinished learners)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _finish(o) -> float:
    return o.answers if o.finished else INF


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _ratio(pairs) -> float | None:
    made = sum(d for _, d in pairs)
    return sum(n for n, _ in pairs) / made if made else None


# name: (the value per learner, how the values of a cohort make the figure)
METRICS = {
    "median answers": (_finish, lambda v: percentile(v, 0.5)),
    "p90 answers": (_finish, lambda v: percentile(v, 0.9)),
    "unfinished at cap": (lambda o: not o.finished, _mean),
    "false mastery": (lambda o: (sum(d is False for d in o.declarations), len(o.declarations)), _ratio),
    "started with unknown prereq": (lambda o: o.started_unknown_prereq, _mean),
    "kept at 30 d, reviews": (lambda o: o.kept_reviews, _mean),
    "kept at 30 d, no reviews": (lambda o: o.kept_none, _mean),
    "review answers": (lambda o: o.review_answers if o.finished else None, _mean),
    "known of shown after holiday": (lambda o: o.after_holiday or (0, 0), _ratio),
    "no practice offered": (lambda o: o.no_practice_offered > 0, _mean),
}


def figure(name: str, outcomes: list) -> float | None:
    """One figure of a cohort (see METRICS)."""
    per_learner, aggregate = METRICS[name]
    return aggregate([per_learner(o) for o in outcomes])


def answers_median(outcomes) -> float:
    """Median answers to full mastery (unfinished learners count as beyond the cap)."""
    return figure("median answers", outcomes)


def answers_p90(outcomes) -> float:
    """90th percentile of answers to full mastery."""
    return figure("p90 answers", outcomes)


def unfinished_share(outcomes) -> float:
    """Share of learners not shown as mastering everything by the cap (stalled)."""
    return figure("unfinished at cap", outcomes)


def false_mastery(outcomes) -> float | None:
    """Share of mastery declarations made while the skill was not known (None: no declaration)."""
    return figure("false mastery", outcomes)


def unknown_prereq_starts(outcomes) -> float:
    """Share of learners who started some skill while one of its prerequisites was not known."""
    return figure("started with unknown prereq", outcomes)


def kept_with_reviews(outcomes) -> float | None:
    """Mean share of skills known 30 days after full mastery, following the policy's reviews."""
    return figure("kept at 30 d, reviews", outcomes)


def bootstrap(values: list, aggregate, resamples: int = 1000, seed: int = 7) -> tuple | None:
    """The 95 % percentile-bootstrap interval (low, high) of aggregate(values) over learners (None if
    undefined); `values` holds one value per learner."""
    rng = random.Random(seed)
    results = []
    for _ in range(resamples):
        value = aggregate(rng.choices(values, k=len(values)))
        if value is not None:
            results.append(value)
    if not results:
        return None
    results.sort()
    return results[int(0.025 * (len(results) - 1))], results[int(math.ceil(0.975 * (len(results) - 1)))]


def summarize(outcomes: list, resamples: int = 1000, seed: int = 7) -> dict:
    """{metric: {"value": v, "low": l, "high": h}} for every metric (JSON-ready; inf means beyond the cap)."""
    out = {}
    for n, (name, (per_learner, aggregate)) in enumerate(METRICS.items()):
        values = [per_learner(o) for o in outcomes]
        value = aggregate(values)
        interval = bootstrap(values, aggregate, resamples, seed + n) if resamples and value is not None else None
        out[name] = {"value": value, "low": interval[0] if interval else None,
                     "high": interval[1] if interval else None}
    return out


# ---- model quality -------------------------------------------------------------------------------

def calibration(pairs: list[tuple[float, bool]], bins: int = 10) -> list[dict]:
    """Predicted vs observed success in `bins` equal-width bins of the prediction (empty bins left out)."""
    sums = [[0, 0.0, 0] for _ in range(bins)]
    for predicted, correct in pairs:
        k = min(bins - 1, max(0, int(predicted * bins)))
        sums[k][0] += 1
        sums[k][1] += predicted
        sums[k][2] += bool(correct)
    return [{"bin": f"{k / bins:.1f}-{(k + 1) / bins:.1f}", "answers": n, "predicted": total / n,
             "observed": right / n} for k, (n, total, right) in enumerate(sums) if n]


def auc(pairs: list[tuple[float, bool]]) -> float | None:
    """Area under the ROC curve of the predictions (ties count half); None without both outcomes."""
    ordered = sorted(pairs, key=lambda p: p[0])
    positives = sum(1 for _, c in ordered if c)
    negatives = len(ordered) - positives
    if not positives or not negatives:
        return None
    rank_sum, k = 0.0, 0
    while k < len(ordered):
        j = k
        while j < len(ordered) and ordered[j][0] == ordered[k][0]:
            j += 1
        mid_rank = (k + 1 + j) / 2  # 1-based average rank of the tie group
        rank_sum += mid_rank * sum(1 for _, c in ordered[k:j] if c)
        k = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def expected_calibration_error(table: list[dict]) -> float | None:
    """The answer-weighted mean |predicted - observed| over the bins."""
    total = sum(row["answers"] for row in table)
    return sum(row["answers"] * abs(row["predicted"] - row["observed"]) for row in table) / total if total else None


def predictions_from_rows(payloads) -> tuple[list[tuple[float, bool]], int]:
    """(predicted, correct) pairs from answer event payloads, and how many answers had no prediction."""
    import json

    pairs, missing = [], 0
    for payload in payloads:
        data = json.loads(payload) if isinstance(payload, str) else payload
        predicted = data.get("predicted") if isinstance(data, dict) else None
        if isinstance(predicted, (int, float)) and not isinstance(predicted, bool) and 0 <= predicted <= 1:
            pairs.append((float(predicted), bool(data.get("correct"))))
        else:
            missing += 1
    return pairs, missing


def predictions_in_folder(data_dir: Path) -> tuple[list[tuple[float, bool]], int]:
    """The stored predictions of a Lantern data folder's answers (its lantern.db, opened read-only)."""
    db = Path(data_dir) / "lantern.db"
    if not db.is_file():
        raise FileNotFoundError(f"no lantern.db in {data_dir}")
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT payload FROM event WHERE kind = 'answer'").fetchall()
    finally:
        connection.close()
    return predictions_from_rows(row[0] for row in rows)
