"""kill -9 of an MQTT listener process mid-shift, run with the other faults (three rounds in CI).

The test itself lives with the listener's process tests; importing it here puts it in the
fault suite without a second copy.
"""

from __future__ import annotations

import pytest

from tests.connectors.mqtt import test_processes
from tests.connectors.mqtt.conftest import app_config as app_config
from tests.connectors.mqtt.conftest import broker as broker
from tests.connectors.mqtt.conftest import prefix as prefix
from tests.connectors.mqtt.conftest import publisher as publisher
from tests.connectors.mqtt.test_processes import no_listener_left as no_listener_left

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

test_a_listener_killed_mid_shift_loses_nothing_and_counts_nothing_twice = (
    test_processes.test_a_listener_killed_mid_shift_loses_nothing_and_counts_nothing_twice)
