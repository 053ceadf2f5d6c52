"""voice_actors: speech-to-text -> workflow -> text-to-speech pipelines on pykka actors."""

from __future__ import annotations

__all__: list[str] = []
