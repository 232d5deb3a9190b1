"""The realistic demo cases (resources/demo/cases.json) as import documents for plan tests."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from kitchentable.demo import demo_document
from kitchentable.domain.plan import Signature, SignerRole
from kitchentable.services import Profile
from tests.conftest import PASSPHRASE

WMO, JEUGD = "M-2026-0412", "J-2026-0007"
STROKE = (((0.1, 0.6, 0.4), (0.25, 0.3, 0.6), (0.4, 0.7, 0.8), (0.6, 0.2, 0.6), (0.9, 0.5, 0.3)),)


def demo_case(
    external_id: str, changes: dict[str, Any] | None = None, drop: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One demo case, with answers changed (a value of None removes the answer)."""
    case = copy.deepcopy(
        next(c for c in demo_document()["cases"] if c["external_id"] == external_id)
    )
    answers = case["answers"]
    for key, value in (changes or {}).items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    for key in drop:
        answers.pop(key, None)
    return {"cases": [case]}


def signatures(
    profile: Profile, reference: str, absent: dict[str, str] | None = None
) -> list[Signature]:
    """A drawn signature for every signer the plan names (or an absence with its reason)."""
    plan = profile.plans.up_to_date(reference)
    out = []
    for signer in plan.required_signers:
        reason = (absent or {}).get(signer.key, "")
        out.append(
            Signature(
                signer.role,
                signer.name
                or ("Anja de Consulent" if signer.role == SignerRole.CONSULTANT else ""),
                signer=signer.key,
                strokes=() if reason else STROKE,
                absent_reason=reason,
            )
        )
    return out


def pdf_text(pdf: bytes, tmp: Path, name: str = "plan.pdf") -> str:
    path = tmp / name
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def cli_env(profile_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KITCHENTABLE_PROFILE": str(profile_path),
        "KITCHENTABLE_PASSPHRASE": PASSPHRASE,
        "KITCHENTABLE_LANG": "en",
    }


def kt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command line as a real process; never a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "kitchentable", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result
