"""问卷星 / 问卷网 / 腾讯问卷 exports: layouts, Chinese answer scales, text + numeric pairing.

Every fixture copies layout facts from real exports or from public code that parses them; the research
notes /work/notes/cn_platform_layouts.md give each fact with its source. The sources cited below:

* [RG-R] gasongjian/reportgen:reportgen/data/All_Data_Readable.xls @ bbbad86d — a real 问卷星 text download
  (按选项文本) of 2016-12-17 (notes §0, §1.13 A).
* [RG-O] gasongjian/reportgen:reportgen/data/All_Data_Original.xls @ bbbad86d — the numeric download
  (按选项序号) of the same responses (notes §1.13 B).
* [RG-800] gasongjian/reportgen:example/datasets/[问卷星数据]800_800_0.xls / _2.xls — 2018 text and numeric
  downloads (notes §1.13 C).
* [WJX-2019] public scripts reading 2019+ numeric downloads with ``N、(选项)`` columns (notes §1.4: index ids
  33533438386, 45354496431, 33000178274).
* [WJXP] CollegesChat/wenjuanxing-parser (``(空)`` / ``(跳过)`` markers, notes §1.8).
* [TX] zzyspace/auto-invoice-issuance:样例.csv — a 腾讯问卷 export (notes §3.2); option letters ``A.`` from
  hbq969/realtime-tracking and ourongxing/qqwj (notes §3.3).
* [WJW] CollegesChat/university-information:questionnaires/results_desensitized.csv — a 问卷网 coded export,
  GB18030 (notes §2.2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csi_survey as csi
from csi_survey.exceptions import DataValidationError, InputFileError
from csi_survey.ingest import cn_scales
from csi_survey.ingest.quality import parse_durations
from csi_survey.ingest.readers import read_table

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# ---------------------------------------------------------------- 2016 问卷星 downloads ([RG-R], [RG-O])
# 2016 order: 来自IP before 来源 ([RG-R] header); the " (单选题 *必答)" suffix ([RG-R]); the matrix
# "N、题干—第一行" then bare row labels ([RG-R] question 13); "┋" multiple choice ([RG-R] q3);
# "(跳过)" for every column of a skipped question ([RG-R] rows 1 and 3); "136秒" durations and
# "2016/12/17 14:22:55" times stored as text ([RG-R], notes §1.2); "IP(省-市)" ([RG-R]); a bare
# 省市区 column at the end ([RG-R], notes §1.1); 0–10 分 as single choice ([RG-R] q15).
TEXT_2016 = [
    ["序号", "提交答卷时间", "所用时间", "来自IP", "来源", "来源详情", "1、请问您是中兴员工或有家属在中兴通讯工作吗?",
     "3、请问在购买前,您从哪里了解到“中兴天机7”?(多选,) (多选题 *必答)",
     "13、如下“中兴天机7”的各方面,对您而言重要性如何?(1分表示非常不重要,5分表示非常重要) (矩阵单选题 *必答)—外观",
     "界面美观度", "屏幕显示效果",
     "15、您对“中兴天机7”整体的满意度如何?(以0-10分为标准,0分为最低,10分为最高) (单选题 *必答)",
     "37、性别 (单选题 *必答)", "请选择省份城市与地区:"],
    ["1", "2016/12/17 14:22:55", "5秒", "183.192.16.69(上海-上海)", "手机提交", "微信", "是", "(跳过)", "(跳过)",
     "(跳过)", "(跳过)", "(跳过)", "(跳过)", "(跳过)"],
    ["2", "2016/12/17 14:25:31", "136秒", "183.192.16.69(上海-上海)", "手机提交", "微信", "否",
     "运营商营业厅的广告(如移动、联通、电信营业厅)┋其他【请注明】〖柜台〗", "4分", "4分", "5分", "3分", "男", "山西-晋城"],
    ["3", "2016/12/17 14:26:40", "8秒", "183.192.16.69(上海-上海)", "手机提交", "微信", "是", "(跳过)", "(跳过)",
     "(跳过)", "(跳过)", "(跳过)", "(跳过)", "(跳过)"],
    ["4", "2016/12/17 14:28:03", "60秒", "183.192.16.69(上海-上海)", "手机提交", "微信", "否", "其他【请注明】〖你好好〗",
     "4分", "2分", "4分", "3分", "女", "天津-红桥区"],
]
# The numeric download of the same rows ([RG-O]): multiple choice as "第N题(选项)" 0/1 columns, -3 where
# the text says (跳过), matrix cells the option ordinal (= the score for 1–5 分), q15 the option
# position: "3分" is written 4 (notes §1.9); a fill-in or 省市区 answer keeps its text, a skipped one is
# the number -3 (notes §1.8, §1.10).
NUMERIC_2016 = [
    ["序号", "提交答卷时间", "所用时间", "来自IP", "来源", "来源详情", "1、请问您是中兴员工或有家属在中兴通讯工作吗?",
     "第3题(实体手机卖场的广告(如国美、苏宁、永乐、迪信通等))", "第3题(运营商营业厅的广告(如移动、联通、电信营业厅))",
     "第3题(其他【请注明】)",
     "13、如下“中兴天机7”的各方面,对您而言重要性如何?(1分表示非常不重要,5分表示非常重要) (矩阵单选题 *必答)—外观",
     "界面美观度", "屏幕显示效果",
     "15、您对“中兴天机7”整体的满意度如何?(以0-10分为标准,0分为最低,10分为最高) (单选题 *必答)",
     "37、性别 (单选题 *必答)", "请选择省份城市与地区:"],
    [1, "2016/12/17 14:22:55", "5秒", "183.192.16.69(上海-上海)", "手机提交", "微信", 1, -3, -3, -3, -3, -3, -3, -3, -3,
     -3],
    [2, "2016/12/17 14:25:31", "136秒", "183.192.16.69(上海-上海)", "手机提交", "微信", 2, 0, 1, 1, 4, 4, 5, 4, 1,
     "山西-晋城"],
    [3, "2016/12/17 14:26:40", "8秒", "183.192.16.69(上海-上海)", "手机提交", "微信", 1, -3, -3, -3, -3, -3, -3, -3, -3,
     -3],
    [4, "2016/12/17 14:28:03", "60秒", "183.192.16.69(上海-上海)", "手机提交", "微信", 2, 0, 0, 1, 4, 2, 4, 4, 2,
     "天津-红桥区"],
]


def _csv(path: Path, rows: list[list], encoding: str) -> Path:
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def _xlsx(path: Path, rows: list[list]) -> Path:
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False, engine="openpyxl")
    return path


def _write(tmp_path: Path, rows: list[list], kind: str, stem: str = "x") -> Path:
    if kind == "xlsx":
        return _xlsx(tmp_path / f"{stem}.xlsx", rows)
    return _csv(tmp_path / f"{stem}_{kind}.csv", rows, {"utf8bom": "utf-8-sig", "gbk": "gbk"}[kind])


@pytest.mark.parametrize("kind", ["xlsx", "utf8bom", "gbk"])
def test_wjx_2016_text_download(tmp_path, kind):
    """[RG-R]: the 2016 text download, as .xlsx and as CSV in UTF-8 with BOM and in GBK (notes §1.12: the
    CSV encoding is not confirmed, so both are read)."""
    raw = read_table(_write(tmp_path, TEXT_2016, kind))
    assert raw.format == "wjx"
    f = raw.frame
    assert list(f.columns) == ["序号", "提交答卷时间", "所用时间", "来自IP", "来源", "来源详情", "Q1", "Q3", "Q13_1", "Q13_2",
                               "Q13_3", "Q15", "Q37", "请选择省份城市与地区:"]
    info = raw.platform
    assert info.download == "text"
    assert info.roles == {"序号": "id", "提交答卷时间": "submitted", "所用时间": "duration", "来自IP": "ip", "来源": "source",
                          "来源详情": "source"}
    assert info.sensitive == ("来自IP",)
    assert str(f["序号"].dtype) == "Int64" and f["序号"].tolist() == [1, 2, 3, 4]
    assert f["提交答卷时间"].iloc[1] == pd.Timestamp("2016-12-17 14:25:31")
    assert f["所用时间"].tolist() == [5.0, 136.0, 8.0, 60.0]
    assert f["来自IP"].iloc[0] == "183.192.16.69(上海-上海)"  # kept, only flagged
    # question texts: number and type suffix stripped, matrix rows as 题干—行
    qt = raw.question_text
    assert qt["Q37"] == "性别"
    assert qt["Q13_1"].endswith("(1分表示非常不重要,5分表示非常重要)—外观")
    assert qt["Q13_2"].endswith("—界面美观度") and qt["Q13_3"].endswith("—屏幕显示效果")
    assert qt["请选择省份城市与地区:"] == "请选择省份城市与地区:"  # a bare column after a non-matrix question
    # "N分" answers → scores; "(跳过)" kept as a declared missing marker, and counted
    assert f["Q13_2"].tolist()[1:] == [4.0, "(跳过)", 2.0] and f["Q13_2"].iloc[0] == "(跳过)"
    assert f["Q15"].iloc[1] == 3.0
    assert raw.value_labels["Q13_1"] == {4: "4分"}
    assert set(raw.missing_values["*"]) == {"(跳过)", "(空)"}
    cols = info.columns.set_index("column")
    assert cols.loc["Q13_2", "n_skipped"] == 2 and cols.loc["Q3", "n_skipped"] == 2
    assert cols.loc["Q13_1", "scale"].startswith("points")
    assert "┋" in f["Q3"].iloc[1]  # multiple choice stays one text cell in the text download
    assert "问卷星" in info.summary() and "来自IP" in info.summary()


def test_wjx_2016_numeric_download_and_pairing(tmp_path):
    """[RG-O]: "第N题(选项)" option columns, -3 skips; the 0–10 分 question holds the option position
    (notes §1.9), which only the text download or the pairing turns into the score."""
    num = read_table(_write(tmp_path, NUMERIC_2016, "xlsx", "num"))
    assert num.format == "wjx" and num.platform.download == "numeric"
    assert [c for c in num.frame.columns if c.startswith("Q3_")] == ["Q3_1", "Q3_2", "Q3_3"]
    assert num.question_text["Q3_3"] == "第3题—其他【请注明】"
    assert num.question_text["Q3_1"] == "第3题—实体手机卖场的广告(如国美、苏宁、永乐、迪信通等)"
    assert {-3, -2} <= set(num.missing_values["*"])
    note = " ".join(num.platform.notes)
    assert "Q15" in note and "score + 1" in note and "pair" in note
    assert num.platform.columns.set_index("column").loc["Q13_1", "n_skipped"] == 2
    text = read_table(_write(tmp_path, TEXT_2016, "utf8bom", "text"))
    paired = cn_scales.pair_downloads(text, num)
    assert paired.platform.download == "paired"
    # q15: position 4 ↔ "3分" → the score 3, as in the text download; -3 stays a (declared) skip
    assert paired.frame["Q15"].tolist() == [-3.0, 3.0, -3.0, 3.0]
    assert paired.platform.paired["Q15"] == {4: "3分"}
    assert paired.platform.paired["Q37"] == {1: "男", 2: "女"}
    assert paired.value_labels["Q37"] == {1: "男", 2: "女"}
    assert paired.frame["Q13_2"].tolist() == [-3.0, 4.0, -3.0, 2.0]


def test_pairing_refuses_contradictions(tmp_path):
    """Two downloads that disagree (a position meeting two labels) are refused with column and rows."""
    rows = [list(r) for r in NUMERIC_2016]
    rows[4][14] = 1  # respondent 4: 女 in the text download, but position 1 (男's) here
    num = read_table(_write(tmp_path, rows, "xlsx", "num"))
    text = read_table(_write(tmp_path, TEXT_2016, "xlsx", "text"))
    with pytest.raises(InputFileError) as ei:
        cn_scales.pair_downloads(text, num)
    msg = str(ei.value)
    assert "'Q37'" in msg and "position 1 meets '男', '女'" in msg and "rows 3, 5" in msg
    assert "text.xlsx" in msg and "num.xlsx" in msg
    rows = [list(r) for r in NUMERIC_2016]
    rows[2][14] = -3  # an answer in the text download, a skip in the numeric one
    num = read_table(_write(tmp_path, rows, "xlsx", "num2"))
    with pytest.raises(InputFileError, match=r"column 'Q37', row 3: text '男', number -3"):
        cn_scales.pair_downloads(text, num)


def test_wjx_2018_order_and_2019_option_columns(tmp_path):
    """[RG-800]: 2018+ metadata order 来源, 来源详情, 来自IP; [WJX-2019]: numeric multiple choice as
    "N、题干(选项1)", "N、(选项2)", …; [WJXP]: "(空)" for an optional question left blank."""
    rows = [
        ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、手机部数", "3、性别 ",
         "8、您通常参与（或愿意参加）哪些校园生活活动？(学术研究或项目)", "8、(社团或学生组织活动)", "8、(体育活动)", "9、备注"],
        [1, "2018/03/01 10:00:01", "1分23秒", "手机提交", "直接访问", "1.2.3.4(北京-北京)", 1, 1, 1, 0, 1, "(空)"],
        [2, "2018/03/01 10:05:00", "95秒", "链接", "直接访问", "1.2.3.5(北京-北京)", 2, 2, 0, 0, -3, "很好"],
    ]
    raw = read_table(_write(tmp_path, rows, "gbk"))
    f = raw.frame
    assert list(f.columns)[6:] == ["Q1", "Q3", "Q8_1", "Q8_2", "Q8_3", "Q9"]
    assert raw.question_text["Q8_1"] == "您通常参与（或愿意参加）哪些校园生活活动？—学术研究或项目"
    assert raw.question_text["Q8_2"] == "您通常参与（或愿意参加）哪些校园生活活动？—社团或学生组织活动"
    assert raw.question_text["Q3"] == "性别"
    assert f["所用时间"].tolist() == [83.0, 95.0]
    assert raw.platform.download == "numeric"
    assert raw.platform.columns.set_index("column").loc["Q9", "n_blank"] == 1


def test_tencent_layout(tmp_path):
    """[TX]: 编号, 开始答题时间, 结束答题时间, 答题时长 (seconds, no unit), questions "N.题干", sub-items
    "N.题干:子项", trailing metadata; answers with option letters "A." (notes §3.3)."""
    rows = [
        ["编号", "开始答题时间", "结束答题时间", "答题时长", "1.您对本店的总体满意度", "2.请评价:商品质量", "2.请评价:服务态度",
         "3.备注", "语言", "清洗数据结果", "智能清洗数据无效概率", "地理位置国家和地区", "地理位置省", "地理位置市", "自定义字段", "IP",
         "UA", "Referrer"],
        [307, "2026/5/25 14:03", "2026/5/25 14:03", 36, "E.非常满意", "D.满意", "C.一般", "", "简体中文", "未清洗", "", "中国",
         "福建省", "厦门市", "", "127.0.0.1", "Mozilla/5.0 Demo", ""],
        [306, "2026/5/24 12:58", "2026/5/24 13:02", 225, "B.不满意", "E.非常满意", "A.非常不满意", "快一点", "简体中文", "未清洗",
         "", "中国", "福建省", "泉州市", "", "127.0.0.2", "Mozilla/5.0 Demo", ""],
    ]
    raw = read_table(_write(tmp_path, rows, "utf8bom"))
    assert raw.format == "tencent"
    f = raw.frame
    assert ["Q1", "Q2_1", "Q2_2", "Q3"] == [c for c in f.columns if c.startswith("Q")]
    assert raw.question_text["Q2_2"] == "请评价—服务态度"
    assert f["Q1"].tolist() == [5.0, 2.0] and f["Q2_2"].tolist() == [3.0, 1.0]
    assert f["答题时长"].tolist() == [36.0, 225.0]
    assert f["开始答题时间"].iloc[1] == pd.Timestamp("2026-05-24 12:58")
    assert set(raw.platform.sensitive) >= {"IP", "UA", "地理位置省", "地理位置市"}
    assert raw.platform.scales["column"].tolist() == ["Q1", "Q2_1", "Q2_2"]


def test_wenjuan_coded_layout(tmp_path):
    """[WJW]: seq, source, Qn, Qn|A1|open, then start, finish, time_used, ip_province, ip_city, ip, browser,
    os, in GB18030; times "%Y-%m-%d %H:%M:%S"."""
    rows = [
        ["seq", "source", "Q1", "Q2|A1|open", "Q3", "start", "finish", "time_used", "ip_province", "ip_city", "ip",
         "browser", "os"],
        [2, "", 2, "", "湖南大学", "2021-03-01 10:00:00", "2021-03-01 10:03:00", 180, "湖南", "长沙", "1.1.1.1", "Chrome",
         "Windows"],
        [3, "", 1, "其他学校", "吉林大学", "2021-03-01 11:00:00", "2021-03-01 11:02:00", 120, "吉林", "长春", "1.1.1.2",
         "Safari", "iOS"],
    ]
    path = tmp_path / "wjw.csv"
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False, encoding="gb18030")
    raw = read_table(path)
    assert raw.format == "wenjuan"
    assert list(raw.frame.columns)[:5] == ["seq", "source", "Q1", "Q2|A1|open", "Q3"]
    assert raw.frame["finish"].iloc[0] == pd.Timestamp("2021-03-01 10:03:00")
    assert raw.frame["time_used"].tolist() == [180.0, 120.0]
    assert set(raw.platform.sensitive) == {"ip_province", "ip_city", "ip", "browser", "os"}


def test_forced_format_checks_the_header(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert read_table(path).format == "csv"
    with pytest.raises(InputFileError, match="does not look like a 问卷星"):
        read_table(path, format="wjx")
    assert read_table(_write(tmp_path, TEXT_2016, "utf8bom"), format="wjx").format == "wjx"


# ---------------------------------------------------------------- bad input
def test_matrix_split_oddly_is_refused(tmp_path):
    """A bare row-label column with no question before it (the matrix's first column "N、题干—行" lost)."""
    rows = [["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "界面美观度", "13、题干—外观"],
            [1, "2018/03/01 10:00:01", "5秒", "链接", "直接访问", "1.2.3.4(北京-北京)", "4分", "3分"]]
    with pytest.raises(InputFileError) as ei:
        read_table(_write(tmp_path, rows, "xlsx", "odd"))
    msg = str(ei.value)
    assert "odd.xlsx" in msg and "column G" in msg and "'界面美观度'" in msg and "no question number" in msg
    assert ei.value.hint and "format='xlsx'" in ei.value.hint
    rows[0][6:] = ["13、题干—外观", "界面美观度"]
    rows.append([2, "2018/03/01 10:00:01", "5秒", "链接", "直接访问", "1.2.3.4(北京-北京)", "2分", "3分"])
    rows[0].append("13、又一个")  # question 13 again, apart from its columns? No: adjacent → a row of 13
    rows[1].append("1分")
    rows[2].append("1分")
    raw = read_table(_write(tmp_path, rows, "xlsx", "ok"))
    assert [c for c in raw.frame.columns if c.startswith("Q")] == ["Q13_1", "Q13_2", "Q13_3"]
    rows[0][6:] = ["13、题干—外观", "界面美观度", "14、另一题"]
    rows[0].append("13、又出现")
    for r in rows[1:]:
        r.append("1分")
    with pytest.raises(InputFileError, match="question 13 appears twice"):
        read_table(_write(tmp_path, rows, "xlsx", "twice"))


UNKNOWN_ROWS = [
    ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、满意度—质量", "服务", "2、认同—推荐", "再购", "3、您多久购物一次"],
    [1, "2018/03/01 10:00:01", "90秒", "链接", "直接访问", "1.2.3.4(北京-北京)", "非常满意", "还行", "同意", "非常同意", "经常"],
    [2, "2018/03/01 10:00:02", "80秒", "链接", "直接访问", "1.2.3.4(北京-北京)", "满意", "满意", "一般", "同意", "一般"],
    [3, "2018/03/01 10:00:03", "70秒", "链接", "直接访问", "1.2.3.4(北京-北京)", "一般", "不满意", "说不好", "非常同意", "很少"],
    [4, "2018/03/01 10:00:04", "75秒", "链接", "直接访问", "1.2.3.4(北京-北京)", "不满意", "还行", "不同意", "同意", "经常"],
]


def test_option_text_in_no_scale_is_one_clear_error(tmp_path):
    """An item holding option text in no built-in scale: ONE error listing every unknown label with its
    columns and the fix (label_maps); a non-item column ('经常/一般/很少') is left alone."""
    raw = read_table(_write(tmp_path, UNKNOWN_ROWS, "utf8bom", "unk"))
    assert dict(raw.platform.unknown_labels) == {"Q1_2": ["还行"], "Q2_1": ["说不好"]}
    assert raw.frame["Q1_1"].tolist() == [5.0, 4.0, 3.0, 2.0]  # the clean column is recognised
    assert raw.frame["Q3"].iloc[0] == "经常"  # not a scale: text, no error
    q = csi.Questionnaire.build(
        constructs=[csi.construct("A", ["Q1_1", "Q1_2"], mode="A"), csi.construct("B", ["Q2_1", "Q2_2"], mode="A")],
        paths=csi.paths("A", ["B"]), scale={"min": 1, "max": 5})
    with pytest.raises(DataValidationError) as ei:
        cn_scales.check_items(raw, q)
    msg, err = str(ei.value), ei.value
    assert "2 answer label(s)" in msg and "'还行' in Q1_2" in msg and "'说不好' in Q2_1" in msg
    assert "unk_utf8bom.csv" in msg and "label_maps" in err.hint and "还行: ?" in err.hint
    cases = err.failure_cases
    assert cases[["row", "column", "value"]].values.tolist() == [[2, "Q1_2", "还行"], [5, "Q1_2", "还行"],
                                                                   [4, "Q2_1", "说不好"]]
    # without the check, prepare still refuses the cells (file, column, row), never a silent loss
    with pytest.raises(DataValidationError) as ei2:
        csi.prepare(raw, q)
    assert set(ei2.value.failure_cases["column"]) == {"Q1_2", "Q2_1"}


def test_spec_label_maps_win_over_the_built_in_scale(tmp_path):
    raw = read_table(_write(tmp_path, UNKNOWN_ROWS, "utf8bom", "unk"))
    yaml = """
scale: {min: 1, max: 10}
label_maps:
  five: {非常不满意: 2, 不满意: 4, 一般: 6, 还行: 7, 满意: 8, 非常满意: 10}
  agree: {非常不同意: 1, 不同意: 2, 说不好: 3, 一般: 3, 同意: 4, 非常同意: 5}
constructs:
  A: {items: [Q1_1, Q1_2], labels: five}
  B: {items: [Q2_1, Q2_2], labels: agree}
paths: [[A, B]]
"""
    q = csi.Questionnaire.from_yaml(yaml)
    checked = cn_scales.check_items(raw, q)
    assert checked.frame["Q1_1"].tolist() == ["非常满意", "满意", "一般", "不满意"]
    data = csi.prepare(checked, q)
    assert data.items["Q1_1"].tolist() == [10.0, 8.0, 6.0, 4.0]
    assert data.items["Q1_2"].tolist() == [7.0, 8.0, 4.0, 7.0]
    assert data.items["Q2_1"].tolist() == [4.0, 3.0, 3.0, 2.0]


def test_skipped_answers_in_items_are_counted_missing(tmp_path):
    """"(跳过)" (text) and -3 (numeric) in an item: declared missing codes, counted per item by prepare
    (SurveyData.missing) and in the platform report — never a silent loss; listwise leaves them out."""
    q = csi.Questionnaire.build(
        constructs=[csi.construct("A", ["Q13_1", "Q13_2"], mode="A"), csi.construct("B", ["Q13_3", "Q15"], mode="A")],
        paths=csi.paths("A", ["B"]), scale={"min": 0, "max": 10})
    for rows, kind in ((TEXT_2016, "utf8bom"), (NUMERIC_2016, "xlsx")):
        raw = read_table(_write(tmp_path, rows, kind, f"skip_{kind}"))
        assert raw.platform.columns.set_index("column").loc[["Q13_1", "Q15"], "n_skipped"].tolist() == [2, 2]
        data = csi.prepare(raw, q)
        # respondents 1 and 3 skipped every item: left out, each with the reason
        assert data.excluded.values.tolist() == [[2, "2", "no valid answer for constructs A, B"],
                                                 [4, "4", "no valid answer for constructs A, B"]]
        assert data.n_read == 4 and len(data.items) == 2
    rows = [list(r) for r in TEXT_2016]
    rows[4][10] = "(空)"  # respondent 4 left one matrix row blank ([WJXP]: "(空)")
    raw = read_table(_write(tmp_path, rows, "utf8bom", "blank"))
    assert raw.platform.columns.set_index("column").loc["Q13_3", "n_blank"] == 1
    data = csi.prepare(raw, q)
    assert data.missing.set_index("item")["n_missing"].to_dict() == {"Q13_1": 0, "Q13_2": 0, "Q13_3": 1, "Q15": 0}
    assert data.missing.set_index("item").loc["Q13_3", "n_replaced"] == 1
    lw = csi.prepare(raw, q, missing="listwise")
    assert len(lw.items) == 1 and lw.excluded["row"].tolist() == [2, 4, 5]


# ---------------------------------------------------------------- scales and durations
def test_scale_recognition():
    sat5, codes = cn_scales.recognise(["非常满意", "满意", "一般", "不满意", "非常不满意"])
    assert sat5.id == "sat5" and codes == {"非常满意": 5, "满意": 4, "一般": 3, "不满意": 2, "非常不满意": 1}
    assert cn_scales.recognise(["很满意", "比较满意", "一般"])[0].id == "sat5"
    sat7, codes = cn_scales.recognise(["非常满意", "满意", "比较满意", "一般"])  # 满意 and 比较满意 both present
    assert sat7.id == "sat7" and codes["比较满意"] == 5 and codes["满意"] == 6
    assert cn_scales.recognise(["非常同意", "比较同意", "一般", "不同意"])[0].id == "agree5"
    pts, codes = cn_scales.recognise(["0分", "7分", "10分", "(跳过)"])
    assert pts.id == "points" and codes == {"0分": 0, "7分": 7, "10分": 10}
    assert pts.describe(codes.values()) == "points (0–10 分)"
    assert cn_scales.recognise(["3星", "5星"])[1] == {"3星": 3, "5星": 5}
    assert cn_scales.recognise(["男", "女"]) is None
    assert cn_scales.recognise(["11分"]) is None
    assert cn_scales.unknown_labels(["满意", "一般", "还行"])[1] == ["还行"]
    assert cn_scales.unknown_labels(["经常", "一般", "很少"]) is None


def test_parse_durations_chinese():
    s = pd.Series(["136秒", "1分23秒", "1小时2分3秒", "2分钟", "5 秒", "12:03", "秒", "", None, "-3"], dtype=object)
    got = parse_durations(s, missing=lambda x: np.isin(x, [-3]))
    np.testing.assert_array_equal(got, [136, 83, 3723, 120, 5, 723, np.nan, np.nan, np.nan, np.nan])


def test_speeders_rule_on_a_plain_csv_read(tmp_path):
    """The speeders rule reads 问卷星's "136秒" even when the file is read without its layout (format='csv')."""
    path = _write(tmp_path, TEXT_2016, "utf8bom")
    raw = read_table(path, format="csv")
    yaml = f"""
scale: {{min: 0, max: 10}}
label_maps:
  pts: {{"2分": 2, "3分": 3, "4分": 4, "5分": 5}}
missing_codes: ["(跳过)"]
constructs:
  A: {{items: [{TEXT_2016[0][8]!r}, 界面美观度], labels: pts}}
  B: {{items: [屏幕显示效果], labels: pts}}
paths: [[A, B]]
quality:
  speeders: {{column: 所用时间, min_seconds: 30, policy: flag}}
"""
    q = csi.Questionnaire.from_yaml(yaml)
    data = csi.prepare(raw, q)
    summary = data.quality_summary.set_index("flag")
    assert summary.loc["speeder", ["n_checked", "n_flagged", "n_not_checked"]].tolist() == [4, 2, 0]
    assert data.flags["detail"].tolist() == ["interview took 5 s, less than 30 s", "interview took 8 s, less than 30 s"]


# ---------------------------------------------------------------- MUST SHOW: the example pair
def test_example_text_and_numeric_downloads_give_identical_indices():
    """examples/wjx_satisfaction_text.xlsx (按选项文本) and _numeric.xlsx (按选项序号) of the same simulated
    survey give the same item scores and indices (csi.read_responses + csi.PLS(...).fit) — and so does
    the pairing of both."""
    q = csi.load_model(EXAMPLES / "wjx_satisfaction.yaml")
    fits, datas = {}, {}
    for kind in ("text", "numeric"):
        datas[kind] = csi.read_responses(EXAMPLES / f"wjx_satisfaction_{kind}.xlsx", q)
        fits[kind] = csi.PLS(q).fit(datas[kind])
    a, b = fits["text"].index, fits["numeric"].index
    assert len(a) == len(q.construct_ids) == 5
    assert a["construct"].tolist() == b["construct"].tolist()
    np.testing.assert_allclose(a["index"].to_numpy(), b["index"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fits["text"].paths["estimate"], fits["numeric"].paths["estimate"], rtol=0, atol=1e-12)
    assert datas["text"].items.shape == (300, 18)
    np.testing.assert_array_equal(datas["text"].items.to_numpy(), datas["numeric"].items.to_numpy())
    # the delivery matrix (question 7) was skipped by store pick-up customers: counted, then mean-replaced
    miss = datas["text"].missing.set_index("item")["n_missing"]
    assert miss[["Q7_1", "Q7_2", "Q7_3"]].tolist() == [36, 36, 36] and miss.drop(["Q7_1", "Q7_2", "Q7_3"]).eq(0).all()
    assert datas["numeric"].missing.set_index("item")["n_missing"].equals(miss)
    speed = datas["text"].quality_summary.set_index("flag").loc["speeder"]
    assert speed["n_checked"] == 300 and speed["n_flagged"] == 8
    # the pairing: the 0–10 question gets its scores (the numeric download alone holds score + 1)
    text = read_table(EXAMPLES / "wjx_satisfaction_text.xlsx")
    num = read_table(EXAMPLES / "wjx_satisfaction_numeric.xlsx")
    assert text.platform.download == "text" and num.platform.download == "numeric"
    paired = cn_scales.pair_downloads(text, num)
    np.testing.assert_array_equal(paired.frame["Q11"].to_numpy(float), text.frame["Q11"].to_numpy(float))
    np.testing.assert_array_equal(num.frame["Q11"].to_numpy(float), text.frame["Q11"].to_numpy(float) + 1)
    fit_p = csi.PLS(q).fit(csi.prepare(paired, q))
    np.testing.assert_allclose(fit_p.index["index"].to_numpy(), a["index"].to_numpy(), rtol=0, atol=1e-12)
    scales = text.platform.scales.set_index("column")["scale"]
    assert scales[[i for i in q.item_ids]].str.match(r"^(sat5|agree5) ").all()


# ---------------------------------------------------------------------- Excel 97–2003 (.xls)
#: 问卷星's Excel download is a legacy .xls workbook (CDFV2, code page 936) — [RG-R], [RG-O], [RG-800] above.
#: The fixture is the example's text download saved as .xls (BIFF8, written with xlwt from the .xlsx, submission
#: times as text as in [RG-R]).
XLS = Path(__file__).resolve().parent / "fixtures" / "cn" / "wjx_satisfaction_text.xls"


def test_a_legacy_xls_download_reads_as_its_xlsx_twin():
    xls, xlsx = read_table(XLS), read_table(EXAMPLES / "wjx_satisfaction_text.xlsx")
    assert xls.format == xlsx.format == "wjx" and xls.sheet == xlsx.sheet
    assert list(xls.frame.columns) == list(xlsx.frame.columns) and len(xls.frame) == len(xlsx.frame) == 300
    model = csi.load_model(EXAMPLES / "wjx_satisfaction.yaml")
    fits = [csi.PLS(model).fit(csi.read_responses(p, model)) for p in (XLS, EXAMPLES / "wjx_satisfaction_text.xlsx")]
    index = [f.index.set_index("construct")["index"] for f in fits]
    assert len(index[0]) == 5
    assert np.allclose(index[0], index[1], rtol=0, atol=1e-12)
    assert (fits[0].scores.to_numpy() == fits[1].scores.to_numpy()).all()


def test_an_xls_that_is_not_an_excel_97_workbook_is_refused_with_the_fix(tmp_path):
    html = tmp_path / "download.xls"
    html.write_text("<html><table><tr><td>序号</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"download.xls has the extension .xls but is not an Excel 97–2003") as exc:
        read_table(html)
    assert "save it as .xlsx or CSV" in exc.value.hint
    renamed = tmp_path / "renamed.xls"
    renamed.write_bytes((EXAMPLES / "wjx_satisfaction_text.xlsx").read_bytes())
    with pytest.raises(InputFileError, match=r"is an .xlsx workbook \(a zip file\)"):
        read_table(renamed)


def test_an_xls_sheet_beyond_the_cell_limit_is_refused_before_it_is_loaded():
    from csi_survey.ingest.safety import Limits

    with pytest.raises(InputFileError, match=r"spans 9,030 cells, more than the limit of 1,000 cells \(max_cells\)"):
        read_table(XLS, limits=Limits(max_cells=1000))
    with pytest.raises(InputFileError, match="not found"):
        read_table(XLS, sheet="Responses")


# ---------------------------------------------------------------------- what the run reports
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_run_reports_the_recognised_scales_the_skips_and_the_private_columns(tmp_path, lang):
    """The console says which answer scales were recognised, how many skipped answers became missing
    and which columns stay out of the reports — in the language of the run."""
    from typer.testing import CliRunner

    from csi_survey.cli import app

    result = CliRunner().invoke(app, ["run", str(EXAMPLES / "wjx_satisfaction_text.xlsx"), "--model",
                                      str(EXAMPLES / "wjx_satisfaction.yaml"), "--out", str(tmp_path / "out"),
                                      "--bootstrap", "0", "--permutations", "0", "--lang", lang])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # rich wraps long lines
    if lang == "en":
        assert "问卷星 (wjx.cn) export, text download (按选项文本): answer scales recognised by themselves:" in text
        assert "sat5 (1 = 非常不满意 … 5 = 非常满意): 10 column(s)" in text
        assert "108 skipped answers ((跳过), −3) in 3 column(s) count as missing answers." in text
        assert "Kept out of the reports: 来自IP." in text
    else:
        assert "问卷星 (wjx.cn)导出文件（按选项文本下载）：已自动识别答案量表：" in text
        assert "3 列中共有 108 个跳过的答案（(跳过)、−3），计为缺失值。" in text
        assert "不写入报告的列：来自IP。" in text
    assert "来自IP" not in (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8-sig")


def test_run_with_both_downloads_pairs_them_and_gives_the_text_downloads_indices(tmp_path):
    """`run NUMERIC --text-download TEXT`: the codes come from pairing the two downloads; the index
    table equals that of the text download alone (same seed, no bootstrap)."""
    from typer.testing import CliRunner

    from csi_survey.cli import app

    model = str(EXAMPLES / "wjx_satisfaction.yaml")
    paired = CliRunner().invoke(app, ["run", str(EXAMPLES / "wjx_satisfaction_numeric.xlsx"), "--text-download",
                                      str(EXAMPLES / "wjx_satisfaction_text.xlsx"), "--model", model, "--out",
                                      str(tmp_path / "paired"), "--bootstrap", "0", "--lang", "en"])
    assert paired.exit_code == 0, paired.output
    assert "text and numeric downloads paired" in " ".join(paired.stdout.split())
    text = CliRunner().invoke(app, ["run", str(EXAMPLES / "wjx_satisfaction_text.xlsx"), "--model", model, "--out",
                                    str(tmp_path / "text"), "--bootstrap", "0", "--lang", "en"])
    assert text.exit_code == 0, text.output
    a, b = (pd.read_csv(tmp_path / d / "index.csv") for d in ("paired", "text"))
    assert len(a) == 5
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-12)
