"""KANO classification of product/service features (Kano et al. 1984; Berger et al. 1993).

Each feature is asked twice: the **functional** question ("How do you feel if the feature is
present?") and the **dysfunctional** question ("… if it is absent?"), each with five answers

    ====  ============  ==========================================  ==================
    code  answer        English wordings accepted                   Chinese wordings
    ====  ============  ==========================================  ==================
    1     like          I like it (that way), like                  我喜欢, 喜欢, 很喜欢
    2     must-be       It must be that way, I expect it, expect    理所当然, 理应如此, 必须这样
    3     neutral       I am neutral, neutral, indifferent          无所谓, 中立, 没感觉
    4     live-with     I can live with it, live with, tolerate     能忍受, 可以忍受, 能接受
    5     dislike       I dislike it (that way), dislike            我不喜欢, 不喜欢, 很不喜欢
    ====  ============  ==========================================  ==================

(case, spaces and trailing punctuation are ignored; ``"1. 我喜欢"`` / ``"5 - I dislike it"`` are
read by their wording, else by their code; :data:`DEFAULT_ANSWERS` lists every accepted wording).
A survey with other wordings or other codes declares them (``answers:`` in the spec, or the
``answers`` argument): each entry maps a cell value to one of the five answers and overrides the
defaults, so ``{1: dislike, 5: like}`` reverses the codes.

**Kano evaluation table** (Berger et al. 1993): the pair of answers of one respondent
gives the category (rows: functional answer, columns: dysfunctional answer)::

    functional \\ dysfunctional   like  must-be  neutral  live-with  dislike
    like                          Q     A        A        A          O
    must-be                       R     I        I        I          M
    neutral                       R     I        I        I          M
    live-with                     R     I        I        I          M
    dislike                       R     R        R        R          Q

A = attractive (魅力质量), O = one-dimensional (期望质量/一维质量), M = must-be (必备质量),
I = indifferent (无差异质量), R = reverse (反向质量), Q = questionable (可疑结果: the answers
contradict each other).

Per feature, over the n respondents who answered both questions:

* ``count`` and ``share = count / n`` of each of the six categories;
* ``category``: the most frequent category (the mode of the six). **Ties** are broken by the
  priority M > O > A > I > R > Q: the M > O > A > I rule of Berger et al. (1993) — when in
  doubt, choose the category with the greater impact on the product — with reverse and
  questionable last;
* the customer-satisfaction coefficients of Berger et al. (1993)

      better = (A + O) / (A + O + M + I)          (0 … 1: satisfaction gained if present)
      worse  = −(O + M) / (A + O + M + I)         (−1 … 0: dissatisfaction if absent)

  with A, O, M, I the counts (reverse and questionable answers are left out); NaN when
  A + O + M + I = 0.

A respondent who left one or both questions of a feature empty is not counted for that feature
(``n_missing``). Any other answer that is not one of the five (after the mapping) is an error: one
:class:`~csi_survey.exceptions.DataValidationError` lists every such cell.

The spec (YAML, :func:`load_kano_spec`)::

    id_column: client_id            # optional: respondent ids in messages and in ``pairs``
    features:
      - id: tracking                # the feature's name (unique)
        label: 配送实时跟踪          # optional display label (default: the id)
        functional: f_tracking      # column of the functional question
        dysfunctional: d_tracking   # column of the dysfunctional question
      - id: sms_notice
        functional: f_sms
        dysfunctional: d_sms
    answers:                        # optional: extra or overriding wordings/codes → answer
      非常喜欢: like
      还行: neutral

References: Kano, N., Seraku, N., Takahashi, F. & Tsuji, S. (1984), "Attractive quality and
must-be quality", *Hinshitsu (Journal of the Japanese Society for Quality Control)* 14(2), 39–48;
Berger, C., Blauth, R., Boger, D. et al. (1993), "Kano's methods for understanding
customer-defined quality", *Center for Quality of Management Journal* 2(4), 3–36.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import parse_yaml, read_yaml_file, yaml_location
from ..exceptions import DataValidationError, SettingsError, SpecError
from ..ingest.readers import RawTable
from ..results import Summary
from .common import find_columns, is_blank, key_text, row_ids, table_input

__all__ = [
    "ANSWERS",
    "CATEGORIES",
    "CATEGORY_CODES",
    "CATEGORY_LABELS_ZH",
    "DEFAULT_ANSWERS",
    "EVALUATION_TABLE",
    "TIE_PRIORITY",
    "KanoFeature",
    "KanoSpec",
    "KanoResults",
    "load_kano_spec",
    "kano_answer",
    "kano_category",
    "evaluation_table",
    "kano",
]

#: The five answers, in the order of their codes 1–5.
ANSWERS: tuple[str, ...] = ("like", "must-be", "neutral", "live-with", "dislike")

#: The six categories (column names of the tables), with their one-letter codes.
CATEGORIES: tuple[str, ...] = ("attractive", "one_dimensional", "must_be", "indifferent", "reverse", "questionable")
CATEGORY_CODES: dict[str, str] = dict(zip("AOMIRQ", CATEGORIES))
#: Chinese names of the categories (for reports).
CATEGORY_LABELS_ZH: dict[str, str] = {
    "attractive": "魅力质量",
    "one_dimensional": "期望质量",
    "must_be": "必备质量",
    "indifferent": "无差异质量",
    "reverse": "反向质量",
    "questionable": "可疑结果",
}
#: Ties of the mode are broken in this order (Berger et al. 1993: M > O > A > I; then R, Q).
TIE_PRIORITY: tuple[str, ...] = ("must_be", "one_dimensional", "attractive", "indifferent", "reverse", "questionable")

_ROWS = {  # functional answer → categories for the dysfunctional answers like … dislike
    "like": "QAAAO",
    "must-be": "RIIIM",
    "neutral": "RIIIM",
    "live-with": "RIIIM",
    "dislike": "RRRRQ",
}
#: (functional answer, dysfunctional answer) → category: the Kano evaluation table.
EVALUATION_TABLE: dict[tuple[str, str], str] = {
    (f, d): CATEGORY_CODES[_ROWS[f][j]] for f in ANSWERS for j, d in enumerate(ANSWERS)
}

_WORDINGS: dict[str, tuple[str, ...]] = {
    "like": (
        "like", "i like it", "i like it that way", "like it", "i like", "i would like it", "delighted",
        "我喜欢", "喜欢", "很喜欢", "我很喜欢", "非常喜欢", "喜欢这样",
    ),
    "must-be": (
        "must-be", "must be", "must_be", "mustbe", "it must be that way", "must be that way", "it must be",
        "i expect it", "i expect it that way", "expect", "expected", "it is basic", "taken for granted",
        "理所当然", "理应如此", "必须这样", "必须的", "应该这样", "应该的", "当然应该", "必备",
    ),
    "neutral": (
        "neutral", "i am neutral", "i'm neutral", "indifferent", "i am indifferent", "i don't care",
        "don't care", "no feeling",
        "无所谓", "中立", "没感觉", "都可以", "一般",
    ),
    "live-with": (
        "live-with", "live with", "live_with", "i can live with it", "can live with it", "i can live with that",
        "tolerate", "i can tolerate it", "can tolerate",
        "能忍受", "可以忍受", "我能忍受", "勉强接受", "能接受", "可以接受",
    ),
    "dislike": (
        "dislike", "i dislike it", "i dislike it that way", "i don't like it", "don't like", "do not like",
        "我不喜欢", "不喜欢", "很不喜欢", "非常不喜欢", "讨厌",
    ),
}
#: Every accepted wording or code (normalized: case-folded, spaces collapsed) → answer.
DEFAULT_ANSWERS: dict[str, str] = {
    **{w: a for a, words in _WORDINGS.items() for w in words},
    **{str(k + 1): a for k, a in enumerate(ANSWERS)},
}

_TRAILING = re.compile(r"[\s.。!！,，;；]+$")
_CODE_PREFIX = re.compile(r"^(\d+)\s*[-.、:：)）]\s*(.*)$")


def _normalize(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text).replace("\u3000", " ")).strip().casefold()
    return _TRAILING.sub("", text).replace("’", "'")


def _mapping(answers: Mapping[Any, Any] | None, where: str = "answers") -> dict[str, str]:
    """The default wordings updated with ``answers`` (normalized key → answer); SpecError if a value
    of ``answers`` is not one of the five answers."""
    table = dict(DEFAULT_ANSWERS)
    if not answers:
        return table
    problems = []
    extra: dict[str, str] = {}
    for key, value in answers.items():
        target = None if is_blank(value) else DEFAULT_ANSWERS.get(_normalize(key_text(value)))
        if target is None:
            problems.append({"location": f"{where}.{key_text(key)}",
                             "problem": f"{value!r} is not a Kano answer; use one of {', '.join(ANSWERS)}"})
        else:
            extra[_normalize(key_text(key))] = target
    if problems:
        raise SpecError("The Kano answer mapping is invalid", problems,
                        hint="map each wording or code to like, must-be, neutral, live-with or dislike.")
    table.update(extra)
    return table


def kano_answer(value: Any, answers: Mapping[Any, Any] | None = None) -> str | None:
    """The Kano answer (``like``, ``must-be``, ``neutral``, ``live-with``, ``dislike``) of one cell.

    ``None`` for an empty cell; :class:`~csi_survey.exceptions.SettingsError` (a ValueError) for a
    value that is not an answer.

    >>> kano_answer("我喜欢"), kano_answer(5), kano_answer("I can live with it")
    ('like', 'dislike', 'live-with')
    """
    result = _answer(value, _mapping(answers))
    if result is _UNKNOWN:
        raise SettingsError(f"{value!r} is not a Kano answer",
                            hint="use like, must-be, neutral, live-with, dislike, their codes 1–5 or wordings.")
    return result  # type: ignore[return-value]


_UNKNOWN = object()


def _answer(value: Any, table: Mapping[str, str]) -> str | None | object:
    if is_blank(value):
        return None
    key = _normalize(key_text(value))
    if key in table:
        return table[key]
    m = _CODE_PREFIX.match(key)
    if m:
        rest = _TRAILING.sub("", m.group(2))
        if rest in table:
            return table[rest]
        if m.group(1) in table:
            return table[m.group(1)]
    return _UNKNOWN


def kano_category(functional: Any, dysfunctional: Any, answers: Mapping[Any, Any] | None = None) -> str:
    """The category of one pair of answers (wordings, codes or answer names), by the evaluation table.

    >>> kano_category("like", "dislike"), kano_category(1, 4), kano_category("无所谓", "我不喜欢")
    ('one_dimensional', 'attractive', 'must_be')
    """
    table = _mapping(answers)
    f, d = _answer(functional, table), _answer(dysfunctional, table)
    bad = [repr(v) for v, a in ((functional, f), (dysfunctional, d)) if a is None or a is _UNKNOWN]
    if bad:
        raise SettingsError(f"{' and '.join(bad)} {'is' if len(bad) == 1 else 'are'} not a Kano answer",
                            hint="use like, must-be, neutral, live-with, dislike, their codes 1–5 or wordings.")
    return EVALUATION_TABLE[(f, d)]  # type: ignore[index]


def evaluation_table() -> pd.DataFrame:
    """The Kano evaluation table as a tidy frame: ``functional, dysfunctional, category, code`` (25 rows)."""
    code = {v: k for k, v in CATEGORY_CODES.items()}
    rows = [{"functional": f, "dysfunctional": d, "category": c, "code": code[c]} for (f, d), c in EVALUATION_TABLE.items()]
    return pd.DataFrame(rows)


# ====================================================================== spec
@dataclass(frozen=True)
class KanoFeature:
    """One feature: its name, display label and the columns of its two questions."""

    id: str
    functional: str
    dysfunctional: str
    label: str = ""

    @property
    def display(self) -> str:
        return self.label or self.id


@dataclass(frozen=True)
class KanoSpec:
    """The features of a Kano questionnaire (see the module docs for the YAML form).

    ``answers`` maps extra wordings or codes to the five answers (overriding the defaults);
    ``id_column`` names the respondent id column (optional).
    """

    features: tuple[KanoFeature, ...]
    answers: Mapping[str, str] = field(default_factory=dict)
    id_column: str | None = None

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>", lines: Mapping[tuple, int] | None = None) -> KanoSpec:
        """Validate a parsed spec; every problem is listed in one :class:`SpecError`."""
        lines = lines or {}
        problems: list[dict] = []

        def bad(path: tuple, problem: str) -> None:
            problems.append({"location": yaml_location(source, lines, path), "problem": problem})

        if not isinstance(data, Mapping):
            raise SpecError("The Kano spec is not a mapping",
                            [{"location": source, "problem": f"expected keys features: (and answers:), got {type(data).__name__}"}])
        for key in data:
            if key not in ("features", "answers", "id_column"):
                bad((key,), f"unknown key {key!r}; allowed: features, answers, id_column")
        raw = data.get("features")
        entries: list[tuple[tuple, Any, Any]] = []
        if isinstance(raw, Mapping):
            entries = [(("features", str(k)), str(k), v) for k, v in raw.items()]
        elif isinstance(raw, list):
            entries = [(("features", k), None, v) for k, v in enumerate(raw)]
        else:
            bad(("features",), "features: is missing or not a list of {id, functional, dysfunctional}")
        features: list[KanoFeature] = []
        seen: dict[str, str] = {}
        for path, key, entry in entries:
            if not isinstance(entry, Mapping):
                bad(path, "expected a mapping with id, label, functional and dysfunctional")
                continue
            for k in entry:
                if k not in ("id", "label", "functional", "dysfunctional"):
                    bad(path + (k,), f"unknown key {k!r}; allowed: id, label, functional, dysfunctional")
            fid = key if key is not None else entry.get("id")
            if is_blank(fid):
                bad(path, "the feature has no id")
                fid = None
            else:
                fid = key_text(fid)
                if fid in seen:
                    bad(path, f"feature id {fid!r} is used twice")
                seen[fid] = fid
            cols = {}
            for role in ("functional", "dysfunctional"):
                v = entry.get(role)
                if is_blank(v):
                    bad(path + (role,), f"the {role} column is missing")
                else:
                    cols[role] = key_text(v)
            if cols.get("functional") is not None and cols.get("functional") == cols.get("dysfunctional"):
                bad(path, "the functional and dysfunctional columns are the same column")
            if fid is not None and len(cols) == 2:
                label = entry.get("label")
                features.append(KanoFeature(fid, cols["functional"], cols["dysfunctional"],
                                            "" if is_blank(label) else str(label)))
        if isinstance(raw, (list, Mapping)) and not entries:
            bad(("features",), "no feature is declared")
        answers = data.get("answers") or {}
        if not isinstance(answers, Mapping):
            bad(("answers",), "answers: must map wordings or codes to like, must-be, neutral, live-with or dislike")
            answers = {}
        for k, v in answers.items():
            if is_blank(v) or _normalize(key_text(v)) not in DEFAULT_ANSWERS:
                bad(("answers", str(k)), f"{v!r} is not a Kano answer; use one of {', '.join(ANSWERS)}")
        id_column = data.get("id_column")
        if problems:
            raise SpecError(f"The Kano spec {source} is invalid", problems,
                            hint="see the KANO page of the docs (docs/kano.md) for the spec format.")
        return cls(
            features=tuple(features),
            answers={key_text(k): DEFAULT_ANSWERS[_normalize(key_text(v))] for k, v in answers.items()},
            id_column=None if is_blank(id_column) else key_text(id_column),
        )

    @classmethod
    def from_yaml(cls, text: str, source: str = "<string>") -> KanoSpec:
        data, lines, _duplicates = parse_yaml(text, source, "Kano spec")
        return cls.from_dict(data, source, lines)


def load_kano_spec(path: str | Path) -> KanoSpec:
    """Load and validate a Kano spec from a YAML file (UTF-8 or GBK); :class:`SpecError` lists every problem."""
    data, lines, _duplicates, source = read_yaml_file(path, "Kano spec")
    return KanoSpec.from_dict(data, source, lines)


# ====================================================================== classification
@dataclass(frozen=True)
class KanoResults:
    """The Kano analysis (:func:`kano`).

    Attributes
    ----------
    features:
        One row per feature (in spec order): ``feature, label, n, attractive, one_dimensional,
        must_be, indifferent, reverse, questionable`` (counts), ``category`` (the mode, ties by
        :data:`TIE_PRIORITY`), ``better``, ``worse``, ``n_missing``.
    shares:
        Tidy: ``feature, label, category, count, share`` — six rows per feature, share = count / n
        (NaN when n = 0).
    pairs:
        One row per respondent and feature: ``row`` (sheet row), ``respondent_id``, ``feature``,
        ``functional``, ``dysfunctional`` (the answers, empty when missing) and ``category``
        (empty when an answer is missing).
    """

    features: pd.DataFrame
    shares: pd.DataFrame
    pairs: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables by file name: ``kano_features.csv``, ``kano_shares.csv``, ``kano_pairs.csv``."""
        return {"kano_features.csv": self.features, "kano_shares.csv": self.shares, "kano_pairs.csv": self.pairs}

    def summary(self) -> Summary:
        """A printable summary: the respondents and the per-feature table (counts, category, Better/Worse)."""
        respondents = int(self.pairs["row"].nunique()) if len(self.pairs) else 0
        cols = ["feature", "label", "n", *CATEGORIES, "category", "better", "worse"]
        return Summary(title="KANO classification",
                       info={"Features": len(self.features), "Respondents (rows)": respondents,
                             "Ties": "M > O > A > I > R > Q (Berger et al. 1993)"},
                       tables={"Features": self.features[cols]})

    def __repr__(self) -> str:
        return f"<KanoResults: {len(self.features)} features>"


