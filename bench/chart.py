"""A chart of one ``compare.py`` run: wall time per scenario, step and tool (log scale).

``compare.py`` calls ``draw`` at the end of a run (``--chart PATH``, by default
``bench/results/chart.png``); without matplotlib it prints a note and draws nothing.
Bars are medians; the number over each bar is the time ratio syncd / that tool.
"""

from __future__ import annotations

from pathlib import Path

from bench.report import STEP_TITLES, STEPS, StepResult, ratio

Results = dict[str, dict[str, dict[str, StepResult]]]


def draw(path: Path, results: Results, labels: dict[str, str], title: str) -> str:
    """Save the chart to ``path``; return a one-line note for the report."""
    try:
        import matplotlib  # noqa: PLC0415 (optional dependency)

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
        from matplotlib.ticker import FormatStrFormatter, NullFormatter  # noqa: PLC0415
    except ImportError:
        return "chart: matplotlib is not installed, no chart drawn"
    groups = [(name, step) for name in results for step in STEPS if results[name].get("syncd")]
    groups = [(n, s) for n, s in groups if any(s in r for r in results[n].values())]
    tools = list(labels)
    width = 0.8 / max(1, len(tools))
    figure, axes = plt.subplots(figsize=(max(8.0, 0.9 * len(groups) + 2), 5.5))
    for index, slug in enumerate(tools):
        xs, heights, notes = [], [], []
        for position, (name, step) in enumerate(groups):
            mine = results[name].get(slug, {}).get(step)
            if mine is None or not mine.samples:
                continue
            ours = results[name]["syncd"].get(step)
            xs.append(position + (index - (len(tools) - 1) / 2) * width)
            heights.append(mine.seconds())
            same = slug == "syncd" or ours is None
            notes.append("" if same or ours is None else ratio(ours.seconds(), mine.seconds()))
        bars = axes.bar(xs, heights, width, label=labels[slug])
        for bar, note in zip(bars, notes, strict=True):
            if note:
                axes.annotate(
                    note,
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    rotation=90,
                )
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_ylabel("wall time, s (log scale; median)")
    axes.set_xticks(range(len(groups)))
    short = {
        "initial": "initial", "unchanged": "no change", "changed": "1% changed",
        "restore": "restore",
    }  # fmt: skip
    axes.set_xticklabels(
        [f"{name}\n{short.get(step, STEP_TITLES[step])}" for name, step in groups], fontsize=7
    )
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"chart: {path} (numbers over the bars: time ratio syncd / tool)"
