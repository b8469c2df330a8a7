"""The output-writing helper refuses paths that escape the output folder."""

import pytest

from portal.output import OutputPathError, write_output


@pytest.mark.parametrize("relative", ["../x", "../output-old/x", "/etc/passwd", "a/../../x", "."],
                         ids=["parent", "sibling-prefix", "absolute", "nested-parent", "root"])
def test_escaping_paths_are_refused(tmp_path, relative):
    (tmp_path / "output").mkdir()
    with pytest.raises(OutputPathError):
        write_output(tmp_path / "output", relative, "x")


def test_unchanged_file_is_not_rewritten(tmp_path):
    path = write_output(tmp_path, "a/b.json", "{}")
    mtime = path.stat().st_mtime_ns
    import os

    os.utime(path, ns=(1, 1))
    write_output(tmp_path, "a/b.json", "{}")
    assert path.stat().st_mtime_ns == 1 != mtime
    write_output(tmp_path, "a/b.json", "{ }")
    assert path.read_text() == "{ }"


def test_symlinks_inside_the_output_cannot_lead_out(tmp_path):
    output, outside = tmp_path / "output", tmp_path / "outside"
    output.mkdir()
    outside.mkdir()
    (output / "folder").symlink_to(outside, target_is_directory=True)
    (output / "file.html").symlink_to(outside / "file.html")
    for relative in ("folder/x.html", "file.html"):
        with pytest.raises(OutputPathError):
            write_output(output, relative, "x")
    assert not any(outside.iterdir())
    write_output(output, "real/x.html", "x")  # folders made during the build are fine
    assert (output / "real" / "x.html").read_text() == "x"


def test_keyed_outputs_skip_a_file_only_while_it_is_the_one_made_for_the_key(tmp_path):
    from portal.incremental import OUTPUTS
    from portal.output import KeyedOutputs

    output, cache = tmp_path / "output", str(tmp_path / "cache")
    output.mkdir()
    first = KeyedOutputs(cache, output, "api")
    assert not first.current_file("a/1.json", b"k1")
    first.write("a/1.json", b"k1", '{"tiêu đề": "một"}')
    first.write("a/2.json", b"k2", '{"tiêu đề": "hai"}')
    first.save()

    OUTPUTS.start(output)
    again = KeyedOutputs(cache, output, "api")
    assert again.current_file("a/1.json", b"k1")
    assert str(output / "a" / "1.json") in OUTPUTS.produced  # or pruning would delete it
    assert not again.current_file("a/1.json", b"other key")
    (output / "a" / "2.json").write_text('{"tiêu đề": "sửa tay"}', encoding="utf-8")  # not by rename
    assert not again.current_file("a/2.json", b"k2")
    assert not again.current_file("a/3.json", b"k3")
    assert not KeyedOutputs(None, output, "api").current_file("a/1.json", b"k1")  # no cache folder
