"""The API keeps no rows of its own: idempotency keys live in the engine's one store (``engine.idempotency``)."""
