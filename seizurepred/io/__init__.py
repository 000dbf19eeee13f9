"""Everything that touches files: summaries, annotations, manifests and EDF recordings."""
