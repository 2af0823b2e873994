"""`t2v`: text to video (studio spec, "Video"): a prompt and `duration_s` make an MP4."""

from __future__ import annotations

from limner.generation.kinds.video import VideoKind


class TextToVideo(VideoKind):
    name = "t2v"
    capability = "t2v"
