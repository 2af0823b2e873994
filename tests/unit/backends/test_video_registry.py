"""The models file's video family (`[video.<style>.<quality>]`), without torch."""

from __future__ import annotations

import pytest

from limner.backends.diffusers.registry import load_registry, parse_registry
from limner.domain.styles import Quality, Style
from limner.errors import ConfigurationError

IMAGE = {
    style.value: {
        quality.value: {
            "pipeline": "org/model",
            "steps": 2,
            "guidance": 0.0,
            "width": 64,
            "height": 64,
        }
        for quality in Quality
    }
    for style in Style
}
VIDEO = {"pipeline": "./ltx", "steps": 30, "guidance": 3.0, "width": 512, "height": 320}


def test_the_packaged_file_serves_videos_with_ltx_except_the_adult_style() -> None:
    registry = load_registry()
    served = {(style, quality) for style, quality, _preset in registry.video_items()}
    assert served == {(s, q) for s in (Style.realistic, Style.anime) for q in Quality}
    fast = registry.video_preset(Style.realistic, Quality.fast)
    assert fast is not None and fast.pipeline == "Lightricks/LTX-Video"
    assert (fast.pipeline_class, fast.i2v_pipeline_class, fast.fps) == (
        "LTXPipeline",
        "LTXImageToVideoPipeline",
        24,
    )
    nude = registry.video_preset(Style.nude, Quality.fast)
    assert nude is not None and not nude.enabled


def test_a_file_without_video_tables_makes_no_videos(tmp_path) -> None:
    registry = parse_registry(IMAGE, source="models.toml", base_dir=tmp_path)
    assert registry.video_items() == []
    assert registry.video_preset(Style.realistic, Quality.fast) is None


def test_a_video_folder_is_relative_to_the_file(tmp_path) -> None:
    data = {**IMAGE, "video": {"anime": {"hires": VIDEO}}}
    registry = parse_registry(data, source="models.toml", base_dir=tmp_path)
    preset = registry.video_preset(Style.anime, Quality.hires)
    assert preset is not None and preset.pipeline == str((tmp_path / "ltx").resolve())


@pytest.mark.parametrize(
    ("video", "message"),
    [
        ({"realistic": {"fast": {**VIDEO, "width": 500}}}, "video.realistic.fast.width"),
        ({"realistic": {"fast": {**VIDEO, "fps": 0}}}, "video.realistic.fast.fps"),
        ({"realistic": {"fast": {**VIDEO, "colour": 1}}}, "video.realistic.fast.colour"),
        ({"cartoon": {"fast": VIDEO}}, "[video.cartoon]"),
        ({"realistic": {"ultra": VIDEO}}, "[video.realistic.ultra]"),
    ],
)
def test_errors_name_the_key(tmp_path, video: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_registry({**IMAGE, "video": video}, source="models.toml", base_dir=tmp_path)


def test_frames_are_what_the_model_makes() -> None:
    pytest.importorskip("torch")
    from limner.backends.diffusers.video import frames_for

    assert frames_for(4, 24, 8) == 97  # LTX: 8k + 1
    assert frames_for(1, 8, 8) == 9
    assert frames_for(1, 8, 4) == 9
    assert frames_for(10, 25, 8) == 257
