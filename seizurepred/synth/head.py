"""Scalp geometry of the synthetic generator: monopolar electrodes, their 2-D positions, the bipolar montage.

Signals are generated per monopolar electrode and the CHB-MIT bipolar channels are derived from them with one
fixed derivation matrix, so the montage facts of the real files hold by construction: the two ``T8-P8`` rows
are identical, ``P7-T7 == -(T7-P7)``, and the temporal and parasagittal chains from FP1 to O1 (and FP2 to O2)
sum to the same potential difference.
"""

from __future__ import annotations

import numpy as np

from seizurepred.io.montage import PAPER_23

#: Monopolar electrodes and their positions on a flat head map (x to the right, y to the nose; radius ~1).
ELECTRODE_POS: dict[str, tuple[float, float]] = {
    "FP1": (-0.31, 0.95),
    "F7": (-0.81, 0.59),
    "T7": (-1.0, 0.0),
    "P7": (-0.81, -0.59),
    "O1": (-0.31, -0.95),
    "F3": (-0.42, 0.52),
    "C3": (-0.5, 0.0),
    "P3": (-0.42, -0.52),
    "FZ": (0.0, 0.5),
    "CZ": (0.0, 0.0),
    "PZ": (0.0, -0.5),
    "FP2": (0.31, 0.95),
    "F8": (0.81, 0.59),
    "T8": (1.0, 0.0),
    "P8": (0.81, -0.59),
    "O2": (0.31, -0.95),
    "F4": (0.42, 0.52),
    "C4": (0.5, 0.0),
    "P4": (0.42, -0.52),
    "FT9": (-1.12, 0.33),
    "FT10": (1.12, 0.33),
}
ELECTRODES: tuple[str, ...] = tuple(ELECTRODE_POS)
N_ELECTRODES = len(ELECTRODES)

#: Labels of the "Channels changed" variant (as in chb11 and chb18: dummy channels interleaved) plus an ECG.
CHANGED_LABELS: tuple[str, ...] = (
    "FP1-F7", "F7-T7", "T7-P7", "P7-O1", "-", "FP1-F3", "F3-C3", "C3-P3", "P3-O1", "-", "FZ-CZ", "CZ-PZ", "-",
    "FP2-F4", "F4-C4", "C4-P4", "P4-O2", "-", "FP2-F8", "F8-T8", "T8-P8", "P8-O2", "-", "P7-T7", "T7-FT9",
    "FT9-FT10", "FT10-T8", "T8-P8", "ECG",
)  # fmt: skip


def positions() -> np.ndarray:
    """Electrode positions.

    Returns
    -------
    ndarray of shape (n_electrodes, 2)
        (x, y) in head radii, rows in :data:`ELECTRODES` order.
    """
    return np.array([ELECTRODE_POS[e] for e in ELECTRODES], dtype=np.float64)


def derivation_matrix(labels: tuple[str, ...] = PAPER_23) -> np.ndarray:
    """Matrix that turns monopolar potentials into the bipolar channels ``labels``.

    Parameters
    ----------
    labels : tuple of str
        Bipolar labels ``"A-B"`` (A and B in :data:`ELECTRODES`).

    Returns
    -------
    ndarray of shape (n_labels, n_electrodes), float32
        Row ``i`` has +1 at electrode A and -1 at electrode B of ``labels[i]``.
    """
    index = {e: i for i, e in enumerate(ELECTRODES)}
    mat = np.zeros((len(labels), N_ELECTRODES), dtype=np.float32)
    for row, label in enumerate(labels):
        a, b = label.split("-")
        mat[row, index[a]] = 1.0
        mat[row, index[b]] = -1.0
    return mat


def spatial_gain(centre: tuple[float, float], *, width: float) -> np.ndarray:
    """Gaussian spatial footprint of a source at ``centre``.

    Parameters
    ----------
    centre : tuple of float
        (x, y) position of the source in head radii.
    width : float
        Standard deviation of the footprint in head radii.

    Returns
    -------
    ndarray of shape (n_electrodes,), float64
        Gain in [0, 1] per electrode.
    """
    d2 = ((positions() - np.asarray(centre, dtype=np.float64)) ** 2).sum(axis=1)
    return np.exp(-d2 / (2.0 * width**2))


def bipolar_of(electrodes: tuple[str, ...], labels: tuple[str, ...] = PAPER_23) -> tuple[str, ...]:
    """The bipolar labels of ``labels`` that touch any of ``electrodes`` (order and duplicates of ``labels``).

    Parameters
    ----------
    electrodes : tuple of str
        Monopolar electrode names.
    labels : tuple of str
        Bipolar labels.
    """
    want = set(electrodes)
    return tuple(lab for lab in labels if set(lab.split("-")) & want)
