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
