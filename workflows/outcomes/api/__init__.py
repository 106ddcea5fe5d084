"""The outcome register and the recommendations over HTTP (mounted under /api/v1/ by the api package)."""
