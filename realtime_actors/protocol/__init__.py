"""Sans-I/O core of the Realtime protocol: events, builders, configs and audio helpers."""
