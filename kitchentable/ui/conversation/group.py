"""A repeating group (e.g. the network members): one framed block per item, add and remove.

Owns the list of items as stored values and the widgets of each item's fields. A field's raw
input is coerced here, per field, so one invalid field shows its message under that field
and keeps the other fields' answers; the group then reports the whole list as its value.
Tab runs through every item's fields and then to "Add"; a new item comes into view with the
focus in its first field. Never saves; the page saves the list the group reports.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.errors import InvalidAnswer
from kitchentable.formengine.model import Question
from kitchentable.formengine.session import ConversationState, coerce
from kitchentable.i18n import _
from kitchentable.ui.conversation.fields import AnswerField, FieldContext, bring_into_view
from kitchentable.ui.conversation.kinds import make_field


class _Item(QFrame):
    def __init__(self, group: GroupField, index: int) -> None:
        super().__init__(group)
        self.setObjectName("groupItem")
        self.fields: dict[str, AnswerField] = {}
        self.rows: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        label = str(group.question.item_label or group.question.label)
        self.title = QLabel(f"{label} {index + 1}", self)
        self.title.setObjectName("groupItemTitle")
        head.addWidget(self.title)
        head.addStretch(1)
        self.remove = QPushButton(_("Remove"), self)
        self.remove.setAccessibleName(
            _("Remove {item} {number}").format(item=label, number=index + 1)
        )
        head.addWidget(self.remove)
        layout.addLayout(head)
        for question in group.question.questions:
            row = QWidget(self)
            row_layout = QVBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.setSpacing(2)
            caption = QLabel(str(question.label), row)
            field = make_field(question, row, group.context)
            caption.setBuddy(field.focus_target())
            field.set_accessible(
                f"{question.label} ({label} {index + 1})", str(question.help or "")
            )
            error = QLabel(row)
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            row_layout.addWidget(caption)
            row_layout.addWidget(field)
            row_layout.addWidget(error)
            layout.addWidget(row)
            self.fields[question.id] = field
            self.rows[question.id] = row
            self.errors[question.id] = error


class GroupField(AnswerField):
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.items: list[dict[str, Any]] = []
        self.blocks: list[_Item] = []
        self.invalid: dict[tuple[int, str], str] = {}
        self.touched: set[tuple[int, str]] = set()
        self._state: ConversationState | None = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(_("No entries yet."), self)
        self.empty.setObjectName("muted")
        self.layout_.addWidget(self.empty)
        label = str(question.item_label or question.label)
        text = _("Add {item}").format(item=label.lower())  # nl: "{item} toevoegen"
        self.add = QPushButton(text[:1].upper() + text[1:], self)
        self.add.clicked.connect(self._add)
        self.layout_.addWidget(self.add, 0, Qt.AlignmentFlag.AlignLeft)

    # -- value ---------------------------------------------------------------------------------
    def value(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.items]

    def _show(self, stored: Any) -> None:
        self.items = [dict(item) for item in (stored or [])]
        self.invalid.clear()
        self._rebuild()

    def _rebuild(self) -> None:
        for block in self.blocks:
            block.deleteLater()
        self.blocks = []
        for index, item in enumerate(self.items):
            block = _Item(self, index)
            self.layout_.insertWidget(self.layout_.count() - 1, block)
            block.show()  # now, not when the layout gets round to it: Tab must find it at once
            for field_id, field in block.fields.items():
                field.set_value(item.get(field_id))
                field.edited.connect(
                    lambda raw, i=index, f=field_id: self._changed(i, f, raw, False)
                )
                field.committed.connect(
                    lambda raw, i=index, f=field_id: self._changed(i, f, raw, True)
                )
            block.remove.clicked.connect(lambda _c=False, i=index: self._remove(i))
            self.blocks.append(block)
        self.empty.setVisible(not self.items)
        if self.blocks:
            # Items are created after "Add", so Qt puts them after it in the Tab chain; put
            # "Add" back after the last item's last widget.
            QWidget.setTabOrder(_last_in_chain(self.blocks[-1]), self.add)
        maximum = self.question.max_items
        self.add.setEnabled(maximum is None or len(self.items) < maximum)
        if self._state is not None:
            self.refresh(self._state)

    def _add(self) -> None:
        self.items.append({})
        self._rebuild()
        self._emit(self.committed, self.value())
        block = self.blocks[-1]
        if block.fields:
            first = next(iter(block.fields.values())).focus_target()
            first.setFocus(Qt.FocusReason.OtherFocusReason)
        # Once the page has laid the new item out: the page held "Add" still, which leaves
        # the new item's first field above the screen.
        QTimer.singleShot(0, block, lambda: self._show_item(block))

    def _show_item(self, block: QWidget) -> None:
        # Layouts still pending first (a busy laptop may not have run them yet), so the page
        # is as tall as its new item before it scrolls to it.
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        bring_into_view(block)

    def _remove(self, index: int) -> None:
        del self.items[index]
        self.invalid = {k: v for k, v in self.invalid.items() if k[0] != index}
        self._rebuild()
        self._emit(self.committed, self.value())
        (
            self.blocks[min(index, len(self.blocks) - 1)].remove if self.blocks else self.add
        ).setFocus()

    def _changed(self, index: int, field_id: str, raw: Any, final: bool) -> None:
        field = self.question.field(field_id)
        assert field is not None
        self.touched.add((index, field_id))
        try:
            stored = coerce(field, raw, self.context.today())
        except InvalidAnswer as exc:
            self.invalid[(index, field_id)] = str(exc.params.get("message", exc))
            if self._state is not None:
                self.refresh(self._state)
            return
        self.invalid.pop((index, field_id), None)
        if stored is None:
            self.items[index].pop(field_id, None)
        else:
            self.items[index][field_id] = stored
        if final:
            self.blocks[index].fields[field_id].show_normalised(stored)
        self._emit(self.committed if final else self.edited, self.value())

    # -- rules ---------------------------------------------------------------------------------
    def refresh(self, state: ConversationState) -> None:
        """Apply skip logic and messages inside each item."""
        self._state = state
        for index, block in enumerate(self.blocks):
            item = self.items[index] if index < len(self.items) else {}
            for question in self.question.questions:
                block.rows[question.id].setVisible(state.visible(question, item))
                block.fields[question.id].set_scope(item)
                message = self.invalid.get((index, question.id))
                if message is None and (
                    (index, question.id) in self.touched or question.id in item
                ):
                    message = state.question_error(question, item)
                label = block.errors[question.id]
                label.setText(message or "")
                label.setVisible(bool(message))

    def focus_target(self) -> QWidget:
        if self.blocks and self.blocks[0].fields:
            return next(iter(self.blocks[0].fields.values())).focus_target()
        return self.add

    def set_accessible(self, name: str, description: str) -> None:
        self.add.setAccessibleDescription(f"{name}. {description}".strip(". "))

    def focus_state(self) -> dict[str, Any]:
        focused = QApplication.focusWidget()
        for index, block in enumerate(self.blocks):
            for field_id, field in block.fields.items():
                if focused is not None and field.isAncestorOf(focused):
                    return {"item": index, "field": field_id, "inner": field.focus_state()}
        return {}

    def restore_focus(self, state: dict[str, Any]) -> None:
        index, field_id = state.get("item"), state.get("field")
        if (
            isinstance(index, int)
            and index < len(self.blocks)
            and field_id in self.blocks[index].fields
        ):
            self.blocks[index].fields[field_id].restore_focus(state.get("inner", {}))
        else:
            super().restore_focus(state)


def _last_in_chain(block: QWidget) -> QWidget:
    """The last widget inside `block` that Tab stops at (Qt ignores setTabOrder for others)."""
    last, following = block, block.nextInFocusChain()
    while block.isAncestorOf(following):
        if following.focusPolicy() & Qt.FocusPolicy.TabFocus:
            last = following
        following = following.nextInFocusChain()
    return last
