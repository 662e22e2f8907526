"""Satisfaction-management methods used beside (or instead of) the structural model.

* :mod:`~csi_survey.methods.scorecard` — composite evaluation scorecard of staff, stores and
  managers (survey score + mystery-shopper score − complaint deductions) with period rankings;
* :mod:`~csi_survey.methods.ahp` — AHP weights with consistency check and a five-level satisfaction
  score weighted by them;
* :mod:`~csi_survey.methods.expert_weights` — "expert" (AHP) weights in place of PLS weights for
  the 0–100 index, compared with the PLS indices;
* :mod:`~csi_survey.methods.kano` — KANO classification of features (evaluation table, category
  shares, Better/Worse; Kano et al. 1984, Berger et al. 1993);
* :mod:`~csi_survey.methods.sampling` — sample sizes for a target margin of error of the index and
  of NPS, proportional/quota allocation across strata, achieved vs planned per quota cell;
* :mod:`~csi_survey.methods.retention` — retention, churn and k-period loyalty rates from customer
  activity, and the difference-in-differences effect of a care programme.

:mod:`~csi_survey.methods.common` holds what these modules share (reading their input tables).
The writers of their CSV tables (``write_scorecard``, ``write_ahp``, ``write_kano``,
``write_plan``, ``write_retention``) are in :mod:`csi_survey.report`.
"""

from .ahp import AHPResults, AHPSatisfaction, ahp, ahp_satisfaction
from .expert_weights import ExpertIndex, expert_index
from .scorecard import ScorecardConfig, ScorecardResults, load_scorecard_config, scorecard
from .kano import KanoFeature, KanoResults, KanoSpec, evaluation_table, kano, kano_answer, kano_category, load_kano_spec
from .retention import CareEffect, care_effect, period_order, retention_rates
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
)

__all__ = [
    "ahp", "AHPResults", "ahp_satisfaction", "AHPSatisfaction", "expert_index", "ExpertIndex",
    "scorecard", "ScorecardConfig", "ScorecardResults", "load_scorecard_config",
    "kano", "KanoSpec", "KanoFeature", "KanoResults", "load_kano_spec", "kano_answer", "kano_category", "evaluation_table",
    "index_sample_size", "nps_sample_size", "allocate_proportional", "allocate_quota", "stratum_sizes", "pilot_values",
    "fieldwork_status", "sampling_plan", "SamplingPlan",
    "retention_rates", "period_order", "care_effect", "CareEffect",
]
