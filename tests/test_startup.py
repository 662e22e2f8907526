"""Start-up stays cheap, and the lazy loading keeps the public API as it was (issue 15).

Behaviour only, no timing (benchmarks/bench_startup.py measures the time):

- ``import csi_survey`` and ``csi-survey --help`` / ``--version`` / ``template acsi`` load no numpy,
  pandas or scipy (checked in a fresh interpreter, where nothing else has loaded them);
- every name of ``csi_survey.__all__`` resolves, is the very object of the module that defines it,
  and is listed by ``dir(csi_survey)``; submodules are reachable as attributes (``csi.engine.pls``);
- ``csi.assess`` and ``csi.mediation`` stay the functions after their modules of the same name load;
- the errors keep their API without pandas loaded at import (problem tables are DataFrames).
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.config import template_yaml as config_template_yaml
from csi_survey.exceptions import SpecError, check_count, check_level, check_seed
from csi_survey.schema import template_yaml

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "scipy")

#: The public names of the package before the imports became lazy: none may go missing.
PUBLIC = [
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

#: Where some public names come from (as the package imported them before).
HOMES = {
    "PLS": "csi_survey.engine", "SCHEMES": "csi_survey.engine", "CBSEM": "csi_survey.engine.cbsem",
    "bootstrap": "csi_survey.engine.bootstrap", "load_model": "csi_survey.schema", "template": "csi_survey.schema",
    "Questionnaire": "csi_survey.schema", "read_responses": "csi_survey.ingest", "analyze": "csi_survey.analysis",
    "assess": "csi_survey.assess", "mediation": "csi_survey.mediation", "HigherOrderPLS": "csi_survey.higher_order",
    "ModeratedPLS": "csi_survey.interactions", "plspredict": "csi_survey.predict", "apply_weights": "csi_survey.ingest.weights",
    "PLSResults": "csi_survey.results", "SpecError": "csi_survey.exceptions",
}


def _fresh(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a new interpreter; it fills the dict ``result``, returned here (with the heavy modules loaded)."""
    out = tmp_path / "result.json"
    script = (
        "import json, sys\nresult = {}\n" + code
        + f"\nresult['heavy'] = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        + f"open({str(out)!r}, 'w').write(json.dumps(result))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def _cli(args: list[str], tmp_path: Path) -> dict:
    """Import csi_survey.cli and run the typer app with ``args`` in a new interpreter, as the console script does."""
    return _fresh(
        "import io, contextlib\n"
        "from csi_survey.cli import app\n"
        "buffer = io.StringIO()\n"
        "code = 0\n"
        "with contextlib.redirect_stdout(buffer):\n"
        "    try:\n"
        f"        app({args!r})\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code or 0\n"
        "result['code'] = code\n"
        "result['stdout'] = buffer.getvalue()\n",
        tmp_path,
    )


def test_importing_the_package_loads_no_numpy_pandas_or_scipy(tmp_path):
    result = _fresh("import csi_survey\nresult['version'] = csi_survey.__version__\n", tmp_path)
    assert result["heavy"] == []
    assert result["version"] == csi.__version__


def test_importing_the_cli_loads_no_numpy_pandas_or_scipy(tmp_path):
    assert _fresh("import csi_survey.cli\n", tmp_path)["heavy"] == []


def test_help_loads_no_numpy_pandas_or_scipy(tmp_path):
    result = _cli(["--help"], tmp_path)
    assert result["code"] == 0
    assert "template" in result["stdout"] and "run" in result["stdout"]
    assert result["heavy"] == []


def test_version_loads_no_numpy_pandas_or_scipy(tmp_path):
    result = _cli(["--version"], tmp_path)
    assert result["code"] == 0
    assert result["stdout"].strip() == f"csi-survey {csi.__version__}"
    assert result["heavy"] == []


@pytest.mark.parametrize("name", ["acsi", "ecsi"])
def test_template_prints_the_spec_without_numpy_pandas_or_scipy(tmp_path, name):
    result = _cli(["template", name], tmp_path)
    assert result["code"] == 0
    assert result["stdout"] == template_yaml(name)
    assert result["heavy"] == []


def test_a_command_that_estimates_still_loads_its_libraries_on_use(tmp_path):
    """The lazy imports move the loading into the command; --help of a command still needs none of it."""
    result = _cli(["run", "--help"], tmp_path)
    assert result["code"] == 0 and "--bootstrap" in result["stdout"]
    assert result["heavy"] == []


def test_every_public_name_resolves_lazily_to_the_object_of_its_module(tmp_path):
    """In a fresh interpreter (nothing loaded yet), every name of __all__ loads and is its module's object."""
    result = _fresh(
        "import importlib\n"
        "import csi_survey as csi\n"
        "result['all'] = list(csi.__all__)\n"
        "result['dir'] = dir(csi)\n"
        "same = {}\n"
        "for name in csi.__all__:\n"
        "    value = getattr(csi, name)\n"
        "    home = getattr(value, '__module__', None)\n"
        "    same[name] = home is None or getattr(importlib.import_module(home), name, value) is value\n"
        "result['same'] = same\n"
        f"homes = {HOMES!r}\n"
        "result['homes'] = {n: getattr(csi, n) is getattr(importlib.import_module(m), n) for n, m in homes.items()}\n"
        "result['engine'] = csi.engine.pls.PLS is csi.PLS\n",
        tmp_path,
    )
    assert set(PUBLIC) <= set(result["all"])
    assert len(result["all"]) == len(set(result["all"]))
    assert set(result["all"]) <= set(result["dir"])
    assert [n for n, ok in result["same"].items() if not ok] == []
    assert len(result["same"]) == len(result["all"])
    assert result["homes"] == {n: True for n in HOMES}
    assert result["engine"] is True


def test_public_names_in_this_process_are_the_module_objects():
    from csi_survey.engine import PLS, SCHEMES
    from csi_survey.engine.cbsem import CBSEM
    from csi_survey.schema import load_model, template

    assert (csi.PLS, csi.SCHEMES, csi.CBSEM, csi.load_model, csi.template) == (PLS, SCHEMES, CBSEM, load_model, template)
    for name in csi.__all__:
        assert getattr(csi, name) is not None
    from csi_survey import HigherOrderPLS, mediation  # noqa: F401  (from-imports go through the lazy attributes too)


def test_assess_and_mediation_stay_the_functions_when_their_modules_load(tmp_path):
    """The modules ``csi_survey.assess`` and ``csi_survey.mediation`` share the names of the functions
    the package exports; importing the modules (as the analysis does) must not replace the functions."""
    result = _fresh(
        "import csi_survey as csi\n"
        "import csi_survey.analysis\n"
        "import csi_survey.mediation\n"
        "import csi_survey.assess\n"
        "from csi_survey.mediation import TYPES\n"
        "result['callable'] = [callable(csi.assess), callable(csi.mediation)]\n"
        "result['names'] = [csi.assess.__name__, csi.mediation.__name__]\n"
        "result['modules'] = [csi.assess.__module__, csi.mediation.__module__]\n",
        tmp_path,
    )
    assert result["callable"] == [True, True]
    assert result["names"] == ["assess", "mediation"]
    assert result["modules"] == ["csi_survey.assess", "csi_survey.mediation"]
    assert callable(csi.assess) and callable(csi.mediation)
    assert importlib.import_module("csi_survey.mediation").__name__ == "csi_survey.mediation"


def test_an_unknown_attribute_is_an_attribute_error():
    assert not hasattr(csi, "no_such_name")
    with pytest.raises(AttributeError, match="no_such_name"):
        csi.no_such_name  # noqa: B018


def test_the_type_checking_imports_of_the_package_match_what_it_loads():
    """``csi_survey/__init__.py`` names every lazy attribute for type checkers (``if TYPE_CHECKING:``):
    that block and the names loaded at run time must not drift apart."""
    tree = ast.parse((ROOT / "src" / "csi_survey" / "__init__.py").read_text(encoding="utf-8"))
    block = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING"]
    assert len(block) == 1
    declared = {}
    for node in block[0].body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names:
            declared[alias.name] = "csi_survey." + node.module
    eager = {n for n in csi.__all__ if n not in declared}
    homes = {n: getattr(getattr(csi, n), "__module__", None) for n in eager}
    assert set(homes.values()) <= {"csi_survey.exceptions", "csi_survey"}, homes  # the errors and write_report
    for name, module in declared.items():
        assert getattr(csi, name) is getattr(importlib.import_module(module), name), name
    assert set(declared) | eager == set(csi.__all__)


def test_the_errors_keep_their_tables_and_the_checks_their_numpy_scalars():
    error = SpecError("The spec is invalid", [{"location": "model.yaml:3", "problem": "bad"}], hint="fix it")
    assert isinstance(error.problems, pd.DataFrame)
    assert list(error.problems.columns) == ["location", "problem"]
    assert "model.yaml:3" in str(error) and "How to fix: fix it" in str(error)
    assert check_count("resamples", np.int64(5)) == 5
    with pytest.raises(csi.SettingsError):
        check_count("resamples", np.bool_(True))
    assert check_level(np.float64(0.9)) == 0.9
    assert isinstance(check_seed(None), int) and check_seed(np.int32(3)) == 3


def test_the_template_texts_are_the_same_from_config_and_schema():
    for name in ("acsi", "ecsi", "ACSI"):
        assert config_template_yaml(name) == template_yaml(name)
    with pytest.raises(SpecError, match="not a template"):
        config_template_yaml("nope")


def _entry(args: list[str], tmp_path: Path) -> dict:
    """Run the console script's entry point (``csi_survey.__main__.main``) with ``args`` in a new interpreter."""
    return _fresh(
        "import io, contextlib\n"
        "from csi_survey.__main__ import main\n"
        "buffer = io.StringIO()\n"
        "code = 0\n"
        "with contextlib.redirect_stdout(buffer):\n"
        "    try:\n"
        f"        main({args!r})\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code or 0\n"
        "result['code'] = code\n"
        "result['stdout'] = buffer.getvalue()\n"
        "result['typer'] = 'typer' in sys.modules\n"
        "result['pydantic'] = 'pydantic' in sys.modules\n",
        tmp_path,
    )


@pytest.mark.parametrize("args", [["template", "acsi"], ["template", "ecsi"], ["--version"]])
def test_the_entry_point_answers_version_and_template_as_the_cli_without_typer(tmp_path, args):
    """The console script answers these two without typer (whose argument parsing loads pydantic):
    the same output and exit code as the typer command."""
    fast, typer_app = _entry(args, tmp_path), _cli(args, tmp_path)
    assert (fast["code"], fast["stdout"]) == (typer_app["code"], typer_app["stdout"])
    assert fast["stdout"].startswith("csi-survey " if args == ["--version"] else "# ")
    assert fast["typer"] is False and fast["pydantic"] is False and fast["heavy"] == []


@pytest.mark.parametrize("args", [["template", "nope"], ["template", "acsi", "--help"], ["--help"], ["run", "--help"]])
def test_every_other_command_line_goes_to_the_typer_app(tmp_path, args):
    fast, typer_app = _entry(args, tmp_path), _cli(args, tmp_path)
    assert fast["typer"] is True
    assert (fast["code"], fast["stdout"]) == (typer_app["code"], typer_app["stdout"])


def test_the_console_script_is_the_entry_point():
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"csi-survey": "csi_survey.__main__:main"}
