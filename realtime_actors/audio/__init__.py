"""Audio: PCM16 helpers, WAV, G.711, resampling and playback tracking."""
