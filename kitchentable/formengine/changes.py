"""What one answer change changed: the report the form engine gives the screen.

Owns the `Changes` record and `Progress` (a section's counts). Plain data: the form engine
fills them, the conversation page reads them to touch only the widgets they name. Never
evaluates anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    required_open: int
    errors: int

    @property
    def complete(self) -> bool:
        return self.required_open == 0 and self.errors == 0


@dataclass(frozen=True)
class Changes:
    """Ids of what changed. Question ids are top-level; a group's fields are reported as
    their group (`groups`)."""

    stored: object = None  # the answer as stored (None: cleared)
    visible: frozenset[str] = field(default_factory=frozenset)
    required: frozenset[str] = field(default_factory=frozenset)
    messages: frozenset[str] = field(default_factory=frozenset)
    values: frozenset[str] = field(default_factory=frozenset)  # answers that count, computed
    groups: frozenset[str] = field(default_factory=frozenset)  # items' visibility or messages
    sections: frozenset[str] = field(default_factory=frozenset)  # section visibility
    progress: frozenset[str] = field(default_factory=frozenset)  # section counts
    opened: frozenset[str] = field(default_factory=frozenset)  # legal topics
    closed: frozenset[str] = field(default_factory=frozenset)
    rules: frozenset[str] = field(default_factory=frozenset)  # rules broken or mended

    @property
    def questions(self) -> frozenset[str]:
        """Questions whose row shows something new (visibility, mark, message or value)."""
        return self.visible | self.required | self.messages | self.values

    @property
    def topics(self) -> frozenset[str]:
        return self.opened | self.closed

    @property
    def navigation(self) -> bool:
        """Whether the section list shows anything new (a section, its counts, a topic)."""
        return bool(self.sections or self.progress or self.opened or self.closed)
