"""Attachments are copied by a real build alongside the portal's reader; original photos never are.

Originals may carry GPS and camera serials in EXIF: portal_images publishes only stripped
derivatives of the images content uses (see tests/test_images.py).
"""

from conftest import run_pelican


def test_files_are_copied_as_they_are_and_original_images_are_not(site_copy, tmp_path):
    site = site_copy("minimal")
    photo = site / "images" / "2024" / "doan-thanh-tra.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    leaflet = site / "files" / "2024" / "ket-luan.pdf"
    leaflet.parent.mkdir(parents=True)
    leaflet.write_bytes(b"%PDF-1.4 stand-in")
    build = run_pelican(site, tmp_path / "output")
    assert build.returncode == 0, build.log
    assert not (build.output / "images/2024/doan-thanh-tra.jpg").exists()
    assert (build.output / "files/2024/ket-luan.pdf").read_bytes() == leaflet.read_bytes()
