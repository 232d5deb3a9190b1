"""The `kitchentable` command line, for scripted and office use.

Owns argument parsing (the shared parts in cli_common, the sync commands in cli_sync,
the plan's in cli_plan) and turning errors into one clear sentence on stderr with a
non-zero exit. Every command calls services; never imports Qt: the app's own self-test
checks are handed in by the entry point (`__main__`). Never prints a traceback: an
unexpected error is written to the log (without personal data) and summarised.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kitchentable import __version__
from kitchentable.cli_common import open_profile, passphrase, print_json
from kitchentable.cli_plan import commands as plan_commands
from kitchentable.cli_sync import commands as sync_commands
from kitchentable.cli_verify import command as verify_command
from kitchentable.config import Settings
from kitchentable.errors import FormErrors, KitchentableError
from kitchentable.i18n import _, set_language
from kitchentable.logs import setup_logging
from kitchentable.paths import profile_dir

if TYPE_CHECKING:
    from kitchentable.selftest import AppCheck
    from kitchentable.services import Profile

log = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_ERROR = 1
EXIT_UNEXPECTED = 70


def cmd_init(args: argparse.Namespace) -> int:
    recovery = None
    if args.recovery_key:
        text = Path(args.recovery_key).read_text(encoding="ascii").strip()
        recovery = base64.b64decode(text, validate=True)
    settings = Settings(consultant=args.consultant or "", team=args.team or "")
    path = profile_dir(args.profile)
    secret = passphrase(_("New passphrase: "), confirm=True)
    from kitchentable.services import Profile

    with Profile.create(path, secret, settings=settings, recovery_public=recovery) as profile:
        if args.language:  # an explicit choice beats IT's preset, which beats the default
            profile.update_settings(language=args.language)
        print(_("Profile created in {path}.").format(path=path))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(
            _("Cannot read {file}: {reason}").format(
                file=args.file, reason=getattr(exc, "strerror", None) or exc
            )
        ) from exc
    except json.JSONDecodeError as exc:
        raise SystemExit(
            _("{file}:{line}: this is not valid JSON ({reason}). Nothing was imported.").format(
                file=args.file, line=exc.lineno, reason=exc.msg
            )
        ) from exc
    with open_profile(args) as profile:
        created = profile.import_cases(document)
    print(_("{n} case(s) imported.").format(n=len(created)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if args.format == "pdf":
        if not args.out:
            raise SystemExit(_("A PDF needs --out FILE."))
        with open_profile(args) as profile:
            pdf, sealed = profile.plans.pdf(args.case)
            profile.access.record("plan.export", "plan", profile.repo.resolve_case(args.case))
        Path(args.out).write_bytes(pdf)
        with contextlib.suppress(OSError):
            Path(args.out).chmod(0o600)
        kind = _("sealed plan") if sealed else _("draft plan (CONCEPT)")
        print(
            _(
                "{kind} written to {file}. This file is NOT encrypted: keep it safe and delete it when done."
            ).format(kind=kind, file=args.out),
            file=sys.stderr,
        )
        return 0
    with open_profile(args) as profile:
        data = profile.export_case(args.case)
    print_json(data, args.out)
    if args.out:
        print(
            _(
                "Written to {file}. This file is NOT encrypted: keep it safe and delete it when done."
            ).format(file=args.out),
            file=sys.stderr,
        )
    return 0


def cmd_cases(args: argparse.Namespace) -> int:
    with open_profile(args) as profile:
        rows = profile.case_summaries(args.search)
    if args.json:
        print_json(
            [
                {
                    "id": r.id,
                    "external_id": r.external_id,
                    "name": r.name,
                    "address": r.address,
                    "status": r.status.value,
                    "melding_date": r.melding_date.isoformat(),
                    "deadline": r.deadline.isoformat(),
                    "days_left": r.days_left(),
                    "updated_at": r.updated_at,
                    "sync_state": r.sync_state,
                }
                for r in rows
            ]
        )
        return 0
    for r in rows:
        print(
            f"{r.external_id:<14} {r.name:<28} {r.postcode:<8} {r.status.value:<16} "
            f"{r.deadline.isoformat()} ({r.days_left():>3} d)"
        )
    if not rows:
        print(_("No cases found."), file=sys.stderr)
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    try:
        value: Any = json.loads(args.value)
    except json.JSONDecodeError:
        value = args.value
    with open_profile(args) as profile:
        conversation = profile.open_conversation(args.case)
        profile.save_answer(conversation, args.question, value)
    print(_("Saved."))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_profile(args) as profile:
        conversation = profile.open_conversation(args.case)
    state = conversation.state
    sections = []
    for section in conversation.form.sections:
        if not state.section_visible(section):
            continue
        p = state.progress(section)
        sections.append(
            {
                "section": section.id,
                "answered": p.answered,
                "total": p.total,
                "required_open": p.required_open,
                "errors": p.errors,
            }
        )
    print_json(
        {
            "case": conversation.case.external_id,
            "form": {"id": conversation.form.id, "version": conversation.form.version},
            "open_legal_topics": [
                {"id": t.id, "article": t.article, "label": str(t.label)}
                for t in state.open_topics()
            ],
            "sections": sections,
            "errors": state.errors(),
        }
    )
    return 0


def _verifier(args: argparse.Namespace) -> Profile | None:
    """For `verify`: this laptop's profile, unlocked, when there is one (its trust counts);
    no check-in needed, as verifying reads nothing about an inhabitant."""
    from kitchentable.services import Profile, profile_exists

    path = profile_dir(args.profile)
    if not profile_exists(path):
        return None
    return Profile.unlock(path, passphrase(_("Passphrase: ")))


def cmd_passwd(args: argparse.Namespace) -> int:
    with open_profile(args) as profile:
        new = passphrase(_("New passphrase: "), "KITCHENTABLE_NEW_PASSPHRASE", confirm=True)
        if not args.rekey:
            profile.change_passphrase(new)
            print(_("Passphrase changed."))
            return 0

        def progress(done: int, total: int) -> None:
            print(
                _("Re-encrypting: {done} of {total}").format(done=done, total=total),
                file=sys.stderr,
            )

        profile.rekey(new, progress)
    print(_("Passphrase changed and everything re-encrypted under a new key."))
    return 0


def cmd_forms_check(args: argparse.Namespace) -> int:
    from kitchentable.formengine.loader import load_form

    failed = 0
    for name in args.paths:
        try:
            form = load_form(name)
        except FormErrors as exc:
            failed += 1
            for error in exc.errors:
                print(str(error), file=sys.stderr)
        else:
            print(f"{name}: ok ({form.id} {form.version}, {len(form.questions())} questions)")
    return EXIT_ERROR if failed else 0


def cmd_forms_list(args: argparse.Namespace) -> int:
    from kitchentable.services import default_forms

    registry = default_forms()
    for form in registry.all():
        print(f"{form.id:<28} {form.version:<10} {form.title}")
    for problem in registry.problems:
        print(str(problem), file=sys.stderr)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    with open_profile(args) as profile:
        case_id = profile.repo.resolve_case(args.case) if args.case else None
        broken = profile.access.verify()
        for line in profile.access.lines(case_id):
            print(
                f"{line.at} {line.actor} {line.action} {line.object} {line.case_id or '-'} {line.result} {line.origin}"
            )
    if broken is not None:
        print(
            _("The access log has been tampered with from line {n} on.").format(n=broken),
            file=sys.stderr,
        )
        return EXIT_ERROR
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kitchentable", description=_("The keukentafelgesprek, offline.")
    )
    parser.add_argument("--version", action="version", version=f"kitchentable {__version__}")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help=_("profile folder (default: KITCHENTABLE_PROFILE or the platform data folder)"),
    )
    parser.add_argument("--demo", action="store_true", help=_("start on the demo profile"))
    parser.add_argument(
        "--self-test",
        action="store_true",
        help=_("check this installation (vault, forms, PDF) in a temporary profile and exit"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, _("create a profile and its vault"))
    p.add_argument("--consultant", help=_("your name as it appears in the access log and the plan"))
    p.add_argument("--team")
    p.add_argument("--language", choices=["nl", "en"], default=None)
    p.add_argument("--recovery-key", metavar="FILE", help=_("office recovery public key (base64)"))
    p = add("import", cmd_import, _("create cases from a JSON file"))
    p.add_argument("file")
    p = add(
        "export",
        cmd_export,
        _("everything stored about one case as JSON, or its plan as PDF (not encrypted)"),
    )
    p.add_argument("case")
    p.add_argument("--format", choices=["json", "pdf"], default="json")
    p.add_argument("--out", metavar="FILE")
    verify_command(add, _verifier)
    p = add("cases", cmd_cases, _("list cases"))
    p.add_argument("--search", metavar="TEXT", help=_("name, BSN or postcode"))
    p.add_argument("--json", action="store_true")
    p = add("answer", cmd_answer, _("store one answer (value as JSON or text)"))
    p.add_argument("case")
    p.add_argument("question")
    p.add_argument("value")
    p = add("show", cmd_show, _("progress, open legal topics and problems of a conversation"))
    p.add_argument("case")
    p = add(
        "passwd",
        cmd_passwd,
        _("change the passphrase (KITCHENTABLE_NEW_PASSPHRASE for automation)"),
    )
    p.add_argument(
        "--rekey",
        action="store_true",
        help=_("also replace the data key and re-encrypt everything (old backups stay closed)"),
    )
    sync_commands(add)
    plan_commands(add, open_profile)
    p = add("log", cmd_log, _("show the access log and verify it"))
    p.add_argument("case", nargs="?")
    forms = sub.add_parser("forms", help=_("check and list conversation forms"))
    forms_sub = forms.add_subparsers(dest="forms_command", metavar="COMMAND", required=True)
    p = forms_sub.add_parser("check", help=_("validate form files"))
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_forms_check)
    p = forms_sub.add_parser("list", help=_("installed forms"))
    p.set_defaults(func=cmd_forms_list)
    return parser


def main(  # noqa: PLR0911 - one exit per outcome
    argv: Sequence[str] | None = None,
    *,
    app: Callable[[argparse.Namespace], int] | None = None,
    app_checks: Callable[[], Sequence[AppCheck]] = tuple,
) -> int:
    """Run a command; without one, `app(args)` starts the desktop app (help when there is
    none). `app_checks`: the app's own self-test checks (Qt), handed in by the entry point
    and asked for only when --self-test runs, so the CLI never loads Qt."""
    set_language()
    logfile = setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.self_test:
            from kitchentable.selftest import run_self_test

            return run_self_test(app_checks=app_checks())
        if getattr(args, "func", None):
            from kitchentable.presets import installation_presets

            installation_presets()  # a broken presets.json: its sentence, exit 1 (the app shows a dialog)
        if not getattr(args, "func", None):
            if app is None:
                parser.print_help()
                return EXIT_USAGE
            return app(args)  # the desktop app (kitchentable.__main__.launch)
        return int(args.func(args))
    except KitchentableError as exc:
        log.info("command failed: %s", exc.code)
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(_("Stopped."), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # the last line of defence: never a traceback for people
        # Frames only: an exception's message may quote a value someone typed.
        log.error(
            "unexpected %s in %s\n%s",
            type(exc).__name__,
            getattr(args, "command", "-"),
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        print(
            _(
                "Something unexpected went wrong ({kind}). Nothing you saved is lost. "
                "Details are in {log}; send that file to the application administrator."
            ).format(kind=type(exc).__name__, log=logfile),
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
