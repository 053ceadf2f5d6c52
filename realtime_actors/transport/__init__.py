"""Reaching the service: auth, TLS, the connection actor, its messages, limits, reconnect rules."""
