"""Loading form files: good forms load, broken ones say `file:line: message` at the right line.

Each broken form is written out in full below so the line an error must point at can be
counted by eye; HEAD is the ten lines every one of them starts with.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kitchentable.errors import FormErrors
from kitchentable.formengine.loader import FormRegistry, load_form, parse_form_text
from kitchentable.formengine.model import QuestionType
from kitchentable.paths import forms_dir

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ALL_TYPES = DATA / "forms" / "all-types.yaml"

HEAD = """\
id: klein
version: "1.0"
kind: wmo
title: {nl: Klein formulier, en: Small form}
legal_topics:
  - {id: wmo.a, article: Wmo 2015 art. 2.3.2 lid 4 sub a, label: {nl: Behoeften, en: Needs}}
sections:
  - id: een
    title: {nl: Een, en: One}
    questions:
"""
# line 11 is the first line after HEAD
NAAM = """\
      - id: naam
        type: text
        label: {nl: Naam, en: Name}
        legal_topic: wmo.a
"""


def problems(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    """Load `text` from a real file; every error must read `path:line: message`."""
    path = tmp_path / "form.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormErrors) as caught:
        load_form(path)
    errors = caught.value.errors
    assert errors
    for error in errors:
        assert error.file == str(path)
        assert str(error) == f"{path}:{error.line}: {error.message}"
    assert str(caught.value).splitlines() == [str(e) for e in errors]
    return [(e.line, e.message) for e in errors]


def only_problem(tmp_path: Path, text: str) -> tuple[int, str]:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


# -- good forms -----------------------------------------------------------------------------


def test_small_form_loads(tmp_path: Path) -> None:
    path = tmp_path / "klein.yaml"
    path.write_text(HEAD + NAAM, encoding="utf-8")
    form = load_form(path)
    assert form.key == ("klein", "1.0")
    assert form.source == str(path)
    assert form.question("naam") is not None
    assert form.question("naam").line == 11  # type: ignore[union-attr]
    assert len(form.sha256) == 64


def test_fixture_with_every_question_type_loads() -> None:
    form = load_form(ALL_TYPES)
    used = {q.type for q in form.questions()} | {
        f.type for q in form.questions() for f in q.questions
    }
    assert used == set(QuestionType)
    assert [t.required for t in form.legal_topics] == [True, False]
    group = form.question("netwerkleden")
    assert group is not None and group.field("relatie_anders") is not None
    assert form.section("mantelzorg_details").visible_if is not None  # type: ignore[union-attr]
    assert len(form.question("zelfredzaamheid").levels) == 5  # type: ignore[union-attr]


def test_shipped_forms_load_without_problems() -> None:
    shipped = sorted(forms_dir().glob("*.yaml"))
    registry = FormRegistry.from_directory()
    assert not registry.problems, "\n".join(map(str, registry.problems))
    assert len(registry.all()) == len(shipped)
    for form in registry.all():
        assert form.sections and form.legal_topics


def test_shipped_wmo_keukentafelgesprek_loads() -> None:
    path = forms_dir() / "wmo-keukentafelgesprek.yaml"
    if not path.exists():
        pytest.skip("forms/wmo-keukentafelgesprek.yaml is not written yet")
    form = load_form(path)
    assert form.id == "wmo-keukentafelgesprek"
    assert form.kind == "wmo"
    assert any(t.required for t in form.legal_topics)


def test_parse_form_text_names_the_source_it_was_given() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form_text(HEAD + NAAM.replace("type: text", "type: slider"), "upload.yaml")
    assert str(caught.value).startswith("upload.yaml:12: ")


# -- broken YAML ----------------------------------------------------------------------------


def test_unclosed_bracket_is_reported_on_the_line_it_opens(tmp_path: Path) -> None:
    text = HEAD + (
        "      - id: woonsituatie\n"  # 11
        "        type: choice\n"  # 12
        "        label: {nl: Woonsituatie, en: Living situation}\n"  # 13
        "        options: [{value: alleen, label: {nl: Alleen, en: Alone}}\n"  # 14
        "      - id: naam\n"  # 15
        "        type: text\n"  # 16
        "        label: {nl: Naam, en: Name}\n"  # 17
    )
    line, message = only_problem(tmp_path, text)
    assert line == 14
    assert message.startswith("not valid YAML: the [ opened here is not closed")


def test_unclosed_bracket_on_the_last_line_is_reported_there(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        help: {nl: Uw naam, en: Your name\n"  # 15
    assert only_problem(tmp_path, text)[0] == 15


def test_unclosed_quote_is_reported_on_the_line_it_opens(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        visible_if: \"naam == 'An'\n" + NAAM.replace("naam", "ander")
    assert only_problem(tmp_path, text)[0] == 15


def test_bad_indentation_is_reported_where_it_is_found(tmp_path: Path) -> None:
    text = HEAD + NAAM + "       type: longtext\n"  # 15
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert message.startswith("not valid YAML")


def test_control_character_is_reported_on_its_line(tmp_path: Path) -> None:
    text = HEAD + NAAM.replace("{nl: Naam,", "{nl: Na\x07am,")
    line, message = only_problem(tmp_path, text)
    assert line == 13
    assert message.startswith("not valid YAML")


def test_duplicate_yaml_key_is_reported_on_the_second_key(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        label: {nl: Voornaam, en: First name}\n"  # 15
    assert only_problem(tmp_path, text) == (15, "the key 'label' appears twice")


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    # A form is plain data; aliases would also let a small file expand without bound.
    text = HEAD + (
        "      - id: naam\n"  # 11
        "        type: text\n"  # 12
        "        label: &naam {nl: Naam, en: Name}\n"  # 13
        "      - id: ander\n"  # 14
        "        type: text\n"  # 15
        "        label: *naam\n"  # 16
    )
    line, message = only_problem(tmp_path, text)
    assert line == 16
    assert "alias" in message


def test_file_that_is_not_a_form_is_refused(tmp_path: Path) -> None:
    assert only_problem(tmp_path, "") == (1, "the file does not contain a form (a mapping)")
    assert only_problem(tmp_path, "- een\n- twee\n")[0] == 1


def test_file_that_is_not_utf8_is_refused_on_line_1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes((HEAD + NAAM).replace("Naam", "Naäm").encode("latin-1"))
    with pytest.raises(FormErrors) as caught:
        load_form(path)
    assert str(caught.value).startswith(f"{path}:1: cannot read the file")


# -- broken against the schema --------------------------------------------------------------


def test_unknown_question_type_names_the_type_and_its_line(tmp_path: Path) -> None:
    line, message = only_problem(tmp_path, HEAD + NAAM.replace("type: text", "type: slider"))
    assert line == 12
    assert "unknown question type 'slider'" in message


def test_missing_label_points_at_the_question(tmp_path: Path) -> None:
    extra = (
        "      - id: ander\n"  # 15
        "        type: text\n"  # 16
    )
    text = HEAD + NAAM + extra
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert "'label' is missing" in message


def test_missing_type_is_the_one_problem_reported(tmp_path: Path) -> None:
    extra = (
        "      - id: ander\n"  # 15
        "        label: {nl: Ander, en: Other}\n"  # 16
    )
    text = HEAD + NAAM + extra
    assert only_problem(tmp_path, text) == (15, "sections.0.questions.1: 'type' is missing")


def test_missing_type_does_not_hide_a_missing_message(tmp_path: Path) -> None:
    extra = (
        "      - id: ander\n"  # 15
        "        label: {nl: Ander, en: Other}\n"  # 16
        "        valid_if: \"ander != 'x'\"\n"  # 17
    )
    assert [line for line, _ in problems(tmp_path, HEAD + NAAM + extra)] == [15, 17]


def test_valid_if_without_message_points_at_valid_if(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        valid_if: \"naam != 'x'\"\n"  # 15
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert "message" in message


def test_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        visble_if: \"naam == 'An'\"\n"  # 15
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert "visble_if" in message


def test_unquoted_yes_in_a_label_asks_for_quotes(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted yes as True; Dutch 'ja' is fine, English 'Yes' is not.
    text = HEAD + NAAM.replace("{nl: Naam, en: Name}", "{nl: Ja, en: Yes}")
    line, message = only_problem(tmp_path, text)
    assert line == 13
    assert "quotes" in message


def test_unquoted_version_number_asks_for_quotes(tmp_path: Path) -> None:
    text = HEAD.replace('version: "1.0"', "version: 1.0") + NAAM
    assert only_problem(tmp_path, text) == (2, "version: 1.0 is not text; put it in quotes")


# -- broken in meaning ----------------------------------------------------------------------


def test_unknown_question_in_expression_names_file_and_line(tmp_path: Path) -> None:
    text = HEAD + NAAM + '        visible_if: "leeftijd > 65"\n'  # 15
    assert only_problem(tmp_path, text) == (
        15,
        "the expression refers to an unknown question 'leeftijd'",
    )


def test_every_unknown_name_is_reported_in_line_order(tmp_path: Path) -> None:
    text = HEAD + (
        "      - id: naam\n"  # 11
        "        type: text\n"  # 12
        "        label: {nl: Naam, en: Name}\n"  # 13
        "        required: \"woonsituatie == 'samen'\"\n"  # 14
        '        visible_if: "leeftijd > 65"\n'  # 15
        "        legal_topic: wmo.a\n"  # 16
    )
    assert [line for line, _ in problems(tmp_path, text)] == [14, 15]


def test_duplicate_question_id_points_at_the_second_one(tmp_path: Path) -> None:
    text = HEAD + NAAM + NAAM  # the second naam starts on line 15
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert message == "question id 'naam' is already used on line 11"


def test_group_field_with_the_id_of_a_top_level_question_is_a_duplicate(tmp_path: Path) -> None:
    extra = (
        "      - id: netwerk\n"  # 15
        "        type: group\n"  # 16
        "        label: {nl: Netwerk, en: Network}\n"  # 17
        "        item_label: {nl: Persoon, en: Person}\n"  # 18
        "        questions:\n"  # 19
        "          - id: naam\n"  # 20
        "            type: text\n"  # 21
        "            label: {nl: Naam, en: Name}\n"  # 22
    )
    text = HEAD + NAAM + extra
    assert only_problem(tmp_path, text) == (20, "question id 'naam' is already used on line 11")


def test_top_level_question_with_the_id_of_a_group_field_is_a_duplicate(tmp_path: Path) -> None:
    group = (
        "      - id: netwerk\n"  # 11
        "        type: group\n"  # 12
        "        label: {nl: Netwerk, en: Network}\n"  # 13
        "        item_label: {nl: Persoon, en: Person}\n"  # 14
        "        questions:\n"  # 15
        "          - {id: naam, type: text, label: {nl: Naam, en: Name}}\n"  # 16
    )
    text = HEAD + group + NAAM  # NAAM starts on line 17
    assert only_problem(tmp_path, text) == (17, "question id 'naam' is already used on line 16")


def test_expression_that_imports_is_refused_on_its_line(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        visible_if: \"__import__('os').system('true')\"\n"  # 15
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert "not allowed" in message


def test_attribute_access_in_visible_if_is_refused_on_its_line(tmp_path: Path) -> None:
    text = HEAD + NAAM + "        visible_if: \"naam.upper() == 'AN'\"\n"  # 15
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert "attribute access" in message


def test_unknown_legal_topic_tag_is_refused(tmp_path: Path) -> None:
    text = HEAD + NAAM + NAAM.replace("naam", "ander").replace("wmo.a", "wmo.z")
    assert only_problem(tmp_path, text) == (
        18,
        "unknown legal topic 'wmo.z' (list it under legal_topics)",
    )


def test_unknown_legal_topic_in_a_list_points_at_the_item(tmp_path: Path) -> None:
    text = HEAD + NAAM.replace(
        "        legal_topic: wmo.a\n",
        "        legal_topic:\n"  # 14
        "          - wmo.a\n"  # 15
        "          - wmo.z\n",  # 16
    )
    line, message = only_problem(tmp_path, text)
    assert line == 16
    assert "'wmo.z'" in message


def test_duplicated_option_value_points_at_the_second_option(tmp_path: Path) -> None:
    extra = (
        "      - id: woonsituatie\n"  # 15
        "        type: choice\n"  # 16
        "        label: {nl: Woonsituatie, en: Living situation}\n"  # 17
        "        options:\n"  # 18
        "          - {value: alleen, label: {nl: Alleen, en: Alone}}\n"  # 19
        "          - {value: samen, label: {nl: Samen, en: Together}}\n"  # 20
        "          - {value: alleen, label: {nl: Zelfstandig, en: On my own}}\n"  # 21
    )
    text = HEAD + NAAM + extra
    assert only_problem(tmp_path, text) == (21, "option 'alleen' is listed twice")


def test_required_legal_topic_no_question_asks_about_is_refused(tmp_path: Path) -> None:
    # The conversation could never be completed: the topic would stay open for ever.
    topic_b = "  - {id: wmo.b, article: Wmo 2015 art. 2.3.2 lid 4 sub b, label: {nl: B, en: B}}\n"
    text = HEAD.replace("legal_topics:\n", "legal_topics:\n" + topic_b) + NAAM  # wmo.b on line 6
    line, message = only_problem(tmp_path, text)
    assert line == 6
    assert "wmo.b" in message


def test_question_id_that_is_a_reserved_name_is_refused(tmp_path: Path) -> None:
    # `today` and the function names mean something else inside an expression.
    text = HEAD + NAAM + NAAM.replace("naam", "today") + NAAM.replace("naam", "count")
    assert [line for line, _ in problems(tmp_path, text)] == [15, 19]


def test_computed_field_inside_a_group_is_refused(tmp_path: Path) -> None:
    extra = (
        "      - id: netwerk\n"  # 15
        "        type: group\n"  # 16
        "        label: {nl: Netwerk, en: Network}\n"  # 17
        "        item_label: {nl: Persoon, en: Person}\n"  # 18
        "        questions:\n"  # 19
        "          - {id: uren, type: number, label: {nl: Uren, en: Hours}}\n"  # 20
        "          - {id: dubbel, type: computed, label: {nl: D, en: D}, expression: 'uren * 2'}\n"
    )
    text = HEAD + NAAM + extra
    line, message = only_problem(tmp_path, text)
    assert line == 21
    assert "computed" in message


def test_computed_values_that_depend_on_each_other_in_a_circle_are_refused(
    tmp_path: Path,
) -> None:
    extra = (
        "      - {id: a, type: computed, label: {nl: A, en: A}, expression: 'b + 1'}\n"  # 15
        "      - {id: b, type: computed, label: {nl: B, en: B}, expression: 'a + 1'}\n"  # 16
    )
    text = HEAD + NAAM + extra
    line, message = only_problem(tmp_path, text)
    assert line == 15
    assert "circle" in message


def test_min_larger_than_max_is_refused(tmp_path: Path) -> None:
    extra = (
        "      - id: uren\n"  # 15
        "        type: number\n"  # 16
        "        label: {nl: Uren, en: Hours}\n"  # 17
        "        min: 10\n"  # 18
        "        max: 1\n"  # 19
    )
    text = HEAD + NAAM + extra
    assert only_problem(tmp_path, text) == (18, "min is larger than max")


def test_expression_may_read_top_level_answers_but_not_another_groups_fields(
    tmp_path: Path,
) -> None:
    extra = (
        "      - id: netwerk\n"  # 15
        "        type: group\n"  # 16
        "        label: {nl: Netwerk, en: Network}\n"  # 17
        "        item_label: {nl: Persoon, en: Person}\n"  # 18
        "        questions:\n"  # 19
        "          - {id: lid, type: text, label: {nl: Lid, en: Member}}\n"  # 20
        '          - {id: extra, type: text, label: {nl: E, en: E}, visible_if: "lid == naam"}\n'
        "      - {id: los, type: text, label: {nl: Los, en: Loose}, visible_if: \"lid == 'x'\"}\n"
    )
    text = HEAD + NAAM + extra
    assert only_problem(tmp_path, text) == (
        22,
        "the expression refers to an unknown question 'lid'",
    )


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    extra = (
        "      - id: ander\n"  # 15
        "        type: text\n"  # 16
        "        label: {nl: Ander, en: Other}\n"  # 17
        "        legal_topic: wmo.z\n"  # 18
        '        visible_if: "naam.lower"\n'  # 19
        '        required: "onbekend == 1"\n'  # 20
    )
    text = HEAD + NAAM + extra
    assert sorted(line for line, _ in problems(tmp_path, text)) == [18, 19, 20]


# -- the registry ---------------------------------------------------------------------------


def test_one_broken_file_does_not_hide_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "goed.yaml").write_text(HEAD + NAAM, encoding="utf-8")
    (tmp_path / "kapot.yaml").write_text(HEAD + NAAM.replace("text", "slider"), encoding="utf-8")
    registry = FormRegistry.from_directory(tmp_path)
    assert [f.id for f in registry.all()] == ["klein"]
    assert [str(p).split(": ")[0] for p in registry.problems] == [f"{tmp_path / 'kapot.yaml'}:12"]


def test_two_files_with_the_same_form_version_are_a_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + NAAM, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(HEAD + NAAM.replace("Name", "Full name"), encoding="utf-8")
    registry = FormRegistry.from_directory(tmp_path)
    assert len(registry.problems) == 1
    assert str(registry.problems[0]).startswith(f"{tmp_path / 'b.yaml'}:2: ")
    assert "a.yaml" in str(registry.problems[0])


# -- the command line -----------------------------------------------------------------------


def forms_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kitchentable", "forms", "check", *map(str, paths)],
        cwd=ROOT,
        env={**os.environ, "KITCHENTABLE_LANG": "en"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_forms_check_reports_file_and_line_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        HEAD + NAAM.replace("type: text", "type: slider") + '        visible_if: "x.y"\n',
        encoding="utf-8",
    )
    result = forms_check(ALL_TYPES, broken)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"{broken}:") for line in lines)
    assert lines[0].startswith(f"{broken}:12: ")
    assert "slider" in lines[0]


def test_forms_check_passes_a_good_form() -> None:
    result = forms_check(ALL_TYPES)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert str(ALL_TYPES) in result.stdout


# -- met_if, rules, prefill, person, keep_last (issue 10) ----------------------------------

MET_IF_TOPIC = (
    "  - id: wmo.c\n"  # 6
    "    article: Wmo 2015 art. 2.3.2 lid 3\n"  # 7
    "    label: {nl: Cliëntondersteuning, en: Client support}\n"  # 8
    "    met_if: \"naam == 'ja' and not empty(datum)\"\n"  # 9
)


def test_topic_with_met_if_needs_no_tagged_question_and_names_known_questions(
    tmp_path: Path,
) -> None:
    text = HEAD.replace("legal_topics:\n", "legal_topics:\n" + MET_IF_TOPIC) + NAAM
    assert only_problem(tmp_path, text) == (
        9,
        "the expression refers to an unknown question 'datum'",
    )
    good = text.replace("not empty(datum)", "not empty(naam)")
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    form = load_form(tmp_path / "good.yaml")
    topic = form.topic("wmo.c")
    assert topic is not None and topic.met_if is not None
    assert topic.met_if.names == {"naam"}


RULES = (
    "rules:\n"  # 15
    "  - id: samen\n"  # 16
    '    valid_if: "empty(naam) or leeftijd > 17"\n'  # 17
    "    message: {nl: Te jong., en: Too young.}\n"  # 18
    "    questions: [naam, adres]\n"  # 19
)


def test_rule_names_unknown_questions_on_their_lines(tmp_path: Path) -> None:
    found = problems(tmp_path, HEAD + NAAM + RULES)
    assert found == [
        (17, "the expression refers to an unknown question 'leeftijd'"),
        (
            19,
            "the rule names an unknown question 'adres' (only top-level questions can show "
            "a rule's message)",
        ),
    ]


def test_rule_loads_with_its_message_and_questions(tmp_path: Path) -> None:
    text = HEAD + NAAM + RULES.replace("leeftijd > 17", "naam != 'x'").replace(", adres", "")
    (tmp_path / "form.yaml").write_text(text, encoding="utf-8")
    (rule,) = load_form(tmp_path / "form.yaml").rules
    assert (rule.id, rule.questions, rule.line, str(rule.message.en)) == (
        "samen",
        ("naam",),
        16,
        "Too young.",
    )


def test_rule_without_message_is_refused_by_the_schema(tmp_path: Path) -> None:
    text = HEAD + NAAM + RULES.replace("    message: {nl: Te jong., en: Too young.}\n", "")
    line, message = only_problem(tmp_path, text.replace("leeftijd > 17", "True"))
    assert line == 16 and "message" in message


def test_prefill_person_and_keep_last_fit_only_their_questions(tmp_path: Path) -> None:
    text = HEAD + (
        "      - id: naam\n"  # 11
        "        type: number\n"  # 12
        "        label: {nl: Naam, en: Name}\n"  # 13
        "        legal_topic: wmo.a\n"  # 14
        "        prefill: conversation_date\n"  # 15
        "        person: true\n"  # 16
        "        keep_last: true\n"  # 17
    )
    assert problems(tmp_path, text) == [
        (15, "prefill 'conversation_date' fits a date question"),
        (16, "person marks a text question (a name)"),
        (17, "keep_last needs a text question with max_length"),
    ]


def test_unknown_prefill_source_is_refused(tmp_path: Path) -> None:
    line, message = only_problem(tmp_path, HEAD + NAAM + "        prefill: weather\n")
    assert line == 15 and "weather" in message


def test_a_date_passed_to_age_or_named_as_a_birth_date_reads_short_years_in_the_past() -> None:
    form = load_form(ALL_TYPES)
    born = form.question("geboortedatum")
    assert born is not None and born.birth_date
    jeugd = load_form(ROOT / "forms" / "jeugd-gezinsplan.yaml")
    assert [q.id for q in jeugd.questions() if q.birth_date] == ["geboortedatum_jeugdige"]
    group = jeugd.question("gezinsleden")
    assert group is not None
    assert [f.id for f in group.questions if f.birth_date] == ["gezinslid_geboortedatum"]
