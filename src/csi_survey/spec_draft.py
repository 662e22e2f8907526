"""A first questionnaire spec drafted from a survey export's headers (``csi-survey template --from``).

:func:`draft_spec` reads a :class:`~csi_survey.ingest.readers.RawTable` and writes YAML text with
comments that loads as a spec (:func:`csi_survey.schema.Questionnaire.from_yaml`) as it is; the
user confirms the suggestions marked ``TODO`` and uncomments the paths. What it does:

* **Items**: one per answer column — numbers that look like an answer scale (whole numbers in
  0–11 with at least three distinct values; a 0/1 column is a multiple-choice option, not an item)
  or option text of a built-in Chinese scale (:func:`csi_survey.ingest.cn_scales.recognise`:
  非常满意…非常不满意, 非常同意…, 非常重要…, ``N分``). The question text (``RawTable.question_text``,
  else the header) becomes the item's ``text``.
* **Scale** per item: a recognised text scale gives its own range (1–k, ``N分``: 0/1–5/7/10) and a
  ``label_maps`` entry (label → code) the item's construct refers to; numbers give the smallest
  usual scale holding the answers seen (min 0 when a 0 was seen, else 1; max 5, 7 or 10), with a
  comment when the answers seen do not reach its ends. The most common scale is the spec's default.
* **Metadata** is left out: 问卷星/问卷网/腾讯问卷 metadata names (序号, 提交答卷时间, 所用时间, 来源,
  来自IP …) and any other column that is not an answer scale (listed in a comment). ``id_column`` is
  set from 序号/编号 (or ``respondent_id``/``id``); the duration column (所用时间, 答题时长, duration) is
  suggested, commented, for the speeders rule.
* **Constructs are suggested** from the questions: the sub-questions of one matrix question (问卷星
  ``N、题干—子题`` with the following bare row labels, ``N、子题``, ``N(子题)``; columns the 问卷星
  reader names ``QN_1``, ``QN_2`` …; or ``prefix_k`` headers) form one construct named by the
  question stem; a single scale question is a one-item construct. A construct's id is the ACSI/ECSI
  role its stem suggests (预期/期望 → EXP, 形象/品牌 → IMG, 抱怨/投诉 → COMP, 忠诚/推荐/再次 → LOY,
  价值/价格/性价比 → PV, 质量 → PQ, 满意 → SAT, and the English words), else ``Q`` + the question
  number. Every construct carries ``# TODO: confirm``.
* **Paths**: the ACSI model (Fornell et al. 1996; with IMG the ECSI paths) between the roles found,
  as a commented ``paths:`` block to uncomment once the constructs are confirmed; ``index: SAT``
  when a SAT construct was suggested.

Question headers follow the 问卷星 layout facts of /work/notes/cn_platform_layouts.md §1.3 and §1.7
(from the real exports in gasongjian/reportgen).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .ingest import cn_scales
from .ingest.readers import RawTable

__all__ = ["draft_spec", "ACSI_PATHS"]

#: The ACSI paths (Fornell et al. 1996) and the image paths of the ECSI, between role ids.
ACSI_PATHS = (("IMG", "EXP"), ("IMG", "SAT"), ("IMG", "LOY"), ("EXP", "PQ"), ("EXP", "PV"), ("EXP", "SAT"),
              ("PQ", "PV"), ("PQ", "SAT"), ("PV", "SAT"), ("SAT", "COMP"), ("SAT", "LOY"), ("COMP", "LOY"))
_ROLE_LABELS = {"IMG": "Image", "EXP": "Customer expectations", "PQ": "Perceived quality", "PV": "Perceived value",
                "SAT": "Customer satisfaction", "COMP": "Complaints", "LOY": "Customer loyalty"}
#: Keywords → role, tried in this order (预期质量 is EXP, 总体满意度 SAT, "以下方面的满意程度" PQ).
_ROLE_WORDS = (
    ("EXP", ("预期", "期望", "expect")),
    ("IMG", ("形象", "品牌", "image", "brand", "reputation")),
    ("COMP", ("抱怨", "投诉", "complain")),
    ("LOY", ("忠诚", "推荐", "再次", "继续购买", "回购", "loyal", "recommend", "repurchase")),
    ("PV", ("价值", "价格", "性价比", "value", "price")),
    ("SAT", ("总体", "综合", "整体满意", "overall")),
    ("PQ", ("质量", "以下方面", "各方面", "quality", "aspects")),
    ("SAT", ("满意", "satisf")),
)
#: A question text saying the answers run from 0 (a 0–10 分 question).
_FROM_ZERO = re.compile(r"(?<!\d)0\s*分|(?<!\d)0\s*[-–~～到至]\s*10")
_META = {"序号", "编号", "答题序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分", "经纬度",
         "开始时间", "提交时间", "答题时长", "答题时长(秒)", "IP省份", "IP城市", "IP地址", "浏览器", "操作系统",
         "开始答题时间", "结束答题时间", "语言", "清洗数据结果", "智能清洗数据无效概率", "地理位置国家和地区", "地理位置省",
         "地理位置市", "自定义字段", "IP", "UA", "Referrer", "用户类型", "用户标识",
         "seq", "source", "start", "finish", "time_used", "ip", "ip_province", "ip_city", "browser", "os"}
_ID_NAMES = ("序号", "编号", "答题序号", "respondent_id", "id", "seq")
_DURATION_NAMES = ("所用时间", "答题时长", "答题时长(秒)", "time_used", "duration", "duration_seconds")
_SKIP_CODES = (-3, -2)

_WJX_RENAMED = re.compile(r"^Q(\d{1,3})(?:_(\d{1,3}))?$")         # the 问卷星 reader's names: Q5, Q5_2
_NUMBERED = re.compile(r"^(\d{1,3})\s*[、.．:：]\s*(.*)$", re.S)    # 5、题干 / 5、题干—子题 / 5、(子题)
_NUMBER_PAREN = re.compile(r"^(\d{1,3})\s*[(（](.*)[)）]$", re.S)   # 5(子题)
_OPTION = re.compile(r"^第(\d{1,3})题\s*[(（](.*)[)）]$", re.S)      # 第6题(选项): a multiple-choice option
_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9]*?)[_.](\d{1,3})$")     # generic pq_1, Q5.2
_TYPE_SUFFIX = re.compile(r"\s*[(（](?:[^()（）]*题)\s*(?:\*必答)?[)）]\s*$")
_DASH = "—"
_HAN = re.compile("[\u4e00-\u9fff]")
_SCALE_WORDS = re.compile(r"满意|同意|重要|评价|评分|打分|\d\s*分|可能|推荐|程度|意愿")


@dataclass
class _Question:
    key: str                      # question number or prefix
    stem: str
    columns: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    also: str | None = None       # a role already taken by an earlier question


@dataclass
class _ItemInfo:
    column: str
    text: str
    scale: tuple[int, int]
    seen: tuple[float, float] | None = None
    labels: str | None = None     # a built-in scale id (label_maps entry)
    note: str = ""


def draft_spec(raw: RawTable) -> str:
    """The YAML text of a draft spec for the export ``raw`` (see the module docstring)."""
    frame = raw.frame
    columns = [str(c) for c in frame.columns]
    qtext = {str(k): str(v) for k, v in (raw.question_text or {}).items()}
    missing = _declared_missing(raw)
    id_col = next((c for c in _ID_NAMES if c in columns), None)
    duration = next((c for c in columns if c in _DURATION_NAMES), None)

    questions = _group(columns, qtext, skip=set(_META) | {id_col} - {None})
    items: dict[str, _ItemInfo] = {}
    left_out: list[str] = []
    used_scales: dict[str, cn_scales.Scale] = {}
    skip_text_seen = False
    for q in questions:
        for col, text in zip(q.columns, q.texts):
            info, why, skipped = _item(frame[col], col, text, raw.value_labels.get(col) or {},
                                       missing.get(col, []) + missing.get("*", []), single=len(q.columns) == 1)
            skip_text_seen |= skipped
            if info is None:
                left_out.append(f"{col} ({why})")
                continue
            if info.labels:
                used_scales[info.labels] = _scale_by_id(info.labels)
            items[col] = info
    meta_cols = [c for c in columns if c in _META or c == id_col]

    scale_counts = Counter(i.scale for i in items.values())
    default = scale_counts.most_common(1)[0][0] if scale_counts else (1, 5)
    constructs = _constructs(questions, items)
    roles = {cid for cid, _q, _its in constructs}
    wjx_like = skip_text_seen or any(_NUMBERED.match(c) or _WJX_RENAMED.match(c) or _OPTION.match(c) for c in columns) \
        or bool(set(columns) & {"提交答卷时间", "来自IP", "所用时间"})

    out: list[str] = []
    name = Path(raw.source).stem if raw.source else "survey"
    out += [
        f"# Draft questionnaire spec from {raw.source or 'the export'} ({raw.format}), written by `csi-survey template --from`.",
        "# 问卷设计草稿：请逐项确认标有 TODO 的内容（构念划分、题项、路径），然后运行 csi-survey run。",
        "# Confirm every TODO (constructs, items, scales), uncomment the paths, then:",
        f"#   csi-survey run {raw.source or 'EXPORT'} --model spec.yaml",
        f"name: {_q(name)}",
        f"scale: {{min: {default[0]}, max: {default[1]}}}          # the most common scale of the answer columns",
    ]
    if wjx_like:
        out.append('missing_codes: [-3, -2, "(跳过)", "(空)"]   # 问卷星: skipped (跳过)/-3, blank (空), unranked -2')
    if id_col:
        out.append(f"id_column: {_q(id_col)}")
    if duration:
        out += [
            "# TODO: confirm the minimum interview duration (seconds) and uncomment to flag speeders:",
            "# quality:",
            f"#   speeders: {{column: {_q(duration)}, min_seconds: 60, policy: flag}}",
        ]
    if "SAT" in roles:
        out.append("index: SAT                        # TODO: confirm the satisfaction construct (满意度指数)")
    else:
        out.append("# index: SAT                      # TODO: name the construct reported as the satisfaction index")
    if used_scales:
        out.append("label_maps:                       # built-in Chinese answer scales recognised in the answers")
        for sid, scale in used_scales.items():
            out.append(f"  {sid}: {{{', '.join(f'{_q(lab)}: {_num(code)}' for lab, code in _label_map(scale))}}}")
    out.append("constructs:")
    if not constructs:
        out.append("  {}                                # TODO: no answer-scale column found: add constructs and items")
    for cid, q, its in constructs:
        where = f"matrix question {q.key}" if len(its) > 1 else f"question {q.key}"
        out.append(f"  # TODO: confirm — {where}: {q.stem}")
        if q.also:
            out.append(f"  # TODO: looks like {q.also} too: move these items into {q.also}, or give {cid} paths, or delete it")
        out.append(f"  {cid}:")
        out.append(f"    label: {_q(q.stem or cid)}")
        labels = {i.labels for i in its}
        shared = labels.pop() if len(labels) == 1 else None
        if shared:
            out.append(f"    labels: {shared}")
        out.append("    items:")
        for i in its:
            parts = [f"id: {_q(i.column)}"]
            if i.text and i.text != i.column:
                parts.append(f"text: {_q(i.text)}")
            if i.scale != default:
                parts.append(f"scale: {{min: {i.scale[0]}, max: {i.scale[1]}}}")
            if i.labels and not shared:
                parts.append(f"labels: {i.labels}")
            line = f"      - {{{', '.join(parts)}}}"
            if i.note:
                line += f"   # TODO: {i.note}"
            elif i.seen is not None and (i.seen[0] > i.scale[0] or i.seen[1] < i.scale[1]):
                line += f"   # answers seen: {_num(i.seen[0])}–{_num(i.seen[1])}"
            out.append(line)
    suggested = [(s, t) for s, t in ACSI_PATHS if s in roles and t in roles]
    out.append("# TODO: confirm the paths, then uncomment them (delete the leading \"# \").")
    if suggested:
        out.append("# Suggested: the ACSI model (Fornell et al. 1996; with IMG the ECSI paths) between the constructs above.")
        out.append("# paths:")
        out += [f"#   - [{s}, {t}]" for s, t in suggested]
    else:
        out.append("# No ACSI construct recognised: write the paths, e.g. `csi-survey template acsi` shows them.")
        out.append("# paths:")
        out.append("#   - [EXP, SAT]")
    if meta_cols:
        out.append(f"# Metadata columns (not items): {', '.join(meta_cols)}")
    if left_out:
        out.append("# Columns left out (not an answer scale): " + "; ".join(left_out))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- questions
def _clean(text: str) -> str:
    return _TYPE_SUFFIX.sub("", str(text)).strip()


def _group(columns: list[str], qtext: dict[str, str], skip: set) -> list[_Question]:
    """The questions of the export in column order: a matrix question holds its rows."""
    questions: list[_Question] = []
    by_key: dict[str, _Question] = {}
    last_matrix: _Question | None = None

    def add(key: str, stem: str, col: str, text: str) -> _Question:
        q = by_key.get(key)
        if q is None:
            q = by_key[key] = _Question(key, stem)
            questions.append(q)
        elif not q.stem and stem:
            q.stem = stem
        q.columns.append(col)
        q.texts.append(text)
        return q

    for col in columns:
        if col in skip:
            continue
        full = _clean(qtext.get(col, col))
        if m := _WJX_RENAMED.match(col):
            stem, _, sub = full.partition(_DASH)
            key = m.group(1)
            # the 问卷星 reader keeps "题干—子题" as the text; a renamed header without one is its own stem
            add(key, _clean(stem) if sub else full, col, full)
            last_matrix = None
            continue
        if m := _OPTION.match(col):
            add(f"{m.group(1)}", "", col, full)
            continue
        if m := _NUMBERED.match(col):
            key, rest = m.group(1), _clean(m.group(2))
            if _DASH in rest:
                stem, _, sub = rest.partition(_DASH)
                last_matrix = add(key, _clean(stem), col, rest)
            else:
                inner = re.fullmatch(r"[(（](.*)[)）]", rest)
                last_matrix = add(key, "" if inner else rest, col, rest) if (inner or key in by_key) else None
                if last_matrix is None:
                    add(key, rest, col, rest)
            continue
        if m := _NUMBER_PAREN.match(col):
            last_matrix = add(m.group(1), "", col, _clean(m.group(2)))
            continue
        if m := _PREFIX.match(col):
            add(m.group(1), full if full != col else m.group(1), col, full)
            last_matrix = None
            continue
        if last_matrix is not None:  # a bare row label after "N、题干—第一行": a row of that matrix
            last_matrix.columns.append(col)
            last_matrix.texts.append(f"{last_matrix.stem}{_DASH}{full}")
            continue
        add(col, full, col, full)
    for q in questions:
        if not q.stem:
            q.stem = q.texts[0].partition(_DASH)[0] if q.texts else q.key
    return questions


def _constructs(questions: list[_Question], items: dict[str, _ItemInfo]) -> list[tuple[str, _Question, list[_ItemInfo]]]:
    out: list[tuple[str, _Question, list[_ItemInfo]]] = []
    taken: set[str] = set()
    for q in questions:
        its = [items[c] for c in q.columns if c in items]
        if not its:
            continue
        role = _role(q.stem) or _role(" ".join(t.partition(_DASH)[2] for t in q.texts))  # the stem, else the rows
        cid = role if role and role not in taken else _free_id(q.key, taken)
        q.also = role if role and cid != role else None
        taken.add(cid)
        out.append((cid, q, its))
    return out


def _role(stem: str) -> str | None:
    low = stem.casefold()
    for role, words in _ROLE_WORDS:
        if any(w in low for w in words):
            return role
    return None


def _free_id(key: str, taken: set[str]) -> str:
    base = f"Q{key}" if key.isdigit() else re.sub(r"\W+", "_", key).strip("_").upper() or "C"
    cid, k = base, 2
    while cid in taken:
        cid, k = f"{base}_{k}", k + 1
    return cid


# ---------------------------------------------------------------------- items and scales
def _declared_missing(raw: RawTable) -> dict[str, list]:
    out: dict[str, list] = {}
    for col, codes in (raw.missing_values or {}).items():
        out[str(col)] = [c for c in codes if not isinstance(c, tuple)]
    return out


def _item(s: pd.Series, col: str, text: str, value_labels: dict, missing: list, single: bool) -> tuple[_ItemInfo | None, str, bool]:
    """The item a column makes, or ``(None, why)``; and whether a skip marker was seen. Numbers of a
    ``single`` (not matrix) Chinese question count as a scale only when its text names one (满意,
    同意, 重要, 分, 可能 …): otherwise they are the codes of a single-choice question (年龄段)."""
    values = s.dropna()
    as_text = values.astype(str).str.strip()
    skipped = bool(as_text.isin(cn_scales.SKIP_TEXT).any())
    as_text = as_text[~as_text.isin(cn_scales.SKIP_TEXT) & (as_text != "")]
    as_text = as_text[~as_text.isin([str(m) for m in missing])]
    if as_text.empty:
        return None, "no answers", skipped
    num = pd.to_numeric(as_text, errors="coerce")
    if num.notna().all():
        x = num.to_numpy(dtype=np.float64)
        x = x[~np.isin(x, [float(m) for m in missing if _is_number(m)] + list(_SKIP_CODES))]
        if x.size == 0:
            return None, "no answers", skipped
        if value_labels:
            found = cn_scales.recognise([str(v) for v in value_labels.values()])
            if found is not None:
                lo, hi = _scale_range(found[0], x)
                return _ItemInfo(col, text, (0 if _FROM_ZERO.search(text) else lo, hi), (x.min(), x.max())), "", skipped
        if not np.all(x == np.round(x)) or x.min() < 0 or x.max() > 11:
            return None, f"numbers {_num(x.min())}–{_num(x.max())}", skipped
        if len(np.unique(x)) < 3:
            return None, "two values: a yes/no or multiple-choice option", skipped
        if single and _HAN.search(text) and not _SCALE_WORDS.search(text):
            return None, "single choice codes, not an answer scale", skipped
        zero = bool(_FROM_ZERO.search(text))
        if zero and x.max() == 11 and x.min() >= 1:  # 问卷星 numeric download of a 0–10 分 question: positions
            return _ItemInfo(col, text, (1, 11), (x.min(), x.max()),
                             note="0–10 分 written as option positions (score + 1): read the text download"), "", skipped
        lo = 0 if x.min() == 0 or zero else 1
        hi = next(h for h in (5, 7, 10, 11) if x.max() <= h)
        hi = 10 if zero and hi < 10 else hi
        return _ItemInfo(col, text, (lo, hi), (x.min(), x.max())), "", skipped
    found = cn_scales.recognise(as_text.unique().tolist())
    if found is None:
        return None, "text", skipped
    scale, codes = found
    lo, hi = _scale_range(scale, np.array(list(codes.values())))
    return _ItemInfo(col, text, (0 if _FROM_ZERO.search(text) else lo, hi), None, scale.id), "", skipped


def _scale_range(scale: cn_scales.Scale, codes: np.ndarray) -> tuple[int, int]:
    if scale.id != "points":
        return 1, len(scale.positions)
    lo = 0 if codes.size and codes.min() == 0 else 1
    hi = 10 if codes.size and codes.max() > 7 else 7 if codes.size and codes.max() > 5 else 5
    return lo, hi


def _scale_by_id(sid: str) -> cn_scales.Scale:
    return next(s for s in cn_scales.SCALES if s.id == sid)


def _label_map(scale: cn_scales.Scale) -> list[tuple[str, float]]:
    if scale.id == "points":
        return [(f"{k}分", float(k)) for k in range(11)]
    return [(label, float(k + 1)) for k, synonyms in enumerate(scale.positions) for label in synonyms]


# ---------------------------------------------------------------------- YAML scalars
def _q(text: Any) -> str:
    """A YAML scalar for ``text``: a JSON string (valid YAML, keeps Chinese characters)."""
    return json.dumps(str(text), ensure_ascii=False)


def _num(x: float) -> str:
    return f"{x:g}"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
