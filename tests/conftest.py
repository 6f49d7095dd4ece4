"""Fixtures: a fresh lab, and a caller that schedules synchronous requests in it."""

from __future__ import annotations

import pytest
from support import Caller

import lambda_lab as ll


@pytest.fixture
def lab() -> ll.Lab:
    return ll.Lab(seed=7)


@pytest.fixture
def caller(lab: ll.Lab) -> Caller:
    return Caller(lab)
