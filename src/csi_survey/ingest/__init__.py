"""Reading survey exports and preparing the item scores.

* :func:`read_table` reads an Excel workbook or a CSV/text file into a :class:`RawTable`;
* :func:`prepare` checks and cleans a table for a questionnaire into :class:`SurveyData`;
* :func:`read_responses` does both.
"""

from .prepare import SurveyData, prepare, read_responses
from .readers import FORMATS, SUPPORTED_EXTENSIONS, RawTable, read_table
from .safety import Limits

__all__ = ["RawTable", "read_table", "SurveyData", "prepare", "read_responses", "SUPPORTED_EXTENSIONS", "FORMATS", "Limits"]
