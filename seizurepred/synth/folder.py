"""The patient folder a synthetic patient is written to: refuse a non-empty one, or clear it when asked.

``seizurepred synth`` (both modes) and :func:`seizurepred.synth.like.synth_like` call
:func:`prepare_patient_folder` before writing: a folder that already holds files is refused with one line naming
it, unless ``overwrite``, which empties that folder first. Clearing never reaches outside the folder: a patient
folder that is a symbolic link is refused (with or without ``overwrite``), and inside it links are removed as
links (their targets are left alone; :func:`shutil.rmtree` does not follow them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from seizurepred._atomic import ensure_dir
from seizurepred.errors import ConfigError, StorageError


def prepare_patient_folder(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Make ``folder`` ready for a new synthetic patient: absent or empty, or emptied with ``overwrite``.

    Parameters
    ----------
    folder : str or Path
        The patient folder (``OUT/chbNN`` in the PhysioNet layout, ``OUT/sub-NN/ses-NN`` in BIDS).
    overwrite : bool
        Remove everything inside a non-empty ``folder`` first (the folder itself is kept).

    Returns
    -------
    Path
        ``folder``, which exists and is empty.

    Raises
    ------
    ConfigError
        ``folder`` holds files and ``overwrite`` is False; ``folder`` is a symbolic link (whatever it points to)
        or a file.
    StorageError
        Something inside ``folder`` cannot be removed, or the folder cannot be created.
    """
    folder = Path(folder)
    if folder.is_symlink():
        raise ConfigError(
            f"{folder}: the patient folder is a symbolic link; refusing to clear or write through it "
            "(give --out a real folder)."
        )
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: the patient folder's path is a file, not a folder.")
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    if entries and not overwrite:
        raise ConfigError(
            f"{folder}: the patient folder is not empty ({len(entries)} entries); pass --overwrite "
            "(overwrite=True) to clear it first, or choose another --out."
        )
    for entry in entries:
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError as exc:
            raise StorageError(f"{entry}: cannot remove ({exc.strerror or type(exc).__name__}).") from None
    return ensure_dir(folder)
