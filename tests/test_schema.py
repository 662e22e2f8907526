"""Questionnaire spec: loading, defaults, templates, and validation that reports every problem."""

from __future__ import annotations

import textwrap

import pytest

import csi_survey as csi
from csi_survey.schema import template_yaml

ISSUE_SPEC = textwrap.dedent(
    """\
    name: Retail ACSI 2026-Q3
    scale: {min: 1, max: 10}          # default for every item
    missing_codes: [98, 99]           # "don't know" / "refused": treated as missing
    id_column: respondent_id          # optional
    index: SAT                        # the construct reported as the satisfaction index
    constructs:
      EXP: {label: Customer expectations, items: [exp_overall, exp_custom, exp_reliab]}
      PQ:  {label: Perceived quality,     items: [pq_overall, pq_custom, pq_reliab]}
      PV:  {label: Perceived value,       items: [pv_price_given_q, pv_q_given_price]}
      SAT: {label: Customer satisfaction, items: [sat_overall, sat_confirm, sat_ideal]}
      COMP: {label: Complaints, items: [comp_complained], scale: {min: 1, max: 2}}
      LOY: {label: Customer loyalty,     items: [loy_repurchase, loy_price_tol]}
    paths:
      - [EXP, PQ]
      - [EXP, PV]
      - [EXP, SAT]
      - [PQ, PV]
      - [PQ, SAT]
      - [PV, SAT]
      - [SAT, COMP]
      - [SAT, LOY]
      - [COMP, LOY]
    """
)


