"""`limner.media.video`, the range parser and the video frame arithmetic, on real bytes."""

from __future__ import annotations

import numpy as np
import pytest

from limner.api.ranges import byte_range
from limner.backends.base import GenerationContext
from limner.errors import RangeNotSatisfiable, ValidationFailed
from limner.generation.live import LiveBoard
from limner.media.video import decode_frames, encode_mp4, is_mp4, probe, sample_indices


def frames(count: int, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    width, height = size
    return [np.full((height, width, 3), (index * 20) % 256, np.uint8) for index in range(count)]


def test_encode_makes_a_browser_playable_mp4_and_reports_each_second() -> None:
    seconds: list[tuple[int, int]] = []
    data = encode_mp4(frames(10), 4, on_second=lambda done, total: seconds.append((done, total)))
    assert is_mp4(data) and data.find(b"moov") < data.find(b"mdat")  # faststart
    info = probe(data)
    assert (info.frames, info.fps, info.width, info.height) == (10, 4.0, 64, 48)
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    assert seconds == [(1, 3), (2, 3), (3, 3)]
    first = decode_frames(data, limit=1)
    assert len(first) == 1 and first[0].size == (64, 48)


def test_a_failing_second_callback_stops_the_encoding() -> None:
    def stop(done: int, total: int) -> None:
        raise RuntimeError("canceled")

    with pytest.raises(RuntimeError):
        encode_mp4(frames(8), 4, on_second=stop)


def test_odd_sides_and_mixed_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        encode_mp4(frames(2, (63, 48)), 4)
    with pytest.raises(ValueError, match="frame 1"):
        encode_mp4([frames(1)[0], frames(1, (32, 32))[0]], 4)


def test_bytes_that_are_not_a_video_are_a_validation_error() -> None:
    with pytest.raises(ValidationFailed):
        decode_frames(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    assert not is_mp4(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("count", "fps", "expected"),
    [
        (1, 24, [0]),
        (9, 8, [0, 8]),
        (10, 4, [0, 4, 8, 9]),
        (25, 24, [0, 24]),
        (5, 0, [0, 1, 2, 3, 4]),
    ],
)
def test_screening_samples_the_first_the_last_and_one_per_second(
    count: int, fps: int, expected: list[int]
) -> None:
    assert sample_indices(count, fps) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=90-", (90, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=0-1000", (0, 99)),
        ("bytes=5-2", None),  # malformed: the whole file
        ("bytes=0-1,5-9", None),  # several ranges: the whole file
        ("items=0-9", None),
    ],
)
def test_byte_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0"])
def test_a_range_past_the_end_is_not_satisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 100)


def test_progress_says_when_a_video_is_encoding() -> None:
    board = LiveBoard()
    context = GenerationContext()
    board.start("gen_x", context, images=1)
    image_context = board.image_context("gen_x", context, 0)
    image_context.report(3, 30)
    progress = board.progress("gen_x")
    assert progress is not None and (progress.stage, progress.step) == ("generating", 3)
    board.encoding("gen_x", 2, 4)
    progress = board.progress("gen_x")
    assert progress is not None and (progress.stage, progress.step, progress.total) == (
        "encoding",
        2,
        4,
    )
