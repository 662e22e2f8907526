"""The batch config: a YAML file read and validated with every problem reported at once.

:func:`load_config` reads the file (see :mod:`csi_survey.batch` for its keys) into a
:class:`BatchConfig`; problems raise :class:`BatchConfigError` with the file and line of each.
"""

from __future__ import annotations

import glob as _glob
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config import read_yaml_file, stringify_keys
from ..exceptions import SpecError
from ..ingest.columns import natural_key
from .store import resolve_sqlite_url

__all__ = ["BatchConfigError", "BootstrapConfig", "BatchConfig", "load_config", "config_error", "SCHEDULER_ADDRESS"]


class BatchConfigError(SpecError):
    """The batch config is invalid. ``problems``: a table of ``location`` (file:line key) and ``problem``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BootstrapConfig(_Strict):
    """``bootstrap:`` of the config."""

    resamples: int = Field(200, ge=0, description="resamples per segment (0: no intervals)")
    seed: int = Field(0, ge=0, description="base seed; each wave × segment derives its own from it")
    level: float = Field(0.95, ge=0.5, le=0.999)
    ci: Literal["percentile", "bca"] = "percentile"

    @field_validator("resamples")
    @classmethod
    def _not_one(cls, value: int) -> int:
        if value == 1:
            raise ValueError("resamples must be 0 (no bootstrap) or at least 2")
        return value


class RollupConfig(_Strict):
    """``rollup:`` of the config: the members (segments of one segment column) weighted into higher
    levels with the weights file (see :mod:`csi_survey.rollup`)."""

    file: str = Field(description="weights file (CSV or xlsx): level, node, parent, weight; relative to the config")
    segment: str = Field(description="the segment column whose segments are the members")


class BatchConfig(_Strict):
    """The batch config (see the module documentation). Paths are relative to :attr:`base_dir`."""

    model: str
    waves: dict[str, str | list[str]] = Field(min_length=1)
    segments: list[str] = Field(default_factory=list)
    min_n: int = Field(50, ge=3)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    out: str = "out"
    store: str | None = None
    dask: str | None = None
    on_invalid: Literal["error", "exclude", "flag"] = "error"
    missing: Literal["mean", "mean-strict", "listwise", "model"] = "mean"
    htmt: Literal["signed", "absolute"] = Field("signed", description="HTMT convention: signed (cSEM) or absolute (seminr)")
    reports: bool = False
    scheme: Literal["path", "centroid", "factorial"] = "path"
    max_iter: int = Field(300, ge=1)
    lang: Literal["en", "zh"] | None = None
    rollup: RollupConfig | None = None
    correction: Literal["holm", "bh", "none"] = Field(
        "holm", description="multiplicity correction of the wave-change tests across the segments of a wave")
    paired: bool = Field(False, description="wave changes by the paired bootstrap where respondents are matched by id across waves")
    sheet: str | int | None = None
    encoding: str | None = None
    format: Literal["auto", "csv", "xlsx", "qualtrics", "surveymonkey", "spss", "googleforms", "wjx", "wenjuan", "tencent"] = "auto"
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True, description="folder the paths are relative to")
    source: str | None = Field(None, exclude=True, description="the config file, for messages")

    @field_validator("waves")
    @classmethod
    def _wave_labels(cls, value: dict) -> dict:
        for label, files in value.items():
            if not str(label).strip():
                raise ValueError("a wave label is empty")
            if isinstance(files, list) and not files:
                raise ValueError(f"wave {label!r} lists no file")
        return value

    @field_validator("segments")
    @classmethod
    def _segment_columns(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for col in value:
            if not col.strip():
                raise ValueError("a segment column name is empty")
            key = col.strip().casefold()
            if key in seen:
                raise ValueError(f"segment column {col!r} is listed twice (as {seen[key]!r})")
            seen[key] = col
        return value

    @field_validator("dask")
    @classmethod
    def _dask_address(cls, value: str | None) -> str | None:
        if value is not None and not SCHEDULER_ADDRESS.match(value):
            raise ValueError(f"expected a scheduler address such as tcp://host:8786; got {value!r}")
        return value

    @field_validator("store")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", value):
            raise ValueError(f"expected an SQLAlchemy URL such as sqlite:///out/history.db; got {value!r}")
        return value

    # -- resolved paths ---------------------------------------------------------------------------
    def path(self, text: str | os.PathLike) -> Path:
        """A path of the config, resolved against :attr:`base_dir`."""
        return _resolve(self.base_dir, text)

    @property
    def model_path(self) -> Path:
        return self.path(self.model)

    @property
    def out_dir(self) -> Path:
        return self.path(self.out)

    @property
    def store_url(self) -> str | None:
        """The store URL with a relative SQLite path resolved against :attr:`base_dir`."""
        if self.store is None:
            return None
        return resolve_sqlite_url(self.store, self.base_dir)

    def wave_patterns(self) -> dict[str, list[str]]:
        return {str(k): ([v] if isinstance(v, str) else list(v)) for k, v in self.waves.items()}

    def wave_files(self) -> dict[str, list[Path]]:
        """Each wave's files (glob patterns expanded, in natural order); raises on a missing file."""
        files, problems = _expand(self.base_dir, self.wave_patterns())
        if problems:
            raise config_error(self.source, problems)
        return files

    def problems(self) -> list[tuple[tuple, str]]:
        """Problems that need the file system: the model file, the wave files, the output folder, the
        roll-up weights file; and a roll-up over a column that is not a segment column."""
        problems = _file_problems(self.base_dir, self.model, self.wave_patterns(), self.out)
        if self.rollup is not None:
            if not self.path(self.rollup.file).is_file():
                problems.append((("rollup", "file"), f"the file {self.rollup.file!r} does not exist"))
            if self.rollup.segment not in self.segments:
                problems.append((("rollup", "segment"), f"{self.rollup.segment!r} is not one of the segments ({', '.join(self.segments) or 'none'}): "
                                 "the members of a roll-up are the segments of one segment column"))
        return problems