def _mode(counts: Mapping[str, int]) -> str | None:
    best = max(counts.values()) if counts else 0
    if best == 0:
        return None
    return next(c for c in TIE_PRIORITY if counts[c] == best)


def kano(
    responses: RawTable | pd.DataFrame,
    spec: KanoSpec,
    *,
    answers: Mapping[Any, Any] | None = None,
) -> KanoResults:
    """Classify every feature of ``spec`` from the responses (formulas in the module docs).

    Parameters
    ----------
    responses:
        A :class:`~csi_survey.ingest.RawTable` (``read_table(path, sheet=...)``; errors then name
        the sheet rows) or a DataFrame (rows numbered 2, 3, … as in a sheet).
    spec:
        The features (:func:`load_kano_spec` or :meth:`KanoSpec.from_dict`).
    answers:
        Extra wordings or codes → answer, on top of the defaults and of ``spec.answers``.

    Raises
    ------
    InputFileError
        A column of the spec is not in the table (all of them listed).
    DataValidationError
        Cells that are not one of the five answers (every such cell listed: row, respondent_id,
        column, value, problem).
    """
    if not isinstance(spec, KanoSpec):
        raise TypeError(f"kano() needs a KanoSpec (load_kano_spec), got {type(spec).__name__}")
    inp = table_input(responses, "kano()")
    wanted = [(c, f"{role} question of {f.id}") for f in spec.features for c, role in
              ((f.functional, "functional"), (f.dysfunctional, "dysfunctional"))]
    if spec.id_column is not None:
        wanted.append((spec.id_column, "id_column"))
    found = find_columns(inp, wanted, "rename the columns in the file or in the Kano spec so that they match.")
    table = _mapping({**dict(spec.answers), **dict(answers or {})})
    ids = row_ids(inp, found.get(spec.id_column) if spec.id_column is not None else None)

    parsed: dict[str, list] = {}
    failures = []
    for col in dict.fromkeys(c for f in spec.features for c in (f.functional, f.dysfunctional)):
        values = inp.frame[found[col]].tolist()
        cache: dict[Any, Any] = {}
        out = []
        for pos, v in enumerate(values):
            key = (type(v), v) if isinstance(v, (str, int, float)) else (type(v), repr(v))
            if key not in cache:
                cache[key] = _answer(v, table)
            a = cache[key]
            if a is _UNKNOWN:
                failures.append({"row": int(inp.rows[pos]), "respondent_id": ids[pos], "column": str(found[col]),
                                 "value": key_text(v), "problem": "not a Kano answer"})
                a = None
            out.append(a)
        parsed[col] = out
    if failures:
        known = "I like it / It must be that way / I am neutral / I can live with it / I dislike it, 我喜欢 / 理所当然 / 无所谓 / 能忍受 / 我不喜欢, or codes 1–5"
        raise DataValidationError(
            f"{inp.where}: answers that are not Kano answers",
            pd.DataFrame(failures).sort_values(["row", "column"], kind="stable"),
            hint=f"use {known}; or map the survey's own wordings to like, must-be, neutral, live-with or dislike "
            "with answers: in the Kano spec.",
        )

    summary_rows, share_rows, pair_parts = [], [], []
    for f in spec.features:
        fa, da = parsed[f.functional], parsed[f.dysfunctional]
        cats = [EVALUATION_TABLE[(a, b)] if a is not None and b is not None else None for a, b in zip(fa, da)]
        counts = {c: 0 for c in CATEGORIES}
        for c in cats:
            if c is not None:
                counts[c] += 1
        n = sum(counts.values())
        aomi = counts["attractive"] + counts["one_dimensional"] + counts["must_be"] + counts["indifferent"]
        better = (counts["attractive"] + counts["one_dimensional"]) / aomi if aomi else np.nan
        worse = -(counts["one_dimensional"] + counts["must_be"]) / aomi if aomi else np.nan
        summary_rows.append({"feature": f.id, "label": f.display, "n": n, **counts, "category": _mode(counts),
                             "better": better, "worse": worse, "n_missing": len(cats) - n})
        for c in CATEGORIES:
            share_rows.append({"feature": f.id, "label": f.display, "category": c, "count": counts[c],
                               "share": counts[c] / n if n else np.nan})
        pair_parts.append(pd.DataFrame({
            "row": inp.rows, "respondent_id": pd.Series(ids, dtype=object), "feature": f.id,
            "functional": pd.Series(fa, dtype=object), "dysfunctional": pd.Series(da, dtype=object),
            "category": pd.Series(cats, dtype=object),
        }))
    features = pd.DataFrame(summary_rows, columns=["feature", "label", "n", *CATEGORIES, "category", "better", "worse", "n_missing"])
    for c in ["n", *CATEGORIES, "n_missing"]:
        features[c] = features[c].astype(np.int64)
    features["better"] = features["better"].astype(np.float64)
    features["worse"] = features["worse"].astype(np.float64)
    shares = pd.DataFrame(share_rows, columns=["feature", "label", "category", "count", "share"])
    shares["count"] = shares["count"].astype(np.int64)
    shares["share"] = shares["share"].astype(np.float64)
    pairs = pd.concat(pair_parts, ignore_index=True) if pair_parts else pd.DataFrame(
        columns=["row", "respondent_id", "feature", "functional", "dysfunctional", "category"])
    return KanoResults(features=features, shares=shares, pairs=pairs)
