"""A realtime session: the user handle, its actor, its supervised tree and its events."""
