"""Preictal / interictal labelling on the patient clock (pure) and the per-patient eligibility report."""

from seizurepred.labels.segments import Interval, LabelConfig, Segments, SeizureLabel, label_segments

__all__ = ["Interval", "LabelConfig", "SeizureLabel", "Segments", "label_segments"]
