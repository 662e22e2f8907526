"""Write a set of report files so that a failure never leaves a half-written report behind.

::

    with AtomicOutput("results/2026-Q3") as out:
        write_csv(index_table, out.path("index.csv"))
        write_workbook(out.path("report.xlsx"), sheets)

Files are written into a hidden staging folder inside the output folder. When the block ends
without an exception, each staged file is moved into the output folder with :func:`os.replace`
(atomic on the same filesystem: a reader sees the old file or the new one, never a partial one).
When the block raises, the staging folder is removed and the output folder is left exactly as it
was: existing files untouched, nothing new.

The manifest: never touch the user's files
-----------------------------------------
Each output folder gets a hidden manifest, ``.csi-survey-manifest.json``, listing the files the
last run wrote there (name and SHA-256), a run id (a hash of those: the same run repeated writes
the same manifest, byte for byte) and the csi-survey version. It decides what a
run may replace:

* **Before anything is written** (when the block is entered) the folder is checked
  (:func:`check_output_folder`): every file in it must be one csi-survey wrote — listed in the
  manifest with the same content. A file that is not listed (say the user's ``scores.csv`` or
  ``model.yaml`` next to ``--out .``), or a listed file changed since (edited in Excel and saved),
  makes the run refuse with :class:`~csi_survey.exceptions.ReportError` naming the files, before
  any work is lost: choose an empty or new folder. An input file of the run (``inputs=``)
  inside the output folder is refused whatever the manifest says (it would be overwritten or
  removed). Accepted without a manifest entry: the manifest itself, staging folders and ``.tmp``
  files of an interrupted run, empty folders, sub-folders holding only csi-survey output folders
  (by their own manifests), the files an operating system or office program adds by itself
  (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``, ``~$name`` and ``.~lock.name#`` lock files,
  ``._name``), and the names the caller owns (``own=``: a batch's ``.cache`` and ``.lock``).
* **After a successful block** the folder holds exactly the run's files: the files of the
  previous manifest that this run did not write (``segment_index.csv`` of an earlier run with
  segments, say) are removed — only those, and only while their content is still what
  csi-survey wrote; nothing the manifest does not list is ever removed. ``keep_previous=True``
  (re-rendering the reports of a run folder) keeps them instead and adds the new files.
* A folder written by an earlier version (no manifest) is recognised by its ``run.json``: the
  tables it lists, ``run.json``, ``model.yaml`` and the reports are taken as csi-survey's (their
  content cannot be checked).

The manifest is updated in two steps around the moves (first listing the new files as
``pending`` beside the old ones, then only the new ones), so a crash half-way leaves a folder
that the next run still recognises as its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from ..exceptions import ReportError
from ..version import __version__

__all__ = ["AtomicOutput", "STAGING_PREFIX", "MANIFEST_FILE", "check_output_folder", "foreign_files", "read_manifest",
           "remove_output", "file_sha256", "write_bytes_atomic"]

#: Prefix of the staging folder created inside the output folder.
STAGING_PREFIX = ".csi-survey-tmp-"
#: The manifest of an output folder: what the last run wrote there.
MANIFEST_FILE = ".csi-survey-manifest.json"
MANIFEST_FORMAT = 1
#: Files an operating system or an office program puts into a folder by itself.
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "Desktop.ini", ".directory"})
#: The reports a run folder may hold beside its tables (recognised in folders without a manifest).
_LEGACY_REPORTS = ("report.xlsx", "report.html", "report.docx", "run.json", "model.yaml")
#: Sub-folder levels looked into when deciding whether a sub-folder is csi-survey's (a batch: wave/segment).
_MAX_DEPTH = 3
#: Foreign files named in a message (the rest counted).
_NAMED = 8


# ====================================================================== the manifest
def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` through a temporary file of the same folder, flushed to disk and
    moved into place with :func:`os.replace`: a reader sees the old file or the new one, never a
    part (the manifest; the batch's cache records)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's content (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of ``folder`` (``{"files": {name: sha256}, "folders": [...], ...}``), or None
    when it has none (or an unreadable one)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST_FILE).read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("tool") != "csi-survey" or not isinstance(manifest.get("files"), dict):
        return None
    for key in ("files", "pending"):
        entries = manifest.get(key) or {}
        if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
            return None
    folders = manifest.get("folders") or []
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        return None
    return manifest


def _legacy_names(folder: Path) -> set[str]:
    """The files of a run folder written before manifests existed (from its run.json), else none."""
    try:
        meta = json.loads((folder / "run.json").read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):
        return set()
    tables = meta.get("tables") if isinstance(meta, dict) else None
    if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables) or not (folder / "model.yaml").is_file():
        return set()
    return {f"{t}.csv" for t in tables} | {"scores.parquet", *_LEGACY_REPORTS}


def _owned(folder: Path) -> tuple[dict[str, set[str] | None], dict | None]:
    """File name → the contents (SHA-256) csi-survey wrote under that name (None: any, for a folder
    of an earlier version), and the manifest."""
    manifest = read_manifest(folder)
    if manifest is None:
        return {name: None for name in _legacy_names(folder)}, None
    owned: dict[str, set[str] | None] = {}
    for key in ("files", "pending"):
        for name, digest in (manifest.get(key) or {}).items():
            owned.setdefault(name, set()).add(digest)  # type: ignore[union-attr]
    return owned, manifest


def _is_incidental(name: str) -> bool:
    """Files csi-survey may leave or the system adds by itself: never the user's work."""
    return (
        name == MANIFEST_FILE
        or name in SYSTEM_FILES
        or name.startswith(STAGING_PREFIX)
        or (name.startswith(".") and name.endswith(".tmp"))  # an interrupted atomic write
        or name.startswith("~$")  # Excel's lock file of an open workbook
        or (name.startswith(".~lock.") and name.endswith("#"))  # LibreOffice's
        or name.startswith("._")  # macOS metadata on other file systems
    )


