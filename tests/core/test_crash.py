"""A writer killed with SIGKILL at random moments loses no acknowledged answer.

The child process saves answers in a loop and writes "question index" to a pipe only after
save_answer() returned (the UI's "saved" moment). The parent kills it after a random delay,
then reopens the profile: for every question, the stored answer is at least as new as the
last one acknowledged, and PRAGMA integrity_check is ok.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from kitchentable.services import Profile
from kitchentable.storage.database import integrity_ok
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document

ROUNDS = 100
QUESTIONS = ("notitie", "hulpvraag_eigen_woorden", "netwerk")


def _value(question: str, index: int) -> object:
    if question == "netwerk":  # a repeating group: the whole list is rewritten on each save
        return [{"naam": f"lid {index}", "relatie": "buur"}, {"naam": "vast lid"}]
    return f"antwoord {index} " + "x" * (index % 700)


def _index_of(question: str, value: object) -> int:
    text = value[0]["naam"] if question == "netwerk" else value  # type: ignore[index]
    return int(str(text).split()[1])


def _writer(path: Path, forms, start: int, ack_fd: int) -> None:
    profile = Profile.unlock(path, PASSPHRASE, forms=forms)
    conversation = profile.open_conversation("M-2026-0001")
    index = start
    while True:
        question = QUESTIONS[index % len(QUESTIONS)]
        profile.save_answer(conversation, question, _value(question, index))
        os.write(ack_fd, f"{question} {index}\n".encode())
        index += 1


@pytest.mark.slow
def test_sigkill_during_saves_loses_no_acknowledged_answer(
    profile: Profile, profile_path: Path, forms
) -> None:
    profile.import_cases(case_document())
    profile.close()
    rng = random.Random(20261122)
    acked: dict[str, int] = {}
    next_index = 0
    total_acks = 0
    for _round in range(ROUNDS):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: write until killed
            os.close(read_fd)
            try:
                _writer(profile_path, forms, next_index, write_fd)
            finally:
                os._exit(1)
        os.close(write_fd)
        time.sleep(rng.uniform(0.005, 0.08))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(read_fd, "rb") as pipe:
            lines = pipe.read().decode().splitlines()
        for line in lines:
            if " " not in line:  # a line cut by the kill was never acknowledged
                continue
            question, index = line.split()
            acked[question] = max(acked.get(question, -1), int(index))
            next_index = max(next_index, int(index) + 1)
            total_acks += 1
        next_index += 3  # leave room for a save in flight when the kill came

        with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as check:
            assert integrity_ok(check.db)
            answers = check.repo.answers(
                check.repo.conversation_for(check.repo.resolve_case("M-2026-0001"))["id"]
            )
            for question, index in acked.items():
                assert _index_of(question, answers[question]) >= index, (question, index)
    assert total_acks > ROUNDS  # the loop really wrote while being killed
