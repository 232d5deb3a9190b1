"""The shape of a loaded form: frozen dataclasses built by the loader, read by everyone else.

Never parses files and never holds answers (formengine.session does that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kitchentable.formengine.expressions import Expression
from kitchentable.i18n import pick


class QuestionType(StrEnum):
    TEXT = "text"
    LONGTEXT = "longtext"
    NUMBER = "number"
    DATE = "date"
    YESNO = "yesno"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    SCALE = "scale"
    BSN = "bsn"
    POSTCODE = "postcode"
    PHONE = "phone"
    EMAIL = "email"
    GROUP = "group"
    COMPUTED = "computed"


class PrintTarget(StrEnum):
    """Where an answer goes in the plan (form key `print`)."""

    MAIN = "main"  # the letter-like plan the inhabitant reads
    ANNEX = "annex"  # the annex "Verantwoording", for the file and the quality officer
    FILE = "file"  # stored (sealed, sent to the office) but never printed


# Defaults by the first part of a question's `plan` path: the procedure and the advice's
# details go to the annex; safety signals never reach a printed copy unless a form says so.
_DEFAULT_TARGETS = {
    "header": PrintTarget.ANNEX,  # the header box on page 1 already says when and where
    "checks": PrintTarget.ANNEX,
    "consents": PrintTarget.ANNEX,
    "advice": PrintTarget.ANNEX,
    "term": PrintTarget.ANNEX,
    "safety": PrintTarget.FILE,
}


@dataclass(frozen=True)
class Text:
    """A text a person reads, in Dutch and English."""

    nl: str
    en: str

    def __str__(self) -> str:
        return pick({"nl": self.nl, "en": self.en})

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.nl


@dataclass(frozen=True)
class Option:
    value: str
    label: Text
    help: Text | None = None
    group: str = ""  # a product's category: the options shown follow `options_filter`


@dataclass(frozen=True)
class LegalTopic:
    """A duty the law puts on the conversation. Without `met_if` it is open until a visible
    tagged question is answered and no visible required tagged one is empty; with `met_if`
    it is met exactly when that expression holds."""

    id: str
    article: str
    label: Text
    required: bool = True
    met_if: Expression | None = None


@dataclass(frozen=True)
class Rule:
    """A form-level rule across answers: `valid_if` holds when they agree; otherwise
    `message` shows at each of `questions` and counts as an error."""

    id: str
    valid_if: Expression
    message: Text
    questions: tuple[str, ...]
    line: int


class Prefill(StrEnum):
    """Where a question's first answer comes from when a conversation first opens."""

    CONVERSATION_DATE = "conversation_date"  # the day the conversation is first opened
    CONSULTANT = "consultant"  # the consultant's name (profile settings)
    CONSULTANT_AND_ROLE = "consultant_and_role"  # "name, role"
    TEAM = "team"  # the consultant's team (profile settings)
    CASE_KIND = "case_kind"  # eerste | herindicatie | spoed, as the office assigned the case


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    label: Text
    line: int
    help: Text | None = None
    placeholder: Text | None = None
    required: bool | Expression = False
    visible_if: Expression | None = None
    valid_if: Expression | None = None
    message: Text | None = None
    legal_topics: tuple[str, ...] = ()
    plan: str | None = None
    options: tuple[Option, ...] = ()
    # Where the options come from when they are not listed: "codelist WMO020" (filled in by
    # the loader) or "products" (the office's product list, filled in per laptop:
    # formengine.optionsources); `options_filter` names the field of the same group item
    # whose answer an option's `group` must equal.
    options_from: str | None = None
    options_filter: str | None = None
    levels: tuple[Text, ...] = ()
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    unit: Text | None = None
    max_length: int | None = None
    expression: Expression | None = None
    item_label: Text | None = None
    min_items: int | None = None
    max_items: int | None = None
    questions: tuple[Question, ...] = ()
    prefill: Prefill | None = None
    person: bool = False  # a person's name: offered again wherever a person is asked
    keep_last: bool = False  # with max_length: more typed keeps the last characters
    birth_date: bool = False  # a two-digit year is read as a date not after today
    print: PrintTarget | None = None  # None: the default for its plan path (print_target)
    print_label: Text | None = None  # the label in the printed plan, addressed to its reader

    @property
    def print_target(self) -> PrintTarget:
        """Explicit `print`, else: scores and computed values to the annex, else by plan path."""
        if self.print is not None:
            return self.print
        if self.type in (QuestionType.SCALE, QuestionType.COMPUTED):
            return PrintTarget.ANNEX
        head = (self.plan or "").split(".", 1)[0]
        return _DEFAULT_TARGETS.get(head, PrintTarget.MAIN)

    def printed_label(self, language: str) -> str:
        return (self.print_label or self.label).get(language)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def field(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    line: int
    questions: tuple[Question, ...]
    help: Text | None = None
    visible_if: Expression | None = None


@dataclass(frozen=True)
class Form:
    id: str
    version: str
    kind: str
    title: Text
    legal_topics: tuple[LegalTopic, ...]
    sections: tuple[Section, ...]
    source: str = ""
    sha256: str = ""
    description: Text | None = None
    rules: tuple[Rule, ...] = ()
    address: str = "u"  # how the printed plan addresses its reader: "u", or "je" (young people)
    _index: dict[str, tuple[Section, Question]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        for section in self.sections:
            for question in section.questions:
                self._index[question.id] = (section, question)

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def question(self, question_id: str) -> Question | None:
        """A top-level question by id (fields inside groups belong to their group)."""
        found = self._index.get(question_id)
        return found[1] if found else None

    def section_of(self, question_id: str) -> Section | None:
        found = self._index.get(question_id)
        return found[0] if found else None

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def topic(self, topic_id: str) -> LegalTopic | None:
        return next((t for t in self.legal_topics if t.id == topic_id), None)


def version_key(version: str) -> tuple[int, ...]:
    """'2026.10' sorts after '2026.9'."""
    return tuple(int(part) for part in version.split("."))
