"""Artifact keys in Argo's layout, and the local-folder repository's round trips and checks."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workflows.engine.artifacts import (
    ArtifactError,
    LocalRepository,
    archive_kind,
    open_repository,
    render_key,
)
from workflows.engine.artifacts.files import MissingArtifact

SCOPE = {"workflow.name": "cadencia-etl-x7k2p", "pod.name": "cadencia-etl-x7k2p-clean-123"}


def test_default_key_format_with_tgz_uses_the_artifact_name() -> None:
    key = render_key("{{workflow.name}}/{{pod.name}}", SCOPE, "data", "/tmp/out/clean.parquet",
                     "tgz")
    assert key == "cadencia-etl-x7k2p/cadencia-etl-x7k2p-clean-123/data.tgz"


def test_archive_none_keeps_the_file_base_name() -> None:
    key = render_key("{{ workflow.name }}/{{pod.name}}/", SCOPE, "data", "/tmp/out/clean.parquet",
                     "none")
    assert key == "cadencia-etl-x7k2p/cadencia-etl-x7k2p-clean-123/clean.parquet"


def test_empty_key_format_falls_back_to_argo_default() -> None:
    assert render_key("", SCOPE, "rows", "/tmp/rows", "tar").endswith("-clean-123/rows.tgz")


def test_unresolved_reference_in_key_format_is_refused() -> None:
    with pytest.raises(ArtifactError, match=r"keyFormat.*workflow\.uid"):
        render_key("{{workflow.uid}}", SCOPE, "data", "/tmp/x", "tgz")


@pytest.mark.parametrize("key", ["", "/abs/key", "a/../b", "a//b", "a/./b", "a\\b"])
def test_keys_that_could_escape_the_store_are_refused(tmp_path: Path, key: str) -> None:
    src = tmp_path / "f"
    src.write_text("x")
    repo = LocalRepository(tmp_path / "store")
    with pytest.raises(ArtifactError, match="invalid artifact key") as info:
        repo.put(src, key, archive="none")
    assert not info.value.transient


def test_archive_kind_reads_argo_archive_fields() -> None:
    assert archive_kind({"none": {}}) == "none"
    assert archive_kind({"tar": {"compressionLevel": 9}}) == "tgz"
    assert archive_kind(None) == "tgz"
    with pytest.raises(ArtifactError, match="zip"):
        archive_kind({"zip": {}})


def _parquet(path: Path, rows: int = 100) -> pa.Table:
    table = pa.table({"id": list(range(rows)), "name": [f"n{i}" for i in range(rows)]})
    pq.write_table(table, path)
    return table


def test_local_round_trip_of_a_parquet_file_without_archive(tmp_path: Path) -> None:
    repo = open_repository(None, root=tmp_path / ".cadencia")
    src = tmp_path / "clean.parquet"
    table = _parquet(src)
    location = repo.put(src, "wf/pod/clean.parquet", archive="none")
    stored = tmp_path / ".cadencia" / "artifacts" / "wf" / "pod" / "clean.parquet"
    assert stored.read_bytes() == src.read_bytes()  # archive none keeps the file as is
    assert location["local"] == {"key": "wf/pod/clean.parquet"}
    assert location["size"] == src.stat().st_size and len(location["sha256"]) == 64
    dest = tmp_path / "sandbox" / "in" / "data.parquet"
    repo.get(location, dest)
    assert pq.read_table(dest).equals(table)


def test_local_tgz_of_a_file_and_of_a_directory(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "store")
    single = tmp_path / "report.json"
    single.write_text('{"ok": true}')
    folder = tmp_path / "parts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")

    loc_file = repo.put(single, "wf/pod/report.tgz", archive="tgz")
    loc_dir = repo.put(folder, "wf/pod/parts.tgz", archive="tgz")
    assert loc_dir["archive"] == {"tar": {}}
    assert tarfile.is_tarfile(tmp_path / "store" / "wf" / "pod" / "parts.tgz")

    repo.get(loc_file, tmp_path / "out" / "r.json")
    repo.get(loc_dir, tmp_path / "out" / "p")
    assert (tmp_path / "out" / "r.json").read_text() == '{"ok": true}'
    assert (tmp_path / "out" / "p" / "sub" / "b.txt").read_text() == "b"
    assert sorted(p.name for p in (tmp_path / "out" / "p").iterdir()) == ["a.txt", "sub"]


def test_a_folder_with_archive_none_is_a_folder_of_objects_as_in_argo(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "store")
    folder = tmp_path / "parts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    (folder / "empty").mkdir()
    (folder / "link").symlink_to(folder / "a.txt")  # skipped, as Argo's PutDirectory does

    location = repo.put(folder, "wf/parts/", archive="none")
    assert location == {"local": {"key": "wf/parts/"}, "archive": {"none": {}}}
    stored = sorted(p.relative_to(tmp_path / "store").as_posix()
                    for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert stored == ["wf/parts/a.txt", "wf/parts/sub/b.txt"]

    repo.get(location, tmp_path / "whole")  # by prefix: every object under wf/parts/
    assert sorted(p.relative_to(tmp_path / "whole").as_posix()
                  for p in (tmp_path / "whole").rglob("*")) == ["a.txt", "sub", "sub/b.txt"]
    repo.get({"local": {"key": "wf/parts/sub/b.txt"}, "archive": {"none": {}}},
             tmp_path / "one.txt")
    assert (tmp_path / "one.txt").read_text() == "b"
    repo.get({"local": {"key": "wf/parts/sub"}}, tmp_path / "sub")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["b.txt"]
    for gone in ("wf/parts/empty", "wf/parts/nope.txt", "wf/parts.tgz/a.txt"):
        with pytest.raises(MissingArtifact, match="not found"):
            repo.get({"local": {"key": gone}}, tmp_path / "gone")
    assert not (tmp_path / "gone").exists()


def test_location_without_archive_field_is_sniffed_like_argo(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "store")
    src = tmp_path / "f.txt"
    src.write_text("hello")
    packed = repo.put(src, "k/f.tgz", archive="tgz")
    plain = repo.put(src, "k/f.txt", archive="none")
    repo.get({"local": packed["local"]}, tmp_path / "a.txt")
    repo.get({"local": plain["local"]}, tmp_path / "b.txt")
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text() == "hello"


def test_corrupted_object_is_refused_and_nothing_lands(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "store")
    src = tmp_path / "data.bin"
    src.write_bytes(b"0123456789" * 100)
    location = repo.put(src, "wf/pod/data.bin", archive="none")
    stored = tmp_path / "store" / "wf" / "pod" / "data.bin"
    dest = tmp_path / "in" / "data.bin"

    stored.write_bytes(b"0123456789" * 99)  # truncated
    with pytest.raises(ArtifactError, match=r"'wf/pod/data.bin'.*size 990 bytes, expected 1000"):
        repo.get(location, dest)
    stored.write_bytes(b"x123456789" + b"0123456789" * 99)  # same size, other bytes
    with pytest.raises(ArtifactError, match=r"'wf/pod/data.bin'.*sha256 [0-9a-f]{64}, expected"):
        repo.get(location, dest)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no temporary left behind either


def test_missing_object_is_a_permanent_error_naming_the_key(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "store")
    with pytest.raises(ArtifactError, match=r"'wf/pod/gone\.parquet' not found") as info:
        repo.get({"local": {"key": "wf/pod/gone.parquet"}}, tmp_path / "x")
    assert info.value.transient is False


def test_missing_source_and_wrong_repository_kind_are_refused(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "store")
    with pytest.raises(ArtifactError, match="does not exist"):
        repo.put(tmp_path / "nope", "k/nope", archive="none")
    with pytest.raises(ArtifactError, match="no local key"):
        repo.get({"s3": {"key": "k"}}, tmp_path / "x")


def test_open_repository_resolves_relative_paths_and_refuses_unknown_fields(
        tmp_path: Path) -> None:
    repo = open_repository({"local": {"path": "store"}}, root=tmp_path)
    assert isinstance(repo, LocalRepository) and repo.path == tmp_path / "store"
    with pytest.raises(ArtifactError, match=r"unsupported field.*bucket"):
        open_repository({"local": {"path": "x", "bucket": "b"}}, root=tmp_path)
    with pytest.raises(ArtifactError, match="one of local, s3"):
        open_repository({"gcs": {}}, root=tmp_path)
