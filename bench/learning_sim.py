"""The honest learning simulator: does mastery mean the learner knows it? (issue #14, parts 1 and 6)

Simulated learners whose hidden truth is independent of the server's model (bench.sim_truth: known or
not per skill, guessing by item format, slips, prerequisite-gated learning, power-law forgetting) practise
under four policies: the server's own (through the same code path as a live request, bench.sim_server),
items in pack order, random items with "5 in a row", random items with "8 of the last 10"
(bench.sim_policies). Figures per policy and graph, with 95 % bootstrap intervals (bench.sim_metrics);
for the server, calibration and AUC of the predicted success stored with each answer.

    python -m bench.learning_sim                      # 1,000 learners per policy, both graphs (long: the
                                                      # server policy costs ~30 ms an answer)
    python -m bench.learning_sim --quick              # 40 learners (3 on the server), a minute or two
    python -m bench.learning_sim --graph fractions --learners 200 --server-learners 50 --json out.json
    python -m bench.learning_sim --data /path/to/data # calibration and AUC of a data folder's answers

Deterministic for a given --seed.
"""
import argparse
import json
import math
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: python bench/learning_sim.py
    sys.path.insert(0, str(REPO))

from bench import sim_metrics  # noqa: E402
from bench.sim_graphs import load_graph  # noqa: E402
from bench.sim_policies import Clock, default_params, fixed_policies, run_learner  # noqa: E402
from bench.sim_truth import make_learner  # noqa: E402
from bench.tables import format_table  # noqa: E402

GRAPHS = ("fractions", "generated")
POLICIES = ("server", "pack order", "random, 5 in a row", "random, 8 of 10")
CAP_PER_SKILL = 60


def learners_for(graph, count: int, seed: int, strict: bool) -> list:
    """The same simulated learners for every policy (fresh objects: a run changes them)."""
    params = default_params(strict)
    return [make_learner(random.Random(f"{seed}-{n}-learner"), list(graph.skills), params) for n in range(count)]


def make_policy(name: str, graph, clock: Clock, learners: int):
    """A policy object by name (the server's sets up its own temp data folder)."""
    if name == "server":
        from bench.sim_server import ServerPolicy

        return ServerPolicy(graph, clock, learners)
    return next(p for p in fixed_policies(graph) if p.name == name)


