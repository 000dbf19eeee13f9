"""``seizurepred download``: fetch the PhysioNet CHB-MIT 1.0.0 files of some cases, verified and resumable."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import click

from seizurepred.cli.options import NonEmptyPath
from seizurepred.errors import ConfigError
from seizurepred.io.download_plan import (
    DEFAULT_BASE_URL,
    RemoteFile,
    plan_download,
    read_checksums,
    select_cases,
    summarize_plan,
)

ENV_ROOT = "SEIZUREPRED_CHBMIT_ROOT"


def format_size(files: Sequence[RemoteFile]) -> str:
    """``"1.72 GB (1,719,412,736 bytes) + 8 files of unknown size"`` for ``files``."""
    s = summarize_plan(files)
    if not s.n_known:
        return "size unknown"
    text = f"{s.known_bytes / 1e9:.2f} GB ({s.known_bytes:,} bytes)"
    if s.n_unknown:
        text += f" + {s.n_unknown} file{'s' if s.n_unknown != 1 else ''} of unknown size"
    return text


def format_counts(files: Sequence[RemoteFile]) -> str:
    """``"50 files (42 .edf, 7 .edf.seizures, 1 summary)"`` for ``files``."""
    s = summarize_plan(files)
    kinds = [
        (s.n_edf, ".edf"),
        (s.n_seizures_files, ".edf.seizures"),
        (s.n_summaries, "summary" if s.n_summaries == 1 else "summaries"),
        (s.n_other, "other"),
    ]
    inner = ", ".join(f"{n} {what}" for n, what in kinds if n)
    return f"{s.n_files} files ({inner})" if inner else "0 files"


def render_dry_run(files: Sequence[RemoteFile], *, base_url: str) -> str:
    """One line per file (path, size or ``?``), one per case, and the total."""
    out = [f"{rf.path:<34} {('?' if rf.size_bytes is None else f'{rf.size_bytes:,}'):>15}" for rf in files]
    cases = list(dict.fromkeys(rf.case for rf in files))
    out.append("")
    for case in cases:
        mine = [rf for rf in files if rf.case == case]
        out.append(f"{case}: {format_counts(mine)}, {format_size(mine)}")
    out.append(
        f"Total ({len(cases)} case{'s' if len(cases) != 1 else ''}): {format_counts(files)}, {format_size(files)}"
    )
    out.append(
        f"Source: {base_url.rstrip('/')}/<case>/<file>. Dry run: nothing fetched. EDF sizes are computed from the "
        "committed manifests (header + 1-s records); summaries, .seizures files and EDF files without known "
        "times are of unknown size."
    )
    return "\n".join(out)


def _destination(dest: Path | None) -> Path:
    if dest is not None:
        return dest
    if os.environ.get(ENV_ROOT):
        return Path(os.environ[ENV_ROOT])
    raise ConfigError(
        f"No destination: give --dest DIR or set ${ENV_ROOT} (the folder that will hold chb01/, ...)."
    )


@click.command("download")
@click.option("-p", "--patient", "patients", multiple=True, help="Case to fetch, e.g. chb01 (repeatable).")
@click.option("--all", "all_cases", is_flag=True, help="Fetch every case (chb01 .. chb24, about 43 GB).")
@click.option(
    "--dest",
    type=NonEmptyPath(file_okay=False, path_type=Path),
    help=f"Destination root; files go to DEST/chbNN/ [default: ${ENV_ROOT}].",
)
@click.option(
    "--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Mirror root: <base>/<case>/<file>."
)
@click.option(
    "-j", "--jobs", type=click.IntRange(1, 32), default=4, show_default=True, help="Parallel connections."
)
@click.option("--dry-run", is_flag=True, help="List the files and their total size; fetch nothing.")
@click.option(
    "--checksums",
    type=NonEmptyPath(dir_okay=False, path_type=Path),
    help="SHA256SUMS file to verify against (a mirror of another version) [default: the committed 1.0.0 list].",
)
@click.option(
    "--rehash", is_flag=True, help="Hash existing files again even when their verified stamp matches."
)
def download(
    patients: tuple[str, ...],
    all_cases: bool,
    dest: Path | None,
    base_url: str,
    jobs: int,
    dry_run: bool,
    checksums: Path | None,
    rehash: bool,
) -> None:
    """Download the PhysioNet CHB-MIT files of some cases (EDF, summary, .seizures), each verified by SHA-256.

    Files are written as DEST/chbNN/<file>, exactly PhysioNet's layout, so that
    `seizurepred sweep --data-root DEST` reads them. A file gets its final name only once its SHA-256 matches
    PhysioNet's SHA256SUMS (a copy is committed in data_manifests/metadata/); a mismatch moves it to
    <file>.corrupt and fetches it once more. Interrupted transfers stay as <file>.part and are resumed (HTTP
    Range) by the next run. Verified files are stamped in DEST/chbNN/.seizurepred-verified.json (size, mtime,
    digest) and neither fetched nor hashed again while size and mtime are unchanged (--rehash checks them all).

    \b
    Examples:
      seizurepred download --patient chb01 --dry-run
      seizurepred download --patient chb01 --patient chb02 --dest /data/chbmit --jobs 4
      SEIZUREPRED_CHBMIT_ROOT=/data/chbmit seizurepred download --all
    """
    table = read_checksums(checksums)
    files = plan_download(select_cases(table, patients=patients, all_cases=all_cases), checksums=table)
    if dry_run:
        click.echo(render_dry_run(files, base_url=base_url))
        return
    from seizurepred.io.download import download_files

    root = _destination(dest)
    click.echo(f"Fetching {format_counts(files)}, {format_size(files)}, into {root}{os.sep}", err=True)
    report = download_files(files, root, base_url=base_url, jobs=jobs, rehash=rehash)
    received = report.bytes_fetched
    amount = f"{received / 1e9:.2f} GB" if received >= 1e9 else f"{received / 1e6:.1f} MB"
    click.echo(
        f"Done: {len(report.fetched)} fetched ({amount} received), "
        f"{len(report.already_verified)} already verified; every file matches its SHA-256.",
        err=True,
    )
