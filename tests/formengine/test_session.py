"""A conversation's live state: answers in, skip logic, messages, computed values, topics out.

Most tests use tests/data/forms/all-types.yaml (every question type once); a few write a
small form of their own where the rule they pin down needs one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kitchentable.errors import InvalidAnswer, UnknownForm
from kitchentable.formengine.loader import FormRegistry, load_form, parse_form_text
from kitchentable.formengine.model import Form, Question, Section
from kitchentable.formengine.session import ConversationState, Progress, coerce, is_empty

DATA = Path(__file__).resolve().parents[1] / "data"
ALL_TYPES = DATA / "forms" / "all-types.yaml"
TODAY = date(2026, 3, 15)
FORM = load_form(ALL_TYPES)

A, E = "wmo.2.3.2.4.a", "wmo.2.3.2.4.e"  # the required and the optional legal topic


def state(**answers: object) -> ConversationState:
    return ConversationState(FORM, answers, today=TODAY)


def question(question_id: str) -> Question:
    found = FORM.question(question_id)
    if found is None:
        group = FORM.question("netwerkleden")
        assert group is not None
        found = group.field(question_id)
    assert found is not None, question_id
    return found


def section(section_id: str) -> Section:
    found = FORM.section(section_id)
    assert found is not None
    return found


SMALL = """\
id: klein
version: "1.0"
kind: wmo
title: {nl: Klein, en: Small}
legal_topics:
  - {id: wmo.a, article: Wmo 2015 art. 2.3.2, label: {nl: Behoeften, en: Needs}}
sections:
  - id: een
    title: {nl: Een, en: One}
    questions:
      - {id: getal, type: number, label: {nl: Getal, en: Number}, legal_topic: wmo.a}
