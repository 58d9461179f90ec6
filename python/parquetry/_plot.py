"""Time-series charts of PromQL results with matplotlib (an optional dependency)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from .result import QueryResult

#: Series beyond which a legend is left out unless asked for.
MAX_LEGEND = 12


def short_names(labels: list[dict[str, str]]) -> list[str]:
    """Series names made of the labels that differ between the series (all labels when
    there is one series), in Prometheus' ``{a="b"}`` notation with the metric name first."""
    if len(labels) > 1:
        keys = set().union(*labels)
        varying = {k for k in keys if len({ls.get(k) for ls in labels}) > 1}
    else:
        varying = set().union(*labels) if labels else set()
    names = []
    for ls in labels:
        name = ls.get("__name__", "") if "__name__" in varying else ""
        pairs = ", ".join(f'{k}="{v}"' for k, v in sorted(ls.items()) if k in varying and k != "__name__")
        names.append(f"{name}{{{pairs}}}" if pairs or not name else name)
    return names


def plot_result(result: "QueryResult", ax: Any = None, *, title: Optional[str], legend: Optional[bool], **kwargs: Any) -> Any:
    """Draws ``result`` on ``ax`` (a new figure when ``None``) and returns the axes."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'parquetry[plot]'") from e
    if result.kind == "string":
        raise ValueError("a string result has nothing to plot")
    frame = result.to_pandas(wide=True)
    frame.columns = short_names(result.labels())
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    show_legend = legend if legend is not None else 0 < len(frame.columns) <= MAX_LEGEND
    if len(frame.index) == 1:
        frame.iloc[0].plot.barh(ax=ax, **kwargs)
    else:
        frame.plot(ax=ax, legend=show_legend, **kwargs)
        ax.set_xlabel("time (UTC)")
    ax.set_title(title if title is not None else result.expr)
    if show_legend and len(frame.index) > 1:
        ax.legend(fontsize="small", loc="best")
    return ax
