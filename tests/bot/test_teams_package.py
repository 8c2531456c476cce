"""The Teams app package: a manifest valid against the 1.29 schema, and icons Teams accepts."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import jsonschema
import pytest
from jsonschema.exceptions import best_match

from lederavtale.cli import main
from bot.settings import Settings
from bot.teams_package import TeamsPackageError, build_manifest, build_package
from tests.support.paths import SCHEMAS

SCHEMA_PATH = SCHEMAS / "teams-manifest-1.29.schema.json"
APP_ID = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    pixels: list[tuple[int, int, int, int]]


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data: bytes) -> Png:
    """Decode an 8-bit RGBA or RGB, non-interlaced PNG (what Teams icons are) to RGBA pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour in (2, 6) and interlace == 0, "icon must be 8-bit RGB(A), not interlaced"
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, up_left))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        for i in range(0, stride, channels):
            px = tuple(line[i:i + channels])
            pixels.append(px if channels == 4 else (*px, 255))
        previous = line
    return Png(width, height, pixels)


@pytest.fixture(scope="module")
def manifest_validator() -> jsonschema.protocols.Validator:
    # The file says draft-04 but uses const/if/then (draft-06/07): validate as draft-07.
    # Every $ref in it is local, so nothing is fetched. No check_schema: a few patterns use
    # ECMAScript's \p{L}, which Python's re lacks; none of them lies on the manifest's path.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def assert_valid_manifest(validator: jsonschema.protocols.Validator, manifest: dict) -> None:
    errors = list(validator.iter_errors(manifest))
    if errors:
        error = best_match(errors)
        raise AssertionError(f"manifest invalid at {list(error.absolute_path)}: {error.message}")


@pytest.fixture
def package(tmp_path: Path) -> zipfile.ZipFile:
    out = build_package(APP_ID, Settings(), tmp_path / "app.zip")
    with zipfile.ZipFile(out) as archive:
        yield archive


def test_package_holds_exactly_the_manifest_and_two_icons(package: zipfile.ZipFile) -> None:
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert package.testzip() is None


def test_manifest_is_valid_against_the_1_29_schema(
    package: zipfile.ZipFile, manifest_validator: jsonschema.protocols.Validator
) -> None:
    manifest = json.loads(package.read("manifest.json").decode("utf-8"))
    assert_valid_manifest(manifest_validator, manifest)
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["$schema"].endswith("/v1.29/MicrosoftTeams.schema.json")
    assert manifest["localizationInfo"] == {"defaultLanguageTag": "nb-NO"}


def test_the_validator_catches_a_broken_manifest(
    manifest_validator: jsonschema.protocols.Validator,
) -> None:
    manifest = build_manifest(APP_ID, Settings())
    broken_manifests = [
        {**manifest, "manifestVersion": "1.17"},
        {**manifest, "bots": [{**manifest["bots"][0], "botId": "bot"}]},
        {**manifest, "description": {**manifest["description"], "short": "x" * 81}},
        {**manifest, "localizationInfo": {"defaultLanguageTag": "norsk bokmål"}},
    ]
    for broken in broken_manifests:
        with pytest.raises(AssertionError, match="manifest invalid"):
            assert_valid_manifest(manifest_validator, broken)


