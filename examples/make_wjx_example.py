"""Write the 问卷星 (wjx.cn) example: one simulated survey, downloaded twice.

* ``wjx_satisfaction_text.xlsx``    — 问卷星 "按选项文本下载" (answers as option text, skips as ``(跳过)``)
* ``wjx_satisfaction_numeric.xlsx`` — 问卷星 "按选项序号下载" (answers as option positions, skips as ``-3``,
  multiple choice as one 0/1 column per option)
* ``wjx_satisfaction.yaml``         — the questionnaire spec; its items are the export's columns (``Q5_1`` …)

The survey: an ACSI-style customer satisfaction study of a (fictitious) retail and delivery company,
300 respondents, the items asked as 问卷星 matrix scale questions (矩阵量表题) with five-point
satisfaction or agreement options. Respondents who collected their order in a store skip the
delivery matrix (问卷星's skip logic: ``(跳过)`` / ``-3``). The layout copies the real exports
described in /work/notes/cn_platform_layouts.md: metadata ``序号, 提交答卷时间, 所用时间, 来源, 来源详情,
来自IP`` (2018+ order), ``YYYY/MM/DD HH:MM:SS`` times stored as text, ``136秒`` durations,
``IP(省-市)``, questions ``N、题干``, matrix rows ``N、题干—行`` then bare row labels, multiple choice
joined with ``┋`` (text) or ``N、题干(选项)``, ``N、(选项)`` 0/1 columns (numeric), and the 0–10 分
single-choice question whose numeric download holds the option position (score + 1).

Run: ``python examples/make_wjx_example.py`` (deterministic: seed 2026).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
N = 300
SEED = 2026

SAT5 = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
AGREE5 = ["非常不同意", "不同意", "一般", "同意", "非常同意"]

# question number → (title, rows, options, construct)
MATRICES = {
    5: ("在本次购物之前，您对我们的期望如何？请表明您对以下说法的同意程度", ["整体质量会很好", "能满足我的个人需求", "服务会很可靠"],
        AGREE5, "EXP"),
    6: ("请您对本次购物以下方面的满意程度进行评价", ["商品质量", "商品种类", "门店或客服服务", "结账与支付"], SAT5, "PQ"),
    7: ("请您对本次送货上门服务的以下方面进行评价", ["配送准时", "包裹完好", "配送员态度"], SAT5, "PQ"),
    8: ("考虑到价格与质量，请表明您对以下说法的同意程度", ["价格合理", "物有所值"], AGREE5, "PV"),
    9: ("综合考虑，您对我们的总体评价", ["总体满意程度", "与您的期望相比", "与理想中的零售商相比"], SAT5, "SAT"),
    10: ("请表明您对以下说法的同意程度", ["我会再次在这里购物", "即使价格略有上涨我也会继续购买", "我会向亲友推荐"], AGREE5, "LOY"),
}
CHANNELS = ["门店", "APP", "微信小程序", "网站"]


def simulate(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Latent scores of the ACSI-style model and 1–5 answers per item."""
    exp = rng.normal(size=N)
    pq = 0.55 * exp + rng.normal(scale=0.83, size=N)
    pv = 0.25 * exp + 0.5 * pq + rng.normal(scale=0.75, size=N)
    sat = 0.1 * exp + 0.5 * pq + 0.3 * pv + rng.normal(scale=0.6, size=N)
    loy = 0.7 * sat + rng.normal(scale=0.7, size=N)
    latent = {"EXP": exp, "PQ": pq, "PV": pv, "SAT": sat, "LOY": loy}
    answers = {}
    for q, (_, rows, _, cid) in MATRICES.items():
        for k, _row in enumerate(rows):
            x = 0.8 * latent[cid] / latent[cid].std() + rng.normal(scale=0.6, size=N) + 0.6
            answers[f"Q{q}_{k + 1}"] = np.clip(np.round(3 + 1.1 * x), 1, 5).astype(int)
    return answers


