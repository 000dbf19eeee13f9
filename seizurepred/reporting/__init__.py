"""Everything a sweep writes: tables, the Markdown report, figures, and the run folder."""

from seizurepred.reporting.report import plot_continuous, render_report, write_sweep

__all__ = ["plot_continuous", "render_report", "write_sweep"]