def test_manifest_is_a_personal_bot_with_the_norwegian_commands(package: zipfile.ZipFile) -> None:
    manifest = json.loads(package.read("manifest.json").decode("utf-8"))
    assert manifest["id"] == APP_ID.lower()
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID.lower()
    assert bot["scopes"] == ["personal"]
    # The leaders get their copy of the agreement through the file consent card.
    assert bot["supportsFiles"] is True
    [commands] = bot["commandLists"]
    assert commands["scopes"] == ["personal"]
    assert [c["title"] for c in commands["commands"]] == ["start", "status", "hjelp"]
    assert all(c["description"] for c in commands["commands"])
    assert manifest["name"]["short"] == "Lederavtale"
    assert "lederavtale" in manifest["description"]["full"].lower()
    assert "Ledelsesutvikling" in manifest["description"]["full"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_developer_urls_come_from_settings(tmp_path: Path) -> None:
    settings = replace(
        Settings(),
        developer_name="Testkommune IKT",
        website_url="https://ikt.example.no",
        privacy_url="https://ikt.example.no/personvern",
        terms_url="https://ikt.example.no/vilkar",
    )
    manifest = build_manifest(APP_ID, settings, "2.3.4")
    assert manifest["developer"] == {
        "name": "Testkommune IKT",
        "websiteUrl": "https://ikt.example.no",
        "privacyUrl": "https://ikt.example.no/personvern",
        "termsOfUseUrl": "https://ikt.example.no/vilkar",
    }
    assert manifest["version"] == "2.3.4"


def test_colour_icon_is_192_square_and_opaque(package: zipfile.ZipFile) -> None:
    icon = read_png(package.read("color.png"))
    assert (icon.width, icon.height) == (192, 192)
    assert all(a == 255 for _r, _g, _b, a in icon.pixels), "the colour icon must have a full background"
    assert len({px[:3] for px in icon.pixels}) > 2, "the colour icon must not be blank"


def test_outline_icon_is_32_square_white_on_transparent(package: zipfile.ZipFile) -> None:
    icon = read_png(package.read("outline.png"))
    assert (icon.width, icon.height) == (32, 32)
    visible = [px for px in icon.pixels if px[3] > 0]
    transparent = [px for px in icon.pixels if px[3] == 0]
    assert visible, "the outline icon must draw something"
    assert len(transparent) > len(icon.pixels) // 3, "the outline icon needs a transparent background"
    assert all(px[:3] == (255, 255, 255) for px in visible), "the outline icon must be white only"


@pytest.mark.parametrize(
    ("app_id", "message"),
    [
        ("", "App-id mangler"),
        ("   ", "App-id mangler"),
        ("lederavtale-bot", "ikke en gyldig GUID"),
        ("3F2504E0-4F89-41D3-9A0C-0305E82C330", "ikke en gyldig GUID"),
        ("{3F2504E0-4F89-41D3-9A0C-0305E82C3301}", "ikke en gyldig GUID"),
    ],
)
def test_a_missing_or_malformed_app_id_is_refused(app_id: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(TeamsPackageError, match=message):
        build_package(app_id, Settings(), tmp_path / "app.zip")
    assert not (tmp_path / "app.zip").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"privacy_url": "http://example.no/personvern"}, "LEDERAVTALE_PRIVACY_URL"),
        ({"terms_url": ""}, "LEDERAVTALE_TERMS_URL"),
        ({"website_url": "www.example.no"}, "LEDERAVTALE_WEBSITE_URL"),
        ({"developer_name": "x" * 33}, "LEDERAVTALE_DEVELOPER_NAME"),
    ],
)
def test_bad_developer_settings_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(TeamsPackageError, match=message):
        build_manifest(APP_ID, replace(Settings(), **changes))


def test_a_malformed_version_is_refused() -> None:
    with pytest.raises(TeamsPackageError, match="X.Y.Z"):
        build_manifest(APP_ID, Settings(), "1.0")


def test_command_line_builds_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, manifest_validator
) -> None:
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    out = tmp_path / "pakke" / "lederavtale.zip"
    assert main(["teams-package", "--app-id", APP_ID, "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert_valid_manifest(manifest_validator, json.loads(archive.read("manifest.json")))


def test_command_line_refuses_a_bad_app_id_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "app.zip"
    assert main(["teams-package", "--app-id", "not-a-guid", "--out", str(out)]) == 2
    assert "ikke en gyldig GUID" in capsys.readouterr().err
    assert main(["teams-package", "--out", str(out)]) == 2
    assert "App-id mangler" in capsys.readouterr().err
    assert not out.exists()
