"""Satisfaction-management methods used beside (or instead of) the structural model.

* :mod:`~csi_survey.methods.scorecard` — composite evaluation scorecard of staff, stores and
  managers (survey score + mystery-shopper score − complaint deductions) with period rankings;
* :mod:`~csi_survey.methods.ahp` — AHP weights with consistency check, a five-level satisfaction
  score weighted by them, and "expert" (AHP) weights in place of PLS weights for the 0–100 index.
* :mod:`~csi_survey.methods.kano` — KANO classification of features (evaluation table, category
  shares, Better/Worse; Kano et al. 1984, Berger et al. 1993);
* :mod:`~csi_survey.methods.sampling` — sample sizes for a target margin of error of the index and
  of NPS, proportional/quota allocation across strata, achieved vs planned per quota cell;
* :mod:`~csi_survey.methods.retention` — retention, churn and k-period loyalty rates from customer
  activity, and the difference-in-differences effect of a care programme.
"""

from .ahp import AHPResults, AHPSatisfaction, ExpertIndex, ahp, ahp_satisfaction, expert_index, write_ahp
from .scorecard import ScorecardConfig, ScorecardResults, load_scorecard_config, scorecard, write_scorecard
from .kano import KanoFeature, KanoResults, KanoSpec, evaluation_table, kano, kano_answer, kano_category, load_kano_spec, write_kano
from .retention import CareEffect, care_effect, period_order, retention_rates, write_retention
from .sampling import (
    SamplingPlan,
    allocate_proportional,
    allocate_quota,
    fieldwork_status,
    index_sample_size,
    nps_sample_size,
    pilot_values,
    sampling_plan,
    stratum_sizes,
    write_plan,
)

__all__ = [
    "ahp", "AHPResults", "ahp_satisfaction", "AHPSatisfaction", "expert_index", "ExpertIndex", "write_ahp",
    "scorecard", "ScorecardConfig", "ScorecardResults", "load_scorecard_config", "write_scorecard",
    "kano", "KanoSpec", "KanoFeature", "KanoResults", "load_kano_spec", "kano_answer", "kano_category", "evaluation_table",
    "write_kano",
    "index_sample_size", "nps_sample_size", "allocate_proportional", "allocate_quota", "stratum_sizes", "pilot_values",
    "fieldwork_status", "sampling_plan", "SamplingPlan", "write_plan",
    "retention_rates", "period_order", "care_effect", "CareEffect", "write_retention",
]
