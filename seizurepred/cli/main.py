"""Root of the ``seizurepred`` command line.

Sub-commands live in their own modules and are imported only when invoked, so ``seizurepred manifest show``
does not pay for importing torch. Errors of the project's own type are printed as one line (no traceback) and
exit with status 2, as do usage errors (a bad option or value: one line naming it). Warnings are shown as one log line each (``WARNING seizurepred: EDFWarning: ...``, no source),
and a message already shown in this run is not shown again (the same EDF warning comes from every place that
reads the header: the manifest, the cache and the reader).
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from typing import TextIO

import click

from seizurepred._progress import set_quiet
from seizurepred._version import __version__
from seizurepred.errors import SeizurepredError

#: command name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "manifest": ("seizurepred.cli.manifest_cmd", "manifest", "Build and show CHB-MIT case manifests."),
    "synth": (
        "seizurepred.cli.synth_cmd",
        "synth",
        "Write a synthetic patient as EDF files in the CHB-MIT layout.",
    ),
    "labels": (
        "seizurepred.cli.labels_cmd",
        "labels",
        "Preictal/interictal eligibility report for a patient.",
    ),
    "cache": ("seizurepred.cli.cache_cmd", "cache", "Build the preprocessed signal cache of a patient."),
    "models": (
        "seizurepred.cli.models_cmd",
        "models",
        "List the registered models and their parameter counts.",
    ),
    "train": ("seizurepred.cli.train_cmd", "train", "Train one model for one preictal length and one fold."),
    "sweep": ("seizurepred.cli.sweep_cmd", "sweep", "Sweep preictal lengths for a patient and pick the OPP."),
    "report": (
        "seizurepred.cli.report_cmd",
        "report",
        "Re-render a finished sweep's tables, report and figures from its run folder.",
    ),
    "download": ("seizurepred.cli.download_cmd", "download", "Download CHB-MIT files from PhysioNet, verified."),
}


class _WarningPrinter:
    """A ``warnings.showwarning`` replacement: each distinct warning once, as one log line, no source echo.

    The line is ``WARNING seizurepred: EDFWarning: <message>`` for the project's own warnings (logger
    ``seizurepred``) and ``WARNING py.warnings: UserWarning: <message>`` for other libraries'; a message of several
    lines is joined into one.
    """

    def __init__(self) -> None:
        self.shown: set[tuple[type, str]] = set()

    def __call__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
        if (category, text) in self.shown:
            return
        self.shown.add((category, text))
        ours = getattr(category, "__module__", "").startswith("seizurepred")
        logger = logging.getLogger("seizurepred" if ours else "py.warnings")
        logger.warning("%s: %s", category.__name__, text)


def _show_warnings_once(ctx: click.Context) -> None:
    """Route warnings through :class:`_WarningPrinter` until the command ends (then restore the previous hook)."""
    previous = warnings.showwarning
    warnings.showwarning = _WarningPrinter()
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):  # noqa: D102 - click API
        try:
            return super().invoke(ctx)
        except SeizurepredError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except click.UsageError as exc:  # a bad option or argument: one line too, with the way to help
            sub = f" {exc.ctx.info_name}" if exc.ctx is not None and exc.ctx is not ctx else ""
            message = " ".join(exc.format_message().split())
            click.echo(f"Error: {message} (see seizurepred{sub} --help)", err=True)
            sys.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="seizurepred")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars and only warnings in the log.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(quiet: bool, verbose: int) -> None:
    """Patient-specific seizure prediction from scalp EEG (CHB-MIT layout)."""
    set_quiet(quiet)
    level = logging.WARNING if quiet else (logging.DEBUG if verbose >= 2 else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("seizurepred").setLevel(level)
    _show_warnings_once(click.get_current_context())


if __name__ == "__main__":  # pragma: no cover
    cli()