"""


def small_form(*questions: str) -> Form:
    return parse_form_text(SMALL + "".join(f"      - {q}\n" for q in questions), "klein.yaml")


# -- skip logic -----------------------------------------------------------------------------


def test_question_appears_and_disappears_as_its_condition_changes() -> None:
    conversation = state()
    partner = question("partner_naam")
    assert not conversation.visible(partner)
    conversation.set("woonsituatie", "samen")
    assert conversation.visible(partner)
    assert partner in conversation.visible_questions(section("persoon"))
    conversation.set("woonsituatie", "alleen")
    assert not conversation.visible(partner)
    conversation.set("woonsituatie", "samen")
    conversation.set("woonsituatie", None)
    assert not conversation.visible(partner)


def test_section_appears_and_disappears_as_its_condition_changes() -> None:
    conversation = state()
    details = section("mantelzorg_details")
    assert not conversation.section_visible(details)
    assert conversation.visible_questions(details) == []
    assert not conversation.visible(question("mantelzorg_zwaar"))
    conversation.set("mantelzorg", "ja")
    assert conversation.section_visible(details)
    assert [q.id for q in conversation.visible_questions(details)] == [
        "mantelzorg_uren",
        "mantelzorg_zwaar",
    ]
    conversation.set("mantelzorg", "nee")
    assert not conversation.section_visible(details)
    assert not conversation.visible(question("mantelzorg_zwaar"))


def test_condition_that_cannot_be_evaluated_hides_the_question() -> None:
    form = small_form("{id: extra, type: text, label: {nl: X, en: X}, visible_if: 'getal > 3'}")
    conversation = ConversationState(form, {}, today=TODAY)
    extra = form.question("extra")
    assert extra is not None
    assert not conversation.visible(extra)  # None > 3 cannot be evaluated
    conversation.set("getal", "4")
    assert conversation.visible(extra)


def test_group_field_visibility_follows_its_own_item() -> None:
    items = [
        {"lid_naam": "An", "relatie": "anders"},
        {"lid_naam": "Bo", "relatie": "kind"},
    ]
    conversation = state()
    conversation.set("netwerkleden", items)
    stored = conversation.value("netwerkleden")
    assert isinstance(stored, list)
    other = question("relatie_anders")
    assert conversation.visible(other, stored[0])
    assert not conversation.visible(other, stored[1])


def test_group_errors_are_per_item_and_only_for_visible_fields() -> None:
    conversation = state()
    conversation.set(
        "netwerkleden",
        [
            {"lid_naam": "An", "relatie": "anders"},  # relatie_anders now required, and empty
            {"relatie": "kind"},  # lid_naam is always required
            {"lid_naam": "Cor", "relatie": "kind"},  # fine: relatie_anders is hidden
        ],
    )
    group = question("netwerkleden")
    assert conversation.group_errors(group) == {
        "netwerkleden[0].relatie_anders": "This question is required.",
        "netwerkleden[1].lid_naam": "This question is required.",
    }
    errors = conversation.errors()
    assert "netwerkleden[0].relatie_anders" in errors
    assert not any(key.startswith("netwerkleden[2]") for key in errors)


# -- required, valid_if ---------------------------------------------------------------------


def test_required_expression_makes_a_question_required_only_when_it_holds() -> None:
    conversation = state(naam="An")
    partner = question("partner_naam")
    conversation.set("woonsituatie", "alleen")
    assert not conversation.required(partner)
    assert "partner_naam" not in conversation.errors()
    conversation.set("woonsituatie", "samen")
    assert conversation.required(partner)
    assert conversation.errors()["partner_naam"] == "This question is required."
    conversation.set("partner_naam", "Bo")
    assert "partner_naam" not in conversation.errors()


def test_valid_if_message_shows_only_for_an_answer_that_breaks_it() -> None:
    conversation = state()
    born = question("geboortedatum")
    assert conversation.question_error(born) is None  # unanswered: nothing to check
    conversation.set("geboortedatum", "16-03-2026")
    assert conversation.question_error(born) == "A date of birth is not in the future."
    assert conversation.errors()["geboortedatum"] == "A date of birth is not in the future."
    conversation.set("geboortedatum", "15-03-2026")
    assert conversation.question_error(born) is None


def test_valid_if_may_depend_on_another_answer() -> None:
    conversation = state(woonsituatie="alleen")
    conversation.set("uren_hulp", "120")
    assert conversation.question_error(question("uren_hulp")) == (
        "That many hours only fits a care home."
    )
    conversation.set("woonsituatie", "instelling")
    assert conversation.question_error(question("uren_hulp")) is None


def test_valid_if_that_cannot_be_evaluated_does_not_block() -> None:
    form = small_form(
        "{id: grens, type: number, label: {nl: G, en: L}}",
        "{id: waarde, type: number, label: {nl: W, en: V}, valid_if: 'waarde < grens',"
        " message: {nl: Te hoog, en: Too high}}",
    )
    conversation = ConversationState(form, {"waarde": 5}, today=TODAY)
    waarde = form.question("waarde")
    assert waarde is not None
    assert conversation.question_error(waarde) is None  # 5 < None cannot be evaluated
    conversation.set("grens", 3)
    assert conversation.question_error(waarde) == "Too high"


def test_group_with_fewer_items_than_min_items_says_so() -> None:
    form = small_form(
        "{id: leden, type: group, label: {nl: L, en: M}, item_label: {nl: L, en: M}, min_items: 2,"
        " questions: [{id: wie, type: text, label: {nl: Wie, en: Who}}]}"
    )
    conversation = ConversationState(form, {"leden": [{"wie": "An"}]}, today=TODAY)
    assert conversation.errors() == {"leden": "At least 2 entries."}


# -- computed values ------------------------------------------------------------------------


def test_computed_count_and_total_follow_the_group() -> None:
    conversation = state()
    assert conversation.value("aantal_netwerkleden") == 0
    assert conversation.value("uren_netwerk") == 0
    conversation.set(
        "netwerkleden",
        [
            {"lid_naam": "An", "uren_per_week": "2"},
            {"lid_naam": "Bo", "uren_per_week": "3,5"},
            {"lid_naam": "Cor"},
        ],
    )
    assert conversation.value("aantal_netwerkleden") == 3
    assert conversation.value("uren_netwerk") == 5.5
    conversation.set("netwerkleden", [{"lid_naam": "An", "uren_per_week": 1}])
    assert conversation.value("aantal_netwerkleden") == 1
    assert conversation.value("uren_netwerk") == 1
    conversation.set("netwerkleden", [])
    assert conversation.value("aantal_netwerkleden") == 0


def test_computed_age_uses_the_conversations_today() -> None:
    conversation = state()
    assert conversation.value("leeftijd") is None  # age(None) cannot be evaluated: left empty
    conversation.set("geboortedatum", "1950-03-16")
    assert conversation.value("leeftijd") == 75
    assert (
        ConversationState(FORM, {"geboortedatum": "1950-03-16"}, date(2026, 3, 16)).value(
            "leeftijd"
        )
        == 76
    )


def test_computed_value_may_use_one_defined_further_down() -> None:
    form = small_form(
        "{id: dubbel_plus_een, type: computed, label: {nl: D, en: D}, expression: 'dubbel + 1'}",
        "{id: dubbel, type: computed, label: {nl: D, en: D}, expression: 'getal * 2'}",
    )
    conversation = ConversationState(form, {"getal": 4}, today=TODAY)
    assert conversation.value("dubbel") == 8
    assert conversation.value("dubbel_plus_een") == 9


def test_computed_value_cannot_be_typed() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        state().set("leeftijd", 80)
    assert caught.value.params["question"] == "leeftijd"


def test_answer_to_a_question_not_in_the_form_is_refused() -> None:
    with pytest.raises(InvalidAnswer, match="not in the form"):
        state().set("schoenmaat", 42)
    with pytest.raises(InvalidAnswer, match="not in the form"):
        state().set("lid_naam", "An")  # a group field is answered through its group


# -- coercion -------------------------------------------------------------------------------

GOOD = [
    ("naam", "An de Vries", "An de Vries"),
    ("verhaal", "Eerste alinea.\n\nTweede alinea.", "Eerste alinea.\n\nTweede alinea."),
    ("geboortedatum", "09-03-1948", "1948-03-09"),
    ("geboortedatum", date(1948, 3, 9), "1948-03-09"),
    ("bsn", "111 222 333", "111222333"),
    ("bsn", 999990019, "999990019"),
    ("postcode", "9601ab", "9601 AB"),
    ("telefoon", "06 12345678", "06 12345678"),
    ("email", " an@example.nl ", "an@example.nl"),
    ("woonsituatie", "samen", "samen"),
    ("uren_hulp", "12,5", 12.5),
    ("uren_hulp", "4", 4),
    ("uren_hulp", "2,25", 2.3),  # one decimal allowed: rounded half up
    ("uren_hulp", 168, 168),
    ("mantelzorg_uren", "6,0", 6),
    ("hulpmiddelen", ["traplift", "rollator"], ["rollator", "traplift"]),
    ("hulpmiddelen", ["rollator", "rollator"], ["rollator"]),
    ("hulpmiddelen", "rollator", ["rollator"]),
    ("zelfredzaamheid", "3", 3),
    ("zelfredzaamheid", 5, 5),
    ("mantelzorg", "ja", True),
    ("mantelzorg", "Nee", False),
    ("mantelzorg", "yes", True),
    ("mantelzorg", False, False),
    (
        "netwerkleden",
        [{"lid_naam": "An", "uren_per_week": "2,5", "relatie": ""}],
        [{"lid_naam": "An", "uren_per_week": 2.5}],
    ),
]


@pytest.mark.parametrize(("question_id", "typed", "stored"), GOOD)
def test_coerce_stores_the_normal_form(question_id: str, typed: object, stored: object) -> None:
    assert coerce(question(question_id), typed) == stored


@pytest.mark.parametrize(("question_id", "typed", "stored"), GOOD)
def test_coerce_is_idempotent(question_id: str, typed: object, stored: object) -> None:
    # Services coerce input and then hand the stored value to the state, which coerces again.
    once = coerce(question(question_id), typed)
    assert coerce(question(question_id), once) == once


@pytest.mark.parametrize("typed", [None, "", "   ", [], {}])
@pytest.mark.parametrize("question_id", ["naam", "uren_hulp", "hulpmiddelen", "netwerkleden"])
def test_empty_input_clears_the_answer(question_id: str, typed: object) -> None:
    assert coerce(question(question_id), typed) is None
    conversation = state(**{question_id: "iets"})
    assert conversation.set(question_id, typed) is None
    assert question_id not in conversation.answers
    assert is_empty(typed)


BAD = [
    ("naam", "x" * 81, "At most 80 characters."),
    ("naam", 12, "Text is needed here."),
    ("verhaal", ["Eerste alinea."], "Text is needed here."),
    ("geboortedatum", "gisteren", "This is not a date."),
    ("bsn", "123456789", "not a valid BSN"),
    ("postcode", "0123 AB", "not a Dutch postcode"),
    ("telefoon", "12345", "not a phone number"),
    ("email", "an@", "not an e-mail address"),
    ("woonsituatie", "boot", "Choose one of the options."),
    ("woonsituatie", ["alleen"], "Choose one of the options."),
    ("uren_hulp", "200", "The highest value is 168."),
    ("uren_hulp", "-1", "The lowest value is 0."),
    ("uren_hulp", "veel", "A number is needed here."),
    ("mantelzorg_uren", "2,5", "A whole number is needed here."),
    ("hulpmiddelen", ["rollator", "raket"], "Choose from the options."),
    ("hulpmiddelen", {"rollator": True}, "Choose from the options."),
    ("zelfredzaamheid", 6, "Choose a level from 1 to 5."),
    ("zelfredzaamheid", 0, "Choose a level from 1 to 5."),
    ("zelfredzaamheid", "2,5", "A whole number is needed here."),
    ("mantelzorg", "misschien", "Answer yes or no."),
    ("mantelzorg", 1, "Answer yes or no."),
    ("netwerkleden", "An en Bo", "A list of entries is needed here."),
    ("netwerkleden", [{"lid_naam": "An", "hobby": "dammen"}], "Unknown field(s): hobby."),
    ("netwerkleden", [{"uren_per_week": "veel"}], "Hours per week: A number is needed here."),
    ("netwerkleden", [{"lid_naam": "An"}] * 11, "At most 10 entries."),
    ("leeftijd", 80, "This value is calculated and cannot be typed."),
]


@pytest.mark.parametrize(("question_id", "typed", "message"), BAD)
def test_coerce_refuses_what_does_not_fit_with_a_message(
    question_id: str, typed: object, message: str
) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        coerce(question(question_id), typed)
    assert caught.value.params["question"] == question_id
    assert message in str(caught.value.params["message"])
    assert str(caught.value).startswith(f"{question_id}: ")


def test_no_is_an_answer_not_an_empty_one() -> None:
    conversation = state()
    assert conversation.set("mantelzorg", "nee") is False
    assert conversation.answers["mantelzorg"] is False
    assert conversation.progress(section("persoon")).answered == 1


def test_refused_answer_leaves_the_previous_one_in_place() -> None:
    conversation = state(postcode="9601 AB")
    with pytest.raises(InvalidAnswer):
        conversation.set("postcode", "nergens")
    assert conversation.value("postcode") == "9601 AB"


# -- legal topics ---------------------------------------------------------------------------


def open_ids(conversation: ConversationState, required_only: bool = True) -> list[str]:
    return [t.id for t in conversation.open_topics(required_only)]


def test_required_topic_is_open_until_its_questions_are_answered() -> None:
    conversation = state()
    assert open_ids(conversation) == [A]
    conversation.set("verhaal", "Ik wil zelf boodschappen doen.")
    # answered, but the required woonsituatie with the same topic is still empty
    assert open_ids(conversation) == [A]
    conversation.set("woonsituatie", "alleen")
    assert open_ids(conversation) == []
    conversation.set("verhaal", "")
    assert open_ids(conversation) == []  # woonsituatie alone covers it


def test_optional_topic_is_not_reported_unless_asked_for() -> None:
    conversation = state(woonsituatie="alleen")
    assert open_ids(conversation) == []
    assert open_ids(conversation, required_only=False) == [E]


def test_optional_topic_follows_hidden_and_shown_required_questions() -> None:
    conversation = state()
    conversation.set("mantelzorg", "nee")  # the carer section stays hidden
    assert E not in open_ids(conversation, required_only=False)
    conversation.set("mantelzorg", "ja")  # now its required mantelzorg_zwaar is empty
    assert E in open_ids(conversation, required_only=False)
    conversation.set("mantelzorg_zwaar", "nee")
    assert E not in open_ids(conversation, required_only=False)


def test_topic_tagged_only_on_a_group_field_is_covered_by_an_item() -> None:
    text = SMALL.replace(
        "legal_topics:\n",
        "legal_topics:\n  - {id: wmo.b, article: Wmo 2015 art. 2.3.2, label: {nl: B, en: B}}\n",
    ) + (
        "      - {id: leden, type: group, label: {nl: L, en: M}, item_label: {nl: L, en: M},"
        " questions: [{id: wie, type: text, label: {nl: Wie, en: Who}, legal_topic: wmo.b}]}\n"
    )
    form = parse_form_text(text, "klein.yaml")
    conversation = ConversationState(form, {}, today=TODAY)
    assert "wmo.b" in open_ids(conversation)
    conversation.set("leden", [{"wie": "An"}])
    assert "wmo.b" not in open_ids(conversation)


def test_section_lists_its_own_open_topics() -> None:
    conversation = state()
    assert [t.id for t in conversation.section_topics_open(section("persoon"))] == [A]
    assert conversation.section_topics_open(section("netwerk")) == []  # only the optional one


def test_conversation_is_complete_when_required_answers_and_topics_are_in() -> None:
    conversation = state()
    assert not conversation.complete()
    conversation.set("naam", "An")
    conversation.set("woonsituatie", "alleen")
    assert conversation.complete()
    conversation.set("geboortedatum", "2030-01-01")  # an answer that breaks its valid_if
    assert not conversation.complete()


# -- progress -------------------------------------------------------------------------------


def test_progress_counts_only_visible_questions() -> None:
    conversation = state()
    persoon = section("persoon")
    # 14 questions, less the computed leeftijd and the hidden partner_naam
    assert conversation.progress(persoon) == Progress(
        answered=0, total=12, required_open=2, errors=0
    )
    conversation.set("woonsituatie", "samen")
    assert conversation.progress(persoon) == Progress(
        answered=1, total=13, required_open=2, errors=0
    )
    conversation.set("naam", "An")
    conversation.set("partner_naam", "Bo")
    assert conversation.progress(persoon).complete
    assert conversation.progress(section("mantelzorg_details")) == Progress(0, 0, 0, 0)


def test_progress_errors_count_wrong_answers_not_unanswered_ones() -> None:
    conversation = state(naam="An", woonsituatie="alleen")
    conversation.set("geboortedatum", "2030-01-01")
    progress = conversation.progress(section("persoon"))
    assert (progress.required_open, progress.errors) == (0, 1)
    assert not progress.complete


def test_progress_counts_required_fields_inside_group_items() -> None:
    conversation = state()
    conversation.set("netwerkleden", [{"relatie": "kind"}])
    progress = conversation.progress(section("netwerk"))
    assert (progress.answered, progress.total, progress.required_open) == (1, 1, 1)
    assert not progress.complete


# -- form versions --------------------------------------------------------------------------


def test_conversation_keeps_the_form_version_it_began_with(tmp_path: Path) -> None:
    text = ALL_TYPES.read_text(encoding="utf-8")
    (tmp_path / "oud.yaml").write_text(text.replace('version: "1.0"', 'version: "2026.9"'))
    newer = text.replace('version: "1.0"', 'version: "2026.10"').replace(
        "      - id: bsn\n",
        "      - id: roepnaam\n        type: text\n"
        "        label: {nl: Roepnaam, en: Preferred name}\n      - id: bsn\n",
    )
    (tmp_path / "nieuw.yaml").write_text(newer)
    registry = FormRegistry.from_directory(tmp_path)
    assert not registry.problems
    assert registry.get("all-types").version == "2026.10"  # 10 is newer than 9
    old = registry.get("all-types", "2026.9")
    assert old.version == "2026.9"
    assert [f.version for f in registry.latest()] == ["2026.10"]
    assert sorted(f.version for f in registry.all()) == ["2026.10", "2026.9"]

    conversation = ConversationState(registry.get("all-types", "2026.9"), {"naam": "An"})
    assert conversation.form.key == ("all-types", "2026.9")
    with pytest.raises(InvalidAnswer):
        conversation.set("roepnaam", "Annie")  # only the newer version asks this
    assert registry.get("all-types").question("roepnaam") is not None


def test_unknown_form_or_version_is_a_clear_error() -> None:
    registry = FormRegistry([FORM])
    with pytest.raises(UnknownForm):
        registry.get("all-types", "9.9")
    with pytest.raises(UnknownForm):
        registry.get("jeugd-gezinsplan")


# -- unicode --------------------------------------------------------------------------------

UNICODE = [
    "Zoë Çelik",
    "Işıl Yılmaz",  # Turkish dotless ı
    "İbrahim",  # Turkish dotted capital İ lower-cases to two code points
    "فاطمة الزهراء",  # Arabic script, right to left
    "Oma 👵🏽 wil weer fietsen 🚲",
    "Ĳsbrand",
]


@pytest.mark.parametrize("text", UNICODE)
def test_unicode_answers_round_trip(text: str) -> None:
    conversation = state()
    assert conversation.set("naam", text) == text
    assert conversation.value("naam") == text
    conversation.set("netwerkleden", [{"lid_naam": text}])
    assert conversation.value("netwerkleden") == [{"lid_naam": text}]
    assert conversation.group_errors(question("netwerkleden")) == {}


def test_max_length_counts_characters_not_bytes() -> None:
    assert coerce(question("naam"), "ë" * 80) == "ë" * 80
    with pytest.raises(InvalidAnswer):
        coerce(question("naam"), "ë" * 81)


def test_unicode_labels_and_expressions_round_trip_through_a_form_file(tmp_path: Path) -> None:
    labels = "{nl: Çocuk sayısı ë, en: عدد الأطفال 👶}"
    text = SMALL.replace("{nl: Getal, en: Number}", labels) + (
        "      - {id: groet, type: text, label: {nl: Groet, en: Greeting},"
        " visible_if: \"naam_kind == 'Zoë 👶'\"}\n"
        "      - {id: naam_kind, type: text, label: {nl: Naam, en: Name}}\n"
    )
    path = tmp_path / "unicode.yaml"
    path.write_text(text, encoding="utf-8")
    form = load_form(path)
    getal = form.question("getal")
    assert getal is not None
    assert (getal.label.nl, getal.label.en) == ("Çocuk sayısı ë", "عدد الأطفال 👶")
    conversation = ConversationState(form, {}, today=TODAY)
    groet = form.question("groet")
    assert groet is not None
    conversation.set("naam_kind", "Zoë 👶")
    assert conversation.visible(groet)


def test_a_hidden_answer_stays_stored_but_drives_nothing(tmp_path) -> None:
    from kitchentable.formengine.loader import parse_form_text
    from kitchentable.formengine.session import ConversationState

    form = parse_form_text(
        """
