"""Exports of the Chinese survey platforms 问卷星 (wjx.cn), 问卷网 (wenjuan.com) and 腾讯问卷 (wj.qq.com).

Every layout fact below comes from real export files or from public code that parses them (research
notes: /work/notes/cn_platform_layouts.md; none of the three platforms documents its columns).

``wjx`` — 问卷星 (notes §1; real files gasongjian/reportgen ``All_Data_Readable.xls``,
``All_Data_Original.xls``, ``[问卷星数据]800_800_0.xls`` / ``_2.xls``)
    One header row. Metadata columns, found **by name** (their order changed: 2018+
    ``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP``; 2016–17 ``来自IP`` before ``来源``;
    optional ``总分``). Questions are headed ``N、题干``, in 2016 with a type suffix such as
    `` (单选题 *必答)`` (stripped from the question text). Matrix questions: ``N、题干—第一行`` (em dash)
    then the other rows as bare labels, ``N、行`` or ``N、(行)``. Multiple choice: one cell joined
    with ``┋`` in the text download; one 0/1 column per option in the numeric one, headed
    ``第N题(选项)`` (≤ 2018) or ``N、(选项)`` (2019+; the first option column may carry the title).
    Skipped: ``(跳过)`` / ``(空)`` in the text download, ``-3`` (``-2``: unranked option) in the
    numeric one. A bare column that follows no matrix question is a question of its own (the 2016
    file ends with a bare ``请选择省份城市与地区:`` column); a bare column before any question is
    refused (a matrix split oddly).
``wenjuan`` — 问卷网 (notes §2; reportgen's ``wenjuanwang()``, CollegesChat's coded export)
    Coded export: ``seq, source, Q1, Q2|A1|open, …, start, finish, time_used, ip_province,
    ip_city, ip, browser, os``; its Chinese names ``答题序号, 来源, …, 开始时间, 提交时间, 答题时长,
    IP省份, IP城市, IP地址, 浏览器, 操作系统``. Question columns keep their names (``Q1``).
``tencent`` — 腾讯问卷 (notes §3; zzyspace/auto-invoice-issuance ``样例.csv``)
    ``编号, 开始答题时间, 结束答题时间, 答题时长``, questions ``N.题干`` (sub-items ``N.题干:子项``), then
    ``语言, 清洗数据结果, 智能清洗数据无效概率, 地理位置国家和地区, 地理位置省, 地理位置市, 自定义字段, IP, UA,
    Referrer`` (and ``用户类型``, ``用户标识``). Answers may carry the option letter (``A.非常满意``), which
    is stripped before the scale is recognised.

Column names: a one-column question ``N`` becomes ``QN``; the columns of a matrix, multi-fill or
multiple-choice question become ``QN_1``, ``QN_2``, … (rows or options in file order), so that the
text and the numeric download of the same survey have the same names for single-column questions
and matrix rows. :attr:`RawTable.question_text` holds ``题干—子题``. 问卷网 columns keep their names.

Metadata is typed: the id (``序号``/``编号``/``答题序号``/``seq``) as whole numbers, times as datetimes
(``2016/12/17 14:22:55``, ``2026-06-16 08:00:00``, ``2026/5/25 14:03``), the duration
(``所用时间`` ``136秒``, ``答题时长`` ``225``) as seconds; source columns as text. IP addresses, IP
locations, user ids and user agents stay in the table but are listed in
:attr:`PlatformInfo.sensitive`, for reports to leave out unless asked.

Answer scales (:mod:`csi_survey.ingest.cn_scales`): a column whose option texts are all labels of one
built-in Chinese scale is turned into its scores (``value_labels`` records {score: label});
:attr:`PlatformInfo.columns` reports which column got which scale and how many answers were
skipped. The download is classified ``text`` (option text or skip markers seen), ``numeric``
(option columns or ``-3``/``-2`` seen) or ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ..exceptions import InputFileError
from . import cn_scales
from .quality import parse_durations

__all__ = ["CN_FORMATS", "PLATFORM_NAMES", "PlatformInfo", "detect", "header", "interpret"]

#: ``read_table(format=...)`` values of the Chinese platforms.
CN_FORMATS = ("wjx", "wenjuan", "tencent")
PLATFORM_NAMES = {"wjx": "问卷星 (wjx.cn)", "wenjuan": "问卷网 (wenjuan.com)", "tencent": "腾讯问卷 (wj.qq.com)"}

#: Metadata column name → role, per platform.
META = {
    "wjx": {"序号": "id", "提交答卷时间": "submitted", "所用时间": "duration", "来源": "source", "来源详情": "source",
            "来自IP": "ip", "总分": "score", "经纬度": "location"},
    "wenjuan": {"答题序号": "id", "seq": "id", "来源": "source", "source": "source", "开始时间": "started",
                "start": "started", "提交时间": "submitted", "finish": "submitted", "答题时长": "duration",
                "答题时长(秒)": "duration", "time_used": "duration", "IP省份": "location", "ip_province": "location",
                "IP城市": "location", "ip_city": "location", "IP地址": "ip", "ip": "ip", "浏览器": "device",
                "browser": "device", "操作系统": "device", "os": "device"},
    "tencent": {"编号": "id", "开始答题时间": "started", "结束答题时间": "submitted", "答题时长": "duration",
                "语言": "platform", "清洗数据结果": "platform", "智能清洗数据无效概率": "platform",
                "地理位置国家和地区": "location", "地理位置省": "location", "地理位置市": "location", "自定义字段": "source",
                "IP": "ip", "UA": "device", "Referrer": "source", "用户类型": "platform", "用户标识": "user"},
}
#: Roles kept out of reports unless asked.
SENSITIVE_ROLES = ("ip", "location", "device", "user")

_WJX_Q = re.compile(r"^(\d{1,3})[、．]\s*(.*)$", re.S)
_WJX_OPT = re.compile(r"^第(\d{1,3})题\s*\((.*)\)$", re.S)
_TENCENT_Q = re.compile(r"^(\d{1,3})\.\s*(.*)$", re.S)
_TYPE_SUFFIX = re.compile(r"\s*\((?:[^()]*题)\s*(?:\*必答)?\)\s*$")
_PAREN_TAIL = re.compile(r"^(.*?)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$", re.S)
_LETTER = re.compile(r"^[A-Z]{1,2}[.．]\s*")
_ZERO_TO_TEN = re.compile(r"0\s*[-–~～到至]\s*10\s*分|0分")
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class PlatformInfo:
    """What the reader understood of a platform export.

    ``columns``: one row per column — ``column`` (name in the table), ``header`` (as in the file),
    ``question`` (题干, or 题干—子题), ``role`` (``question`` or a metadata role: ``id``,
    ``submitted``, ``started``, ``duration``, ``source``, ``ip``, ``location``, ``device``, …),
    ``scale`` (the built-in scale recognised, ``""`` if none), ``n_skipped`` ((跳过) / -3 / -2) and
    ``n_blank`` ((空) or an empty cell). ``roles``: metadata column → role. ``sensitive``: columns
    to leave out of reports unless asked. ``unknown_labels``: column → option texts in no scale, for
    columns that otherwise look like a scale. ``paired``: column → {position: label} when the
    numeric download was paired with the text download. ``notes``: readable remarks.
    """

    platform: str
    download: str
    columns: pd.DataFrame
    roles: Mapping[str, str] = field(default_factory=dict)
    sensitive: tuple[str, ...] = ()
    unknown_labels: Mapping[str, Sequence[str]] = field(default_factory=dict)
    paired: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def scales(self) -> pd.DataFrame:
        """The columns that got a built-in scale: ``column``, ``scale``, ``n_skipped``, ``n_blank``."""
        c = self.columns
        return c.loc[c["scale"] != "", ["column", "scale", "n_skipped", "n_blank"]].reset_index(drop=True)

    def summary(self) -> str:
        lines = [f"{PLATFORM_NAMES.get(self.platform, self.platform)} export, {self.download} download: "
                 f"{int((self.columns['role'] == 'question').sum())} question column(s), "
                 f"{len(self.roles)} metadata column(s)"]
        sc = self.scales
        for scale, grp in sc.groupby("scale", sort=False):
            lines.append(f"  scale {scale}: {', '.join(grp['column'])}")
        skipped = self.columns[self.columns["n_skipped"] > 0]
        if len(skipped):
            lines.append(f"  skipped answers (missing): {int(skipped['n_skipped'].sum())} in {len(skipped)} column(s)")
        for col, labs in self.unknown_labels.items():
            lines.append(f"  {col}: option text in no built-in scale: {', '.join(map(repr, labs))}")
        if self.sensitive:
            lines.append(f"  kept out of reports unless asked: {', '.join(self.sensitive)}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
    return str(v).strip().lstrip("\ufeff").strip()


# ====================================================================== detection
def detect(head: Sequence[Sequence[object]]) -> str | None:
    """``wjx``, ``wenjuan`` or ``tencent`` from the header row, or None."""
    if not head:
        return None
    row1 = {_text(v) for v in head[0]}
    if {"序号", "提交答卷时间"} <= row1 and ("所用时间" in row1 or "来自IP" in row1):
        return "wjx"
    if {"编号", "开始答题时间", "答题时长"} <= row1 or {"编号", "开始答题时间", "结束答题时间"} <= row1:
        return "tencent"
    if ({"seq", "start", "finish"} <= row1 and ("time_used" in row1 or "ip" in row1)) or (
            {"答题序号", "开始时间", "答题时长"} <= row1):
        return "wenjuan"
    return None


_EXPECTED = {
    "wjx": "the header row should hold 序号, 提交答卷时间 and 所用时间 (问卷星's metadata columns)",
    "wenjuan": "the header row should hold seq, start and finish (or 答题序号, 开始时间 and 答题时长)",
    "tencent": "the header row should hold 编号, 开始答题时间 and 答题时长",
}


# ====================================================================== header
@dataclass
class _Group:
    number: int | None
    title: str
    cols: list[tuple[int, str, str]] = field(default_factory=list)  # position, header, sub-label
    matrix: bool = False


def header(fmt: str, head: Sequence[Sequence[object]], where: str) -> tuple[list[str], dict[int, str], dict[int, str]]:
    """Column names, question texts and metadata roles (by column position) of a platform export.

    Raises
    ------
    InputFileError
        The header row is not the platform's (``fmt`` given explicitly), a bare column comes before
        any question (a matrix question split oddly), or a question number appears twice apart.
    """
    if detect(head) != fmt:
        shown = ", ".join(repr(_text(v)) for v in list(head[0])[:6]) if head else "no rows"
        raise InputFileError(
            f"{where} does not look like a {PLATFORM_NAMES[fmt]} export: {_EXPECTED[fmt]}. Found row 1: {shown}",
            hint="leave out the format (format='auto', or no --format) to detect the layout, or choose the format "
            "the file was exported in (wjx, wenjuan, tencent, csv, xlsx, …).",
        )
    row1 = [_text(v) for v in head[0]]
    meta = META[fmt]
    roles = {j: meta[h] for j, h in enumerate(row1) if h in meta}
    names = list(row1)
    qtext: dict[int, str] = {}
    if fmt == "wenjuan":
        return names, qtext, roles
    q_re = _WJX_Q if fmt == "wjx" else _TENCENT_Q
    groups: list[_Group] = []
    current: _Group | None = None
    for j, h in enumerate(row1):
        if j in roles or not h:
            current = None if j in roles else current
            continue
        m_opt = _WJX_OPT.match(h) if fmt == "wjx" else None
        m = q_re.match(h)
        if m_opt or m:
            n = int((m_opt or m).group(1))
            rest = (m_opt or m).group(2).strip()
            if current is not None and current.number == n:
                label = rest
                if fmt == "tencent" and ":" in rest:
                    label = rest.rsplit(":", 1)[1]
                pm = re.fullmatch(r"\((.*)\)", label, re.S)
                current.cols.append((j, h, pm.group(1) if pm else label))
                continue
            current = _Group(n, "")
            groups.append(current)
            if m_opt:
                current.cols.append((j, h, rest))
                continue
            sep = "—" if fmt == "wjx" else ":"
            if sep in rest:
                title, label = rest.rsplit(sep, 1)
                current.matrix = fmt == "wjx"
                current.title = _TYPE_SUFFIX.sub("", title).strip()
                current.cols.append((j, h, label.strip()))
            else:
                current.title = _TYPE_SUFFIX.sub("", rest).strip()
                current.cols.append((j, h, ""))
            continue
        # a bare header: a row of the matrix before it, or a question of its own
        if current is not None and current.matrix:
            current.cols.append((j, h, h))
            continue
        if not groups:
            raise InputFileError(
                f"{where}: column {_letter(j)} ({h!r}) has no question number and no matrix question before it, so it "
                f"cannot be told which question it belongs to (a matrix question split oddly?)",
                hint="问卷星 heads a matrix question's first row 'N、题干—行' and its other rows with their labels; download "
                "the file again without editing its header, or read it with format='xlsx'/'csv' (no interpretation).",
            )
        current = _Group(None, h)
        groups.append(current)
        current.cols.append((j, h, ""))
    seen: dict[int, int] = {}
    for g in groups:
        if g.number is None:
            continue
        if g.number in seen:
            raise InputFileError(
                f"{where}: question {g.number} appears twice, apart (columns {_letter(seen[g.number])} and "
                f"{_letter(g.cols[0][0])})",
                hint="download the file again without editing its header, or read it with format='xlsx'/'csv'.",
            )
        seen[g.number] = g.cols[0][0]
        if len(g.cols) > 1 and not g.cols[0][2] and not g.matrix:
            pm = _PAREN_TAIL.match(g.title)  # 2019+: '8、题干(第一个选项)', '8、(选项2)', …
            if pm:
                g.title = pm.group(1).strip()
                g.cols[0] = (g.cols[0][0], g.cols[0][1], pm.group(2))
        title = g.title or f"第{g.number}题"
        for k, (j, _h, label) in enumerate(g.cols):
            names[j] = f"Q{g.number}" if len(g.cols) == 1 else f"Q{g.number}_{k + 1}"
            qtext[j] = f"{title}—{label}" if label else title
    for g in groups:
        if g.number is None:
            qtext[g.cols[0][0]] = g.title
    return names, qtext, roles


def _letter(position: int) -> str:
    letters, n = "", position + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ====================================================================== cells
def interpret(
    fmt: str,
    frame: pd.DataFrame,
    roles_by_name: Mapping[str, str],
    headers: Mapping[str, str],
    questions: Mapping[str, str],
) -> tuple[pd.DataFrame, dict[str, dict[Any, str]], dict[str, list[Any]], PlatformInfo]:
    """Type the metadata and recognise the answer scales of a platform table.

    ``frame`` has the final column names; ``roles_by_name`` maps the metadata columns to their
    roles, ``headers`` every column to its header in the file, ``questions`` to its question text.
    Returns the new frame, ``value_labels``, ``missing_values`` and the :class:`PlatformInfo`.
    """
    frame = frame.copy()
    value_labels: dict[str, dict[Any, str]] = {}
    rows: list[dict[str, Any]] = []
    unknown: dict[str, list[str]] = {}
    saw_text = saw_codes = False
    notes: list[str] = []
    for col in frame.columns:
        role = roles_by_name.get(col)
        if role is not None:
            frame[col] = _typed(frame[col], role)
            rows.append(_row(col, headers, questions, role, "", 0, int(frame[col].isna().sum())))
            continue
        s = frame[col]
        scale_name, n_skip, n_blank = "", 0, int(s.isna().sum())
        if not (ptypes.is_numeric_dtype(s.dtype) or ptypes.is_datetime64_any_dtype(s.dtype)):
            s, scale_name, n_skip, n_blank, labels, unknown_here, text_seen = _answers(s, fmt)
            saw_text = saw_text or text_seen
            frame[col] = s
            if labels:
                value_labels[col] = labels
            if scale_name.startswith("points (1") and _ZERO_TO_TEN.search(questions.get(col, "")):
                scale_name = "points (0–10 分)"  # the question offers 0分, though nobody chose it
            if unknown_here:
                unknown[col] = unknown_here
        num = pd.to_numeric(frame[col], errors="coerce") if not scale_name else None
        if num is not None and fmt == "wjx":
            codes = int(num.isin(cn_scales.SKIP_CODES).sum())
            if codes:
                saw_codes = True
                n_skip += codes
        rows.append(_row(col, headers, questions, "question", scale_name, n_skip, n_blank))
    if fmt == "wjx" and any(_WJX_OPT.match(h) or re.match(r"^\d{1,3}、\(", h) for h in headers.values()):
        saw_codes = True
    download = "text" if saw_text and not saw_codes else "numeric" if saw_codes and not saw_text else "unknown"
    missing: dict[str, list[Any]] = {"*": list(cn_scales.SKIP_TEXT)}
    if fmt == "wjx" and download != "text":
        missing["*"] += list(cn_scales.SKIP_CODES)
    if fmt == "wjx" and download == "numeric":
        pos = [c for c in frame.columns if c not in roles_by_name and _ZERO_TO_TEN.search(questions.get(c, ""))]
        notes.append("numeric download (按选项序号): single-choice answers are option positions, not scores"
                     + (f"; {', '.join(pos)} ask(s) for 0–10 分, so the position is the score + 1" if pos else "")
                     + " — read the text download (按选项文本), or pair both downloads (cn_scales.pair_downloads)")
    columns = pd.DataFrame(rows, columns=["column", "header", "question", "role", "scale", "n_skipped", "n_blank"])
    sensitive = tuple(c for c, r in roles_by_name.items() if r in SENSITIVE_ROLES)
    info = PlatformInfo(fmt, download, columns, dict(roles_by_name), sensitive, unknown, {}, tuple(notes))
    return frame, value_labels, missing, info


def _row(col, headers, questions, role, scale, n_skip, n_blank) -> dict[str, Any]:
    return {"column": col, "header": headers.get(col, col), "question": questions.get(col, ""), "role": role,
            "scale": scale, "n_skipped": int(n_skip), "n_blank": int(n_blank)}


def _answers(s: pd.Series, fmt: str):
    """One answer column: skip markers counted, option text of a built-in scale → scores.

    Returns the column, the scale's description, the counts of skipped and blank answers, the
    labels ({score: label}), the unknown labels of a suspect column and whether option text was seen.
    """
    text = s.astype("string").str.strip()
    n_skip = int(text.eq("(跳过)").sum())
    n_blank = int((text.isna() | text.eq("") | text.eq("(空)")).sum())
    values = text[text.notna() & text.ne("") & ~text.isin(list(cn_scales.SKIP_TEXT))]
    uniq = pd.unique(values.to_numpy(dtype=object))
    is_num = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce").notna().to_numpy()
    labels = [u for u, k in zip(uniq, is_num, strict=True) if not k]
    text_seen = n_skip > 0 or any("┋" in u for u in labels)  # fill-in text is in both downloads
    if not labels:
        if len(uniq) and n_skip == 0 and not text.eq("(空)").any():
            return pd.to_numeric(s, errors="coerce"), "", 0, n_blank, {}, [], False
        return s, "", n_skip, n_blank, {}, [], text_seen
    strip = {u: _LETTER.sub("", u) for u in labels} if fmt == "tencent" else {u: u for u in labels}
    found = cn_scales.recognise(strip.values()) if not is_num.any() else None
    if found is None:
        sus = cn_scales.unknown_labels(strip.values()) if not is_num.any() else None
        return s, "", n_skip, n_blank, {}, (sus[1] if sus else []), text_seen
    scale, codes = found
    mapping = {u: codes[strip[u]] for u in labels}
    out = text.map(mapping)
    out = out.astype(object).where(out.notna(), text.astype(object))  # markers stay as text
    out = out.where(text.notna() & text.ne(""), np.nan)
    converted = pd.to_numeric(out, errors="coerce")
    if converted.notna().sum() == out.notna().sum():
        out = converted  # no marker left: a plain numeric column
    lab = {_int(c): strip[u] for u, c in mapping.items()}
    return out, scale.describe(codes.values()), n_skip, n_blank, dict(sorted(lab.items())), [], True


def _int(x: float) -> Any:
    return int(x) if float(x).is_integer() else x


def _typed(s: pd.Series, role: str) -> pd.Series:
    if role == "id":
        num = pd.to_numeric(s, errors="coerce")
        filled = s.notna() & s.astype("string").str.strip().ne("")
        if num[filled].notna().all() and len(num) and (num.dropna() % 1 == 0).all():
            return num.astype("Int64")
        return s
    if role in ("submitted", "started"):
        if ptypes.is_datetime64_any_dtype(s.dtype):
            return s
        text = s.astype("string").str.strip()
        out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        for f in _TIME_FORMATS:
            todo = out.isna() & text.notna()
            if not todo.any():
                break
            out[todo] = pd.to_datetime(text[todo], format=f, errors="coerce")
        filled = text.notna() & text.ne("") & text.str.upper().ne("NULL")
        return out if out[filled].notna().all() else s
    if role == "duration":
        return pd.Series(parse_durations(s), index=s.index, dtype=np.float64)
    return s
