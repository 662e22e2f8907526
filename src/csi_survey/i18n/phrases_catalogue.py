"""The catalogue of :mod:`csi_survey.i18n.phrases`: the library's own sentences, English template →
Chinese template.

Each key is a sentence exactly as the library words it (an error message, a hint without its final
full stop, a problem cell of an error table, an exclusion reason, a warning, a run note, an engine
description), with ``{name}`` for each part filled in; each value is its Chinese, with the same
fields. Field names (see :func:`csi_survey.i18n.phrases.template_pattern`):

- ``{n}``, ``{k}``, ``{m}``, ``{row}`` and names ending in ``_n`` match a number only;
- names starting with ``all_`` match any text (also several sentences joined by "; ");
- any other name matches text without a line break and without "; ".

A field whose text is itself a catalogued sentence is translated too (a nested reason, a file
error's cause). Braces that are not a ``{name}`` (``{min: …, max: …}``) are literal text.

``tests/test_i18n_phrases.py`` checks that every template compiles and that its English and Chinese
fields agree, and provokes the errors users meet most to check their Chinese.
"""

from __future__ import annotations

__all__ = ["CATALOGUE"]

#: English template → Chinese template (see the module docstring).
CATALOGUE: dict[str, str] = {
    # ------------------------------------------------------------------ common words
    "every respondent was excluded": "所有受访者均被排除",
    "Permission denied": "没有权限",
    "No such file or directory": "文件或文件夹不存在",
    "Read-only file system": "文件系统为只读",
    "No space left on device": "磁盘空间不足",
    "Is a directory": "这是一个文件夹",
    "nothing was written": "没有写入任何文件",
    "already written: {done}; not written: {left}": "已写入：{done}；未写入：{left}",
    # ------------------------------------------------------------------ reading the responses file
    "{file}, sheet {sheet}": "{file} 的工作表 {sheet}",
    "The responses file {path} does not exist": "答卷文件 {path} 不存在",
    "check the file name and folder (a relative path is taken from the current directory, {cwd})":
        "请检查文件名和所在文件夹（相对路径从当前目录 {cwd} 算起）",
    "{path} is a folder, not a responses file": "{path} 是一个文件夹，不是答卷文件",
    "pass the path of the exported file itself (.xlsx, .csv, .sav, …)": "请给出导出文件本身的路径（.xlsx、.csv、.sav 等）",
    "{name} has {kind}, which csi-survey cannot read; supported: {supported}":
        "{name} 的文件类型（{kind}）csi-survey 无法读取；支持的类型：{supported}",
    "extension {ext}": "扩展名 {ext}",
    "no extension": "没有扩展名",
    "export the responses as an Excel workbook (.xlsx), as CSV (.csv) or as SPSS (.sav)":
        "请把答卷导出为 Excel 工作簿（.xlsx）、CSV（.csv）或 SPSS（.sav）文件",
    "Save .xlsb and .ods workbooks as .xlsx first": "请先把 .xlsb 和 .ods 工作簿另存为 .xlsx",
    "{name} is empty (0 bytes): there is no header row": "{name} 是空文件（0 字节）：没有表头行",
    "export the responses again; the first row must hold the column names": "请重新导出答卷；第一行必须是列名",
    "{name} holds no data: there is no header row": "{name} 中没有数据：没有表头行",
    "{name} is {what}, which has no sheets; got sheet={sheet}": "{name} 是{what}，没有工作表；却指定了 sheet={sheet}",
    "a text (CSV) file": "文本（CSV）文件",
    "an Excel workbook": "Excel 工作簿",
    "leave out the sheet option (--sheet) for CSV and SPSS files": "CSV 和 SPSS 文件请不要使用 --sheet 选项",
    "Sheet {sheet} of {name} is empty: there is no header row": "{name} 的工作表 {sheet} 是空的：没有表头行",
    "choose the sheet that holds the responses (option --sheet), with the column names in the first row":
        "请用 --sheet 选项选择存放答卷的工作表（第一行为列名）",
    "{name} has no worksheet (only chart sheets: {sheets})": "{name} 没有工作表（只有图表页：{sheets}）",
    "export the responses to a worksheet": "请把答卷导出到工作表中",
    "Sheet number {n} does not exist in {name}: it has {k} sheet(s) (numbered from 0): {sheets}":
        "{name} 中不存在编号为 {n} 的工作表：它共有 {k} 个工作表（从 0 开始编号）：{sheets}",
    "pass a sheet name or a position from 0 to {n}": "请给出工作表名称，或 0 到 {n} 之间的位置编号",
    "Sheet {sheet} not found in {name}; the sheets are: {sheets}": "{name} 中找不到工作表 {sheet}；现有工作表：{sheets}",
    "pass one of these sheet names (option --sheet), or its position counted from 0":
        "请用 --sheet 给出以上工作表名称之一，或从 0 开始计数的位置编号",
    "Sheet {sheet} of {name} is {what}, not a table; the sheets are: {sheets}":
        "{name} 的工作表 {sheet} 是{what}，不是数据表；现有工作表：{sheets}",
    "pass the sheet that holds the responses": "请指定存放答卷的工作表",
    "Sheet {sheet} of {name} cannot be read: the workbook is damaged ({detail})":
        "无法读取 {name} 的工作表 {sheet}：工作簿已损坏（{detail}）",
    "open the file in Excel, save it again as .xlsx and retry": "请在 Excel 中打开该文件，重新另存为 .xlsx 后再试",
    "{name} cannot be read as an Excel 97–2003 workbook ({detail})": "无法把 {name} 作为 Excel 97–2003 工作簿读取（{detail}）",
    "{name} has the extension .xls but is {what}": "{name} 的扩展名是 .xls，但实际是{what}",
    "{name} is {what}, not a text (CSV) file": "{name} 实际是{what}，不是文本（CSV）文件",
    "an Excel workbook (a zip file)": "Excel 工作簿（zip 文件）",
    "an SPSS data file": "SPSS 数据文件",
    "an .xlsx workbook (a zip file)": ".xlsx 工作簿（zip 文件）",
    "rename it to .xlsx and read it again": "请把扩展名改为 .xlsx 后重新读取",
    "rename it to .sav and read it again": "请把扩展名改为 .sav 后重新读取",
    "open it in Excel and save it as .xlsx or CSV and read it again": "请在 Excel 中打开并另存为 .xlsx 或 CSV 后重新读取",
    "Unknown encoding {encoding} for {name}": "{name} 的编码 {encoding} 无法识别",
    "use a Python codec name such as utf-8, utf-8-sig, gb18030, gbk, utf-16 or cp1252":
        "请使用 Python 的编码名称，例如 utf-8、utf-8-sig、gb18030、gbk、utf-16 或 cp1252",
    "{name} cannot be decoded as {encoding}: invalid byte(s) at position {n}":
        "无法按 {encoding} 编码解读 {name}：位置 {n} 处有无效字节",
    "leave out the encoding to detect it, or pass the encoding the file was saved with":
        "请不要指定编码（让程序自动识别），或给出文件保存时所用的编码",
    "The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16 nor GBK/GB18030 text":
        "无法识别 {name} 的编码：它既不是 UTF-8、UTF-16，也不是 GBK/GB18030 文本",
    "save the file as 'CSV UTF-8' in Excel, or pass the encoding it was saved with (encoding='cp1252', --encoding cp1252, …)":
        "请在 Excel 中把文件另存为“CSV UTF-8”，或给出文件保存时所用的编码（encoding='cp1252'、--encoding cp1252 等）",
    "{name} cannot be read as CSV: {detail}": "无法把 {name} 作为 CSV 读取：{detail}",
    "The first row of {where} is empty: there is no header row with column names":
        "{where} 的第一行是空的：没有列名所在的表头行",
    "put the column names in the first row of the sheet": "请把列名放在工作表的第一行",
    "The header of {where} has duplicate column names: {all_parts}": "{where} 的表头中有重复的列名：{all_parts}",
    "{column} (columns {cols})": "{column}（列 {cols}）",
    "{column} (positions {cols})": "{column}（位置 {cols}）",
    "The columns of {where} have duplicate names: {all_parts}": "{where} 中有重复的列名：{all_parts}",
    "rename the columns so that every column name is unique; the questionnaire refers to columns by name":
        "请重命名这些列，使每个列名都唯一；问卷模型按列名引用数据列",
    "rename the columns so that every column name is unique": "请重命名这些列，使每个列名都唯一",
    "{name} is {size}, more than the limit of {max_size} for a responses file (max_file_bytes)":
        "{name} 的大小为 {size}，超过了答卷文件的上限 {max_size}（max_file_bytes）",
    "Sheet {sheet} of {name} spans {cells} cells, more than the limit of {limit} cells (max_cells)":
        "{name} 的工作表 {sheet} 有 {cells} 个单元格，超过了上限 {limit} 个（max_cells）",
    "{where} cannot be read: its XML is damaged or unsafe ({detail})": "无法读取 {where}：其 XML 已损坏或不安全（{detail}）",
    "{where} cannot be read: {part} missing from the workbook": "无法读取 {where}：工作簿中缺少 {part}",
    "the file is damaged; open it in Excel, save it again as .xlsx and retry":
        "文件已损坏；请在 Excel 中打开，重新另存为 .xlsx 后再试",
    # ------------------------------------------------------------------ columns
    "{where} has a header but no data rows": "{where} 只有表头，没有数据行",
    "check that you exported the responses (and chose the right sheet with --sheet)":
        "请确认导出的是答卷数据（并用 --sheet 选对了工作表）",
    "column {column} ({role}) not found in {where}; closest: {closest}":
        "在 {where} 中找不到列 {column}（{role}）；最接近的列：{closest}",
    "column {column} ({role}) not found in {where}; no similar column": "在 {where} 中找不到列 {column}（{role}）；也没有相似的列",
    "column {column} ({role}) is ambiguous in {where}: {cands} differ only by case or spaces":
        "{where} 中的列 {column}（{role}）有歧义：{cands} 只在大小写或空格上不同",
    "item of {construct}": "构念 {construct} 的题目",
    "id_column": "受访者编号列 id_column",
    "speeders.column, the interview duration": "speeders.column，答题时长",
    "{n} columns of the questionnaire are missing from {where}:\n  {all_lines}": "问卷中有 {n} 列在 {where} 中找不到：\n  {all_lines}",
    "rename the columns in the file or the item ids in the questionnaire so that they match (check the sheet too). Columns found: {all_columns}":
        "请修改文件中的列名或问卷模型中的题目编号，使两者一致（也请检查工作表是否选对）。文件中的列：{all_columns}",
    "{role} column {column} is not in {where}; closest: {closest}": "{where} 中没有 {role} 列 {column}；最接近的列：{closest}",
    "{role} column {column} is not in {where}; no similar column": "{where} 中没有 {role} 列 {column}；也没有相似的列",
    "{role} column {column} is ambiguous in {where}: {cands} differ only by case or spaces":
        "{where} 中的 {role} 列 {column} 有歧义：{cands} 只在大小写或空格上不同",
    "rename one of these columns in the file": "请在文件中重命名其中一列",
    "correct the name in the questionnaire spec or the call (it must be a column of the export). Columns available: {all_columns}":
        "请在问卷模型或调用中改正该名称（必须是导出文件中的一列）。可用的列：{all_columns}",
    # ------------------------------------------------------------------ invalid answers
    "Invalid answers in {where}: {cells_n} cell(s) of {resp_n} respondent(s) are {what}":
        "{where} 中有无效答案：{resp_n} 名受访者的 {cells_n} 个单元格{what}",
    "Invalid answers in {where}: {cells_n} cell(s) of {resp_n} respondent(s) are {what}. Unmapped label(s): {all_labels}":
        "{where} 中有无效答案：{resp_n} 名受访者的 {cells_n} 个单元格{what}。未映射的答案标签：{all_labels}",
    "not numbers": "不是数字",
    "unmapped answer labels": "是答案映射中没有的标签",
    "outside the item's scale": "超出题目量表范围",
    "not numbers or unmapped answer labels": "不是数字，或是答案映射中没有的标签",
    "not numbers or outside the item's scale": "不是数字，或超出题目量表范围",
    "unmapped answer labels or outside the item's scale": "是答案映射中没有的标签，或超出题目量表范围",
    "not numbers, unmapped answer labels or outside the item's scale": "不是数字、是答案映射中没有的标签，或超出题目量表范围",
    "{label} in {columns} (map: {map}; {k} cells)": "{columns} 中的 {label}（映射：{map}；{k} 个单元格）",
    "{label} in {columns} (map: {map}; {k} cell)": "{columns} 中的 {label}（映射：{map}；{k} 个单元格）",
    "and {n} more": "另有 {n} 个",
    "correct these cells in the file, declare codes such as 'don't know' as missing_codes in the questionnaire, or run with --on-invalid exclude (on_invalid='exclude') to leave these respondents out (--on-invalid flag, on_invalid='flag': keep them, the cells become missing answers)":
        "请在文件中改正这些单元格，或在问卷模型中把“不知道”之类的代码声明为 missing_codes，或使用 --on-invalid exclude"
        "（on_invalid='exclude'）排除这些受访者（--on-invalid flag，即 on_invalid='flag'：保留这些受访者，这些单元格按缺失答案处理）",
    "add the unmapped labels to the answer-label map in the questionnaire (label_maps, or labels: on the construct or item), or correct these cells in the file, declare codes such as 'don't know' as missing_codes in the questionnaire, or run with --on-invalid exclude (on_invalid='exclude') to leave these respondents out (--on-invalid flag, on_invalid='flag': keep them, the cells become missing answers)":
        "请把未映射的标签加入问卷模型的答案标签映射（label_maps，或构念、题目上的 labels:），或在文件中改正这些单元格，"
        "或把“不知道”之类的代码声明为 missing_codes，或使用 --on-invalid exclude（on_invalid='exclude'）排除这些受访者"
        "（--on-invalid flag，即 on_invalid='flag'：保留这些受访者，这些单元格按缺失答案处理）",
    # problem cells of the table
    "not a number": "不是数字",
    "out of range {range}": "超出量表范围 {range}",
    "out of range {range} (label {label} = {code})": "超出量表范围 {range}（标签 {label} = {code}）",
    "unmapped label {label} (map: {map})": "答案映射 {map} 中没有标签 {label}",
    "answer label in no built-in scale": "答案标签不属于任何内置量表",
    "{where}: {n} answer label(s) are in no built-in Chinese scale, so they have no score: {all_listed}":
        "{where}：有 {n} 个答案标签不属于任何内置中文量表，因此无法计分：{all_listed}",
    "{label} in {columns}": "{columns} 中的 {label}",
    "declare the scale in the questionnaire spec: label_maps: {my_scale: {{all_example}, …}} (every label of the question with its score) and labels: my_scale on the construct or item; or correct the labels in the export":
        "请在问卷模型中声明该量表：label_maps: {my_scale: {{all_example}, …}}（列出该题每个标签及其分值），并在构念或题目上写"
        " labels: my_scale；或改正导出文件中的标签",
    "{where} do not hold the same respondents: the {column} numbers differ": "{where} 中的受访者不一致：{column} 编号不同",
    "{where} do not hold the same respondents: {n} and {m} rows": "{where} 中的受访者不一致：分别有 {n} 行和 {m} 行",
    "download both files of the same survey at the same time (按选项文本 and 按选项序号), without filtering":
        "请同时下载同一份问卷的两个文件（按选项文本和按选项序号），不要筛选",
    "download both files of the same survey at the same time, without filtering": "请同时下载同一份问卷的两个文件，不要筛选",
    "{where} contradict each other, so no label map can be derived from them: {all_problems}":
        "{where} 相互矛盾，无法据此推出答案标签映射：{all_problems}",
    "{where} does not look like a {platform} export: {expected}. Found row 1: {all_found}":
        "{where} 看起来不是{platform}的导出文件：{expected}。第 1 行为：{all_found}",
    "{where}: column {letter} ({header}) has no question number and no matrix question before it, so it cannot be told which question it belongs to (a matrix question split oddly?)":
        "{where}：第 {letter} 列（{header}）没有题号，前面也没有矩阵题，无法判断它属于哪道题（矩阵题被拆分得不正常？）",
    "{where}: question {n} appears twice, apart (columns {a} and {b})": "{where}：第 {n} 题出现了两次且不相邻（第 {a} 列和第 {b} 列）",
    "download the file again without editing its header, or read it with format='xlsx'/'csv'":
        "请重新下载文件且不要修改表头，或用 format='xlsx'/'csv' 读取",
    # ------------------------------------------------------------------ exclusions (excluded.csv) and quality rules
    "empty row": "空行",
    "invalid value(s)": "无效答案",
    "invalid value {all_pieces}": "无效答案：{all_pieces}",
    "invalid value": "无效答案",
    "invalid value {value} in {column} (not a number)": "无效答案：{column} 中的 {value}（不是数字）",
    "invalid value {value} in {column} (out of range {range})": "无效答案：{column} 中的 {value}（超出量表范围 {range}）",
    "invalid value {value} in {column} (unmapped label, map: {map})": "无效答案：{column} 中的 {value}（答案映射 {map} 中没有该标签）",
    "{value} in {column} (not a number)": "{column} 中的 {value}（不是数字）",
    "{value} in {column} (out of range {range})": "{column} 中的 {value}（超出量表范围 {range}）",
    "{value} in {column} (unmapped label, map: {map})": "{column} 中的 {value}（答案映射 {map} 中没有该标签）",
    "no valid answer for construct {names}": "构念 {names} 没有有效答案",
    "no valid answer for constructs {names}": "以下构念都没有有效答案：{names}",
    "no valid answer for construct": "构念没有有效答案",
    "missing answer in listwise mode: {columns}": "按列表删除（listwise）时有缺失答案：{columns}",
    "missing answer in listwise mode": "按列表删除（listwise）时有缺失答案",
    "speeder: {all_detail}": "答题过快：{all_detail}",
    "straight-lining: {all_detail}": "直线作答：{all_detail}",
    "duplicate: {all_detail}": "重复答卷：{all_detail}",
    "too many missing answers: {all_detail}": "缺失答案过多：{all_detail}",
    "speeder": "答题过快",
    "straight-lining": "直线作答",
    "duplicate": "重复答卷",
    "too many missing answers": "缺失答案过多",
    "interview took {secs} s, less than {limit} s": "答题用时 {secs} 秒，少于 {limit} 秒",
    "same answer ({value}) on all {k} items of {name}": "{name} 的全部 {k} 个题目都选了同一个答案（{value}）",
    "respondent id {id} already in row {row}": "受访者编号 {id} 已在第 {row} 行出现",
    "identical to row {row} in all {k} columns": "与第 {row} 行的全部 {k} 列完全相同",
    "{k} of {m} items unanswered ({share} > {max_share})": "{m} 个题目中有 {k} 个未作答（{share} > {max_share}）",
    "{n} respondent(s) without an id": "{n} 名受访者没有编号",
    "not checked: no id_column and no column besides the items": "未检查：没有受访者编号列，题目之外也没有其他列",
    "no id_column: rows identical in every column": "没有受访者编号列：比较各列完全相同的行",
    "{n} respondent(s) without a usable duration in {column}": "{n} 名受访者在 {column} 中没有可用的答题时长",
    "Every row of {where} was excluded ({n} data row(s) read, none usable). Reasons: {all_reasons}":
        "{where} 的所有行都被排除了（读取了 {n} 行数据，没有一行可用）。原因：{all_reasons}",
    "{reason} ({k} rows)": "{reason}（{k} 行）",
    "{reason} ({k} row)": "{reason}（{k} 行）",
    "and {n} other reason(s)": "以及其他 {n} 个原因",
    "check that the questionnaire matches the file (item columns, scale, missing codes) and that the right sheet is read":
        "请检查问卷模型与文件是否一致（题目列、量表、缺失值代码），以及是否读取了正确的工作表",
    "With many missing answers use missing='mean' (--missing mean) instead of listwise deletion":
        "缺失答案较多时，请使用 missing='mean'（--missing mean），不要用列表删除",
    "Data-quality rules with policy 'exclude' left respondents out: consider policy 'flag' in the questionnaire's quality section":
        "策略为 'exclude' 的数据质量规则排除了受访者：可考虑在问卷模型的 quality 部分改用 'flag' 策略",
    "No usable respondent of {where} answered item(s) {all_items}, so their missing answers cannot be replaced by the item mean":
        "{where} 中没有可用的受访者回答题目 {all_items}，因此无法用题目均值替换其缺失答案",
    "No usable respondent of {where} answered item(s) {all_items}, so their missing answers cannot be replaced by the imputation model (missing='model')":
        "{where} 中没有可用的受访者回答题目 {all_items}，因此无法用插补模型（missing='model'）替换其缺失答案",
    "check these columns (are all answers missing codes?), or remove the items from the questionnaire":
        "请检查这些列（是否所有答案都是缺失值代码？），或把这些题目从问卷模型中删除",
    # ------------------------------------------------------------------ the questionnaire spec
    "The questionnaire spec is invalid": "问卷模型文件有误",
    "correct each listed entry in the spec and run again": "请逐条改正模型文件中列出的问题，然后重新运行",
    "The model file cannot be read": "无法读取模型文件",
    "no such file": "文件不存在",
    "not a file": "不是文件",
    "pass the path of the questionnaire YAML with --model (csi-survey template acsi prints one)":
        "请用 --model 给出问卷模型 YAML 文件的路径（csi-survey template acsi 可输出一个示例）",
    "The model file is not valid YAML": "模型文件不是有效的 YAML",
    "check the indentation and the brackets at that line": "请检查该行的缩进和括号",
    "The model file is not a mapping": "模型文件不是“键: 值”形式的映射",
    "expected a mapping of keys and values, got {kind}": "应为“键: 值”的映射，实际是 {kind}",
    "the paths form a cycle: {cycle} (the model must be recursive)": "路径构成了循环：{cycle}（模型必须是递归的，不能有循环）",
    "path target {name} is not a construct; did you mean {other}?": "路径终点 {name} 不是模型中的构念；您是不是指 {other}？",
    "path source {name} is not a construct; did you mean {other}?": "路径起点 {name} 不是模型中的构念；您是不是指 {other}？",
    "path target {name} is not a construct; constructs are {names}": "路径终点 {name} 不是模型中的构念；模型的构念有：{names}",
    "path source {name} is not a construct; constructs are {names}": "路径起点 {name} 不是模型中的构念；模型的构念有：{names}",
    "path from {name} to itself": "路径从 {name} 指向它自身",
    "path {source} → {target} is listed twice (also {location})": "路径 {source} → {target} 重复列出（另见 {location}）",
    "item {item} is also in construct {construct}; an item measures one construct only":
        "题目 {item} 也属于构念 {construct}；一个题目只能测量一个构念",
    "construct {construct} has no items": "构念 {construct} 没有题目",
    "the spec declares no construct": "模型文件中没有声明任何构念",
    "index names {name}, which is not a construct; did you mean {other}?": "index 指定的 {name} 不是模型中的构念；您是不是指 {other}？",
    "index names {name}, which is not a construct; constructs are {names}": "index 指定的 {name} 不是模型中的构念；模型的构念有：{names}",
    "scale min ({low}) must be below max ({high})": "量表的最小值（{low}）必须小于最大值（{high}）",
    "unknown key {key}; allowed: {keys}": "未知的键 {key}；允许的键：{keys}",
    "unknown key {key}; did you mean {other}?": "未知的键 {key}；您是不是指 {other}？",
    "required field {field} is missing": "缺少必填字段 {field}",
    "reverse-coded item {item} needs a scale (declare scale: on the item, its construct or the spec)":
        "反向计分题 {item} 需要量表（请在题目、所属构念或整个模型上声明 scale:）",
    "item {item} is also the id_column": "题目 {item} 同时也是受访者编号列 id_column",
    "label map {name} is not declared under label_maps": "答案标签映射 {name} 没有在 label_maps 中声明",
    "target {name} has no incoming path, so it has no drivers": "目标 {name} 没有指向它的路径，因此没有驱动因素",
    "target {name} is not a construct; did you mean {other}?": "目标 {name} 不是模型中的构念；您是不是指 {other}？",
    "target {name} is not a construct; constructs are {names}": "目标 {name} 不是模型中的构念；模型的构念有：{names}",
    # ------------------------------------------------------------------ estimation
    "item(s) with zero variance: {all_items}": "以下题目的方差为零：{all_items}",
    "{item} (every answer {value})": "{item}（所有答案都是 {value}）",
    "an item with one answer for every respondent carries no information: remove it from its construct":
        "所有受访者答案都相同的题目不含任何信息：请把它从所属构念中删除",
    "the predictors of {name} ({names}) are perfectly collinear": "{name} 的预测构念（{names}）完全共线",
    "a construct score has zero variance (its items do not vary)": "某个构念得分的方差为零（其题目没有变化）",
    "a construct score has zero variance": "某个构念得分的方差为零",
    "the items of mode-B construct {name} ({items}) are perfectly collinear": "形成型（mode B）构念 {name} 的题目（{items}）完全共线",
    "remove one of the collinear items or constructs, or check for duplicated items":
        "请删除共线的题目或构念之一，或检查是否有重复的题目",
    "PLS did not converge in {n} iterations (largest change of an outer weight in the last iteration: {change}, tolerance {tol})":
        "PLS 在 {n} 次迭代内没有收敛（最后一次迭代中外部权重的最大变化：{change}，容差 {tol}）",
    "raise max_iter (--max-iter), try scheme 'centroid', or check for items that measure nothing (very low loadings) and constructs with a single weak item":
        "请提高 max_iter（--max-iter），尝试 centroid 权重方案，或检查几乎不测量任何东西的题目（载荷很低）以及只有一个弱题目的构念",
    "PLS needs at least 3 respondents; the data have {n}": "PLS 至少需要 3 名受访者；数据中只有 {n} 名",
    "the item matrix contains missing values": "题目数据中有缺失值",
    "item column(s) {columns} contain missing values": "题目列 {columns} 中有缺失值",
    "read the responses with csi_survey.read_responses (mean replacement or listwise deletion)":
        "请用 csi_survey.read_responses 读取答卷（均值替换或列表删除）",
    "the data have no column for item(s) {items}": "数据中没有题目 {items} 的列",
    "consistent PLS: the reliability rho_A of {which} is not positive, so the construct cannot be corrected for attenuation":
        "一致性 PLS：{which} 的信度 rho_A 不是正数，无法对该构念做衰减校正",
    "a reflective construct whose items hardly correlate has no usable reliability: declare it measurement: composite (no correction), reverse-code items that run the other way, or revise its items":
        "题目之间几乎不相关的反映型构念没有可用的信度：请把它声明为 measurement: composite（不校正），把方向相反的题目反向计分，或修改其题目",
    "column {column} has {k} segment(s) that can be estimated ({all_found}); comparing segments needs at least two":
        "列 {column} 中只有 {k} 个细分群体可以估计（{all_found}）；比较细分群体至少需要两个",
    "lower min_n (now {n}; --min-n on the command line) if segments are too small, merge small segments in the data, or leave {column} out of the segment columns to compare":
        "如果细分群体太小，请降低 min_n（当前为 {n}；命令行选项 --min-n），或在数据中合并小的细分群体，或不再按 {column} 比较细分群体",
    "no respondent has a value": "没有受访者在该列有值",
    "{segment}: n = {n}, {all_status}": "{segment}：n = {n}，{all_status}",
    "insufficient sample (n = {n} < {m})": "样本不足（n = {n} < {m}）",
    # ------------------------------------------------------------------ warnings and run notes
    "no 0–100 index for {names}: their items have no declared scale (add scale: {min: …, max: …} to the spec)":
        "{names} 没有 0–100 指数：其题目没有声明量表（请在模型文件中加入 scale: {min: …, max: …}）",
    "the weights of construct {construct} sum to zero: its 0–100 index is not defined":
        "构念 {construct} 的权重之和为零：其 0–100 指数没有定义",
    "construct {construct} has negative index weights ({items}): its 0–100 scores can leave the 0–100 range; check the item coding (reverse: true?)":
        "构念 {construct} 有负的指数权重（{items}）：其 0–100 得分可能超出 0–100 的范围；请检查题目编码（是否应为 reverse: true？）",
    "covariance-based SEM estimates mode-B construct(s) {names} as common factors (reflective measurement): a factor model has no composites; use PLS for formative constructs":
        "协方差结构方程模型（CB-SEM）把形成型（mode B）构念 {names} 当作公因子（反映型测量）来估计：因子模型没有合成变量；形成型构念请使用 PLS",
    "negative variance estimate(s) (Heywood case): {all_listed}. The solution is not admissible: likely causes are too few or weak items for a construct, an item that is almost the construct (standardized loading > 1), a misspecified model or a small sample":
        "方差估计值为负（Heywood 情形）：{all_listed}。该解不可接受：可能的原因是某构念的题目太少或太弱、某题目几乎等同于构念（标准化载荷 > 1）、模型设定有误或样本太小",
    "the model-implied covariance matrix of the constructs is not positive definite (largest latent correlation {pair} = {r}): the solution is not admissible":
        "模型隐含的构念协方差矩阵不是正定的（最大潜变量相关 {pair} = {r}）：该解不可接受",
    "consistent PLS: the disattenuated construct correlation matrix is not positive semi-definite (smallest eigenvalue {eig}), so the solution is inadmissible: no set of constructs can have these correlations. The estimates are reported as computed but should not be interpreted; {all_advice}":
        "一致性 PLS：校正衰减后的构念相关矩阵不是半正定的（最小特征值 {eig}），因此该解不可接受：任何一组构念都不可能有这样的相关。估计值按计算结果报告，但不应解读；{all_advice}",
    "consistent PLS: disattenuated construct correlation(s) beyond ±1 ({all_listed}): the solution is inadmissible; {all_advice}":
        "一致性 PLS：校正衰减后的构念相关超出 ±1（{all_listed}）：该解不可接受；{all_advice}",
    "consistent PLS: consistent loading(s) above 1 in absolute value ({all_listed}): the solution is inadmissible (a Heywood case)":
        "一致性 PLS：一致性载荷的绝对值大于 1（{all_listed}）：该解不可接受（Heywood 情形）",
    "consistent PLS: reliability rho_A above 1 ({all_listed}): the solution is inadmissible":
        "一致性 PLS：信度 rho_A 大于 1（{all_listed}）：该解不可接受",
    "the least reliable reflective constructs (rho_A): {weakest}. Declare such a construct measurement: composite (no correction), or revise its items":
        "信度最低的反映型构念（rho_A）：{weakest}。请把这样的构念声明为 measurement: composite（不校正），或修改其题目",
    "pair {a} vs {b} of {column} not tested: {all_why}": "{column} 的 {a} 与 {b} 未做比较检验：{all_why}",
    "The bootstrap applies to PLS; CB-SEM reports maximum-likelihood standard errors (parameters.csv)":
        "自助法（bootstrap）只用于 PLS；CB-SEM 报告的是最大似然标准误（见 parameters.csv）",
    "The bootstrap test of exact model fit was not run: {all_reason}": "没有运行模型精确拟合的自助法检验：{all_reason}",
    "The bootstrap of a model with {kind} resamples respondents: the survey design (clusters, strata) is not used":
        "含{kind}的模型按受访者做自助法重抽样：没有使用调查设计（整群、分层）",
    "Impacts, the importance–performance map and the overall model-fit measures (model_fit.csv) are not computed for a model with {kind}":
        "含{kind}的模型不计算影响力、重要性–表现分析图和整体模型拟合指标（model_fit.csv）",
    "Segments of {column} not compared: {all_reason}": "没有比较 {column} 的细分群体：{all_reason}",
    # ------------------------------------------------------------------ engine descriptions
    "PLS path modeling, path scheme": "PLS 路径建模，路径加权方案",
    "PLS path modeling, centroid scheme": "PLS 路径建模，中心加权方案",
    "PLS path modeling, factorial scheme": "PLS 路径建模，因子加权方案",
    "PLS path modeling, path scheme, unscaled items": "PLS 路径建模，路径加权方案，题目未标准化",
    "PLS path modeling, centroid scheme, unscaled items": "PLS 路径建模，中心加权方案，题目未标准化",
    "PLS path modeling, factorial scheme, unscaled items": "PLS 路径建模，因子加权方案，题目未标准化",
    "Consistent {all_base} (PLSc: {k} reflective constructs corrected)": "一致性 {all_base}（PLSc：校正了 {k} 个反映型构念）",
    "Consistent {all_base} (PLSc: {k} reflective construct corrected)": "一致性 {all_base}（PLSc：校正了 {k} 个反映型构念）",
    "Covariance-based SEM (ML, semopy)": "协方差结构方程模型（CB-SEM，最大似然估计，semopy）",
    "{base}; moderation: {methods}": "{base}；调节效应：{methods}",
    # ------------------------------------------------------------------ writing the outputs
    "cannot write into the output folder {folder}: {reason}": "无法写入输出文件夹 {folder}：{reason}",
    "check that you may write to this folder, or choose another output folder": "请确认您有权限写入该文件夹，或换一个输出文件夹",
    "the output folder {folder} is a file, not a folder": "输出文件夹 {folder} 是一个文件，不是文件夹",
    "choose another output folder, or move or rename that file": "请换一个输出文件夹，或移走、重命名该文件",
    "cannot create the output folder {folder}: a file is in the way": "无法创建输出文件夹 {folder}：路径上有一个同名文件",
    "cannot create the output folder {folder}: {reason}": "无法创建输出文件夹 {folder}：{reason}",
    "check the path and that you may write there, or choose another output folder": "请检查路径以及您是否有写入权限，或换一个输出文件夹",
    "the output folder {folder} is already being written": "输出文件夹 {folder} 正在被写入",
    "cannot write {name} into {folder}: a folder with that name is in the way": "无法把 {name} 写入 {folder}：已有一个同名文件夹",
    "rename or remove the folder {folder}; nothing was written": "请重命名或删除文件夹 {folder}；没有写入任何文件",
    "cannot write {name} into {folder}: {reason}": "无法把 {name} 写入 {folder}：{reason}",
    "close {name} if it is open (e.g. in Excel) and check that you may write to the folder, then run again ({all_status})":
        "如果 {name} 正被打开（例如在 Excel 中），请先关闭，并确认您有权限写入该文件夹，然后重新运行（{all_status}）",
    "cannot write the CSV file {path}: {reason}": "无法写入 CSV 文件 {path}：{reason}",
    "close the file if it is open (e.g. in Excel) and check that the folder exists and that you may write to it":
        "如果文件正被打开（例如在 Excel 中），请先关闭，并确认文件夹存在且您有写入权限",
    # ------------------------------------------------------------------ survey weights
    "The weights column {column} of {where} has {k} unusable value(s) among {n} respondents":
        "{where} 的权重列 {column} 在 {n} 名受访者中有 {k} 个不可用的值",
    "every used respondent needs a positive number (decimal point, e.g. 1.25) in the weights column: correct these cells, or exclude these respondents from the file":
        "每名参与分析的受访者在权重列中都需要一个正数（用小数点，例如 1.25）：请改正这些单元格，或把这些受访者从文件中排除",
    "not a finite number": "不是有限的数",
    "zero (a weight must be positive)": "为零（权重必须为正数）",
    "negative (a weight must be positive)": "为负数（权重必须为正数）",
    "empty (no weight)": "为空（没有权重）",
    "empty cell in a raking column": "加权（raking）变量列中有空单元格",
    "Raking needs every respondent's category, but {k} cell(s) of the raking columns of {where} are empty":
        "raking 加权需要每名受访者的类别，但 {where} 的加权变量列中有 {k} 个单元格为空",
    "fill these cells, or give the missing answers a category of their own (e.g. 'unknown') with a target share in weights.raking.margins, or exclude these respondents from the file":
        "请填写这些单元格，或给缺失答案单独设一个类别（例如 'unknown'）并在 weights.raking.margins 中给出其目标比例，或把这些受访者从文件中排除",
    "The raking margins do not match the categories of {where}": "raking 的边际分布与 {where} 中的类别不一致",
    "give every category of the data a target share (spelled as in the file) and remove target categories nobody has, or merge categories in the file":
        "请为数据中的每个类别给出目标比例（写法与文件一致），删除没有受访者的目标类别，或在文件中合并类别",
    "category {cat} occurs in the data ({k} respondent(s)) but has no target share; categories with targets: {cats}":
        "类别 {cat} 在数据中出现（{k} 名受访者），但没有目标比例；有目标比例的类别：{cats}",
    "category {cat} has target share 0 but occurs in the data ({k} respondent(s)); a weight must be positive":
        "类别 {cat} 的目标比例为 0，但在数据中出现（{k} 名受访者）；权重必须为正数",
    "category {cat} has target share {share} but no respondent has it; categories in the data: {cats}":
        "类别 {cat} 的目标比例为 {share}，但没有受访者属于该类别；数据中的类别：{cats}",
    "raking produced weights that are not all positive and finite": "raking 加权得到的权重并非全为有限正数",
    "check the margins for categories with very few respondents, or merge small categories": "请检查边际分布中受访者很少的类别，或合并小类别",
    "raking did not reach the margins within tol {tol} in max_iter {k} sweeps (largest deviation {dev}, {where})":
        "raking 加权在 max_iter {k} 轮内没有在容差 {tol} 以内达到边际分布（最大偏差 {dev}，{where}）",
    "raise weights.raking.max_iter, or merge categories with few respondents; margins that no weighting of these respondents can reproduce (e.g. contradictory targets) never converge":
        "请提高 weights.raking.max_iter，或合并受访者很少的类别；任何加权都无法重现的边际分布（例如相互矛盾的目标）永远不会收敛",
    "the weights column {column} is an item of construct {construct}, not a weight": "权重列 {column} 是构念 {construct} 的题目，不是权重",
    "name the column of the export that holds the survey weights in weights.column": "请在 weights.column 中写出导出文件里存放调查权重的列",
    "weights declares neither a column nor raking": "weights 既没有声明权重列，也没有声明 raking 加权",
    "declare weights.column or weights.raking": "请声明 weights.column 或 weights.raking",
    "declare weights.column, weights.raking or both (raking the column's weights)":
        "请声明 weights.column、weights.raking 或两者都声明（对该列的权重做 raking 加权）",
    # --- issue 17: 17C cell values, messages that point at the real problem, validate = run's checks
    "Invalid answers in {where}: {cells_n} cell(s) of {resp_n} respondent(s) are {what}. Answer labels found in {columns}: {all_labels}":
        "{where} 中有无效答案：{resp_n} 名受访者的 {cells_n} 个单元格{what}。在 {columns} 中找到的答案标签：{all_labels}",
    "Invalid answers in {where}: {cells_n} cell(s) of {resp_n} respondent(s) are {what}. Answer labels found in {columns}: {all_labels}. Unmapped label(s): {all_unmapped}":
        "{where} 中有无效答案：{resp_n} 名受访者的 {cells_n} 个单元格{what}。在 {columns} 中找到的答案标签：{all_labels}。未映射的答案标签：{all_unmapped}",
    "{label} ({k} cells)": "{label}（{k} 个单元格）",
    "{label} ({k} cell)": "{label}（{k} 个单元格）",
    "these are the labels of the built-in Chinese scale {scale}: read the export with its platform format (--format wjx, wenjuan or tencent) so that the built-in scales (cn_scales) score them, or declare the scale under label_maps in the questionnaire and add labels: <map name> to the construct or item":
        "这些是内置中文量表 {scale} 的标签：请按导出平台的格式读取文件（--format wjx、wenjuan 或 tencent），由内置量表（cn_scales）自动计分；"
        "或在问卷模型的 label_maps 中声明该量表，并在构念或题目上加 labels: <映射名>",
    "these columns hold answer labels, not codes: declare the codes in the questionnaire, label_maps: {example}, and add labels: my_scale to the construct or item":
        "这些列中是答案标签而不是代码：请在问卷模型中声明各标签的代码，label_maps: {example}，并在构念或题目上加 labels: my_scale",
    "otherwise {all_hint}": "否则，{all_hint}",
    "The speeders rule cannot run: no interview duration in column {column} of {where} can be read ({k} of {n} respondent(s) have values that are not durations: {all_values}); durations are read as {all_formats}":
        "答题过快规则无法执行：{where} 的列 {column} 中没有一个答题时长能被读取（{n} 名受访者中有 {k} 名的值不是时长：{all_values}）；可读取的时长格式：{all_formats}",
    "write the durations in one of these formats, declare codes such as 'unknown' as missing values, set quality.speeders.column to the column holding the interview duration (now {column}), or switch the rule off (quality.speeders.policy: off)":
        "请用上述格式之一填写时长，或把“unknown”之类的代码声明为缺失值，或把 quality.speeders.column 设为记录答题时长的列（当前为 {column}），"
        "或关闭该规则（quality.speeders.policy: off）",
    "not a duration": "不是时长",
    "The speeders rule checked nobody: the duration column {column} of {where} is empty (or a missing code) for all {n} respondent(s)":
        "答题过快规则没有检查任何受访者：{where} 的时长列 {column} 对全部 {n} 名受访者都为空（或为缺失值代码）",
    "The speeders rule could not read the interview duration of {k} of {n} respondent(s) in column {column} of {where} ({all_values}); they are not checked. Durations are read as {all_formats}":
        "答题过快规则无法读取 {where} 的列 {column} 中 {n} 名受访者里 {k} 名的答题时长（{all_values}），这些受访者未被检查。可读取的时长格式：{all_formats}",
    "seconds (125)": "秒数（125）",
    "clock time (2:05, 1:02:05)": "时钟格式（2:05、1:02:05）",
    "Chinese (125秒, 2分5秒, 1小时2分)": "中文（125秒、2分5秒、1小时2分）",
    "Excel time cells": "Excel 时间单元格",
    "extreme: {ratio} times the median weight ({median}); the largest weight may be at most {bound} times the smallest (here {actual})":
        "极端值：是权重中位数（{median}）的 {ratio} 倍；最大权重最多只能是最小权重的 {bound} 倍（此处为 {actual} 倍）",
    "the largest weight may be at most {bound} times the smallest (check extreme weights for typos or missing-value codes)":
        "最大权重最多只能是最小权重的 {bound} 倍（请检查极端权重是否为笔误或缺失值代码）",
    "CB-SEM needs at least 3 respondents; the data have {n}": "CB-SEM 至少需要 3 名受访者；数据中只有 {n} 名",
    "check the exclusions (excluded.csv, --on-invalid, the quality rules): estimation needs at least 3 usable respondents, and many more for stable estimates":
        "请检查被剔除的受访者（excluded.csv、--on-invalid、数据质量规则）：估计至少需要 3 名可用的受访者，要得到稳定的估计则需要多得多",
    "Check passed: columns named on the command line ({all_columns})": "检查通过：命令行中指定的列（{all_columns}）",
    "Check passed: sample size ({n} respondents)": "检查通过：样本量（{n} 名受访者）",
    "Check passed: survey weights (effective sample size {value})": "检查通过：调查权重（有效样本量 {value}）",
    "Check passed: items ({n} items, every one varies)": "检查通过：题目（{n} 个题目，每个都有变化）",
    "Check passed: construct blocks ({n} constructs)": "检查通过：构念的题目组（{n} 个构念）",
    "Check passed: construct blocks ({n} constructs, {k} formative block(s) not collinear)":
        "检查通过：构念的题目组（{n} 个构念，{k} 个形成性题目组没有完全共线）",
    "Check skipped: construct blocks (checked by the engine of this model)": "检查跳过：构念的题目组（由该模型的估计引擎检查）",
    "Check skipped: construct blocks (PLS check; CB-SEM checks its own model)": "检查跳过：构念的题目组（PLS 的检查；CB-SEM 自行检查其模型）",
    # --- issue 17: 17G YAML caps (alias bombs, nesting, size, values YAML cannot build)
    "The model file is too large to be a YAML model file": "模型文件过大，不像是 YAML 模型文件",
    "{size} bytes; at most {limit} bytes (5 MB) are read": "{size} 字节；最多读取 {limit} 字节（5 MB）",
    "{size} characters; at most {limit} (5 MB) are read": "{size} 个字符；最多读取 {limit} 个（5 MB）",
    "pass the model file itself (a model file is a few kB of YAML), not a data file":
        "请给出模型文件本身（模型文件只有几 kB 的 YAML），而不是数据文件",
    "The model file is too large or too deeply nested to read": "模型文件过大或嵌套过深，无法读取",
    "more than {limit} values once the aliases (*name) are expanded (an alias bomb?)":
        "展开别名（*name）后超过 {limit} 个值（别名炸弹？）",
    "nested more than {depth} levels deep": "嵌套超过 {depth} 层",
    "nested more than {depth} levels deep once the aliases are expanded": "展开别名后嵌套超过 {depth} 层",
    "an alias (*name) refers to a value that contains it (a recursive alias)": "别名（*name）引用了包含它自身的值（递归别名）",
    "a model file is a few hundred values: write the entries out, or use fewer anchors and aliases (&name … *name); at most {limit} values with every alias expanded, nested at most {depth} levels, are read":
        "模型文件通常只有几百个值：请直接写出各项，或少用锚点和别名（&name … *name）；展开所有别名后最多读取 {limit} 个值、最多嵌套 {depth} 层",
    "The model file holds a value YAML cannot read": "模型文件中有 YAML 无法读取的值",
    "{value} is not a valid {kind} (a date-like value or a value with a !!{tag} tag)":
        "{value} 不是有效的 {kind}（日期形式的值或带 !!{tag} 类型标记的值）",
    "a value cannot be built ({kind})": "有一个值无法构建（{kind}）",
    "quote the value ('2026-13-45') to keep it as text, or correct it; drop the !!tag":
        "请给该值加引号（'2026-13-45'）使其保持为文本，或改正它；并删除 !! 类型标记",
    "character {char} at position {pos} is not allowed in YAML": "YAML 中不允许位置 {pos} 处的字符 {char}",
    "remove the character (a stray control character, often from copying text) and save the file again":
        "请删除该字符（通常是复制文本时带入的控制字符），然后重新保存文件",
    # --- issue 17: 17B reading files (encodings, width, header row, OLE2 files named .xlsx)
    "The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16, GB18030/GBK, Big5 nor Shift-JIS text":
        "无法识别 {name} 的编码：它既不是 UTF-8、UTF-16，也不是 GB18030/GBK、Big5 或 Shift-JIS 文本",
    "The encoding of {name} cannot be detected: it is neither UTF-8, UTF-16, GB18030/GBK, Big5 nor Shift-JIS text (charset-normalizer guesses {guess})":
        "无法识别 {name} 的编码：它既不是 UTF-8、UTF-16，也不是 GB18030/GBK、Big5 或 Shift-JIS 文本（charset-normalizer 推测为 {guess}）",
    "The encoding of {name} is uncertain: {all_why}. Read {all_shown}": "{name} 的编码无法确定：{all_why}。各种解码结果：{all_shown}",
    "it decodes as {all_labels}, and the text does not show which is right": "它可以按 {all_labels} 解码，从文本中无法判断哪一种正确",
    "it decodes only as {label}, but few of its characters are common {label} text":
        "它只能按 {label} 解码，但其中常见的 {label} 字符很少",
    "its bytes at position {n} are not {label}": "位置 {n} 处的字节不是 {label} 编码",
    "pass the encoding the file was saved with, one of {all_names} (--encoding {encoding}, encoding='{encoding}'): gb18030 = GBK, simplified Chinese; cp950 = Big5, traditional Chinese; cp932 = Shift-JIS, Japanese; or save the file as 'CSV UTF-8'":
        "请给出文件保存时所用的编码，可选 {all_names}（--encoding {encoding}，encoding='{encoding}'）：gb18030 即 GBK，简体中文；"
        "cp950 即 Big5，繁体中文；cp932 即 Shift-JIS，日文；或把文件另存为“CSV UTF-8”",
    "use a Python codec name such as utf-8, utf-8-sig, gb18030, gbk, big5, cp950, shift_jis, cp932, utf-16 or cp1252":
        "请使用 Python 的编码名称，例如 utf-8、utf-8-sig、gb18030、gbk、big5、cp950、shift_jis、cp932、utf-16 或 cp1252",
    "{where} was not read: it has {n} columns, more than the limit of {m} columns (max_columns); a survey export rarely has more than a few hundred":
        "未读取 {where}：它有 {n} 列，超过了 {m} 列的上限（max_columns）；调查导出文件很少超过几百列",
    "{where} was not read: it has at least {n} columns, more than the limit of {m} columns (max_columns); a survey export rarely has more than a few hundred":
        "未读取 {where}：它至少有 {n} 列，超过了 {m} 列的上限（max_columns）；调查导出文件很少超过几百列",
    "keep only the questionnaire's columns (and the id, weight or segment columns) in the export, or, if the file is right, raise the limit: read_table(..., limits=Limits(max_columns=...)) or the command-line option --max-columns":
        "请在导出文件中只保留问卷的列（以及编号、权重或细分列）；如果文件无误，可提高上限：read_table(..., limits=Limits(max_columns=...)) "
        "或命令行选项 --max-columns",
    "The columns of the questionnaire are not in the header row of {where} (row {first_n}): the header seems to be on row {row}, which holds {k} of the {m} expected column names ({all_names})":
        "问卷的列不在 {where} 的表头行（第 {first_n} 行）中：表头似乎在第 {row} 行，该行包含预期的 {m} 个列名中的 {k} 个（{all_names}）",
    "{name} cannot be read as CSV: {all_detail}; the header seems to be on row {row}":
        "无法把 {name} 作为 CSV 读取：{all_detail}；表头似乎在第 {row} 行",
    "pass --header-row {row} (header_row={row}), or delete the rows above the header":
        "请加上 --header-row {row}（header_row={row}），或删除表头上方的行",
    "{name} is a password-protected (encrypted) Excel workbook, which cannot be read": "{name} 是受密码保护（已加密）的 Excel 工作簿，无法读取",
    "open it in Excel, remove the password (File → Info → Protect Workbook → Encrypt with Password, clear it) and save it as .xlsx, or export the responses as CSV":
        "请在 Excel 中打开，取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存为 .xlsx，或把答卷导出为 CSV",
    "{name} is an Excel 97–2003 .xls or a password-protected workbook (an OLE2 file), not an .xlsx workbook (a zip file), although its name ends in {ext}":
        "{name} 虽然扩展名为 {ext}，但它是 Excel 97–2003 的 .xls 文件或受密码保护的工作簿（OLE2 文件），而不是 .xlsx 工作簿（zip 文件）",
    "open it in Excel and save it as 'Excel Workbook (.xlsx)' without a password, or rename it to .xls if it is an Excel 97–2003 workbook, or export the responses as CSV":
        "请在 Excel 中打开并不设密码另存为“Excel 工作簿 (.xlsx)”；如果它是 Excel 97–2003 工作簿，也可把扩展名改为 .xls；或把答卷导出为 CSV",
    # --- issue 17: 17D the output folder (never touch the user's files)
    "the output folder {folder} holds files that csi-survey did not write: {all_names}; a run replaces the folder's content, so it refuses to write there":
        "输出文件夹 {folder} 中有不是 csi-survey 写入的文件：{all_names}；运行会替换该文件夹的内容，因此拒绝写入",
    "write into an empty or new folder instead (e.g. `--out results`: it is created), or move those files out of {folder}":
        "请改为写入一个空的或新的文件夹（例如 `--out results`：会自动创建），或把这些文件移出 {folder}",
    "write into an empty or new folder instead (e.g. `--out results`: it is created)":
        "请改为写入一个空的或新的文件夹（例如 `--out results`：会自动创建）",
    "nothing was written": "未写入任何文件",
    "write into an empty or new folder instead (e.g. `--out results`: it is created), or move those files out of {folder}; nothing was written":
        "请改为写入一个空的或新的文件夹（例如 `--out results`：会自动创建），或把这些文件移出 {folder}；未写入任何文件",
    "the output folder {folder} holds the input file {all_names} of this run: writing the run there would overwrite or remove it":
        "输出文件夹 {folder} 中有本次运行的输入文件 {all_names}：在此写入会覆盖或删除它",
    "the output folder {folder} holds the input files {all_names} of this run: writing the run there would overwrite or remove them":
        "输出文件夹 {folder} 中有本次运行的输入文件 {all_names}：在此写入会覆盖或删除它们",
    "cannot write {name} into {folder}: it is an input file of this run": "无法把 {name} 写入 {folder}：它是本次运行的输入文件",
    "write into an empty or new folder instead (e.g. `--out results`); nothing was written":
        "请改为写入一个空的或新的文件夹（例如 `--out results`）；未写入任何文件",
    "cannot write {name} into {folder}: a file of that name that csi-survey did not write (or that was changed since) is in the way":
        "无法把 {name} 写入 {folder}：已有一个同名文件，它不是 csi-survey 写入的（或写入后已被修改）",
    "move or rename {path}, or write into an empty or new folder; nothing was written":
        "请移走或重命名 {path}，或写入一个空的或新的文件夹；未写入任何文件",
    # --- issue 17: segments that scale (17E) and CB-SEM near-degenerate solutions (17A)
    "Pairwise tests and MICOM of {column} skipped: {segments} segments give {pairs} pairs × {permutations} permutations, about {refits} refits with MICOM":
        "未对 {column} 做两两检验和 MICOM：{segments} 个细分共 {pairs} 对 × {permutations} 次置换，连同 MICOM 约需 {refits} 次重新估计",
    "Pairwise tests and MICOM of {column}: {segments} segments give {pairs} pairs × {permutations} permutations, about {refits} refits with MICOM":
        "{column} 的两两检验和 MICOM：{segments} 个细分共 {pairs} 对 × {permutations} 次置换，连同 MICOM 约需 {refits} 次重新估计",
    "Pairwise tests and MICOM of {column} not run (--pairwise none)":
        "未对 {column} 做两两检验和 MICOM（--pairwise none）",
    "the omnibus test (segment_omnibus.csv) says whether the segments differ at all":
        "总体检验（segment_omnibus.csv）说明各细分之间是否存在差异",
    "The omnibus test (segment_omnibus.csv) says whether the segments differ at all":
        "总体检验（segment_omnibus.csv）说明各细分之间是否存在差异",
    "pass --pairwise all to run them (by default they run for at most {k} segments)":
        "如需进行，请使用 --pairwise all（默认只在细分不超过 {k} 个时进行）",
    "near-degenerate solution: construct correlation(s) close to ±1 (|r| ≥ {bound}): {pairs}":
        "近乎退化的解：潜变量相关系数接近 ±1（|r| ≥ {bound}）：{pairs}",
    "The solution is admissible, but these constructs are empirically almost the same (no discriminant validity): their paths have large standard errors and may change a lot with the data":
        "解是可接受的，但这些潜变量在数据上几乎相同（缺乏区分效度）：其路径系数标准误很大，可能随数据大幅变化",
    "consider merging them or revising their items": "可考虑合并这些潜变量或修改其题项",
}
