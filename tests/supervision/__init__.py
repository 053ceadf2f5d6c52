"""Tests of realtime_actors.supervision."""
