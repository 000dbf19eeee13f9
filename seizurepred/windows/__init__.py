"""Windows of the cached signals: the index (which windows), the splits (which fold), the gather (the arrays).

:mod:`.index` cuts labelled intervals into a :class:`WindowIndex`; :mod:`.splits` makes the protocols' folds of
it; :mod:`.gather` is the one gather of windows from the cache, used by training and by the continuous output.
"""

from seizurepred.windows.index import INTERICTAL, PREICTAL, WindowConfig, WindowIndex, build_window_index

__all__ = ["INTERICTAL", "PREICTAL", "WindowConfig", "WindowIndex", "build_window_index"]
