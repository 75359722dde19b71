"""The S3 artifact repository against a real S3 server (moto on 127.0.0.1)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from boto3.s3.transfer import TransferConfig

from tests.fixtures_s3 import MotoS3
from workflows.engine.artifacts import ArtifactError, open_repository, render_key
from workflows.engine.artifacts.files import MissingArtifact
from workflows.engine.artifacts.s3 import S3Repository

SCOPE = {"workflow.name": "cadencia-etl-x7k2p", "pod.name": "cadencia-etl-x7k2p-clean-42"}


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture
def repo(s3: MotoS3, tmp_path: Path) -> S3Repository:
    repository = open_repository(s3.repository_spec(), root=tmp_path, secrets=s3.secrets)
    assert isinstance(repository, S3Repository)
    return repository


def test_parquet_round_trip_with_archive_none_keeps_the_file(
        repo: S3Repository, s3: MotoS3, tmp_path: Path) -> None:
    src = tmp_path / "clean.parquet"
    table = pa.table({"id": list(range(1000)), "amount": [i * 0.5 for i in range(1000)]})
    pq.write_table(table, src)
    key = render_key(repo.key_format, SCOPE, "data", str(src), "none")
    location = repo.put(src, key, archive="none")

    assert location["s3"] == {"key": "cadencia-etl-x7k2p/cadencia-etl-x7k2p-clean-42/clean.parquet"}
    body = s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read()
    assert body == src.read_bytes()  # stored as is: readable by other S3 tools
    dest = tmp_path / "next" / "inputs" / "data.parquet"
    repo.get(location, dest)
    assert pq.read_table(dest).equals(table)


def test_directory_goes_up_as_tgz_and_comes_back_as_a_directory(
        repo: S3Repository, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    (folder / "daily").mkdir(parents=True)
    (folder / "summary.json").write_text('{"rows": 3}')
    (folder / "daily" / "2024-03-05.csv").write_text("id\n1\n2\n3\n")
    key = render_key(repo.key_format, SCOPE, "reports", str(folder), "tgz")
    assert key.endswith("/reports.tgz")
    location = repo.put(folder, key, archive="tgz")
    dest = tmp_path / "in" / "reports"
    repo.get(location, dest)
    assert (dest / "summary.json").read_text() == '{"rows": 3}'
    assert (dest / "daily" / "2024-03-05.csv").read_text() == "id\n1\n2\n3\n"


def test_folder_with_archive_none_is_one_object_per_file_and_loads_by_prefix(
        repo: S3Repository, s3: MotoS3, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "sub").mkdir(parents=True)
    (folder / "0.json").write_text('{"foo": 1}')
    (folder / "sub" / "1.json").write_text('{"foo": 2}')
    location = repo.put(folder, "wf/parts/", archive="none")  # map-reduce's key, as written
    assert location == {"s3": {"key": "wf/parts/"}, "archive": {"none": {}}}
    listed = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix="wf/parts")["Contents"]
    assert sorted(o["Key"] for o in listed) == ["wf/parts/0.json", "wf/parts/sub/1.json"]
    s3.client().put_object(Bucket=s3.bucket, Key="wf/parts/marker/", Body=b"")  # a console's

    repo.get({"s3": {"key": "wf/parts/0.json"}}, tmp_path / "one.json")  # one object
    assert (tmp_path / "one.json").read_text() == '{"foo": 1}'
    for key in ("wf/parts", "wf/parts/"):  # no object at the key: every object under it
        dest = tmp_path / "in" / key.replace("/", "_")
        repo.get({"s3": {"key": key}}, dest)
        assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.json")) == [
            "0.json", "sub/1.json"]
        assert not (dest / "marker").exists()
    with pytest.raises(MissingArtifact, match="no such object"):
        repo.get({"s3": {"key": "wf/part"}}, tmp_path / "x")  # a prefix of a name: nothing


def test_object_changed_behind_the_repository_is_refused(
        repo: S3Repository, s3: MotoS3, tmp_path: Path) -> None:
    src = tmp_path / "rows.bin"
    src.write_bytes(os.urandom(4096))
    location = repo.put(src, "wf/pod/rows.bin", archive="none")
    dest = tmp_path / "in" / "rows.bin"
    client = s3.client()

    client.put_object(Bucket=s3.bucket, Key="wf/pod/rows.bin", Body=src.read_bytes()[:1000])
    with pytest.raises(ArtifactError, match=r"'wf/pod/rows\.bin'.*size 1000 bytes, expected 4096"):
        repo.get(location, dest)
    client.put_object(Bucket=s3.bucket, Key="wf/pod/rows.bin", Body=os.urandom(4096))
    with pytest.raises(ArtifactError, match=r"'wf/pod/rows\.bin'.*sha256") as info:
        repo.get(location, dest)
    assert info.value.transient is False
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_missing_object_and_missing_bucket_are_permanent(
        repo: S3Repository, s3: MotoS3, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"'wf/pod/never\.parquet'.*no such object") as info:
        repo.get({"s3": {"key": "wf/pod/never.parquet"}}, tmp_path / "x")
    assert info.value.transient is False
    elsewhere = open_repository(s3.repository_spec(bucket="no-such-bucket"), root=tmp_path,
                                secrets=s3.secrets)
    src = tmp_path / "f"
    src.write_text("x")
    with pytest.raises(ArtifactError, match="no such bucket") as bucket_info:
        elsewhere.put(src, "k/f", archive="none")
    assert bucket_info.value.transient is False


def test_large_file_goes_in_parts(s3: MotoS3, tmp_path: Path) -> None:
    mib = 1024 * 1024
    transfer = TransferConfig(multipart_threshold=5 * mib, multipart_chunksize=5 * mib)
    repo = S3Repository(s3.bucket, endpoint=s3.endpoint, insecure=True,
                        access_key=s3.access_key, secret_key=s3.secret_key, transfer=transfer)
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(11 * mib))
    location = repo.put(src, "wf/pod/big.bin", archive="none")
    etag = s3.client().head_object(Bucket=s3.bucket, Key="wf/pod/big.bin")["ETag"]
    assert etag.strip('"').endswith("-3")  # three parts: 5 + 5 + 1 MiB
    repo.get(location, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()


def test_missing_credentials_secret_is_a_configuration_error(s3: MotoS3, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="accessKeySecret secret cadencia-s3/accesskey"):
        open_repository(s3.repository_spec(), root=tmp_path, secrets=lambda name, key: None)
    with pytest.raises(ArtifactError, match=r"unsupported field.*useSDKCreds"):
        open_repository(s3.repository_spec(useSDKCreds=True), root=tmp_path, secrets=s3.secrets)


def test_stopped_server_is_transient(tmp_path: Path) -> None:
    src = tmp_path / "data.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3]}), src)
    with MotoS3() as server:
        repo = open_repository(server.repository_spec(), root=tmp_path, secrets=server.secrets)
        location = repo.put(src, "wf/pod/data.parquet", archive="none")
    started = time.monotonic()
    with pytest.raises(ArtifactError, match="unreachable") as info:
        repo.get(location, tmp_path / "in" / "data.parquet")
    assert info.value.transient is True
    assert time.monotonic() - started < 15  # a refused connection fails fast, not after minutes
    assert not (tmp_path / "in" / "data.parquet").exists()
    with pytest.raises(ArtifactError, match="unreachable") as upload:
        repo.put(src, "wf/pod2/data.parquet", archive="none")
    assert upload.value.transient is True
