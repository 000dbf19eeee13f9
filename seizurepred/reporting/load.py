"""A finished run folder as an object: :func:`load_run` rebuilds the sweep's result without training anything.

Everything a :class:`~seizurepred.sweep.result.SweepResult` holds is in the folder: the config
(``sweep_config.json``), the manifest and the lengths without a fold (``run.json``), and every fold's result
(``folds/``). Aggregation is a pure function of them, so the tables that ``load_run`` gives are the tables the sweep
wrote, byte for byte (:func:`~seizurepred.reporting.report.write_sweep` writes them again).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from seizurepred.errors import ConfigError
from seizurepred.io.manifest import Manifest
from seizurepred.reporting.report import DATA_FILE
from seizurepred.reporting.run_store import RunStore
from seizurepred.sweep.aggregate import aggregate
from seizurepred.sweep.fold_result import FoldResult, from_payload
from seizurepred.sweep.result import SweepResult

__all__ = ["LoadedRun", "load_run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedRun:
    """A run folder read back: the result, the manifest it was computed on, the data note of its report, and
    whether its data is synthetic (``data.json``; figures re-rendered from it say so)."""

    out_dir: Path
    result: SweepResult
    manifest: Manifest
    data_note: str = ""
    synthetic: bool = False


def _plan_order(config, results: list[FoldResult]) -> list[FoldResult]:
    order = {k: i for i, k in enumerate(config.preictal_mins)}
    return sorted(results, key=lambda r: (order.get(r.preictal_min, 99), r.repeat, r.fold.position))


def load_run(out_dir: str | Path) -> LoadedRun:
    """Read a finished sweep's run folder; no data, cache or training needed.

    Parameters
    ----------
    out_dir : str or Path
        The sweep's ``--out`` folder.

    Returns
    -------
    LoadedRun
        ``result`` equals what the sweep returned (tables, OPP and its evidence, CIOPR terms, events, the folds'
        continuous outputs).

    Raises
    ------
    ConfigError
        The folder is not a finished run, or a file of it is damaged (a fold JSON that is not a JSON object, a
        fold ``.npz`` that is not a zip file or fails its CRC): one line naming the file.

    Warns
    -----
    A damaged ``data.json`` is named in a log warning (the report then has no Data line).
    """
    store = RunStore(out_dir)
    case, config, fold_hashes = store.load_config()
    manifest, skipped = store.load_run_info()
    if manifest.case != case:
        raise ConfigError(f"{store.out_dir}: run.json holds {manifest.case}, sweep_config.json {case}.")
    results = []
    for path, meta in store.load_folds():
        if meta.get("config_hash") not in fold_hashes:
            continue  # a fold of another config left in the folder: not this run's
        arrays = store.load_fold_arrays(path) if meta.get("status") == "ok" else {}
        try:
            results.append(from_payload(meta, arrays))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise ConfigError(
                f"{path}: damaged fold file ({why}); rerun the sweep into this folder."
            ) from None
    if not results:
        raise ConfigError(f"{store.out_dir}: no finished fold (run the sweep first).")
    result = aggregate(manifest, _plan_order(config, results), config=config, skipped=skipped)
    note, synthetic = _data_flags(store.out_dir / DATA_FILE)
    return LoadedRun(
        out_dir=store.out_dir, result=result, manifest=manifest, data_note=note, synthetic=synthetic
    )


def _data_flags(path: Path) -> tuple[str, bool]:
    """``(data_note, synthetic)`` of a run's ``data.json``; ``("", False)`` when absent, or damaged (then named in a
    warning: the report loses its Data line)."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict):
            raise ValueError(f"not a JSON object but a JSON {type(summary).__name__}")
    except FileNotFoundError:
        return "", False
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else " ".join(str(exc).split())
        logger.warning(
            "%s: damaged (%s); the report has no Data line and the data is not marked synthetic", path, why
        )
        return "", False
    return str(summary.get("data_note", "")), summary.get("synthetic") is True
