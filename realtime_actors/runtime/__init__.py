"""Process runtime, no Realtime in it: pykka worker pools, pooled actors, tells, stop signals."""
