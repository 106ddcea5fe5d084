"""The domain's world (people, organizations, committee, charter), shared with the accession tests."""

from tests.workflows.partnership.conftest import partnership_world  # noqa: F401
