"""Figures of a sweep (matplotlib, Agg backend): Sobol' bars with confidence intervals (and
analytic values where known), Morris ranked mu* bars and mu*-sigma plots, and response plots of
grid and Latin hypercube designs.

They receive the sweep's data (its spec, the summary and indices tables), never the sweep itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .spec import ExperimentSpec


class _Figures:
    """What these plots need of ``pyplot`` (``subplots``, ``close``) on plain :class:`~matplotlib.figure.Figure`
    objects: the same images, without importing pyplot and its backend machinery (~0.1 s of a sweep)."""

    @staticmethod
    def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kw: Any) -> tuple[Any, Any]:
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(nrows, ncols, **kw)

    @staticmethod
    def close(fig: Any) -> None:
        """Nothing to do: a Figure not registered with pyplot is freed with its last reference."""


def prefetch() -> None:
    """Import matplotlib in a background thread (a sweep calls this while its runs execute, so
    the import overlaps with them on a second core instead of delaying the figures)."""
    import threading

    def _load() -> None:
        try:
            import matplotlib.backends.backend_agg
            import matplotlib.figure  # noqa: F401
        except Exception:  # reported, if at all, when the figures are drawn
            pass

    threading.Thread(target=_load, name="inspire-prefetch-matplotlib", daemon=True).start()


def _plt() -> _Figures:
    return _Figures()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


TOP = 15  # factors shown in ranked bar charts
LABELLED = 6  # factors labelled in the mu*-sigma plot


def short_label(name: str, width: int = 28) -> str:
    """A factor's short label: no ``model.`` prefix, underscores as spaces, at most ``width`` chars."""
    text = name.removeprefix("model.").replace("_", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def sobol_bars(
    indices: pd.DataFrame, output: str, path: Path, analytic: dict[str, dict[str, float]] | None = None
) -> Path:
    """S1 and ST of the top factors (by ST) with 95% CIs; analytic values as white diamonds if given.

    ``analytic``: ``{"S1": {factor: value}, "ST": {...}}`` (known answers, e.g. Ishigami).
    """
    plt = _plt()
    d = indices[(indices["output"] == output) & (indices["index"].isin(["S1", "ST"]))]
    st = d[d["index"] == "ST"].set_index("factor")["value"]
    factors = list(st.sort_values(ascending=False).index[:TOP]) if len(st) else list(dict.fromkeys(d["factor"]))
    x = np.arange(len(factors))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(factors) + 2), 4))
    for k, (idx, colour) in enumerate((("S1", "tab:blue"), ("ST", "tab:orange"))):
        s = d[d["index"] == idx].set_index("factor").reindex(factors)
        ax.bar(x + (k - 0.5) * 0.38, s["value"], 0.38, yerr=s["conf"], capsize=3, label=idx, color=colour,
               ecolor="dimgrey")  # fmt: skip
        if analytic and idx in analytic:
            known = [analytic[idx].get(f, np.nan) for f in factors]
            ax.scatter(x + (k - 0.5) * 0.38, known, marker="D", s=40, facecolors="white", edgecolors="black",
                       linewidths=1.5, zorder=3, label="analytic" if k == 0 else None)  # fmt: skip
    ax.set_xticks(x, [short_label(f) for f in factors], rotation=30, ha="right")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("Sobol' index")
    more = f", top {TOP} of {d['factor'].nunique()} by ST" if d["factor"].nunique() > TOP else ""
    ax.set_title(f"Sobol' indices of {short_label(output, 40)} (bars: 95% CI{more})", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _morris_table(indices: pd.DataFrame, output: str) -> pd.DataFrame:
    d = indices[indices["output"] == output]
    w = d.pivot_table(index="factor", columns="index", values="value", sort=False)
    w["conf"] = d[d["index"] == "mu_star"].set_index("factor")["conf"].reindex(w.index)
    return w.sort_values("mu_star", ascending=False)


def morris_bars(indices: pd.DataFrame, output: str, path: Path) -> Path:
    """Ranked mu* of the top factors with 95% CIs (the screening answer: what matters most)."""
    plt = _plt()
    w = _morris_table(indices, output)
    top = w.iloc[:TOP][::-1]
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(top) + 1.4))
    ax.barh([short_label(str(f)) for f in top.index], top["mu_star"], xerr=top["conf"], capsize=2,
            color="tab:blue")  # fmt: skip
    ax.set_xlabel("mu* (mean absolute elementary effect; bars: 95% CI)")
    more = f"top {min(TOP, len(w))} of {len(w)} factors" if len(w) > TOP else f"{len(w)} factors"
    ax.set_title(f"Morris screening of {short_label(output, 40)}: {more}", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def morris_plot(indices: pd.DataFrame, output: str, path: Path) -> Path:
    """mu* against sigma; only the top factors by mu* are numbered and named in a key (others grey)."""
    plt = _plt()
    w = _morris_table(indices, output)
    fig, ax = plt.subplots(figsize=(8.5, 5))
    head, rest = w.iloc[:LABELLED], w.iloc[LABELLED:]
    ax.scatter(rest["mu_star"], rest["sigma"], s=14, color="grey", alpha=0.6, label="other factors")
    ax.errorbar(head["mu_star"], head["sigma"], xerr=head["conf"], fmt="o", capsize=3, color="tab:blue",
                label=f"top {len(head)} by mu*")  # fmt: skip
    # numbers at the points, names in a key: labels never pile up where factors cluster
    key = []
    for rank, (f, row) in enumerate(head.iterrows(), start=1):
        ax.annotate(str(rank), (row["mu_star"], row["sigma"]), textcoords="offset points", xytext=(5, 4),
                    fontsize=9, weight="bold", color="tab:blue")  # fmt: skip
        key.append(f"{rank}  {short_label(str(f), 30)}")
    ax.text(1.02, 1.0, "\n".join(key), transform=ax.transAxes, va="top", ha="left", fontsize=8)
    top = float(np.nanmax(np.r_[w["mu_star"].to_numpy(), w["sigma"].to_numpy(), 0.0]))
    ax.plot([0, top], [0, top], ls="--", lw=0.7, color="grey", label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect over the full range)")
    ax.set_ylabel("sigma (non-linearity / interactions)")
    ax.set_title(f"Morris screening of {short_label(output, 40)}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def response_plot(spec: ExperimentSpec, summary: pd.DataFrame, output: str, path: Path) -> Path:
    """Grid: output vs the first factor, one line per value of the second (mean and CI
    over replications, averaged over further factors). Other designs: output against
    each factor (one panel per factor, point means)."""
    plt = _plt()
    s = summary[summary["output"] == output]
    factors = spec.factor_names
    if spec.design.kind == "grid":
        x = factors[0]
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        groups = [(None, s)] if len(factors) == 1 else list(s.groupby(factors[1], sort=True))
        for label, g in groups:
            g = g.groupby(x, sort=True)[["mean", "ci_low", "ci_high"]].mean().reset_index()
            xs = g[x].to_numpy()
            line = ax.plot(xs, g["mean"], marker="o", label=None if label is None else f"{factors[1]} = {label}")
            ax.fill_between(
                xs.astype(float) if xs.dtype != object else np.arange(len(xs)),
                g["ci_low"],
                g["ci_high"],
                alpha=0.2,
                color=line[0].get_color(),
            )
        ax.set_xlabel(x)
        ax.set_ylabel(output)
        if len(factors) > 1:
            ax.legend(fontsize=8)
        extra = f" (averaged over {', '.join(factors[2:])})" if len(factors) > 2 else ""
        ax.set_title(f"{output}: mean and 95% CI over {spec.replications} replications{extra}", fontsize=9)
    else:
        n = len(factors)
        cols = min(n, 4)
        rows = int(np.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False, sharey=True)
        for ax, f in zip(axes.flat, factors, strict=False):
            ax.scatter(s[f], s["mean"], s=6, alpha=0.5)
            ax.set_xlabel(f, fontsize=8)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        axes[0, 0].set_ylabel(output)
        fig.suptitle(f"{output} against each factor ({spec.design.kind} design)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def make_figures(spec: ExperimentSpec, summary: pd.DataFrame, indices: pd.DataFrame | None, folder: Path) -> list[Path]:
    """Every figure of a sweep (``summary``: one row per design point and output; ``indices``: the
    sensitivity indices, if any), written to ``folder`` (``OUT/figures``); returns the paths.

    Sensitivity designs get their index figures (Sobol' bars; Morris ranked mu* and mu*-sigma);
    response plots are drawn for grid and Latin hypercube designs only (a Morris design with
    dozens of factors would give an unreadable grid).
    """
    folder.mkdir(exist_ok=True)
    paths = []
    kind = spec.design.kind
    for out in spec.output_names:
        if kind not in ("morris", "sobol") and summary[summary["output"] == out]["mean"].notna().any():
            paths.append(response_plot(spec, summary, out, folder / f"response_{_slug(out)}.png"))
        idx = indices
        if idx is not None and not idx.empty and (idx["output"] == out).any():
            if kind == "sobol":
                paths.append(sobol_bars(idx, out, folder / f"sobol_{_slug(out)}.png", _analytic(spec, out)))
            else:
                paths.append(morris_bars(idx, out, folder / f"morris_mu_star_{_slug(out)}.png"))
                paths.append(morris_plot(idx, out, folder / f"morris_{_slug(out)}.png"))
    return paths


def _analytic(spec: ExperimentSpec, output: str) -> dict[str, dict[str, float]] | None:
    """Known analytic indices of an output, when the spec's ``[[outputs]]`` entry gives them."""
    for o in spec.outputs:
        if o.column == output:
            return {str(k): v for k, v in o.analytic.items()} if o.analytic else None
    return None
