"""The ``seizurepred`` command-line interface (click)."""