def test_the_issue_spec_loads_with_resolved_defaults(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(ISSUE_SPEC, encoding="utf-8")
    q = csi.load_model(path)
    assert q.name == "Retail ACSI 2026-Q3"
    assert q.construct_ids == ["EXP", "PQ", "PV", "SAT", "COMP", "LOY"]
    assert len(q.item_ids) == 14 and q.item_ids[0] == "exp_overall"
    assert q.item_scale("sat_overall").max == 10
    assert (q.item_scale("comp_complained").min, q.item_scale("comp_complained").max) == (1, 2)
    assert q.item_missing_codes("pq_custom") == [98, 99]
    assert q.endogenous == ["PQ", "PV", "SAT", "COMP", "LOY"]
    assert q.predecessors("SAT") == ["EXP", "PQ", "PV"]
    assert q.adjacency.sum() == 9 and q.constructs["SAT"].mode == "A"
    assert q.id_column == "respondent_id" and q.index == "SAT"


def test_item_mappings_chinese_labels_and_most_specific_declaration_wins():
    q = csi.Questionnaire.from_yaml(
        textwrap.dedent(
            """\
            name: 零售门店顾客满意度
            scale: [1, 5]
            missing_codes: 9
            constructs:
              SAT:
                label: 顾客满意度
                mode: b
                missing_codes: [98, DK]
                items:
                  - 满意_总体
                  - {id: 满意_理想, text: 与理想相比, reverse: true, scale: {min: 0, max: 10}, missing_codes: [-1]}
            """
        )
    )
    assert q.label("SAT") == "顾客满意度" and q.constructs["SAT"].mode == "B"
    assert q.item_scale("满意_总体").max == 5 and q.item_scale("满意_理想").max == 10
    assert q.item_missing_codes("满意_总体") == [98, "DK"]
    assert q.item_missing_codes("满意_理想") == [-1]
    assert q.items["满意_理想"].reverse and q.items["满意_理想"].text == "与理想相比"


def test_yaml_1_1_booleans_and_numbers_stay_ids():
    q = csi.Questionnaire.from_yaml("constructs:\n  A: {items: [NO, on, y, 12]}\n")
    assert q.item_ids == ["NO", "on", "y", "12"]


def test_every_problem_is_reported_at_once_with_file_and_line():
    bad = textwrap.dedent(
        """\
        name: broken
        scale: {min: 5, max: 1}
        index: SATT
        constructs:
          A: {items: [a1, a2]}
          B: {items: [a2, b1], labl: typo}
          C: {items: []}
          A: {items: [z]}
          D: {items: [d1, d1], mode: C}
          E: {items: [{id: e1, reverse: true, scale: {min: 1, max: 1}}]}
        paths:
          - [A, B]
          - [B, C]
          - [C, A]
          - [A, F]
          - [A, B]
          - [D, D]
          - [A, B, C]
        """
    )
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.from_yaml(bad, source="model.yaml")
    problems = info.value.problems
    text = "\n".join(problems["location"] + "  " + problems["problem"])
    expected = [
        ("model.yaml:2 scale", "scale min (5) must be below max (1)"),
        ("model.yaml:3 index", "index names 'SATT', which is not a construct"),
        ("model.yaml:6 constructs.B.labl", "unknown key 'labl'; did you mean 'label'?"),
        ("model.yaml:7 constructs.C.items", "construct 'C' has no items"),
        ("model.yaml:8 constructs.A", "key 'A' appears twice (lines 5 and 8)"),
        ("model.yaml:9 constructs.D.items[1]", "item 'd1' is twice in this construct"),
        ("model.yaml:9 constructs.D.mode", "Input should be 'A' or 'B'"),
        ("model.yaml:10 constructs.E.items[0].scale", "scale min (1) must be below max (1)"),
        ("model.yaml:11 paths", "the paths form a cycle"),
        ("model.yaml:15 paths[3]", "path target 'F' is not a construct"),
        ("model.yaml:16 paths[4]", "path A → B is listed twice (also paths[0])"),
        ("model.yaml:17 paths[5]", "path from 'D' to itself"),
        ("model.yaml:18 paths[6]", "a path is a pair [source, target], got 3 element(s)"),
    ]
    for location, message in expected:
        hits = problems[(problems["location"] == location) & problems["problem"].str.contains(message, regex=False)]
        assert len(hits) == 1, f"{location}: {message}\n--- got ---\n{text}"
    assert len(problems) == len(expected), text
    message = str(info.value)
    assert message.startswith(f"The questionnaire spec is invalid ({len(expected)} problems):")
    assert "How to fix:" in message


def test_cross_reference_problems_in_python_built_specs():
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.build(
            constructs=[csi.construct("A", ["x"]), csi.construct("A", ["y"]), csi.construct("B", ["y"])],
            paths=csi.paths("A", ["B", "Q"]),
            index="Z",
        )
    problems = info.value.problems["problem"].tolist()
    assert any("declared more than once" in p for p in problems)
    assert any("'y' is also in construct 'A'" in p for p in problems)
    assert any("path target 'Q'" in p for p in problems)
    assert any("index names 'Z'" in p for p in problems)


def test_reverse_item_needs_a_scale_and_id_column_cannot_be_an_item():
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.from_yaml("id_column: a\nconstructs:\n  A: {items: [a, {id: b, reverse: true}]}\n")
    problems = " | ".join(info.value.problems["problem"])
    assert "reverse-coded item 'b' needs a scale" in problems
    assert "item 'a' is also the id_column" in problems


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("constructs: [a, b", "not valid YAML"),
        ("- just\n- a list\n", "not a mapping"),
        ("", "empty"),
        ("name: x\n", "required field 'constructs' is missing"),
    ],
)
def test_malformed_files_give_one_clear_error(text, fragment):
    with pytest.raises(csi.SpecError, match=fragment):
        csi.Questionnaire.from_yaml(text, source="m.yaml")


def test_missing_model_file_is_a_spec_error(tmp_path):
    with pytest.raises(csi.SpecError, match="no such file"):
        csi.load_model(tmp_path / "nope.yaml")


