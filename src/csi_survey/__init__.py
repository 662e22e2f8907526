"""csi-survey: customer satisfaction survey exports → ACSI-style satisfaction index and drivers."""

from .exceptions import (
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
from .engine import PLS, SCHEMES
from .results import PLSResults, Summary
from .schema import Construct, Item, PathSpec, Questionnaire, Scale, construct, load_model, paths, template

__version__ = "0.1.0"

__all__ = [
    "Questionnaire", "Construct", "Item", "Scale", "PathSpec", "construct", "paths", "load_model", "template",
    "CsiSurveyError", "SpecError", "InputFileError", "DataValidationError", "EstimationError",
    "ConvergenceError", "SingularMatrixError", "ReportError", "SettingsError", "CsiSurveyWarning", "IndexWarning",
    "PLS", "SCHEMES", "PLSResults", "Summary",
]
