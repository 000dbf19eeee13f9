"""The run folder of one patient's sweep: the only writer of its files, one writer at a time.

Layout of ``out_dir``::

    .lock                     held (flock) by the process writing this folder; names it
    sweep_config.json         case, config hash, fold hash and config of the sweep
    run.json                  the patient's manifest and the lengths without a fold (what load_run needs)
    folds/<stem>.json, .npz   one finished (or failed) fold; the JSON, written last, marks it complete
    checkpoints/<stem>.pt     training checkpoints (written by the trainer, resumable)
    segments.csv ...          tables, summary.json, data.json, report.md, figures (:mod:`seizurepred.reporting.report`)
    timings.csv               wall-clock seconds per fold (kept out of the tables, which are byte-reproducible)

Damaged run state is never fatal to a sweep: a fold whose JSON cannot be parsed, whose arrays are missing or
unreadable, or that was made under another config is named in a warning and computed again; an unreadable
``sweep_config.json`` is named and written anew (each fold file carries the config's fold hash, so only matching
folds are reused). Reading a finished run back (:meth:`RunStore.load_folds`, :meth:`RunStore.load_fold_arrays`,
used by ``seizurepred report``), which cannot compute anything again, refuses a damaged fold file with a one-line
:class:`~seizurepred.errors.ConfigError` naming it.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import socket
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seizurepred._atomic import atomic_write, atomic_write_json, ensure_dir
from seizurepred.errors import ConfigError, StorageError
from seizurepred.sweep.fold_result import FoldResult, from_payload, to_payload
from seizurepred.sweep.plan import Fold

logger = logging.getLogger(__name__)

CONFIG_FILE = "sweep_config.json"
RUN_FILE = "run.json"
LOCK_FILE = ".lock"


class RunStore:
    """Read and write one sweep's run folder.

    Parameters
    ----------
    out_dir : str or Path
        The run folder (created on first write).
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self._lock_fh: io.TextIOWrapper | None = None

    def __repr__(self) -> str:
        return f"RunStore({str(self.out_dir)!r})"

    # ------------------------------------------------------------------ one writer
    @contextlib.contextmanager
    def lock(self) -> Iterator[RunStore]:
        """Hold the folder's lock while writing; a second writer is refused with a message naming the first.

        Raises
        ------
        StorageError
            Another process holds the lock (its pid, host and command are named), or the folder cannot be
            created.
        """
        ensure_dir(self.out_dir)
        path = self.out_dir / LOCK_FILE
        try:
            fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
        except OSError as exc:
            raise StorageError(f"{path}: cannot open the run folder's lock ({exc.strerror}).") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StorageError(
                f"{self.out_dir}: another sweep is writing to this folder ({holder}); wait for it to finish or "
                "choose another --out."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}: "
                 f"{' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))}\n")  # fmt: skip
        fh.flush()
        self._lock_fh = fh
        try:
            yield self
        finally:
            self._lock_fh = None
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    def check_report_target(self, run_dir: str | Path) -> None:
        """Refuse to write the report of ``run_dir`` into this folder when it holds another run's folder.

        Its tables would overwrite that run's (which its folds and config would then contradict).

        Raises
        ------
        ConfigError
            This folder is not ``run_dir`` and holds a ``sweep_config.json`` or ``run.json``.
        """
        try:
            same = self.out_dir.resolve() == Path(run_dir).resolve()
        except OSError:  # pragma: no cover - resolve() raises only for loops
            same = False
        held = [name for name in (CONFIG_FILE, RUN_FILE) if (self.out_dir / name).exists()]
        if not same and held:
            raise ConfigError(
                f"{self.out_dir}: holds another run's folder ({', '.join(held)}); its tables would be overwritten. "
                "Choose a new or empty --out, or leave it out to write into the run folder."
            )

    # ------------------------------------------------------------------ config
    def check_config(self, config, *, case: str, resume: bool) -> None:
        """Write ``sweep_config.json``, or check that the folder holds a sweep of this case and config.

        ``config`` is a :class:`~seizurepred.sweep.config.SweepConfig` (anything with ``hash()``, ``fold_hash()``
        and ``to_dict()``). Resuming compares the fold hashes (options that change no fold, the OPP selector's, may
        differ; the file then holds the new config); a file of an earlier version without a fold hash is compared
        by its whole-config hash.

        Raises
        ------
        ConfigError
            With ``resume``, the folder holds a sweep of another case or config.
        """
        path = self.out_dir / CONFIG_FILE
        payload = {"case": case, "hash": config.hash(), "fold_hash": config.fold_hash(), "config": config.to_dict()}
        if resume and path.is_file():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(saved, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as exc:
                logger.warning("%s: unreadable (%s); writing it again", path, exc)
                saved = None
            if saved is not None:
                key = "fold_hash" if "fold_hash" in saved else "hash"
                if saved.get("case") != case:
                    raise ConfigError(
                        f"{self.out_dir}: holds a sweep of {saved.get('case')}, not {case}; choose another output "
                        "folder or pass --no-resume to start over."
                    )
                if saved.get(key) != payload[key]:
                    raise ConfigError(
                        f"{self.out_dir}: holds a sweep of {saved.get('case')} with another config ({key.replace('_', ' ')} "
                        f"{saved.get(key)}, now {payload[key]}); choose another output folder or pass "
                        "--no-resume to start over."
                    )
                if saved == payload:
                    return
        atomic_write_json(path, payload)

    # ------------------------------------------------------------------ run info
    def save_run_info(self, *, manifest, skipped) -> Path:
        """Write ``run.json``: the manifest the sweep used and the lengths that yield no fold."""
        return atomic_write_json(self.out_dir / RUN_FILE, {"manifest": manifest.to_dict(), "skipped": list(skipped)})

    def load_run_info(self):
        """``(manifest, skipped)`` from ``run.json``.

        Raises
        ------
        ConfigError
            The folder holds no readable ``run.json`` (not a finished run of this version).
        """
        from seizurepred.io.manifest import Manifest

        path = self.out_dir / RUN_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Manifest.from_dict(data["manifest"], source=str(path)), list(data["skipped"])
        except FileNotFoundError:
            raise ConfigError(f"{self.out_dir}: not a run folder (no {RUN_FILE}; made by seizurepred sweep).") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: unreadable ({exc}).") from None

    def load_config(self):
        """``(case, SweepConfig, fold_hashes)`` from ``sweep_config.json``; ``fold_hashes``: the hashes that mark
        this run's fold files (the config's fold hash, and the saved whole-config hash, which fold files of earlier
        versions carry).

        Raises
        ------
        ConfigError
            Missing or unreadable file.
        """
        from seizurepred.sweep.config import sweep_config_from_saved

        path = self.out_dir / CONFIG_FILE
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            config = sweep_config_from_saved(saved["config"], source=str(path))
            return saved["case"], config, {config.fold_hash(), str(saved["hash"])}
        except FileNotFoundError:
            raise ConfigError(f"{self.out_dir}: not a run folder (no {CONFIG_FILE}).") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: unreadable ({exc}).") from None

    # ------------------------------------------------------------------ folds
    def fold_paths(self, fold: Fold) -> tuple[Path, Path]:
        """``(json, npz)`` paths of a fold's files."""
        base = self.out_dir / "folds" / fold.stem
        return base.with_suffix(".json"), base.with_suffix(".npz")

    def checkpoint_path(self, fold: Fold) -> Path:
        """Where the fold's training checkpoint goes."""
        return self.out_dir / "checkpoints" / f"{fold.stem}.pt"

    def save_fold(self, result: FoldResult, *, config_hash: str) -> Path:
        """Write the fold's arrays, then its JSON (which marks it complete); returns the JSON path."""
        meta, arrays = to_payload(result)
        meta["config_hash"] = config_hash
        json_path, npz_path = self.fold_paths(result.fold)
        atomic_write(npz_path, lambda fh: np.savez(fh, **arrays))
        return atomic_write_json(json_path, meta)

    def load_fold(self, fold: Fold, *, config_hash: str) -> FoldResult | None:
        """The finished result of ``fold``, or ``None`` (not run, failed before, or damaged: then named, removed)."""
        json_path, npz_path = self.fold_paths(fold)
        if not json_path.is_file():
            return None
        try:
            meta = json.loads(json_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
            if meta.get("config_hash") != config_hash:
                raise ValueError("made with another config")
            if meta.get("status") != "ok":
                logger.info("%s: failed last time (%s); running it again", json_path, meta.get("error", ""))
                return None
            with np.load(npz_path) as z:
                arrays = {k: z[k] for k in z.files}
            result = from_payload(meta, arrays)
            if result.fold != fold:
                raise ValueError(f"holds fold {result.fold.stem} of {result.fold.case}, not this one")
            return result
        except (OSError, ValueError, ConfigError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            logger.warning("%s: damaged run state (%s); computing this fold again", json_path, reason)
            json_path.unlink(missing_ok=True)
            return None

    def load_folds(self) -> list[tuple[Path, dict[str, Any]]]:
        """Every fold JSON in the folder, parsed.

        Raises
        ------
        ConfigError
            A fold JSON cannot be read or parsed, or is not a JSON object (one line naming it).
        """
        out = []
        for path in sorted((self.out_dir / "folds").glob("*.json")):
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(meta, dict):
                    raise ValueError(f"not a JSON object but a JSON {type(meta).__name__}")
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{path}: damaged fold file ({_why(exc)}); {_RERUN}") from None
            out.append((path, meta))
        return out

    @staticmethod
    def load_fold_arrays(json_path: Path) -> dict[str, np.ndarray]:
        """The arrays of the fold whose JSON is ``json_path`` (its ``.npz``).

        Raises
        ------
        ConfigError
            The ``.npz`` is missing, not a zip file, or fails its CRC (one line naming it).
        """
        npz = json_path.with_suffix(".npz")
        try:
            with np.load(npz) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            raise ConfigError(f"{npz}: damaged fold file ({_why(exc)}); {_RERUN}") from None


_RERUN = "rerun the sweep into this folder to compute that fold again."


def _why(exc: BaseException) -> str:
    """The reason of a read failure, in one line without the path (the message names the file already)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
