"""The use cases the UI and the CLI call: synchronous, Qt-free, one unlocked profile at a time.

Owns nothing itself: it names the entry points of its modules — `profile` (the vault, cases,
conversations), `plans` (the plan, signatures, seal, PDF) — so callers write
`from kitchentable.services import Profile`. Never imports Qt; never formats for a screen.
"""

from kitchentable.services.profile import (
    CaseSummary,
    Conversation,
    Profile,
    default_forms,
    profile_exists,
    profile_settings,
    seconds_until_unlock,
)

__all__ = [
    "CaseSummary",
    "Conversation",
    "Profile",
    "default_forms",
    "profile_exists",
    "profile_settings",
    "seconds_until_unlock",
]
