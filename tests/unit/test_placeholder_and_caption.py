"""The placeholder backend and the caption overlay, on real pixels."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from limner.backends.base import GenerationCanceled, GenerationContext, GenerationSpec
from limner.backends.placeholder import PlaceholderBackend, render_placeholder
from limner.domain.styles import CaptionPosition, Quality, Style
from limner.errors import BackendBusy, GenerationFailed, GenerationTimedOut
from limner.imaging.caption import draw_caption
from limner.runner import GenerationRunner


def spec(**changes: object) -> GenerationSpec:
    values: dict[str, object] = {
        "generation_id": "gen_x",
        "prompt": "a lighthouse at dusk",
        "style": Style.realistic,
        "quality": Quality.fast,
        "seed": 1,
    }
    values.update(changes)
    return GenerationSpec(**values)  # type: ignore[arg-type]


def test_same_request_and_seed_give_the_same_pixels() -> None:
    assert render_placeholder(spec()).tobytes() == render_placeholder(spec()).tobytes()
    assert render_placeholder(spec()).tobytes() != render_placeholder(spec(seed=2)).tobytes()
    assert (
        render_placeholder(spec()).tobytes() != render_placeholder(spec(prompt="a fox")).tobytes()
    )


def test_quality_sets_size_and_style_sets_palette() -> None:
    assert render_placeholder(spec(quality=Quality.hires)).size == (1024, 1024)
    top_rows = {
        style: np.asarray(render_placeholder(spec(style=style)))[0:4, 0:4].mean() for style in Style
    }
    assert len({round(v) for v in top_rows.values()}) == 3


def test_failure_rate_one_always_fails_and_zero_never() -> None:
    with pytest.raises(GenerationFailed):
        PlaceholderBackend(failure_rate=1.0).generate(spec(), GenerationContext())
    media = PlaceholderBackend(failure_rate=0.0).generate(spec(), GenerationContext())
    assert media.image.size == (512, 512) and media.mime_type == "image/png"


def test_progress_is_reported_and_cancel_stops() -> None:
    steps: list[tuple[int, int]] = []
    PlaceholderBackend().generate(
        spec(), GenerationContext(on_progress=lambda i, n: steps.append((i, n)))
    )
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    context = GenerationContext()
    context.cancel()
    with pytest.raises(GenerationCanceled):
        PlaceholderBackend().generate(spec(), context)


@pytest.mark.parametrize(
    "position, band",
    [
        (CaptionPosition.top, (0.0, 0.35)),
        (CaptionPosition.center, (0.35, 0.65)),
        (CaptionPosition.bottom, (0.65, 1.0)),
    ],
)
def test_caption_bar_is_drawn_full_width_at_its_position(position, band) -> None:
    plain = Image.new("RGB", (400, 600), (200, 200, 200))
    drawn = np.asarray(draw_caption(plain, "sunday mood", position)).astype(int)
    darkened = np.where((drawn[:, :, 0] < 150).all(axis=1))[0]  # rows dark across the full width
    assert len(darkened) > 0
    middle = darkened.mean() / 600
    assert band[0] <= middle <= band[1]
    assert (drawn == 255).all(axis=2).any()  # white text


def test_long_caption_wraps_and_stays_inside() -> None:
    plain = Image.new("RGB", (256, 256), (200, 200, 200))
    drawn = draw_caption(plain, "word " * 60, CaptionPosition.bottom)
    assert drawn.size == (256, 256)
    dark_rows = (np.asarray(drawn)[:, :, 0] < 150).all(axis=1).sum()
    assert 20 < dark_rows < 128  # at most three lines, not the whole image


class SlowBackend(PlaceholderBackend):
    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    def generate(self, spec, context):
        assert self.release.wait(60)
        return super().generate(spec, context)


def test_runner_refuses_when_full_and_times_out() -> None:
    release = threading.Event()
    runner = GenerationRunner(SlowBackend(release), workers=1, queue_size=0, timeout_s=0.2)
    with pytest.raises(GenerationTimedOut):
        runner.run(spec(), GenerationContext())
    with pytest.raises(BackendBusy):  # the timed-out job still holds the only slot
        runner.run(spec(), GenerationContext())
    release.set()
    assert runner.wait_idle(timeout=60)
    runner.timeout_s = 60  # the real work now has all the time it needs
    assert runner.run(spec(), GenerationContext()).image.size == (512, 512)
    runner.shutdown()


def test_i2i_moves_the_input_toward_the_render_by_strength() -> None:
    source = Image.new("RGB", (64, 64), (10, 200, 30))
    backend = PlaceholderBackend()
    assert backend.supports(Style.realistic, Quality.fast, "i2i")
    assert not backend.supports(Style.realistic, Quality.fast, "upscale")  # a kind it lacks

    def make(strength: float) -> np.ndarray:
        media = backend.generate(
            spec(kind="i2i", inputs=(source,), strength=strength), GenerationContext()
        )
        assert media.image.size == (512, 512)
        return np.asarray(media.image).astype(int)

    rendered = np.asarray(render_placeholder(spec())).astype(int)
    green = np.asarray(source.resize((512, 512))).astype(int)
    near_input, near_render = make(0.05), make(1.0)
    assert abs(near_input - green).mean() < abs(near_input - rendered).mean()
    assert (near_render == rendered).all()
