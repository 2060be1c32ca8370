"""Shared fixtures of the portal tests: one published snapshot and three accounts per test session."""

from __future__ import annotations

import pytest

from .fixtures import PortalFixture, create_test_accounts, portal_settings, write_portal_fixture


@pytest.fixture(scope="session")
def portal_fixture(tmp_path_factory) -> PortalFixture:
    """The snapshot is only read by the portal, so every module can share it."""
    fixture = write_portal_fixture(portal_settings(tmp_path_factory.mktemp("portail")))
    create_test_accounts(fixture.settings)
    return fixture


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Cheap argon2id parameters for the tests only.

    The tests check the algorithm, the storage and the behaviour, not the cost; with the production
    parameters (64 MiB, 3 passes) each login takes ~1.5 s on a busy 2-core machine and the suite would
    exceed its time budget. `test_production_hasher_parameters` checks the real parameters.
    """
    from argon2 import PasswordHasher

    from pipelines.portal import accounts

    production = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield production
    accounts._hasher = production
