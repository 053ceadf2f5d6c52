"""Audio: PCM16 helpers, WAV, G.711, resampling, an energy VAD and playback tracking."""
