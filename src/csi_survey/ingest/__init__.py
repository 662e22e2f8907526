"""Reading survey exports and preparing the item scores.

* :func:`read_table` reads an Excel workbook or a CSV/text file into a :class:`RawTable`;
* :func:`prepare` checks and cleans a table for a questionnaire into :class:`SurveyData`;
* :func:`read_responses` does both.
"""

from .prepare import SurveyData, prepare, read_responses
from .readers import SUPPORTED_EXTENSIONS, RawTable, read_table

__all__ = ["RawTable", "read_table", "SurveyData", "prepare", "read_responses", "SUPPORTED_EXTENSIONS"]
