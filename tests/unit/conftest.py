"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest
from template_repos import TemplatesRepo, build_templates_repo


@pytest.fixture(scope="session")
def templates_repo(tmp_path_factory: pytest.TempPathFactory) -> TemplatesRepo:
    """The example templates as a git repository: branches main and stable."""
    return build_templates_repo(tmp_path_factory.mktemp("templates") / "repo")