def test_gbk_encoded_model_file_loads(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes("constructs:\n  SAT: {label: 顾客满意度, items: [满意]}\n".encode("gbk"))
    assert csi.load_model(path).label("SAT") == "顾客满意度"


@pytest.mark.parametrize("name, n_constructs, n_paths", [("acsi", 6, 9), ("ecsi", 7, 12)])
def test_templates_load_and_round_trip(name, n_constructs, n_paths):
    q = csi.template(name)
    assert len(q.constructs) == n_constructs and len(q.paths) == n_paths and q.index == "SAT"
    again = csi.Questionnaire.from_yaml(q.to_yaml())
    assert again == q
    assert "Fornell" in template_yaml("acsi")


def test_ecsi_template_adds_image_paths():
    q = csi.template("ecsi")
    assert {(p.source, p.target) for p in q.paths if p.source == "IMG"} == {("IMG", "EXP"), ("IMG", "SAT"), ("IMG", "LOY")}


def test_unknown_template():
    with pytest.raises(csi.SpecError, match="choose one of acsi, ecsi"):
        csi.template("ncsi")


def test_spec_is_immutable():
    q = csi.template("acsi")
    with pytest.raises(Exception):
        q.name = "x"  # type: ignore[misc]


def test_paths_builder_is_a_cross_product():
    assert csi.paths(["EXP", "PQ"], ["PV", "SAT"]) == [("EXP", "PV"), ("EXP", "SAT"), ("PQ", "PV"), ("PQ", "SAT")]


def test_covariances_and_sem_lines_for_the_covariance_engine():
    q = csi.Questionnaire.from_yaml(
        "constructs:\n  A: {items: [a1, a2]}\n  B: {items: [b1, b2]}\npaths: [[A, B]]\n"
        "covariances: [[a1, b1], [A, B]]\nsem_lines: ['A ~~ 1*A']\n"
    )
    assert [(c.source, c.target) for c in q.covariances] == [("a1", "b1"), ("A", "B")]
    assert q.sem_lines == ["A ~~ 1*A"]
    assert csi.Questionnaire.from_yaml(q.to_yaml()) == q
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.from_yaml(
            "constructs:\n  A: {items: [a1, a2]}\n  B: {items: [b1, b2]}\n"
            "covariances: [[a1, B], [zz, a1], [a1, b1], [b1, a1]]\nsem_lines: [nonsense]\n", source="m.yaml"
        )
    problems = " | ".join(info.value.problems["problem"])
    assert "between item and construct (a1 ~~ B)" in problems
    assert "'zz', which is neither an item nor a construct" in problems
    assert "b1 ~~ a1 is listed twice" in problems
    assert "'nonsense' is not a lavaan-style line" in problems


# ---------------------------------------------------------------------- higher-order constructs and interactions
EXTENDED_SPEC = textwrap.dedent(
    """\
    name: extended
    scale: [1, 10]
    index: PERC
    constructs:
      IMG: {items: [i1, i2]}
      EXP: {items: [e1, e2]}
      PQ: {items: [q1, q2]}
      PV: {items: [v1, v2]}
      SAT: {items: [s1, s2]}
      LOY: {items: [l1, l2]}
    higher_order:
      PERC: [PQ, PV]
      OUT: {dimensions: [SAT, LOY], mode: b, label: Outcome}
    higher_order_method: repeated-indicators
    paths:
      - [IMG, EXP]
      - [EXP, PERC]
      - [IMG, PERC]
      - PERC -> OUT
    targets: [PERC, OUT]
    """
)


def test_higher_order_section_loads_and_round_trips():
    q = csi.Questionnaire.from_yaml(EXTENDED_SPEC, source="m.yaml")
    assert q.higher_order_ids == ["PERC", "OUT"] and q.higher_order_method == "repeated_indicators"
    assert q.higher_order["PERC"].dimensions == ["PQ", "PV"] and q.higher_order["PERC"].mode == "A"
    assert (q.higher_order["OUT"].mode, q.higher_order["OUT"].label) == ("B", "Outcome")
    assert q.construct_ids == ["IMG", "EXP", "PQ", "PV", "SAT", "LOY"] and len(q.item_ids) == 12  # first order
    assert q.has_extensions and q.interaction_ids == []
    assert q.structural_paths == [("IMG", "EXP"), ("EXP", "PERC"), ("IMG", "PERC"), ("PERC", "OUT")]
    assert q.adjacency.sum() == 1  # only IMG → EXP joins two first-order constructs
    assert q.endogenous == ["EXP"] and q.driver_targets == ["PERC", "OUT"]
    assert csi.Questionnaire.from_yaml(q.to_yaml()) == q
    assert "PERC: [PQ, PV]" in q.to_yaml()
    assert not csi.template("ecsi").has_extensions


def test_interactions_section_loads_and_round_trips():
    q = csi.Questionnaire.from_yaml(textwrap.dedent(
        """\
        constructs:
          X: {items: [x1, x2]}
          M: {items: [m1, m2]}
          W: {items: [w1, w2]}
          Y: {items: [y1, y2]}
          Z: {items: [z1, z2]}
        interactions:
          - X*M
          - {iv: W, moderator: M, method: Orthogonal, mode: b, targets: Z}
          - {iv: X, moderator: W, method: product_indicator}
        paths: [[X, Y], [M, Y], [W, Y], [X, Z], [M, Z], [W, Z], [Y, Z], X*W -> Z]
        """))
    assert q.interaction_ids == ["X*M", "W*M", "X*W"]
    assert (q.interactions[1].method, q.interactions[1].mode, q.interactions[1].targets) == ("orthogonal", "B", ["Z"])
    # X*M has no path nor targets: every common target of X and M; W*M its targets; X*W its path
    assert [p for p in q.structural_paths if "*" in p[0]] == [("X*W", "Z"), ("X*M", "Y"), ("X*M", "Z"), ("W*M", "Z")]
    assert q.driver_targets == ["Z"]
    again = csi.Questionnaire.from_yaml(q.to_yaml())
    assert again == q and "- X*M" in q.to_yaml()


def test_every_extension_problem_is_reported_with_file_and_line():
    bad = textwrap.dedent(
        """\
        name: broken
        scale: [1, 10]
        index: Satisfation
        constructs:
          IMG: {items: [i1, i2]}
          EXP: {items: [e1, e2]}
          PV: {items: [v1, v2]}
          SAT: {items: [s1, s2]}
          LOY: {items: [l1]}
          A1: {items: [a1]}
          A2: {items: [a2]}
        higher_order:
          H: [IMG, PVV]
          H2: {dimensions: [IMG], mode: C, lable: x}
          SAT: [A1, A2]
        interactions:
          - IMG*IMG
          - {iv: IMGG, moderator: EXP}
          - {iv: EXP, moderator: H, targets: [LOY]}
          - EXP*PV
          - PV*EXP
          - {iv: EXP, moderater: PV}
          - IMGEXP
          - {iv: PV, moderator: SAT, targets: [LOY]}
          - LOY*PV
        paths:
          - [H, SAT]
          - [IMG, LOY]
          - [SAT, LOY]
          - [LOY, EXP*PV]
          - [EXP*LOY, SAT]
          - EXP*PV -> SAT
          - [PV*SAT, PV]
          - [LOY, H]
        targets: [EXP*PV, IMG, EXP]
        """
    )
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.from_yaml(bad, source="model.yaml")
    problems = info.value.problems
    text = "\n".join(problems["location"] + "  " + problems["problem"])
    expected = [
        ("model.yaml:3 index", "index names 'Satisfation', which is neither a construct nor a higher-order construct"),
        ("model.yaml:13 higher_order.H.dimensions[1]", "dimension 'PVV' of 'H' is not a construct of the model; did you mean 'PV'?"),
        ("model.yaml:14 higher_order.H2.mode", "Input should be 'A' or 'B'"),
        ("model.yaml:14 higher_order.H2.lable", "unknown key 'lable'; did you mean 'label'?"),
        ("model.yaml:14 higher_order.H2.dimensions", "has 1 dimension(s); it needs at least two"),
        ("model.yaml:14 higher_order.H2.dimensions[0]", "'IMG' belongs to two higher-order constructs ('H' and 'H2')"),
        ("model.yaml:15 higher_order.SAT", "has the id of a construct of the model"),
        ("model.yaml:17 interactions[0]", "interaction of 'IMG' with itself"),
        ("model.yaml:18 interactions[1].iv", "iv 'IMGG' is not a construct; did you mean 'IMG'?"),
        ("model.yaml:19 interactions[2].moderator", "moderator 'H' is a higher-order construct; interactions with "
                                                    "higher-order constructs are not supported yet"),
        ("model.yaml:21 interactions[4]", "interaction PV*EXP duplicates interactions[3] (EXP*PV"),
        ("model.yaml:22 interactions[5].moderator", "required field 'moderator' is missing"),
        ("model.yaml:22 interactions[5].moderater", "unknown key 'moderater'; did you mean 'moderator'?"),
        ("model.yaml:23 interactions[6]", "an interaction is written 'IV*MODERATOR'"),
        ("model.yaml:24 interactions[7].targets[0]", "PV*SAT → LOY needs the main effects PV → LOY and SAT → LOY; "
                                                     "add the path(s) [PV, LOY]"),
        ("model.yaml:25 interactions[8]", "interaction LOY*PV has no target: LOY and PV have no path to a common "
                                          "construct; declare targets"),
        ("model.yaml:26 paths", "the paths form a cycle: "),
        ("model.yaml:28 paths[1]", "path source 'IMG' is a dimension of 'H'; a dimension has no paths of its own"),
        ("model.yaml:30 paths[3]", "interaction term 'EXP*PV' is the target of a path"),
        ("model.yaml:31 paths[4]", "path source 'EXP*LOY' is neither a construct nor a higher-order construct nor a "
                                   "declared interaction; did you mean"),
        ("model.yaml:32 paths[5]", "EXP*PV → SAT needs the main effects EXP → SAT and PV → SAT"),
        ("model.yaml:33 paths[6]", "PV*SAT → PV: an interaction term cannot explain its own iv"),
        ("model.yaml:35 targets[0]", "target 'EXP*PV' is an interaction term, which has no drivers"),
        ("model.yaml:35 targets[1]", "target 'IMG' is a dimension of 'H', which stands for it in the paths: name 'H'"),
        ("model.yaml:35 targets[2]", "target 'EXP' has no incoming path, so it has no drivers"),
    ]
    for location, message in expected:
        hits = problems[(problems["location"] == location) & problems["problem"].str.contains(message, regex=False)]
        assert len(hits) == 1, f"{location}: {message}\n--- got ---\n{text}"
    assert len(problems) == len(expected), text


def test_hoc_ids_and_interaction_ids_are_not_unknown_constructs():
    """The path checks know the HOC and interaction ids; a typo still gets a suggestion."""
    hoc = csi.Questionnaire.build(
        constructs=[csi.construct(c, [c.lower() + "1", c.lower() + "2"]) for c in ("A", "B", "C", "D")],
        paths=csi.paths(["C", "D"], "H"), higher_order={"H": ["A", "B"]}, index="H", targets=["H"],
    )
    assert hoc.index == "H" and hoc.structural_paths == [("C", "H"), ("D", "H")]
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.build(
            constructs=[csi.construct(c, [c.lower() + "1", c.lower() + "2"]) for c in ("A", "B", "C", "D")],
            paths=csi.paths(["C", "D"], "HH"), higher_order={"H": ["A", "B"]},
        )
    assert "path target 'HH' is neither a construct nor a higher-order construct; did you mean 'H'?" in str(info.value)


@pytest.mark.parametrize("text, fragment", [
    ("higher_ordr: {}\n", "unknown key 'higher_ordr'; did you mean 'higher_order'?"),
    ("interaction: []\n", "unknown key 'interaction'; did you mean 'interactions'?"),
    ("higher_order: {H: {dimension: [A, B]}}\n", "unknown key 'dimension'; did you mean 'dimensions'?"),
    ("interactions: [{iv: A, moderator: B, target: [C]}]\n", "unknown key 'target'; did you mean 'targets'?"),
    ("higher_order_method: twostage\n", "Input should be 'two_stage', 'embedded' or 'repeated_indicators'"),
    ("interactions: [{iv: A, moderator: B, method: product}]\n", "Input should be 'two_stage', 'product_indicator'"),
])
def test_extension_keys_are_suggested_and_checked(text, fragment):
    base = "constructs:\n  A: {items: [a1]}\n  B: {items: [b1]}\n  C: {items: [c1]}\npaths: [[A, C], [B, C]]\n"
    with pytest.raises(csi.SpecError, match=fragment.replace("[", r"\[").replace("?", r"\?").replace("(", r"\(")):
        csi.Questionnaire.from_yaml(base + text, source="m.yaml")


def test_entries_after_a_pruned_list_entry_keep_their_position():
    """A malformed entry is dropped before the cross-reference checks; later entries are still
    reported at their own index (and line)."""
    with pytest.raises(csi.SpecError) as info:
        csi.Questionnaire.from_yaml(
            "constructs:\n  A: {items: [a1]}\n  B: {items: [b1]}\npaths:\n  - [A, B, A]\n  - {source: A}\n"
            "  - [A, Z]\ninteractions:\n  - AB\n  - A*Q\n", source="m.yaml")
    problems = info.value.problems
    located = dict(zip(problems["location"], problems["problem"]))
    assert "path target 'Z' is not a construct" in located["m.yaml:7 paths[2]"]
    assert "moderator 'Q' is not a construct" in located["m.yaml:10 interactions[1].moderator"]
    assert "required field 'target' is missing" in located["m.yaml:6 paths[1].target"]
