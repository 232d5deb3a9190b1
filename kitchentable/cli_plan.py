"""The plan commands of the `kitchentable` command line: is a plan ready, and sign it.

Owns `kitchentable plan CASE` (what must happen before the plan can be signed, one sentence
per item; exit 1 while anything is open) and `kitchentable sign CASE FILE.json` (the
reaction, the place and every signer's signature or absence from a file, e.g. a signature
tablet's export; sealed when complete, refused with every reason when not). Calls services
only; registered by kitchentable.cli.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kitchentable.domain.plan import Signature, SignerRole
from kitchentable.i18n import _

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
Opener = Callable[[argparse.Namespace], Any]


def commands(add: Add, open_profile: Opener) -> None:
    def cmd_plan(args: argparse.Namespace) -> int:
        with open_profile(args) as profile:
            plan = profile.plans.up_to_date(args.case)
            blockers = profile.plans.blockers(args.case)
        if args.json:
            print(
                json.dumps(
                    {
                        "ready": not blockers,
                        "signers": [
                            {"key": s.key, "role": s.role.value, "name": s.name}
                            for s in plan.required_signers
                        ],
                        "blockers": [
                            {
                                "kind": b.kind,
                                "section": b.section,
                                "question": b.question,
                                "text": b.text,
                            }
                            for b in blockers
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        elif blockers:
            print(_("Not ready to sign yet. First:"))
            for blocker in blockers:
                print(f"  - {blocker.text}")
        else:
            print(_("Ready to sign."))
        return 1 if blockers else 0

    def cmd_sign(args: argparse.Namespace) -> int:
        agrees, remarks, place, signatures = read_signing(Path(args.file))
        with open_profile(args) as profile:
            profile.plans.seal(args.case, agrees, remarks, place, signatures)
        print(_("Signed and sealed."))
        return 0

    p = add("plan", cmd_plan, _("what must happen before a plan can be signed"))
    p.add_argument("case")
    p.add_argument("--json", action="store_true")
    p = add("sign", cmd_sign, _("sign and seal a plan with the signatures in a JSON file"))
    p.add_argument("case")
    p.add_argument("file", help=_("reaction, place and signatures (see the README)"))


def read_signing(path: Path) -> tuple[bool | None, str, str, list[Signature]]:
    """{"reaction": {"agrees": true, "remarks": ""}, "place": "…", "signatures": [{"signer":
    "inhabitant", "role": "inhabitant", "name": "…", "strokes": [[[x, y, p], …]]} or
    {…, "absent_reason": "…"}]}; every problem is named before anything is signed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SystemExit(
            _("Cannot read {file}: {reason}").format(file=path, reason=getattr(exc, "msg", exc))
        ) from exc
    problems: list[str] = []
    reaction = data.get("reaction") if isinstance(data, dict) else None
    if not isinstance(reaction, dict):
        problems.append(_("reaction: an object with 'agrees' (true or false) is needed"))
        reaction = {}
    signatures = []
    for index, raw in enumerate(data.get("signatures", []) if isinstance(data, dict) else []):
        try:
            signatures.append(
                Signature(
                    role=SignerRole(raw["role"]),
                    name=str(raw.get("name", "")),
                    signer=str(raw.get("signer", "")),
                    place=str(raw.get("place", "")),
                    absent_reason=str(raw.get("absent_reason", "")),
                    strokes=tuple(
                        tuple((float(x), float(y), float(p)) for x, y, p in stroke)
                        for stroke in raw.get("strokes", ())
                    ),
                )
            )
        except (KeyError, TypeError, ValueError):
            problems.append(
                _("signatures[{i}]: needs a role ({roles}) and strokes of [x, y, pressure]").format(
                    i=index, roles=", ".join(r.value for r in SignerRole)
                )
            )
    if problems:
        raise SystemExit(
            "\n".join(
                [
                    _("Nothing was signed: {file} has {n} problem(s):").format(
                        file=path, n=len(problems)
                    ),
                    *(f"  - {p}" for p in problems),
                ]
            )
        )
    agrees = reaction.get("agrees")
    return (
        agrees if isinstance(agrees, bool) else None,
        str(reaction.get("remarks", "")),
        str(data.get("place", "")),
        signatures,
    )
