"""The Draw dataset's canvas: the drawn points alone, in the fixed window the brush paints on."""

from __future__ import annotations

from typing import Any

import numpy as np

from playground.figures import REAL_COLOR
from playground.figures.training import layout


def canvas(points, extent: float, *, title: str = "Your drawing: press and drag to paint",
           height: int = 520) -> dict[str, Any]:
    """The points (blue, as data everywhere in the app) in the square window [−extent, extent]²."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    window = [-extent, extent]
    return {"data": [{"type": "scatter", "mode": "markers", "name": "drawn points", "x": points[:, 0],
                      "y": points[:, 1], "marker": {"color": REAL_COLOR, "size": 5, "opacity": 0.7},
                      "hoverinfo": "skip"}],
            "layout": layout(title, height, showlegend=False, margin={"l": 50, "r": 10, "t": 50, "b": 50},
                             xaxis={"range": window, "zeroline": False, "constrain": "domain"},
                             yaxis={"range": window, "zeroline": False, "scaleanchor": "x", "scaleratio": 1,
                                    "constrain": "domain"})}