def main() -> None:
    rng = np.random.default_rng(SEED)
    ans = simulate(rng)
    sex = rng.choice(["男", "女"], size=N)
    age = rng.choice(["18~24岁", "25~34岁", "35~44岁", "45岁及以上"], size=N, p=[0.2, 0.35, 0.3, 0.15])
    pickup = rng.random(N) < 0.12  # 门店自提: the delivery matrix (question 7) is skipped
    channels = rng.random((N, len(CHANNELS))) < np.array([0.5, 0.6, 0.45, 0.2])
    channels[~channels.any(axis=1), 1] = True
    nps = np.clip(np.round(ans["Q9_1"] * 2 + rng.normal(scale=1.2, size=N)), 0, 10).astype(int)
    start = dt.datetime(2026, 10, 8, 9, 0, 0)
    submitted = [start + dt.timedelta(minutes=int(m)) for m in np.sort(rng.integers(0, 60 * 24 * 14, size=N))]
    seconds = np.round(rng.lognormal(mean=5.3, sigma=0.45, size=N)).astype(int)
    seconds[rng.choice(N, size=8, replace=False)] = rng.integers(20, 55, size=8)  # a few speeders
    source = rng.choice(["手机提交", "链接"], size=N, p=[0.8, 0.2])
    detail = np.where(source == "手机提交", rng.choice(["微信", "直接访问"], size=N), "直接访问")
    provinces = ["上海-上海", "浙江-杭州", "江苏-南京", "广东-广州", "北京-北京", "四川-成都"]
    ip = [f"{rng.integers(36, 223)}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"
          f"({rng.choice(provinces)})" for _ in range(N)]
    suggestions = ["希望配送再快一点", "商品种类可以再多一些", "客服态度很好", "价格有点贵"]
    advice = np.where(rng.random(N) < 0.25, rng.choice(suggestions, size=N), "(空)")

    meta = {"序号": np.arange(1, N + 1), "提交答卷时间": [t.strftime("%Y/%m/%d %H:%M:%S") for t in submitted],
            "所用时间": [f"{s}秒" for s in seconds], "来源": source, "来源详情": detail, "来自IP": ip}
    text, num = dict(meta), dict(meta)
    text["1、您的性别"] = sex
    num["1、您的性别"] = np.where(sex == "男", 1, 2)
    ages = ["18~24岁", "25~34岁", "35~44岁", "45岁及以上"]
    text["2、您的年龄段"] = age
    num["2、您的年龄段"] = np.array([ages.index(a) + 1 for a in age])
    text["3、您本次购物的收货方式"] = np.where(pickup, "门店自提", "送货上门")
    num["3、您本次购物的收货方式"] = np.where(pickup, 2, 1)
    title4 = "4、您平时通过哪些渠道在我们这里购物？"
    text[title4] = ["┋".join(c for c, on in zip(CHANNELS, row, strict=True) if on) for row in channels]
    for k, c in enumerate(CHANNELS):  # 2019+ numeric layout: the first option column carries the title
        num[f"{title4}({c})" if k == 0 else f"4、({c})"] = channels[:, k].astype(int)
    for q, (title, rows, options, _) in MATRICES.items():
        for k, row in enumerate(rows):
            head = f"{q}、{title}—{row}" if k == 0 else row
            codes = ans[f"Q{q}_{k + 1}"]
            skip = pickup if q == 7 else np.zeros(N, dtype=bool)
            text[head] = np.where(skip, "(跳过)", np.array(options, dtype=object)[codes - 1])
            num[head] = np.where(skip, -3, codes)
    head11 = "11、您向亲友推荐我们的可能性有多大？(0分表示完全不可能，10分表示非常可能)"
    text[head11] = [f"{s}分" for s in nps]
    num[head11] = nps + 1  # 问卷星's numeric download: the option position, 0分 is option 1
    text["12、您对我们还有什么意见或建议？"] = advice
    num["12、您对我们还有什么意见或建议？"] = advice
    for name, data in (("wjx_satisfaction_text.xlsx", text), ("wjx_satisfaction_numeric.xlsx", num)):
        pd.DataFrame(data).to_excel(HERE / name, sheet_name="Sheet1", index=False, engine="openpyxl")
    (HERE / "wjx_satisfaction.yaml").write_text(SPEC, encoding="utf-8")


SPEC = """\
# 问卷星示例：examples/wjx_satisfaction_text.xlsx（按选项文本下载）或 wjx_satisfaction_numeric.xlsx（按选项序号下载）。
# Spec of the 问卷星 example (simulated data); items are the export's columns as csi-survey names them:
# a matrix question N's rows are QN_1, QN_2, … (the question texts are in the export's header).
# Generated by examples/make_wjx_example.py — edit the script, not this file.
name: 零售与配送服务顾客满意度调查 2026年10月
scale: {min: 1, max: 5}          # 五级量表：非常不满意/非常不同意 = 1 … 非常满意/非常同意 = 5（自动识别）
id_column: 序号
index: SAT
constructs:
  EXP:
    label: 顾客期望
    items:
      - {id: Q5_1, text: 整体质量会很好}
      - {id: Q5_2, text: 能满足我的个人需求}
      - {id: Q5_3, text: 服务会很可靠}
  PQ:
    label: 感知质量
    items:
      - {id: Q6_1, text: 商品质量}
      - {id: Q6_2, text: 商品种类}
      - {id: Q6_3, text: 门店或客服服务}
      - {id: Q6_4, text: 结账与支付}
      - {id: Q7_1, text: 配送准时（门店自提的顾客跳过）}
      - {id: Q7_2, text: 包裹完好（门店自提的顾客跳过）}
      - {id: Q7_3, text: 配送员态度（门店自提的顾客跳过）}
  PV:
    label: 感知价值
    items:
      - {id: Q8_1, text: 价格合理}
      - {id: Q8_2, text: 物有所值}
  SAT:
    label: 顾客满意度
    items:
      - {id: Q9_1, text: 总体满意程度}
      - {id: Q9_2, text: 与您的期望相比}
      - {id: Q9_3, text: 与理想中的零售商相比}
  LOY:
    label: 顾客忠诚
    items:
      - {id: Q10_1, text: 我会再次在这里购物}
      - {id: Q10_2, text: 即使价格略有上涨我也会继续购买}
      - {id: Q10_3, text: 我会向亲友推荐}
paths:
  - [EXP, PQ]
  - [EXP, PV]
  - [EXP, SAT]
  - [PQ, PV]
  - [PQ, SAT]
  - [PV, SAT]
  - [SAT, LOY]
quality:
  speeders: {column: 所用时间, min_seconds: 60, policy: flag}
# Q11（0–10分推荐意愿）不在模型中：按选项序号下载时它的值是选项序号（分数 + 1），请用按选项文本下载的文件
# 或同时提供两份下载（cn_scales.pair_downloads）来得到真实分数。
"""

if __name__ == "__main__":
    main()
