"""The job state machine, every pair of states."""

from __future__ import annotations

import itertools

import pytest

from limner.jobs.states import (
    TERMINAL,
    InvalidTransition,
    JobStatus,
    can_move,
    check_move,
    sources_of,
)

ALLOWED = {
    ("queued", "running"),
    ("queued", "canceled"),
    ("queued", "failed"),
    ("running", "completed"),
    ("running", "failed"),
    ("running", "canceled"),
    ("running", "queued"),  # a restart re-queues a job whose process died
}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(JobStatus, JobStatus)))
def test_every_transition(source: JobStatus, target: JobStatus) -> None:
    expected = (source.value, target.value) in ALLOWED
    assert can_move(source, target) is expected
    if expected:
        check_move(source, target)
    else:
        with pytest.raises(InvalidTransition):
            check_move(source, target)


def test_terminal_states_have_no_way_out_and_match_the_wire_values() -> None:
    assert {s.value for s in TERMINAL} == {"completed", "failed", "canceled", "blocked"}
    for state in JobStatus:
        assert state.terminal is (state in TERMINAL)
        if state.terminal:
            assert not any(can_move(state, target) for target in JobStatus)
    assert [s.value for s in JobStatus] == [
        "queued",
        "running",
        "completed",
        "failed",
        "canceled",
        "blocked",
    ]


def test_sources_of_drive_the_conditional_updates() -> None:
    assert sources_of(JobStatus.canceled) == ("queued", "running")
    assert sources_of(JobStatus.running) == ("queued",)
    assert sources_of(JobStatus.blocked) == ()
