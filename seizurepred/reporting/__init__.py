"""Everything a sweep writes: the run folder (one writer, atomic files), tables, the report, figures.

:func:`run_sweep` runs a patient's sweep into its run folder; :func:`write_sweep` writes its tables and report;
:func:`load_run` reads a finished run folder back (no training).
"""

from seizurepred.reporting.figures import plot_continuous
from seizurepred.reporting.load import LoadedRun, load_run
from seizurepred.reporting.report import render_report, write_sweep
from seizurepred.reporting.run_store import RunStore
from seizurepred.reporting.runner import run_pool, run_sweep

__all__ = [
    "LoadedRun",
    "RunStore",
    "load_run",
    "plot_continuous",
    "render_report",
    "run_pool",
    "run_sweep",
    "write_sweep",
]