id: hidden
version: "1"
kind: wmo
title: {nl: H, en: H}
legal_topics: []
sections:
  - id: s
    title: {nl: S, en: S}
    questions:
      - {id: samen, type: yesno, label: {nl: Samen, en: Together}}
      - {id: partner_uren, type: number, label: {nl: Uren, en: Hours}, visible_if: "samen == True"}
      - {id: partner_zwaar, type: yesno, label: {nl: Zwaar, en: Heavy}, visible_if: "partner_uren > 10"}
      - {id: totaal, type: computed, label: {nl: T, en: T}, expression: "partner_uren if partner_uren else 0"}
""",
        "hidden.yaml",
    )
    state = ConversationState(form, {"samen": True, "partner_uren": 20, "partner_zwaar": True})
    assert state.value("totaal") == 20 and state.value("partner_zwaar") is True
    state.set("samen", False)
    # partner_uren is hidden, so partner_zwaar (which depends on it) is hidden too
    assert state.value("partner_uren") is None and state.value("partner_zwaar") is None
    assert state.value("totaal") == 0
    assert state.answers["partner_uren"] == 20  # kept: switching back restores it
    state.set("samen", True)
    assert state.value("totaal") == 20 and state.value("partner_zwaar") is True


def test_keep_last_keeps_the_last_characters_of_a_document_number() -> None:
    form = small_form(
        "{id: laatste, type: text, label: {nl: L, en: L}, max_length: 4, keep_last: true}"
    )
    laatste = form.question("laatste")
    assert laatste is not None
    assert coerce(laatste, "IXR12345") == "2345"
    assert coerce(laatste, "ab") == "ab"
    conversation = ConversationState(form, {}, today=TODAY)
    assert conversation.set("laatste", "NW8K7P2Q") == "7P2Q"


def test_short_dates_are_read_with_the_conversations_today() -> None:
    form = small_form(
        "{id: datum, type: date, label: {nl: D, en: D}}",
        "{id: geboortedatum, type: date, label: {nl: G, en: G}}",
    )
    conversation = ConversationState(form, {}, today=date(2026, 11, 1))
    assert conversation.set("datum", "30-11-26") == "2026-11-30"
    assert conversation.set("geboortedatum", "30-11-26") == "1926-11-30"
    assert conversation.set("datum", "30-11") == "2026-11-30"
