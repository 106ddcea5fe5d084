"""The membership applications over HTTP (mounted under /api/v1/ by the api package)."""
