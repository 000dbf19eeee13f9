"""Builders of the malformed-input corpus: one small valid synthetic patient, copied and patched per case.

The patient (8 h in 1-h files, 2 seizures; :func:`seizurepred.synth.demo.short_synth_config`) is written once per
session. A case gets its own work folder holding hard links to the patient's files (a patched file is first made
a private copy, so the shared patient never changes), its config, its cache and its output folder, and runs the
real command line in a subprocess to see the real stderr and exit status. :func:`snapshot` records every path
of the work folder (size, mtime, and a hash of small files) so a case can assert that nothing outside its output
folder changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CASE = "chb01"
SUMMARY = f"{CASE}-summary.txt"

#: The sweep every full-run case uses: one length, one fold, one epoch, 200 training windows (about 10 s).
TINY_SWEEP_TOML = """\
[sweep]
preictal_mins = [30]
model = "small"
repeats = 1
max_folds = 1
max_train_windows = 200
n_surrogates = 0
[label]
interictal_before_onset_min = 90.0
interictal_after_end_min = 30.0
postictal_exclusion_min = 30.0
[window]
preictal_overlap = 0.0
[train]
max_epochs = 1
"""

#: Files of a finished run that must be byte-identical between two runs of the same command.
TABLE_SUFFIXES = (".csv", ".json", ".md")
NOT_TABLES = ("timings.csv", "sweep_config.json", "data.json")


# ---------------------------------------------------------------------------------------------- the command line
def run_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    inject: str | None = None,
    timeout: float = 300,
    zygote: Zygote | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``seizurepred -q ARGS`` in a child process; ``inject`` is Python run first in that process (a fault).

    With a :class:`Zygote` the child is forked from it (modules already imported), else a fresh interpreter.
    """
    if zygote is not None and os.environ.get("SEIZUREPRED_CORPUS_FRESH") != "1":
        return zygote.run(["-q", *args], cwd=cwd, env=env, inject=inject, timeout=timeout)
    if inject is None:
        cmd = [sys.executable, "-m", "seizurepred.cli.main", "-q", *args]
    else:
        code = f"{inject}\nfrom seizurepred.cli.main import cli\ncli(prog_name='seizurepred')\n"
        cmd = [sys.executable, "-c", code, "-q", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


_ZYGOTE = r"""
import json, os, sys, traceback
import seizurepred.cli.main, seizurepred.cli.labels_cmd, seizurepred.cli.cache_cmd, seizurepred.cli.sweep_cmd
import seizurepred.cli.manifest_cmd, seizurepred.reporting, seizurepred.sweep, seizurepred.sweep.executors
import seizurepred.io.summary, seizurepred.cache.patient, matplotlib.pyplot
print(json.dumps({"ready": os.getpid()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(req["cwd"])
            os.environ.clear()
            os.environ.update(req["env"])
            for fd, name in ((1, "stdout"), (2, "stderr")):
                os.dup2(os.open(req[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            sys.argv = ["seizurepred", *req["args"]]
            if req["inject"]:
                exec(compile(req["inject"], "<inject>", "exec"), {"__name__": "__inject__"})
            seizurepred.cli.main.cli(prog_name="seizurepred")
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"rc": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Zygote:
    """A Python process with the command line's heavy modules (torch, sklearn, matplotlib) imported once, which
    forks one child per command: the child runs the real ``seizurepred`` entry point with its own working folder,
    environment, stdout/stderr files and exit status, in about 0.1 s instead of the 4-5 s of a fresh interpreter.

    ``SEIZUREPRED_CORPUS_FRESH=1`` makes :func:`run_cli` start a fresh interpreter for every command instead.
    """

    def __init__(self, env: dict[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.n = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
        )
        first = self._read(120)
        assert "ready" in first, first

    def _read(self, timeout: float) -> dict:
        import json
        import select

        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"no answer from the command-line process in {timeout:g} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the command-line process ended (status {self.proc.wait()})")
        return json.loads(line)

    def run(self, args: Sequence[str], *, cwd: Path, env: dict[str, str], inject: str | None, timeout: float
            ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        import json

        self.n += 1
        out, err = self.scratch / f"{self.n}.out", self.scratch / f"{self.n}.err"
        req = {"args": list(args), "cwd": str(cwd), "env": env, "inject": inject, "stdout": str(out),
               "stderr": str(err)}  # fmt: skip
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        pid = self._read(30)["pid"]
        try:
            rc = self._read(timeout)["rc"]
        except TimeoutError:
            os.kill(pid, 9)
            self._read(30)
            raise
        stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
        out.unlink()
        err.unlink()
        return subprocess.CompletedProcess(["seizurepred", *args], rc, stdout, stderr)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cli_env(home: Path, work: Path) -> dict[str, str]:
    """Environment of a case: no real data root, home and matplotlib outside the work folder, default cache in it
    (so a command that writes to the default cache by mistake changes the work folder's snapshot)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEIZUREPRED_", "PYTHONWARNINGS"))}
    env.update(
        HOME=str(home),
        MPLCONFIGDIR=str(home / "mpl"),
        MPLBACKEND="Agg",
        SEIZUREPRED_CACHE=str(work / "default-cache"),
        SEIZUREPRED_QUIET="1",
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS="1",
    )
    return env


def lines(text: str) -> list[str]:
    """The non-empty lines of ``text``."""
    return [ln for ln in text.splitlines() if ln.strip()]


# ---------------------------------------------------------------------------------------------- snapshots
def snapshot(root: Path, *, skip: Iterable[str] = ()) -> dict[str, tuple]:
    """Every path under ``root`` (relative) -> (kind, size, mtime_ns, sha1 of files up to 1 MB); ``skip`` holds
    relative paths whose subtree is left out (the case's output folders)."""
    skip = tuple(skip)
    out: dict[str, tuple] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in list(dirnames):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if _skipped(rel, skip):
                dirnames.remove(name)
            else:
                out[rel] = ("dir",)
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if _skipped(rel, skip):
                continue
            path = Path(dirpath) / name
            st = path.lstat()
            digest = ""
            if st.st_size <= 2**20 and path.is_file():
                digest = hashlib.sha1(path.read_bytes()).hexdigest()
            out[rel] = ("file", st.st_size, st.st_mtime_ns, digest)
    return out


def _skipped(rel: str, skip: tuple[str, ...]) -> bool:
    return any(rel == s or rel.startswith(s.rstrip("/") + "/") for s in skip)


def diff_snapshots(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Paths added, removed or changed between two snapshots."""
    changed = [f"changed {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return (
        [f"added {p}" for p in sorted(set(after) - set(before))]
        + [f"removed {p}" for p in sorted(set(before) - set(after))]
        + changed
    )


# ---------------------------------------------------------------------------------------------- files
def link_tree(src: Path, dst: Path) -> Path:
    """Recreate ``src`` under ``dst`` with hard links to its files (copies where links are impossible)."""
    for dirpath, _, filenames in os.walk(src):
        target = dst / os.path.relpath(dirpath, src)
        target.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            try:
                os.link(Path(dirpath) / name, target / name)
            except OSError:
                shutil.copy2(Path(dirpath) / name, target / name)
    return dst


def private(path: Path) -> Path:
    """Make ``path`` a file of its own (break its hard link) before it is patched."""
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)
    return path


def write_private(path: Path, data: bytes | str) -> Path:
    """Replace ``path`` (possibly a hard link to the shared patient) by a new file holding ``data``."""
    if path.exists() or path.is_symlink():
        path.unlink()
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def line_of(text: str, needle: str, *, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``text`` that contains ``needle``."""
    hits = [i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln]
    if len(hits) < nth:
        raise AssertionError(f"{needle!r} occurs {len(hits)} times in the summary")
    return hits[nth - 1]


def summary_blocks(text: str) -> tuple[str, list[str]]:
    """Split a summary into its head (rate, channels) and its ``File Name`` blocks (text of each, unchanged)."""
    parts = re.split(r"(?m)^(?=File Name:)", text)
    return parts[0], parts[1:]


# ---------------------------------------------------------------------------------------------- EDF headers
_FIXED = (("version", 8), ("patient", 80), ("recording", 80), ("start_date", 8), ("start_time", 8),
          ("header_bytes", 8), ("reserved", 44), ("n_records", 8), ("record_duration", 8), ("n_signals", 4))  # fmt: skip
_PER_CHANNEL = (("label", 16), ("transducer", 80), ("physical_dimension", 8), ("physical_min", 8),
                ("physical_max", 8), ("digital_min", 8), ("digital_max", 8), ("prefilter", 80),
                ("samples_per_record", 8), ("reserved", 32))  # fmt: skip


def edf_n_signals(path: Path) -> int:
    with path.open("rb") as fh:
        fh.seek(252)
        return int(fh.read(4).decode("ascii").strip())


def edf_field_span(path: Path, name: str, channel: int | None = None) -> tuple[int, int]:
    """Byte offset and width of a header field (``channel`` from 0 for the per-channel fields)."""
    pos = 0
    if channel is None:
        for fname, width in _FIXED:
            if fname == name:
                return pos, width
            pos += width
        raise KeyError(name)
    ns = edf_n_signals(path)
    pos = 256
    for fname, width in _PER_CHANNEL:
        if fname == name:
            return pos + channel * width, width
        pos += ns * width
    raise KeyError(name)


def edf_read_field(path: Path, name: str, channel: int | None = None) -> str:
    start, width = edf_field_span(path, name, channel)
    with path.open("rb") as fh:
        fh.seek(start)
        return fh.read(width).decode("latin-1").strip()


def edf_set(path: Path, name: str, value: str | bytes, channel: int | None = None) -> Path:
    """Overwrite one header field of a private copy of ``path`` (value padded with spaces to the field's width)."""
    start, width = edf_field_span(path, name, channel)
    raw = value if isinstance(value, bytes) else value.encode("latin-1")
    if len(raw) > width:
        raise ValueError(f"{value!r} is wider than {name} ({width})")
    private(path)
    with path.open("r+b") as fh:
        fh.seek(start)
        fh.write(raw.ljust(width, b" "))
    return path


def edf_channel_index(path: Path, label: str) -> int:
    """File index (from 0) of the first channel called ``label``."""
    ns = edf_n_signals(path)
    for i in range(ns):
        if edf_read_field(path, "label", i) == label:
            return i
    raise KeyError(label)


def truncate_private(path: Path, n_bytes: int) -> Path:
    """Cut a private copy of ``path`` to ``n_bytes`` bytes."""
    with path.open("rb") as fh:
        data = fh.read(n_bytes)
    return write_private(path, data)


# ---------------------------------------------------------------------------------------------- the shared patient
@dataclass
class BasePatient:
    """The session's valid patient and what clean commands on it produce.

    Attributes
    ----------
    root : Path
        Session folder.
    data : Path
        Data root holding ``chb01/`` (never changed by a case).
    cache : Path
        Its signal cache, built by ``seizurepred cache`` (cases get hard-linked copies).
    home : Path
        ``$HOME`` of every subprocess (outside every work folder).
    labels_json : str
        stdout of ``labels -p chb01 --data-root DATA --json`` (the clean numbers).
    run : Path or None
        Folder of the clean tiny sweep (made on first use by the fixture).
    run_stderr : list of str
        Its stderr lines.
    """

    root: Path
    data: Path
    cache: Path
    home: Path
    labels_json: str = ""
    run: Path | None = None
    run_stderr: list[str] = field(default_factory=list)

    @property
    def summary_text(self) -> str:
        return (self.data / CASE / SUMMARY).read_text(encoding="utf-8")

    @property
    def edf_names(self) -> list[str]:
        return sorted(p.name for p in (self.data / CASE).glob("*.edf"))


class Work:
    """The folder of one case: inputs it builds from the base patient, outputs the command may write.

    ``vars`` collects values the case's expected message is formatted with (paths, line numbers).
    """

    def __init__(self, root: Path, base: BasePatient) -> None:
        self.root = root
        self.base = base
        self.vars: dict[str, object] = {"work": str(root)}

    # inputs
    def data(self) -> Path:
        """A linked copy of the whole patient under ``work/data``; returns the data root."""
        root = self.root / "data"
        if not (root / CASE).is_dir():
            link_tree(self.base.data / CASE, root / CASE)
        self.vars["data"] = str(root)
        self.vars["case_dir"] = str(root / CASE)
        return root

    def mini(self, n_files: int = 2) -> Path:
        """A patient of the first ``n_files`` files only (summary cut to their blocks); returns the data root."""
        root = self.root / "data"
        case_dir = root / CASE
        case_dir.mkdir(parents=True)
        head, blocks = summary_blocks(self.base.summary_text)
        (case_dir / SUMMARY).write_text(head + "".join(blocks[:n_files]), encoding="utf-8")
        for name in self.base.edf_names[:n_files]:
            os.link(self.base.data / CASE / name, case_dir / name)
        self.vars["data"] = str(root)
        self.vars["case_dir"] = str(case_dir)
        return root

    def summary(self) -> Path:
        return self.root / "data" / CASE / SUMMARY

    def edf(self, name: str) -> Path:
        return self.root / "data" / CASE / name

    def patch_summary(self, new_text: str | bytes) -> Path:
        return write_private(self.summary(), new_text)

    def config(self, text: str | bytes, name: str = "cfg.toml") -> Path:
        path = self.root / name
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        self.vars["config"] = str(path)
        return path

    def cache_copy(self) -> Path:
        """A hard-linked copy of the base cache under ``work/cache`` (the case's own cache)."""
        link_tree(self.base.cache, self.root / "cache")
        return self.root / "cache"

    def run_copy(self) -> Path:
        """A copy of the clean tiny sweep's folder under ``work/out``."""
        assert self.base.run is not None
        shutil.copytree(self.base.run, self.root / "out")
        return self.root / "out"

    # command lines
    def sweep_args(self, *extra: str, data: Path | None = None, config: Path | None = None) -> list[str]:
        """``sweep`` of this case's data (default: the shared patient, read only) with the tiny config."""
        data = data if data is not None else self.base.data
        config = config if config is not None else self.config(TINY_SWEEP_TOML, "tiny.toml")
        self.vars.setdefault("data", str(data))
        self.vars["out"] = str(self.root / "out")
        return ["sweep", "-p", CASE, "--data-root", str(data), "--config", str(config),
                "--out", str(self.root / "out"), "--cache-dir", str(self.root / "cache"), *extra]  # fmt: skip


def table_files(run: Path) -> dict[str, bytes]:
    """The byte content of every table of a finished run (CSV, JSON, Markdown; not timings, not config)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(run.iterdir())
        if p.is_file() and p.suffix in TABLE_SUFFIXES and p.name not in NOT_TABLES
    }