def _resolve(base: Path, text: str | os.PathLike) -> Path:
    p = Path(os.path.expanduser(str(text)))
    return p if p.is_absolute() else base / p


def _expand(base: Path, waves: Mapping[str, list[str]]) -> tuple[dict[str, list[Path]], list[tuple[tuple, str]]]:
    files: dict[str, list[Path]] = {}
    problems: list[tuple[tuple, str]] = []
    for label, patterns in waves.items():
        found: list[Path] = []
        for pattern in patterns:
            p = _resolve(base, pattern)
            if p.is_file():
                found.append(p)
            elif _glob.has_magic(str(pattern)):
                matches = sorted((Path(m) for m in _glob.glob(str(p), recursive=True) if Path(m).is_file()),
                                 key=lambda q: natural_key(str(q)))
                if not matches:
                    problems.append((("waves", label), f"the pattern {pattern!r} matches no file (looked in {p.parent})"))
                found += matches
            elif p.exists():
                problems.append((("waves", label), f"{pattern!r} is a folder, not a responses file"))
            else:
                problems.append((("waves", label), f"the file {pattern!r} does not exist (looked for {p})"))
        files[label] = list(dict.fromkeys(found))
    return files, problems


def _file_problems(base: Path, model: Any, waves: Any, out: Any) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    if isinstance(model, str) and model:
        p = _resolve(base, model)
        if not p.is_file():
            problems.append((("model",), f"the model file {model!r} does not exist (looked for {p})"))
    if isinstance(waves, Mapping):
        usable = {str(k): ([v] if isinstance(v, str) else list(v)) for k, v in waves.items()
                  if isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))}
        problems += _expand(base, usable)[1]
    if isinstance(out, str):
        p = _resolve(base, out)
        if p.exists() and not p.is_dir():
            problems.append((("out",), f"{out!r} is a file, not a folder"))
    return problems


