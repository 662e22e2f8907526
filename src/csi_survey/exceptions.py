"""Errors and warnings raised by csi-survey.

Every error derives from :class:`CsiSurveyError`. Its ``str()`` is a complete, readable message:
what is wrong, where (file, sheet, row as the user sees it, column), what was expected and how to
fix it. Errors that collect several problems carry them as a tidy DataFrame (as pandera's
``failure_cases``) so that notebooks can filter them, and render them as a table in the message.

The CLI prints ``str(error)`` and exits with a non-zero code; it never shows a traceback.

Importing this module is cheap (no numpy, no pandas): every command of the CLI imports it, also
``--help``. pandas loads when an error with a problem table is raised; numpy when a check that
accepts numpy scalars runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .display import display_width, pad

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CsiSurveyError",
    "SpecError",
    "InputFileError",
    "DataValidationError",
    "EstimationError",
    "ConvergenceError",
    "SingularMatrixError",
    "ReportError",
    "SettingsError",
    "TooFewSegmentsError",
    "StoreError",
    "check_choice",
    "render_table",
    "CsiSurveyWarning",
    "IndexWarning",
    "AdmissibilityWarning",
    "MeasurementModelWarning",
]

#: At most this many rows of a problem table are rendered into an error message; the full
#: table stays available on the exception object (``problems`` / ``failure_cases``).
MAX_ROWS_IN_MESSAGE = 50


def render_table(table: pd.DataFrame, max_rows: int = MAX_ROWS_IN_MESSAGE) -> str:
    """The first ``max_rows`` rows of ``table`` as the aligned text table of an error message (two
    spaces of indent, columns padded to their display width: a CJK character takes two columns),
    with a line saying how many rows are left out. :func:`csi_survey.i18n.localize_error` uses it
    for the Chinese rendering of a problem table."""
    shown = table.head(max_rows).astype(str)
    cols = list(shown.columns)
    widths = [max([display_width(c)] + [display_width(v) for v in shown[c]]) for c in cols]  # CJK: 2 columns
    lines = ["  " + "  ".join(pad(c, w) for c, w in zip(cols, widths)).rstrip()]
    for row in shown.itertuples(index=False):
        lines.append("  " + "  ".join(pad(v, w) for v, w in zip(row, widths)).rstrip())
    if len(table) > max_rows:
        lines.append(f"  … and {len(table) - max_rows} more (see the full table on the error object)")
    return "\n".join(lines)


_render_table = render_table  # the former private name


class CsiSurveyError(Exception):
    """Base class of every error raised by csi-survey.

    Parameters
    ----------
    message:
        One sentence saying what is wrong and where.
    hint:
        How to fix it (optional; rendered on its own line as ``How to fix: …``).
    """

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message)

    def _body(self) -> str:
        return self.message

    def __str__(self) -> str:
        text = self._body()
        if self.hint:
            text += f"\nHow to fix: {self.hint}"
        return text


class _TableError(CsiSurveyError):
    """An error carrying a table of every problem found."""

    columns: Sequence[str] = ()

    def __init__(self, message: str, table: pd.DataFrame | Sequence[dict], hint: str | None = None):
        import pandas as pd  # not at module level: the CLI's --help and --version import this module

        if not isinstance(table, pd.DataFrame):
            table = pd.DataFrame(list(table), columns=list(self.columns) or None)
        self._table = table.reset_index(drop=True)
        super().__init__(message, hint)

    def _body(self) -> str:
        n = len(self._table)
        head = f"{self.message} ({n} problem{'s' if n != 1 else ''}):"
        return head + "\n" + render_table(self._table)


class SpecError(_TableError):
    """The questionnaire/model spec is invalid.

    ``problems`` is a DataFrame with columns ``location`` (e.g. ``model.yaml:14 constructs.PQ.items``)
    and ``problem``; every problem found is listed, not only the first.
    """

    columns = ("location", "problem")

    @property
    def problems(self) -> pd.DataFrame:
        return self._table


class InputFileError(CsiSurveyError):
    """A responses file cannot be used: not found, unreadable, wrong sheet, missing columns."""


class DataValidationError(_TableError):
    """Cells of the responses are invalid (non-numeric, out of range, …).

    ``failure_cases`` is a DataFrame with columns ``row`` (as the user sees it in the sheet, header
    is row 1), ``respondent_id``, ``column``, ``value`` and ``problem``.
    """

    columns = ("row", "respondent_id", "column", "value", "problem")

    @property
    def failure_cases(self) -> pd.DataFrame:
        return self._table


class EstimationError(CsiSurveyError):
    """The model cannot be estimated on these data."""


class ConvergenceError(EstimationError):
    """The iterative algorithm did not converge within ``max_iter`` iterations."""


class SingularMatrixError(EstimationError):
    """A matrix that must be inverted is singular (collinear items or constructs, zero variance)."""


class ReportError(CsiSurveyError):
    """An output cannot be written."""


class SettingsError(CsiSurveyError, ValueError):
    """A setting has a value outside its allowed values (parameter, allowed values, value received)."""


class TooFewSegmentsError(SettingsError):
    """A segment column has fewer than two segments that can be estimated: nothing to compare.

    ``column`` names the column; ``segments`` is a DataFrame (segment, n, status) of every segment
    found, so the caller sees why each one could not be estimated.
    """

    def __init__(self, message: str, column: str, segments: pd.DataFrame, hint: str | None = None):
        self.column = column
        self.segments = segments
        super().__init__(message, hint)


class StoreError(CsiSurveyError):
    """The history store cannot be used: bad database URL, unreachable server, missing driver, a table
    with another schema, or a write that failed (and was rolled back).

    The message names the URL with its password masked (``***``) and says how to fix it.
    """


def check_choice(parameter: str, value: object, allowed: Sequence[object]) -> None:
    """Raise :class:`SettingsError` unless ``value`` is one of ``allowed`` (as scikit-learn's checks).

    >>> check_choice("scheme", "path", ["path", "centroid", "factorial"])
    """
    if value not in allowed:
        raise SettingsError(
            f"{parameter} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}",
            hint=f"pass {parameter}={allowed[0]!r} or another allowed value.",
        )



def check_count(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int when it is an integer (not a bool) of at least ``minimum``; else a :class:`SettingsError`."""
    import numpy as np  # not at module level: the CLI's --help and --version import this module

    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise SettingsError(f"{name} must be an integer of at least {minimum}; got {value!r}")
    return int(value)


def check_level(level: object) -> float:
    """A confidence level strictly between 0 and 1 as a float; else a :class:`SettingsError`."""
    import numpy as np  # not at module level: the CLI's --help and --version import this module

    if isinstance(level, (bool, np.bool_)) or not (isinstance(level, (int, float, np.floating)) and 0 < level < 1):
        raise SettingsError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)


def check_seed(seed: object) -> int:
    """A non-negative integer seed; ``None`` draws one (recorded by the caller, so the run can be repeated)."""
    import numpy as np  # not at module level: the CLI's --help and --version import this module

    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SettingsError(f"seed must be a non-negative integer or None; got {seed!r}")
    return int(seed)

class CsiSurveyWarning(UserWarning):
    """Base class of csi-survey warnings (information, not errors)."""


class IndexWarning(CsiSurveyWarning):
    """A 0–100 index is not well defined (negative normalized weights, no scale declared, …)."""


class AdmissibilityWarning(CsiSurveyWarning):
    """An estimate is not admissible: in covariance-based SEM e.g. a negative variance (a Heywood
    case); in consistent PLS a disattenuated construct correlation matrix that is not positive
    semi-definite, a correlation beyond ±1, a consistent loading or ρA above 1.

    The estimates are returned but cannot be interpreted as they stand: the message names each
    offending parameter with its value (``x3 ~~ x3 = -0.12``) and the likely causes.
    """


class MeasurementModelWarning(CsiSurveyWarning):
    """The estimator cannot represent the measurement model as specified and uses another one
    (e.g. covariance-based SEM estimates a mode-B (formative, composite) construct as a common factor)."""
