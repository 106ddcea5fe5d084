"""The charter's public endpoints (mounted under /api/v1/ by the api package)."""
