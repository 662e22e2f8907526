"""csi-survey: customer satisfaction survey exports → ACSI-style satisfaction index and drivers."""

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
from .assess import Assessment, assess, htmt_matrix
from .engine import PLS, SCHEMES
from .engine.bootstrap import BootstrapInfo, bootstrap
from .engine.cbsem import CBSEM
from .ingest import RawTable, SurveyData, prepare, read_responses, read_table
from .results import CBSEMResults, ModelResults, PLSResults, Summary
from .schema import Construct, Item, PathSpec, Questionnaire, Scale, construct, load_model, paths, template
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


from .analysis import Analysis, AnalysisSettings, analyze  # noqa: E402
from .ingest.weights import apply_weights, effective_n, weight_summary  # noqa: E402
from .compare import compare_fits  # noqa: E402
from .higher_order import HigherOrder, HigherOrderPLS, bootstrap_higher_order  # noqa: E402
from .interactions import Interaction, ModeratedPLS, bootstrap_moderation  # noqa: E402
from .mediation import mediation  # noqa: E402
from .model_fit import fit_measures, overall_fit_test  # noqa: E402
from .predict import cvpat, plspredict  # noqa: E402


def write_report(fit, data, out_dir, **kwargs):
    """Write the CSV tables and report.xlsx of a fit into ``out_dir`` (atomically).

    Pass ``quality=assess(fit)`` to add the quality tables; a bootstrapped fit adds its intervals.
    See :func:`csi_survey.report.run_report.write_report`."""
    from .report.run_report import write_report as _write  # lazy: the report writers load xlsxwriter and jinja2

    return _write(fit, data, out_dir, **kwargs)
