"""Issue 4: the patient timeline with 150 side effects, and the clinic dashboard over about a
million sessions."""

from __future__ import annotations

import time
from pathlib import Path

from tests.bench.common import Row, median_ms


def timeline_rows() -> list[Row]:
    """Build and draw (Agg, 10 x 6.2 in at 100 dpi: a full-width tab) a timeline of 150 side
    effects over 30 sessions, matplotlib already loaded."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from mesodesk.reports.timeline import patient_timeline
    from tests.chart_data import TODAY, record

    patient = record(sessions=30, effects=150, ongoing=5, lot_change_at=12, reviews=2)

    def draw() -> None:
        FigureCanvasAgg(patient_timeline(patient, TODAY)).draw()

    return [
        Row(
            "patient timeline, 150 side effects (build + draw)",
            median_ms(draw, repeat=21, warmup=3),
            "ms",
            150,
        )
    ]


def dashboard_rows(db_path: Path) -> list[Row]:
    """The whole history of the demo clinic: the sums in SQL, then the six figures built."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from mesodesk.reports.dashboard import dashboard_figures
    from mesodesk.services.registry import Services

    services = Services.open(db_path, read_only=True)
    analytics = services.analytics
    with services._db.read() as s:
        sessions = s.connection().exec_driver_sql("SELECT count(*) FROM treatment_session").scalar()
    started = time.perf_counter()
    data = analytics.dashboard()
    first_ms = (time.perf_counter() - started) * 1000
    sql_ms = median_ms(lambda: analytics.dashboard(), repeat=9, warmup=1)
    both_ms = median_ms(lambda: dashboard_figures(analytics.dashboard()), repeat=9, warmup=1)

    def draw_all() -> None:
        for figure in dashboard_figures(data).values():
            FigureCanvasAgg(figure).draw()

    draw_ms = median_ms(draw_all, repeat=5, warmup=1)
    services.close()
    note = f"{sessions:,} sessions, {data.start} to {data.end}"
    return [
        Row("clinic dashboard: SQL sums + 6 figures built", both_ms, "ms", 1000, note),
        Row("clinic dashboard: SQL sums only", sql_ms, "ms", None, f"first call {first_ms:.0f} ms"),
        Row("clinic dashboard: 6 figures built and drawn (Agg)", draw_ms, "ms", None, "no target"),
    ]
