"""The app killed with SIGKILL right after it says "saved" keeps what it said it saved."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kitchentable.formengine.loader import FormRegistry, load_form
from kitchentable.services import Profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from gui_helpers import PASSPHRASE, make_profile

CHILD = Path(__file__).resolve().parent / "child_app.py"
ROUNDS = 5


@pytest.mark.slow
@pytest.mark.gui
def test_a_killed_app_keeps_every_answer_it_showed_as_saved(tmp_path: Path) -> None:
    forms = FormRegistry.from_directory()
    forms.add(
        load_form(Path(__file__).resolve().parents[1] / "gui" / "data" / "gui-all-types.yaml")
    )
    profile = tmp_path / "profile"
    case_id = make_profile(profile, forms)["Hendrik Zuidema"]
    rng = random.Random(7)
    for _ in range(ROUNDS):
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(profile), case_id, PASSPHRASE],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "KITCHENTABLE_LANG": "en"},
        )
        wanted = rng.randint(1, 4)
        acked = None
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("ACK "):
                acked = line[4:].strip()
                if int(acked.split()[-1]) >= wanted:
                    break
        time.sleep(rng.uniform(0, 0.02))  # kill somewhere in the next keystrokes
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert acked is not None, "the app never reported a save"
        with Profile.unlock(profile, PASSPHRASE, forms=forms) as check:
            conversation = check.open_conversation(case_id)
            stored = str(conversation.state.answers.get("roepnaam"))
        # What the app showed as saved is there, or something typed after it (never older).
        assert stored.startswith("Henk")
        number = stored.rsplit(maxsplit=1)[-1] if stored.rsplit(maxsplit=1)[-1].isdigit() else ""
        assert stored == acked or (number and int(number) >= int(acked.split()[-1])), (
            stored,
            acked,
        )
