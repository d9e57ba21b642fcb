"""The recorded RT answers (tests/fakes/recordings/rt/) are still what the installed RT answers.

tests/fakes/test_rt_recordings.py holds the double to the recordings; this holds the
recordings to the real RT, so neither can drift. A failure here after an RT upgrade means:
re-record (``python -m tests.fakes.rt_recording``), then see what the double must learn.
"""

from __future__ import annotations

import pytest

from tests.connectors.rt_real.remote import RTAgent
from tests.fakes.rt_recording import differences, exchanges, header_form, load, shape
from tests.fakes.test_rt_recordings import WORD_FOR_WORD, same_words
from tests.support.rt_server import RealRT

pytestmark = pytest.mark.rt


def test_rt_answers_as_recorded(real_rt: RealRT, agent: RTAgent, queue: str) -> None:
    recorded = {exchange.name: exchange for exchange in load()}

    answered = {exchange.name: exchange for exchange in exchanges(real_rt.url, real_rt.hub_token, queue)}

    assert list(answered) == list(recorded)
    drift = []
    for name, now in answered.items():
        then = recorded[name]
        if (now.status, header_form(now)) != (then.status, header_form(then)):
            drift.append(f"{name}: {now.status} {header_form(now)}, recorded {then.status} {header_form(then)}")
        drift += [f"{name}{line}" for line in differences(shape(then.body), shape(now.body), who="now")]
        if name in WORD_FOR_WORD and same_words(now.body) != same_words(then.body):
            drift.append(f"{name}: says {now.body!r}, recorded {then.body!r}")
    assert not drift, "RT no longer answers as recorded (re-record, then fix the double):\n" + "\n".join(drift)
