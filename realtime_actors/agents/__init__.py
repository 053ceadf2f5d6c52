"""Realtime agents, handoffs and output guardrails."""
