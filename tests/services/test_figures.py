"""The figures' shared template: it keeps the defaults of every trace type the app draws, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go

from services import sales_charts

SERVICES = Path(__file__).resolve().parents[2] / "services"


def test_the_template_covers_every_trace_type_drawn() -> None:
    drawn = {match.lower() for path in SERVICES.glob("*.py")
             for match in re.findall(r"\bgo\.([A-Z][a-z]+)\(", path.read_text()) if match != "Figure"}
    assert drawn and drawn <= set(sales_charts.TRACE_TYPES), drawn - set(sales_charts.TRACE_TYPES)


def test_a_themed_figure_has_the_scheme_colours_of_mantine() -> None:
    light, dark = (sales_charts.themed_figure(scheme, "en") for scheme in ("light", "dark"))
    assert light.layout.template.layout.paper_bgcolor != dark.layout.template.layout.paper_bgcolor
    assert set(dark.to_plotly_json()["layout"]["template"]["data"]) == set(sales_charts.TRACE_TYPES)
    full = go.Figure(layout={"template": "mantine_dark"}).layout.template.layout
    assert dark.layout.template.layout.paper_bgcolor == full.paper_bgcolor
    assert dark.layout.template.layout.font == full.font
