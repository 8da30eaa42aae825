"""``preflab stats`` in the terminal: the statistics document as rich tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _p(value) -> str:
    return "-" if value is None else f"{value:.2g}"


def _reliability(fit: dict) -> str:
    if fit["estimate"] is None:
        return "-"
    return f"{fit['estimate']:.0%} ({fit['ci_low']:.0%}-{fit['ci_high']:.0%})"


def tables(doc: dict) -> list:
    summary = Table(title=f"Project {doc['project']}", show_header=False)
    summary.add_row("tasks", f"{doc['tasks']} ({doc['labeled_tasks']} labeled)")
    summary.add_row("annotations", f"{doc['annotations']} (+ {doc['skipped']} skipped)")
    for name, count in doc["outcomes"].items():
        summary.add_row(f"outcome {name}", str(count))
    agreement = doc["agreement"]
    summary.add_row(
        "Krippendorff's alpha", f"{_num(agreement['krippendorff_alpha'])} over {agreement['items']} items"
    )
    summary.add_row(
        "mean Cohen's kappa",
        f"{_num(agreement['mean_pairwise_cohen_kappa'])} over {agreement['kappa_pairs']} labeler pairs",
    )
    summary.add_row("mean agreement per comparison", _pct(agreement["mean_comparison_agreement"]))
    bias = doc["position_bias"]
    summary.add_row(
        "answer shown first picked",
        f"{_pct(bias['first_shown_share'])} of {bias['votes']} (p = {_p(bias['p_value'])})",
    )
    summary.add_row("votes combined by", doc["rules"]["aggregation"])
    summary.add_row(
        "noise ceiling",
        f"{_pct(doc['noise_ceiling'])} (the accuracy a perfect model could reach against this consensus)",
    )
    out = [summary]

    labelers = Table(title="Labelers")
    columns = (
        "labeler",
        "done",
        "skipped",
        "reliability (95%)",
        "agree",
        "gold",
        "median s",
        "first shown",
        "p",
        "flags",
    )
    for column in columns:
        labelers.add_column(column, justify="left" if column in ("labeler", "flags") else "right")
    for row in doc["labelers"]:
        bias = row["position_bias"]
        labelers.add_row(
            row["email"] or str(row["user_id"]),
            str(row["annotations"]),
            str(row["skipped"]),
            _reliability(row["reliability"]),
            _pct(row["agreement_with_others"]["rate"]),
            _pct(row["gold"]["accuracy"]),
            _num(row["median_seconds"], 1),
            _pct(bias["first_shown_share"]),
            _p(bias["p_value"]),
            "\n".join(row["flagged"]) or "",
            style="red" if row["flagged"] else None,
        )
    out.append(labelers)

    if doc["leaderboard"]:
        board = Table(
            title=f"Leaderboard (Bradley-Terry, 95% bootstrap interval, {doc['bootstrap']['resamples']} resamples)"
        )
        for column in ("model", "score", "interval", "wins", "losses", "ties"):
            board.add_column(column, justify="left" if column == "model" else "right")
        for row in doc["leaderboard"]:
            board.add_row(
                row["model"],
                f"{row['score']:.1f}",
                f"{_num(row['ci_low'], 1)} - {_num(row['ci_high'], 1)}",
                str(row["wins"]),
                str(row["losses"]),
                str(row["ties"]),
            )
        out.append(board)
        rates = doc["win_rates"]
        matrix = Table(title="Win rate (row beats column)")
        matrix.add_column("")
        for model in rates["models"]:
            matrix.add_column(model, justify="right")
        for model, row in zip(rates["models"], rates["win_rate"], strict=True):
            matrix.add_row(model, *(_pct(v) for v in row))
        out.append(matrix)
    return out


def render(doc: dict, console: Console | None = None) -> None:
    console = console or Console()
    for table in tables(doc):
        console.print(table)
