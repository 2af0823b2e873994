"""Video files: frames to a browser-playable MP4, and back.

Encoding is PyAV's (FFmpeg with libx264 inside its wheel, so no system codec is needed): H.264,
`yuv420p` (the one pixel format every browser plays), `+faststart` (the index before the data, so
playback starts before the whole file has arrived). FFmpeg writes the index at the end and then
moves it, which needs a seekable file: the MP4 is written to a temporary file in the process's
scratch folder (`limner.privacy`) and read back.

This module knows nothing of provenance or storage; `limner.generation.kinds.video` puts them
together.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from limner.errors import ValidationFailed

__all__ = [
    "VIDEO_MP4",
    "VideoInfo",
    "available",
    "decode_frames",
    "each_frame",
    "encode_mp4",
    "frame_size",
    "install_hint",
    "is_mp4",
    "poster_png",
    "probe",
    "sample_indices",
]

VIDEO_MP4 = "video/mp4"
#: x264's constant-rate factor: 18 is visually lossless, and keeps the frames' watermark readable
CRF = 18
#: a decoded MP4 of unknown origin (`verify`) is read at most this far
MAX_DECODE_FRAMES = 600

#: seconds_done, seconds_total: called as each second of video is encoded
SecondCallback = Callable[[int, int], None]


def install_hint() -> str:
    return "install `av` (pip install 'limner[video]') to encode and read MP4 videos"


@dataclass(frozen=True)
class VideoInfo:
    """What an MP4 holds, read from the file itself."""

    frames: int
    fps: float
    width: int
    height: int
    codec: str
    pix_fmt: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def encode_mp4(
    frames: Sequence[np.ndarray | Image.Image],
    fps: int,
    *,
    on_second: SecondCallback | None = None,
) -> bytes:
    """Encode RGB frames (all one size, even width and height) as H.264 yuv420p MP4 with
    faststart. `on_second` is called after each second of video (it may raise to stop)."""
    import av

    if not frames:
        raise ValueError("a video needs at least one frame")
    first = _rgb(frames[0])
    height, width = first.shape[:2]
    if width % 2 or height % 2:
        raise ValueError(f"yuv420p needs even sides, got {width}x{height}")
    seconds = max(1, -(-len(frames) // fps))
    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        container = av.open(path, "w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(CRF), "preset": "medium"}
            for index, frame in enumerate(frames):
                pixels = _rgb(frame)
                if pixels.shape[:2] != (height, width):
                    raise ValueError(f"frame {index} is not {width}x{height}")
                video_frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                for packet in stream.encode(video_frame):
                    container.mux(packet)
                if on_second is not None and (index + 1) % fps == 0:
                    on_second((index + 1) // fps, seconds)
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
        if on_second is not None and len(frames) % fps:
            on_second(seconds, seconds)
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


def is_mp4(data: bytes) -> bool:
    """An ISO base media file (MP4): its first box is `ftyp`."""
    return len(data) >= 12 and data[4:8] == b"ftyp"


def probe(data: bytes) -> VideoInfo:
    """The stream's shape, counting the decoded frames (a container's own count can be absent)."""
    frames = decode_frames(data)
    container = _open(data)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            frames=len(frames),
            fps=float(rate) if rate else 0.0,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            pix_fmt=str(stream.codec_context.pix_fmt),
        )
    finally:
        container.close()


def decode_frames(data: bytes, *, limit: int = MAX_DECODE_FRAMES) -> list[Image.Image]:
    """The first `limit` frames of an MP4 as RGB pictures. Raises `ValidationFailed` on bytes
    that are not a readable video (`verify` reads files of unknown origin)."""
    return list(each_frame(data, limit=limit))


def each_frame(data: bytes, *, limit: int = MAX_DECODE_FRAMES) -> Iterator[Image.Image]:
    """`decode_frames` one frame at a time, so a reader holds one decoded frame, not `limit`."""
    import av

    container = _open(data)
    try:
        for index, frame in enumerate(container.decode(video=0)):
            if index >= limit:
                break
            yield frame.to_image()
    except av.FFmpegError as exc:
        raise ValidationFailed("image", "the MP4 could not be decoded") from exc
    finally:
        container.close()


def frame_size(data: bytes) -> tuple[int, int]:
    """(width, height) of the MP4's video stream, read from its headers (nothing decoded)."""
    container = _open(data)
    try:
        if not container.streams.video:
            raise ValidationFailed("image", "the MP4 has no video stream")
        context = container.streams.video[0].codec_context
        return int(context.width), int(context.height)
    finally:
        container.close()


def sample_indices(frames: int, fps: float) -> list[int]:
    """The frames an output screen looks at: the first, the last and at least one per second."""
    if frames <= 0:
        return []
    step = max(1, int(fps)) if fps > 0 else 1
    picked = set(range(0, frames, step)) | {0, frames - 1}
    return sorted(picked)


def poster_png(frame: np.ndarray | Image.Image) -> Image.Image:
    """The poster: the first frame, as a picture (stamped and stored like any image)."""
    return Image.fromarray(_rgb(frame))


def _open(data: bytes):  # type: ignore[no-untyped-def]
    import av

    try:
        # the MP4 demuxer only: FFmpeg never guesses another format from the bytes
        return av.open(io.BytesIO(data), "r", format="mp4")
    except av.FFmpegError as exc:
        raise ValidationFailed("image", "the file is not a readable MP4 video") from exc


def _rgb(frame: np.ndarray | Image.Image) -> np.ndarray:
    if isinstance(frame, Image.Image):
        return np.asarray(frame.convert("RGB"), dtype=np.uint8)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError("a frame must be an RGB uint8 array of shape (height, width, 3)")
    return frame


def available() -> bool:
    """True when PyAV (the `video` extra) can be imported: the video kinds need it."""
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True
