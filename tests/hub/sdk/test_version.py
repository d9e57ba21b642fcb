"""hub.sdk has its own semantic version, and a connector can require one."""

from __future__ import annotations

import re

import pytest

import hub.sdk
from hub.sdk import require


def test_the_sdk_has_a_semver_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", hub.sdk.__version__)
    assert hub.sdk.__version__ == "1.4.0"  # 1.4: trend figures, change targets (tasks), rating links, customers at risk


@pytest.mark.parametrize("minimum", ["1", "1.0", "1.0.0", "1.1", "1.1.0", "1.2", "1.2.0", "1.3", "1.3.0", "1.4",
                                     "1.4.0"])
def test_a_met_requirement_passes(minimum: str) -> None:
    require(minimum)


@pytest.mark.parametrize("minimum", ["1.5", "2.0", "0.9"])
def test_a_newer_minor_or_another_major_fails_naming_both(minimum: str) -> None:
    with pytest.raises(ImportError, match=rf"needs hub.sdk {re.escape(minimum)} .* hub.sdk 1\.4\.0"):
        require(minimum)


def test_a_malformed_requirement_says_so() -> None:
    with pytest.raises(ValueError, match="not a version"):
        require("one")


def test_schedule_is_part_of_the_sdk_and_the_scheduler_reads_the_same_class() -> None:
    from hub.jobs.schedules import Schedule as CoreSchedule
    from hub.sdk import Schedule

    assert Schedule is CoreSchedule
    with pytest.raises(ValueError, match="an interval or a cron expression"):
        Schedule(name="x", job="plugins.x.run")
