"""csi-survey: customer satisfaction survey exports → ACSI-style satisfaction index and drivers.

Importing the package is cheap: the errors, the warnings and ``__version__`` load with it; every
other public name (``PLS``, ``load_model``, ``template``, ``analyze``, …) loads its module at first
use (PEP 562 module ``__getattr__``), so that ``csi-survey --help`` and ``import csi_survey`` do not
pay for numpy, pandas and scipy. ``csi_survey.PLS`` is the very object ``csi_survey.engine.PLS``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .exceptions import (
    AdmissibilityWarning,
    MeasurementModelWarning,
    ConvergenceError,
    CsiSurveyError,
    CsiSurveyWarning,
    DataValidationError,
    EstimationError,
    IndexWarning,
    InputFileError,
    ReportError,
    SettingsError,
    SingularMatrixError,
    SpecError,
)
from .version import __version__

__all__ = [
    "Questionnaire", "Construct", "Item", "Scale", "PathSpec", "construct", "paths", "load_model", "template",
    "CsiSurveyError", "SpecError", "InputFileError", "DataValidationError", "EstimationError",
    "ConvergenceError", "SingularMatrixError", "ReportError", "SettingsError", "CsiSurveyWarning", "IndexWarning",
    "PLS", "SCHEMES", "ModelResults", "PLSResults", "Summary",
    "read_responses", "read_table", "prepare", "RawTable", "SurveyData", "write_report",
    "bootstrap", "BootstrapInfo", "assess", "Assessment", "htmt_matrix",
    "CBSEM", "CBSEMResults", "AdmissibilityWarning", "MeasurementModelWarning",
    "analyze", "AnalysisSettings", "Analysis", "compare_fits", "apply_weights", "weight_summary", "effective_n",
    "HigherOrderPLS", "HigherOrder", "bootstrap_higher_order", "ModeratedPLS", "Interaction", "bootstrap_moderation",
    "mediation", "fit_measures", "overall_fit_test", "plspredict", "cvpat",
]

#: Where each lazily loaded public name lives (module relative to this package → names).
_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    ".schema": ("Construct", "Item", "PathSpec", "Questionnaire", "Scale", "construct", "load_model", "paths", "template"),
    ".assess": ("Assessment", "assess", "htmt_matrix"),
    ".engine": ("PLS", "SCHEMES"),
    ".engine.bootstrap": ("BootstrapInfo", "bootstrap"),
    ".engine.cbsem": ("CBSEM",),
    ".ingest": ("RawTable", "SurveyData", "prepare", "read_responses", "read_table"),
    ".results": ("CBSEMResults", "ModelResults", "PLSResults", "Summary"),
    ".analysis": ("Analysis", "AnalysisSettings", "analyze"),
    ".ingest.weights": ("apply_weights", "effective_n", "weight_summary"),
    ".compare": ("compare_fits",),
    ".higher_order": ("HigherOrder", "HigherOrderPLS", "bootstrap_higher_order"),
    ".interactions": ("Interaction", "ModeratedPLS", "bootstrap_moderation"),
    ".mediation": ("mediation",),
    ".model_fit": ("fit_measures", "overall_fit_test"),
    ".predict": ("cvpat", "plspredict"),
}
_LAZY: dict[str, str] = {name: module for module, names in _LAZY_MODULES.items() for name in names}

#: Public names that are also the names of this package's modules (the function ``assess`` of the
#: module ``assess``, ``mediation`` of ``mediation``): the package attribute stays the function.
_SHADOWED = frozenset(name for name in _LAZY if f".{name}" in _LAZY_MODULES)

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these on first use
    from .analysis import Analysis, AnalysisSettings, analyze  # lazy: type checkers only
    from .assess import Assessment, assess, htmt_matrix  # lazy: type checkers only
    from .compare import compare_fits  # lazy: type checkers only
    from .engine import PLS, SCHEMES  # lazy: type checkers only
    from .engine.bootstrap import BootstrapInfo, bootstrap  # lazy: type checkers only
    from .engine.cbsem import CBSEM  # lazy: type checkers only
    from .higher_order import HigherOrder, HigherOrderPLS, bootstrap_higher_order  # lazy: type checkers only
    from .ingest import RawTable, SurveyData, prepare, read_responses, read_table  # lazy: type checkers only
    from .ingest.weights import apply_weights, effective_n, weight_summary  # lazy: type checkers only
    from .interactions import Interaction, ModeratedPLS, bootstrap_moderation  # lazy: type checkers only
    from .mediation import mediation  # lazy: type checkers only
    from .model_fit import fit_measures, overall_fit_test  # lazy: type checkers only
    from .predict import cvpat, plspredict  # lazy: type checkers only
    from .results import CBSEMResults, ModelResults, PLSResults, Summary  # lazy: type checkers only
    from .schema import (  # lazy: type checkers only
        Construct, Item, PathSpec, Questionnaire, Scale, construct, load_model, paths, template,
    )


def __getattr__(name: str) -> Any:
    """Load a public name's module at first use (PEP 562); a submodule (``csi_survey.engine``) too."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # later look-ups are plain attribute reads
        return value
    from importlib.util import find_spec

    if not name.startswith("__") and find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")  # binds itself on the package
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    import pkgutil

    return sorted(set(globals()) | set(__all__) | {m.name for m in pkgutil.iter_modules(__path__)})


class _Package(types.ModuleType):
    """This package's module type: importing the module ``csi_survey.assess`` (or ``.mediation``)
    binds it on the package, as every import of a submodule does; the package's attribute stays
    the exported function ``assess`` (``mediation``), as it was when the package imported it eagerly."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}":
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def write_report(fit, data, out_dir, **kwargs):
    """Write the CSV tables and report.xlsx of a fit into ``out_dir`` (atomically).

    Pass ``quality=assess(fit)`` to add the quality tables; a bootstrapped fit adds its intervals.
    See :func:`csi_survey.report.run_report.write_report`."""
    from .report.run_report import write_report as _write  # lazy: the report writers load xlsxwriter and jinja2

    return _write(fit, data, out_dir, **kwargs)