def config_error(source: str | None, problems: list[tuple[tuple, str]], lines: Mapping[tuple, int] | None = None) -> BatchConfigError:
    """The :class:`BatchConfigError` listing ``problems`` (``(location, message)``), in line order."""
    lines = lines or {}
    return BatchConfigError(
        "The batch config is invalid",
        [{"location": _location(source or "config", loc, lines), "problem": msg} for loc, msg in _sorted(problems, lines)],
        hint="correct each listed entry of the config and run again (paths are relative to the config file's folder).",
    )


#: A Dask scheduler address (``tcp://host:8786`` …).
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")


def _location(source: str, loc: tuple, lines: Mapping[tuple, int]) -> str:
    line = None
    for cut in range(len(loc), -1, -1):
        if tuple(loc[:cut]) in lines:
            line = lines[tuple(loc[:cut])]
            break
    path = ".".join(str(p) for p in loc) or "(top level)"
    return f"{source}:{line} {path}" if line else f"{source} {path}"


def _merge(base: dict, extra: Mapping) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and key != "waves":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(path: str | os.PathLike, overrides: Mapping[str, Any] | None = None) -> BatchConfig:
    """Read and validate a batch config (YAML); paths are resolved against the config's folder.

    ``overrides`` replace values of the file before validation; nested keys are merged
    (``{"bootstrap": {"resamples": 50}}`` keeps the seed), except ``waves``, which is replaced as
    a whole. Raises :class:`BatchConfigError` listing every problem found: unknown, repeated or
    missing keys, wrong values, a model file or wave file that does not exist, a glob pattern
    matching nothing.
    """
    path = Path(path)
    data, lines, repeated, source = read_yaml_file(
        path, "batch config", error=BatchConfigError, expected="keys such as model:, waves:, segments:, out:",
        hint="pass the path of the batch config (YAML); examples/batch/config.yaml is an example.",
    )
    data = stringify_keys(data)
    if overrides:
        data = _merge(data, stringify_keys(dict(overrides)))
    base = path.resolve().parent
    problems: list[tuple[tuple, str]] = [(loc, msg.replace("; ids must be unique", "")) for loc, msg in repeated]
    problems += [((key,), f"unknown key {key!r}") for key in ("base_dir", "source") if key in data]
    data = {k: v for k, v in data.items() if k not in ("base_dir", "source")}
    try:
        config = BatchConfig.model_validate({**data, "base_dir": base, "source": source})
    except ValidationError as exc:
        seen = set()
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            if loc[:1] == ("waves",):  # a wave is a file or a list of files: pydantic reports both alternatives
                loc = loc[:2]
            if loc in seen:
                continue
            seen.add(loc)
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            elif err["type"] == "missing":
                msg = f"required key {loc[-1]!r} is missing"
            elif loc[:1] == ("waves",) and len(loc) == 2 and err["type"] != "value_error":
                msg = f"expected a file, a glob pattern or a list of them (got {err.get('input')!r})"
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                if err["type"] != "value_error":
                    msg += f" (got {err.get('input')!r})"
            problems.append((loc, msg))
        # the files of whatever is there, so that every problem is reported at once
        bad = {p[0] for p in problems}
        problems += [p for p in _file_problems(base, data.get("model"), data.get("waves"), data.get("out")) if p[0] not in bad]
        raise config_error(source, problems, lines) from None
    problems += config.problems()
    if problems:
        raise config_error(source, problems, lines)
    return config


def _sorted(problems: list[tuple[tuple, str]], lines: Mapping[tuple, int]) -> list[tuple[tuple, str]]:
    def line(loc: tuple) -> int:
        for cut in range(len(loc), -1, -1):
            if tuple(loc[:cut]) in lines:
                return lines[tuple(loc[:cut])]
        return 0

    return sorted(problems, key=lambda p: line(p[0]))
