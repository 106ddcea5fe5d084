"""The HTTP API: authentication, errors, schema and the generic case endpoints built from flows."""
