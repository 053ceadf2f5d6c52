"""Reaching the service: auth headers, TLS, the connection actor, reconnect rules."""
