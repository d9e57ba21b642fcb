"""Page fixtures (signed-in browsers) for the profile tests."""

from tests.hub.ui.conftest import as_role  # noqa: F401 - a fixture