def run_policy(name: str, graph, count: int, seed: int, strict: bool, cap: int, quality: bool = False) -> dict:
    """Outcomes of `count` learners under one policy (and the server's stored predictions, if asked)."""
    clock = Clock()
    policy = make_policy(name, graph, clock, count)
    result = {"outcomes": [], "predictions": None}
    started = time.perf_counter()
    try:
        for n, learner in enumerate(learners_for(graph, count, seed, strict)):
            result["outcomes"].append(run_learner(policy, graph, learner, n, seed, clock, cap))
            if name == "server" and (n + 1) % 10 == 0:
                print(f"  {graph.name}/{name}/{'strict' if strict else 'soft'}: {n + 1} learners "
                      f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        if quality and hasattr(policy, "predictions"):
            result["predictions"] = policy.predictions()
    finally:
        policy.finish()
    return result


def simulate(graphs=GRAPHS, learners: int = 1000, server_learners: int | None = None, seed: int = 7,
             resamples: int = 1000, policies=POLICIES, soft: bool = True, server_soft_learners: int | None = None,
             progress=None) -> dict:
    """Every chosen policy on every chosen graph: figures with intervals (plain data, JSON-ready).

    `progress(result)` is called with the partial result after each policy (to save it as it grows)."""
    workdir = Path(tempfile.mkdtemp(prefix="lantern-sim-packs-"))
    sizes = {"learners": learners, "server": server_learners or learners,
             "server soft": min(server_soft_learners or learners, server_learners or learners)}
    result = {"seed": seed, "learners": learners, "server_learners": sizes["server"],
              "server_soft_learners": sizes["server soft"] if soft else 0, "resamples": resamples, "graphs": []}
    try:
        for name in graphs:
            graph = load_graph(name, workdir / name, seed)
            cap = CAP_PER_SKILL * len(graph.practised)
            entry = {"graph": graph.name, "pack": graph.pack_id, "skills": len(graph.practised),
                     "items": sum(len(s.items) for s in graph.skills), "cap": cap, "policies": [],
                     "model_quality": None}
            result["graphs"].append(entry)
            for policy in policies:
                _simulate_policy(entry, graph, policy, sizes, seed, resamples, soft,
                                 lambda: progress and progress(result))
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _simulate_policy(entry: dict, graph, name: str, sizes: dict, seed: int, resamples: int, soft: bool,
                     saved) -> None:
    count = sizes["server"] if name == "server" else sizes["learners"]
    print(f"{graph.name}: {name}, {count} learners", file=sys.stderr, flush=True)
    started = time.perf_counter()
    strict = run_policy(name, graph, count, seed, True, entry["cap"], quality=name == "server")
    row = {"policy": name, "learners": count, "metrics": sim_metrics.summarize(strict["outcomes"], resamples, seed)}
    entry["policies"].append(row)
    if strict["predictions"] is not None:
        entry["model_quality"] = quality_of(*strict["predictions"])
    saved()  # the strict figures are kept even if the soft run is stopped
    if soft:
        loose = run_policy(name, graph, sizes["server soft"] if name == "server" else count, seed, False,
                           entry["cap"])
        row["soft learners"] = len(loose["outcomes"])
        row["stalled soft"] = sim_metrics.summarize(loose["outcomes"], resamples, seed)["unfinished at cap"]
    row["seconds"] = round(time.perf_counter() - started, 1)
    saved()


def quality_of(pairs: list, missing: int) -> dict:
    """Calibration table, its weighted error and AUC of stored predictions (None figures when not stored)."""
    table = sim_metrics.calibration(pairs)
    return {"answers": len(pairs) + missing, "with_prediction": len(pairs), "calibration": table,
            "calibration_error": sim_metrics.expected_calibration_error(table), "auc": sim_metrics.auc(pairs)}


# ---- output --------------------------------------------------------------------------------------

SHARES = {"unfinished at cap", "false mastery", "started with unknown prereq", "kept at 30 d, reviews",
          "kept at 30 d, no reviews", "no practice offered", "known of shown after holiday"}
COLUMNS = ["median answers", "p90 answers", "unfinished at cap", "false mastery", "started with unknown prereq",
           "kept at 30 d, reviews", "kept at 30 d, no reviews", "review answers", "known of shown after holiday"]


def shown(name: str, figure: dict | None, cap: int, interval: bool = True) -> str:
    """A figure as text: '12.3% [10.1, 14.2]', '>300' for unfinished, 'n/a' when undefined."""
    if figure is None or figure["value"] is None:
        return "n/a"

    def one(v):
        if v is None:
            return "?"
        if v == math.inf:
            return f">{cap}"
        return f"{100 * v:.1f}%" if name in SHARES else (f"{v:.0f}" if name.endswith("answers") and v >= 10
                                                          else f"{v:.1f}")
    text = one(figure["value"])
    if interval and figure.get("low") is not None:
        text += f" [{one(figure['low'])}, {one(figure['high'])}]"
    return text


def render(result: dict) -> str:
    """One table per graph (figures with 95 % intervals), then the server's model quality."""
    out = []
    for graph in result["graphs"]:
        headers = ["policy", "learners"] + COLUMNS + ["stalled (soft prereqs)", "no practice offered"]
        rows = [[r["policy"], r["learners"]] + [shown(c, r["metrics"][c], graph["cap"]) for c in COLUMNS]
                + [shown("unfinished at cap", r.get("stalled soft"), graph["cap"])
                   + (f" (n={r['soft learners']})" if r.get("soft learners", r["learners"]) != r["learners"] else ""),
                   shown("no practice offered", r["metrics"]["no practice offered"], graph["cap"], False)]
                for r in graph["policies"]]
        title = (f"learning_sim: {graph['graph']} graph ({graph['skills']} skills, {graph['items']} items), cap "
                 f"{graph['cap']} answers, seed {result['seed']}, 95% bootstrap intervals")
        out.append(format_table(headers, rows, title))
        if graph["model_quality"] is not None:
            out.append(render_quality(graph["model_quality"], f"server model quality, {graph['graph']} graph"))
    return "\n\n".join(out)


def render_quality(quality: dict, title: str) -> str:
    """Calibration bins and AUC, or 'not stored' when the answers carry no prediction."""
    if not quality["with_prediction"]:
        return f"{title}: predicted success not stored ({quality['answers']} answers, none with 'predicted')"
    rows = [[row["bin"], row["answers"], f"{row['predicted']:.3f}", f"{row['observed']:.3f}"]
            for row in quality["calibration"]]
    auc = "n/a" if quality["auc"] is None else f"{quality['auc']:.3f}"
    return format_table(["predicted", "answers", "mean predicted", "observed"], rows,
                        f"{title}: {quality['with_prediction']} of {quality['answers']} answers with a prediction; "
                        f"AUC {auc}, calibration error {quality['calibration_error']:.3f}")


def bench(quick: bool = False) -> list[tuple[str, object]]:
    """Figures for bench.run: (name, value) pairs (quick: 40 learners, 1 on the server, no soft run)."""
    result = simulate(learners=40 if quick else 1000, server_learners=1 if quick else None,
                      resamples=200 if quick else 1000, soft=not quick)
    out = []
    for graph in result["graphs"]:
        for row in graph["policies"]:
            label = f"{graph['graph']} / {row['policy']} ({row['learners']} learners)"
            for column in ("median answers", "false mastery", "started with unknown prereq", "kept at 30 d, reviews",
                           "known of shown after holiday"):
                out.append((f"{label}: {column}", shown(column, row["metrics"][column], graph["cap"], False)))
        quality = graph["model_quality"]
        if quality is not None:
            out.append((f"{graph['graph']} / server: predictions stored",
                        f"{quality['with_prediction']} of {quality['answers']} answers"))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000, help="learners per policy and graph")
    parser.add_argument("--server-learners", type=int, help="learners for the server policy (default: --learners)")
    parser.add_argument("--graph", action="append", choices=GRAPHS, help="only this graph (repeatable)")
    parser.add_argument("--policy", action="append", choices=POLICIES, help="only this policy (repeatable)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--no-soft", action="store_true", help="skip the soft-prerequisite run (stalled figure)")
    parser.add_argument("--server-soft-learners", type=int, help="learners for the server's soft-prerequisite run")
    parser.add_argument("--quick", action="store_true", help="40 learners, 3 on the server, 200 resamples")
    parser.add_argument("--data", type=Path, help="only: calibration and AUC of this data folder's answers")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still remove the temp data folders
    started = time.perf_counter()
    if args.data:
        result = {"data": str(args.data), "model_quality": quality_of(*sim_metrics.predictions_in_folder(args.data))}
        print(render_quality(result["model_quality"], f"model quality of {args.data}"))
    else:
        if args.quick:
            args.learners, args.server_learners, args.resamples = 40, args.server_learners or 3, 200
        result = simulate(tuple(args.graph or GRAPHS), args.learners, args.server_learners, args.seed,
                          args.resamples, tuple(args.policy or POLICIES), not args.no_soft,
                          args.server_soft_learners, progress=lambda partial: _save(partial, args.json))
        print(render(result), flush=True)
    _save(result, args.json)
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


def _save(result: dict, path: Path | None) -> None:
    if path:
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
