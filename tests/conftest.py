"""Shared fixtures: the benchmark datasets and published references in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import csi_survey as csi

ROOT = Path(__file__).resolve().parents[1]
#: The benchmark data live beside the repository (``../shared/data``); override with CSI_SURVEY_SHARED_DATA.
SHARED = Path(os.environ.get("CSI_SURVEY_SHARED_DATA", ROOT.parent / "shared" / "data"))
REFERENCE = SHARED / "reference"
EXAMPLES = ROOT / "examples"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        pytest.fail(f"benchmark file {path} is missing: the fidelity tests need ../shared/data beside the checkout")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def mobi() -> pd.DataFrame:
    return _read(SHARED / "mobi.csv")


@pytest.fixture(scope="session")
def mobile_0_100() -> pd.DataFrame:
    return _read(SHARED / "mobile_0_100.csv")


@pytest.fixture(scope="session")
def satisfaction() -> pd.DataFrame:
    return _read(SHARED / "satisfaction.csv")


@pytest.fixture(scope="session")
def smartpls_ecsi() -> pd.DataFrame:
    return _read(REFERENCE / "ecsi_mobi_smartpls2.csv")


@pytest.fixture(scope="session")
def plspm_satisfaction() -> pd.DataFrame:
    return _read(REFERENCE / "satisfaction_plspm_r.csv")


# ---------------------------------------------------------------------- the bundled retail example
# (a test module that defines its own ``model``, ``data`` or ``engine`` fixture uses its own)
@pytest.fixture(scope="session")
def model():
    """The questionnaire spec of examples/acsi_retail.xlsx."""
    return csi.load_model(EXAMPLES / "acsi_retail.yaml")


@pytest.fixture(scope="session")
def data(model):
    """The retail example's responses, prepared (invalid rows excluded)."""
    return csi.read_responses(EXAMPLES / "acsi_retail.xlsx", model, on_invalid="exclude")


@pytest.fixture(scope="session")
def engine(model):
    """A PLS engine with default settings for the retail example."""
    return csi.PLS(model)
