"""The pykka runtime: shared worker pools and pooled actors (knows nothing of Realtime)."""
