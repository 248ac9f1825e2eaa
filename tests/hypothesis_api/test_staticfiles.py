"""collectstatic in production collects the Hypothesis client (hashed, compressed) despite its missing KaTeX fonts,
and still fails on a missing file anywhere else."""

import json

import pytest
from django.core.management import call_command

STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "hypothesis_api.staticfiles.StaticFilesStorage"},
}


@pytest.fixture
def client_package(tmp_path):
    """A package like the client's build/: a stylesheet naming a .woff2 it ships and a .woff it does not."""
    build = tmp_path / "build"
    (build / "styles" / "fonts").mkdir(parents=True)
    (build / "styles" / "fonts" / "KaTeX_Main.woff2").write_bytes(b"font")
    (build / "styles" / "katex.min.css").write_text(
        "@font-face{font-family:KaTeX;src:url(fonts/KaTeX_Main.woff2) format('woff2'),"
        "url(fonts/KaTeX_Main.woff) format('woff')}" + "\n/* padding so it is worth compressing */" * 20
    )
    (build / "boot.js").write_text("console.log('boot');\n" * 50)
    return build


def test_the_clients_files_are_collected_hashed_and_compressed(tmp_path, settings, client_package):
    settings.STATICFILES_DIRS = [("hypothesis/build", client_package)]
    settings.STATIC_ROOT = out = tmp_path / "out"
    settings.STORAGES = STORAGE
    call_command("collectstatic", "--noinput", verbosity=0)
    paths = json.loads((out / "staticfiles.json").read_text())["paths"]
    css = (out / paths["hypothesis/build/styles/katex.min.css"]).read_text()
    # the shipped font is hashed, the missing one left as it was
    assert "url(fonts/KaTeX_Main.woff2)" not in css and "fonts/KaTeX_Main." in css
    assert 'url("fonts/KaTeX_Main.woff")' in css
    boot = paths["hypothesis/build/boot.js"]
    assert boot != "hypothesis/build/boot.js"
    # the plain names the boot script loads stay, compressed like the hashed ones
    for name in ("hypothesis/build/boot.js", boot):
        assert (out / name).is_file() and (out / f"{name}.gz").is_file() and (out / f"{name}.br").is_file()


def test_a_missing_file_elsewhere_still_fails(tmp_path, settings):
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.css").write_text("body{background:url(missing.png)}")
    settings.STATICFILES_DIRS = [site]
    settings.STATIC_ROOT = tmp_path / "out"
    settings.STORAGES = STORAGE
    with pytest.raises(ValueError, match="missing.png"):
        call_command("collectstatic", "--noinput", verbosity=0)
