"""The probability chart as a Plotly figure: one horizontal bar per class, most likely on top,
coloured by each class's urgency tier so a high bar for a serious class stands out."""

from __future__ import annotations

import json
import textwrap

import plotly.graph_objects as go

from assistant.core.events import ProbabilityChart

# Muted clinical colours; the same hues as the result card's urgency badges (public/elements/ResultCard.jsx).
TIER_COLOURS = {"urgent": "#c2410c", "high": "#b45309", "moderate": "#854d0e", "low": "#0f766e"}
# The chart's own Plotly config, sent with the figure: no mode bar (in the widget's shadow DOM it is drawn
# unstyled over the top label, and there is nothing to zoom), and a chart that follows its panel's width.
FIGURE_CONFIG = {"displayModeBar": False, "responsive": True, "staticPlot": False}
LABEL_WIDTH = 22  # characters per line of a class name: long names wrap instead of squeezing the bars


def chart_content(figure_json: str) -> str:
    """A figure's JSON as Chainlit sends it, with `FIGURE_CONFIG` (Chainlit passes the JSON's `config` on)."""
    return json.dumps(json.loads(figure_json) | {"config": FIGURE_CONFIG})


def _label(text: str, top: bool) -> str:
    lines = textwrap.wrap(text, LABEL_WIDTH) or [text]
    return "<br>".join(f"<b>{line}</b>" if top else line for line in lines)


def probability_figure(chart: ProbabilityChart) -> go.Figure:
    bars = list(reversed(chart.bars))  # Plotly draws the first category at the bottom
    percentages = [b.probability * 100 for b in bars]
    figure = go.Figure(
        go.Bar(
            x=percentages,
            y=[_label(b.label, b.top) for b in bars],
            orientation="h",
            marker={"color": [TIER_COLOURS[b.tier] for b in bars], "opacity": [1.0 if b.top else 0.75 for b in bars]},
            text=[b.value for b in bars],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis={"range": [0, 110], "ticksuffix": "%", "showgrid": True, "gridcolor": "rgba(100,116,139,0.15)",
               "zeroline": False, "fixedrange": True},
        yaxis={"fixedrange": True, "automargin": True},
        height=290,
        margin={"l": 8, "r": 24, "t": 8, "b": 28},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": "#64748b"},
        showlegend=False,
    )
    return figure