def _matches(path: Path, digests: set[str] | None) -> bool:
    if digests is None:
        return True
    try:
        return file_sha256(path) in digests
    except OSError:
        return False


def _foreign_in(folder: Path, depth: int, own: Iterable[str] = (), verify: bool = True) -> list[str]:
    """The entries of ``folder`` csi-survey did not write (relative names; a changed file is marked).

    ``verify``: compare the content of listed files with the manifest (the folder about to be
    written); in sub-folders only names are checked (a batch has thousands of files)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    owned, _ = _owned(folder)
    own = set(own)
    foreign: list[str] = []
    for entry in entries:
        name = entry.name
        if name in own or _is_incidental(name):
            continue
        if entry.is_symlink():
            foreign.append(name)
        elif entry.is_dir():
            if depth <= 0:
                foreign.append(name + "/")
            else:
                inner = _foreign_in(Path(entry.path), depth - 1, verify=False)
                foreign += [f"{name}/{n}" for n in inner]
        elif name not in owned:
            foreign.append(name)
        elif verify and not _matches(Path(entry.path), owned[name]):
            foreign.append(f"{name} (changed since csi-survey wrote it)")
        if len(foreign) > 4 * _NAMED:
            break
    return foreign


def foreign_files(folder: str | Path, *, own: Iterable[str] = (), verify: bool = True) -> list[str]:
    """The files in ``folder`` that csi-survey did not write (see the module docstring); ``[]``
    for a folder that does not exist. ``verify=False``: a listed file is csi-survey's whatever its
    content (a batch's folders, whose changed files are rebuilt)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return _foreign_in(folder, _MAX_DEPTH, own, verify)


def _inside(path: str | Path, folder: Path) -> bool:
    try:
        return Path(path).resolve().parent == folder.resolve()
    except (OSError, RuntimeError):
        return False


def check_output_folder(folder: str | Path, *, inputs: Iterable[str | Path | None] = (), own: Iterable[str] = (),
                        foreign: bool = True, verify: bool = True) -> None:
    """Refuse (:class:`~csi_survey.exceptions.ReportError`) to write into ``folder`` when it holds
    files csi-survey did not write (unless ``foreign=False``), or one of the run's ``inputs`` (the
    responses file, the spec …) is in it; a new, empty or csi-survey-only folder passes. Call it
    before a long estimation so that a run is refused before, not after, the work
    (:class:`AtomicOutput` checks again when it is entered)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ReportError(
            f"the output folder {folder} is a file, not a folder",
            hint="choose another output folder, or move or rename that file.",
        )
    if not folder.is_dir():
        return
    fix = "write into an empty or new folder instead (e.g. `--out results`: it is created)"
    clashes = [Path(p).name for p in inputs if p is not None and _inside(p, folder)]
    if clashes:
        raise ReportError(
            f"the output folder {folder} holds the input file{'s' if len(clashes) > 1 else ''} {', '.join(clashes)} of this run: "
            f"writing the run there would overwrite or remove {'them' if len(clashes) > 1 else 'it'}",
            hint=f"{fix}.",
        )
    if not foreign:
        return
    found = foreign_files(folder, own=own, verify=verify)
    if found:
        named = ", ".join(found[:_NAMED]) + (f" and {len(found) - _NAMED} more" if len(found) > _NAMED else "")
        raise ReportError(
            f"the output folder {folder} holds files that csi-survey did not write: {named}; a run replaces "
            f"the folder's content, so it refuses to write there",
            hint=f"{fix}, or move those files out of {folder}; nothing was written.",
        )


def _write_manifest(folder: Path, files: dict[str, str], run_id: str, *, pending: dict[str, str] | None = None,
                    folders: Sequence[str] = ()) -> None:
    manifest: dict = {"tool": "csi-survey", "format": MANIFEST_FORMAT, "version": __version__, "run_id": run_id,
                      "files": dict(sorted(files.items()))}
    if pending:
        manifest["pending"] = dict(sorted(pending.items()))
    if folders:
        manifest["folders"] = sorted(set(folders))
    data = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    write_bytes_atomic(folder / MANIFEST_FILE, data)


def remove_output(folder: str | Path, *, depth: int = _MAX_DEPTH, verify: bool = True) -> None:
    """Remove what csi-survey wrote into ``folder`` (the files its manifest lists, while their content
    is unchanged — whatever it is with ``verify=False`` —, and the listed sub-folders the same way),
    then the folder itself if it is empty. Nothing else is ever removed; errors are ignored (a file
    open elsewhere stays)."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return
    owned, manifest = _owned(folder)
    for sub in (manifest or {}).get("folders") or []:
        _remove_folder_tree(folder, sub, depth, verify)
    for name, digests in owned.items():
        path = folder / name
        if path.is_file() and not path.is_symlink() and (not verify or _matches(path, digests)):
            try:
                path.unlink()
            except OSError:
                pass
    if manifest is not None:
        try:
            (folder / MANIFEST_FILE).unlink()
        except OSError:
            pass
    try:
        folder.rmdir()  # only when empty
    except OSError:
        pass


def _remove_folder_tree(folder: Path, relative: str, depth: int, verify: bool = True) -> None:
    """remove_output of the listed sub-folder ``relative`` (no '..'), then its empty parents up to ``folder``."""
    parts = [p for p in relative.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or depth <= 0:
        return
    remove_output(folder.joinpath(*parts), depth=depth - 1, verify=verify)
    for k in range(len(parts) - 1, 0, -1):
        try:
            folder.joinpath(*parts[:k]).rmdir()
        except OSError:
            break


def _fsync_file(path: Path) -> None:
    """Flush a staged file to disk before it replaces the old one (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # e.g. Windows refuses fsync on a read-only descriptor
        pass
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Make the renames in ``path`` durable (POSIX only, best effort)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicOutput:
    """Stage report files and move them into ``directory`` only if everything was written.

    ``with AtomicOutput(out_dir) as out: out.path("index.csv")`` gives a path in a staging
    folder; on success all staged files are moved into ``out_dir`` (:func:`os.replace`, one by
    one, each atomic); on any exception the staging folder is removed and ``out_dir`` is left
    exactly as before (existing files untouched, nothing new; folders created for the output are
    removed again if they are empty).

    The folder's manifest (see the module docstring) protects the user's files: entering the block
    refuses a folder holding files csi-survey did not write; after the block the folder holds
    exactly the files written in it (the previous run's other files are removed), unless
    ``keep_previous``.

    Parameters
    ----------
    directory:
        The output folder. It is created (parents too) when the block is entered.
    keep_previous:
        Keep the files of the previous run beside the new ones (re-rendering the reports of a run
        folder); the folder may then hold other files, but a file csi-survey did not write is never
        replaced.
    inputs:
        The run's input files (responses, spec …): refused when one of them is in the folder.
    own:
        Names in the folder that belong to the caller although not written through this object
        (a batch's ``.cache`` and ``.lock``, its segment folders): neither refused nor removed.
    folders:
        Sub-folders (relative paths) written for this run by other means (a batch's segment
        folders): recorded in the manifest, so that the next run removes those it does not write.
    verify:
        Compare the folder's listed files with the content recorded (default). ``False``: a listed
        file is csi-survey's whatever its content, and is replaced or removed (a batch's folders,
        whose damaged files are rebuilt; see :mod:`csi_survey.batch`).

    Raises
    ------
    ReportError
        When the folder holds files csi-survey did not write (or an input file), cannot be
        created, is a file, or a staged file cannot be moved into it (for example because the
        target is open in Excel or is a folder).
    """

    def __init__(self, directory: str | Path, *, keep_previous: bool = False, inputs: Iterable[str | Path | None] = (),
                 own: Iterable[str] = (), folders: Iterable[str] = (), verify: bool = True):
        self.directory = Path(directory)
        self.verify = bool(verify)
        self.keep_previous = bool(keep_previous)
        self.inputs = tuple(p for p in inputs if p is not None)
        self.own = tuple(own)
        self.folders = tuple(folders)
        #: After a successful block: the files written and the previous run's files removed.
        self.written: list[str] = []
        self.removed: list[str] = []
        self._staging: Path | None = None
        self._staged: dict[str, Path] = {}
        self._created: list[Path] = []

    # -- context manager ---------------------------------------------------------------------

    def __enter__(self) -> AtomicOutput:
        if self._staging is not None:
            raise ReportError(
                f"the output folder {self.directory} is already being written",
                hint="use one `with AtomicOutput(...)` block at a time for a given object.",
            )
        check_output_folder(self.directory, inputs=self.inputs, own=self.own, foreign=not self.keep_previous,
                            verify=self.verify)
        self._created = self._make_directory()
        try:
            staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.directory)
        except OSError as error:
            self._remove_created_directories()
            raise ReportError(
                f"cannot write into the output folder {self.directory}: {error.strerror or error}",
                hint="check that you may write to this folder, or choose another output folder.",
            ) from error
        self._staging = Path(staging).absolute()
        self._staged = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        staging, self._staging = self._staging, None
        committed = False
        try:
            if exc_type is None and staging is not None:
                self._commit(staging)
                committed = True
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if not committed:
                self._remove_created_directories()
            self._staged = {}
        return False  # never swallow the exception

    # -- public ------------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        """The staging path where the file ``name`` (a plain file name) must be written."""
        if self._staging is None:
            raise ReportError(
                f"AtomicOutput.path({name!r}) was called outside the `with` block",
                hint="call out.path(...) inside `with AtomicOutput(folder) as out:`.",
            )
        separators = {"/", "\\", os.sep} | ({os.altsep} if os.altsep else set())
        if (
            not isinstance(name, str)
            or name in ("", ".", "..")
            or any(sep in name for sep in separators)
            or "\0" in name
            or name.startswith(STAGING_PREFIX)
        ):
            raise ReportError(
                f"{name!r} is not a valid report file name",
                hint="give a plain file name such as 'index.csv' (no folders, no '..').",
            )
        path = self._staging / name
        self._staged[name] = path
        return path

    # -- internals ---------------------------------------------------------------------------

    def _make_directory(self) -> list[Path]:
        """Create the output folder; return the folders created (outermost first)."""
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            raise ReportError(
                f"the output folder {directory} is a file, not a folder",
                hint="choose another output folder, or move or rename that file.",
            )
        missing: list[Path] = []
        probe = directory.absolute()
        while not probe.exists() and probe != probe.parent:
            missing.append(probe)
            probe = probe.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:  # a parent is a file
            raise ReportError(
                f"cannot create the output folder {directory}: a file is in the way",
                hint="choose another output folder, or move or rename that file.",
            ) from error
        except OSError as error:
            raise ReportError(
                f"cannot create the output folder {directory}: {error.strerror or error}",
                hint="check the path and that you may write there, or choose another output folder.",
            ) from error
        return list(reversed(missing))

    def _remove_created_directories(self) -> None:
        for folder in reversed(self._created):  # innermost first
            try:
                folder.rmdir()  # only succeeds if empty: never removes anything of the user's
            except OSError:
                break
        self._created = []

    def _commit(self, staging: Path) -> None:
        target_dir = staging.parent  # the output folder, even if the working directory changed
        staged = [(name, path) for name, path in self._staged.items() if os.path.lexists(path)]

        # Check what can be checked before moving anything, so that most failures move nothing.
        for name, path in staged:
            target = target_dir / name
            if target.is_dir() and not path.is_dir():
                raise ReportError(
                    f"cannot write {name} into {target_dir}: a folder with that name is in the way",
                    hint=f"rename or remove the folder {target}; nothing was written.",
                )

        owned, manifest = _owned(target_dir)
        if not self.verify:
            owned = {name: None for name in owned}
        inputs = set()
        for p in self.inputs:
            try:
                inputs.add(Path(p).resolve())
            except (OSError, RuntimeError):
                pass
        for name, path in staged:
            target = target_dir / name
            if inputs and target.resolve() in inputs:
                raise ReportError(
                    f"cannot write {name} into {target_dir}: it is an input file of this run",
                    hint="write into an empty or new folder instead (e.g. `--out results`); nothing was written.",
                )
            if name in self.own:
                continue  # the caller's (a batch of an earlier version's combined outputs)
            if os.path.lexists(target) and (target.is_symlink() or name not in owned or not _matches(target, owned[name])):
                raise ReportError(
                    f"cannot write {name} into {target_dir}: a file of that name that csi-survey did not write "
                    f"(or that was changed since) is in the way",
                    hint=f"move or rename {target}, or write into an empty or new folder; nothing was written.",
                )

        if not staged and manifest is None:
            return  # nothing written, nothing of an earlier run to remove: the folder stays as it was
        hashes = {name: file_sha256(path) for name, path in staged}
        previous: dict[str, str] = {}
        if manifest is not None:
            previous = {**(manifest.get("pending") or {}), **manifest["files"]}
        # the run id is a hash of what the run wrote: a repeated run writes the same manifest, byte for byte
        run_id = hashlib.sha256(json.dumps(sorted(hashes.items())).encode("utf-8")).hexdigest()[:32]
        _write_manifest(target_dir, previous, run_id, pending=hashes, folders=(manifest or {}).get("folders") or [])

        for position, (name, path) in enumerate(staged):
            _fsync_file(path)
            try:
                os.replace(path, target_dir / name)
            except OSError as error:
                done = [n for n, _ in staged[:position]]
                left = [n for n, _ in staged[position:]]
                status = (
                    f"already written: {', '.join(done)}; not written: {', '.join(left)}"
                    if done
                    else "nothing was written"
                )
                raise ReportError(
                    f"cannot write {name} into {target_dir}: {error.strerror or error}",
                    hint=(
                        f"close {name} if it is open (e.g. in Excel) and check that you may write "
                        f"to the folder, then run again ({status})."
                    ),
                ) from error

        removed: list[str] = []
        if self.keep_previous:
            files = dict(hashes)
            for name, digests in owned.items():
                path = target_dir / name
                if name in files or not path.is_file() or path.is_symlink() or not _matches(path, digests):
                    continue
                files[name] = file_sha256(path) if digests is None or len(digests) != 1 else next(iter(digests))
            folders = [*((manifest or {}).get("folders") or []), *self.folders]
        else:
            files = hashes
            for name, digests in owned.items():  # the previous run's files that this run did not write
                path = target_dir / name
                if name in hashes or not path.is_file() or path.is_symlink() or not _matches(path, digests):
                    continue
                try:
                    path.unlink()
                    removed.append(name)
                except OSError:
                    pass  # e.g. open in another program: it stays, no longer listed
            keep = set(self.folders)
            for sub in (manifest or {}).get("folders") or []:
                if sub not in keep:
                    _remove_folder_tree(target_dir, sub, _MAX_DEPTH, self.verify)
            folders = list(self.folders)
        _write_manifest(target_dir, files, run_id, folders=[f for f in folders if (target_dir / f).is_dir()])
        _fsync_dir(target_dir)
        self.written = [name for name, _ in staged]
        self.removed = removed
