"""Everything a sweep writes: the run folder (one writer, atomic files), tables, the report, figures.

:func:`run_sweep` runs a patient's sweep into its run folder; :func:`write_sweep` writes its tables and report.
"""

from seizurepred.reporting.report import plot_continuous, render_report, write_sweep
from seizurepred.reporting.run_store import RunStore
from seizurepred.reporting.runner import run_pool, run_sweep

__all__ = ["RunStore", "plot_continuous", "render_report", "run_pool", "run_sweep", "write_sweep"]
