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
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ..exceptions import ReportError

__all__ = ["AtomicOutput", "STAGING_PREFIX"]

#: Prefix of the staging folder created inside the output folder.
STAGING_PREFIX = ".csi-survey-tmp-"


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

    Parameters
    ----------
    directory:
        The output folder. It is created (parents too) when the block is entered.

    Raises
    ------
    ReportError
        When the folder cannot be created, is a file, or a staged file cannot be moved into it
        (for example because the target is open in Excel or is a folder).
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
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
        _fsync_dir(target_dir)
