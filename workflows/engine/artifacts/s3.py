"""The S3 artifact repository (AWS, MinIO, moto, any S3 endpoint) through boto3.

Configured from Argo's ``s3`` repository shape: ``endpoint`` (``host:port``; ``insecure:
true`` means plain HTTP), ``bucket``, ``region``, ``keyFormat``, ``accessKeySecret`` and
``secretKeySecret`` (``{name, key}``, resolved by the caller's ``secrets`` function; without
them boto3's own credential chain applies). Large files go up and down in parts
(``TransferConfig``). Checksums are computed only when an operation requires them: with
the SDK defaults several non-AWS servers store uploads corrupted.

Failures are classified once, here: the endpoint unreachable, a timeout or a 5xx/throttle
is ``transient``; a missing object or bucket, refused credentials or a bad request is not.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from s3transfer.exceptions import RetriesExceededError

from workflows.engine.artifacts.base import (
    DEFAULT_KEY_FORMAT,
    ArtifactError,
    ArtifactRepository,
    Secrets,
)
from workflows.engine.artifacts.files import MissingArtifact, refuse_unknown
from workflows.engine.within import PathEscape, within

SPEC_FIELDS = {"endpoint", "bucket", "region", "insecure", "keyFormat", "accessKeySecret",
               "secretKeySecret"}
MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
TRANSIENT_CODES = {"500", "502", "503", "504", "InternalError", "ServiceUnavailable",
                   "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "Throttling"}


class S3Repository(ArtifactRepository):
    """Objects are ``s3://<bucket>/<key>`` on one endpoint."""

    kind = "s3"

    def __init__(self, bucket: str, *, endpoint: str | None = None, region: str = "us-east-1",
                 insecure: bool = False, key_format: str = DEFAULT_KEY_FORMAT,
                 access_key: str | None = None, secret_key: str | None = None,
                 transfer: TransferConfig | None = None, max_attempts: int = 3,
                 connect_timeout: float = 5.0, read_timeout: float = 60.0) -> None:
        self.bucket = bucket
        self.key_format = key_format
        self.endpoint_url = _endpoint_url(endpoint, insecure)
        self.transfer = transfer or TransferConfig()
        self._client_args: dict[str, Any] = {
            "region_name": region, "endpoint_url": self.endpoint_url,
            "aws_access_key_id": access_key, "aws_secret_access_key": secret_key,
            "config": Config(
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=connect_timeout, read_timeout=read_timeout,
                # Path-style addressing: custom endpoints (MinIO, moto, IPs) lack
                # per-bucket DNS names.
                s3={"addressing_style": "path" if endpoint else "auto"})}
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, secrets: Secrets | None) -> S3Repository:
        refuse_unknown(spec, SPEC_FIELDS, "s3")
        if not spec.get("bucket"):
            raise ArtifactError("artifact repository s3: bucket is required", transient=False)
        return cls(str(spec["bucket"]), endpoint=spec.get("endpoint"),
                   region=spec.get("region") or "us-east-1",
                   insecure=bool(spec.get("insecure", False)),
                   key_format=spec.get("keyFormat") or DEFAULT_KEY_FORMAT,
                   access_key=_secret(spec, "accessKeySecret", secrets),
                   secret_key=_secret(spec, "secretKeySecret", secrets))

    @property
    def client(self) -> Any:
        with self._lock:  # boto3 sessions are not thread-safe; the client is
            if self._client is None:
                self._client = boto3.session.Session().client("s3", **self._client_args)
            return self._client

    def _upload(self, payload: Path, key: str, size: int) -> None:
        try:
            self.client.upload_file(str(payload), self.bucket, key, Config=self.transfer)
            stored = self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except Exception as exc:
            raise self._translate(exc, f"cannot upload artifact {key!r}") from exc
        if stored != size:
            raise ArtifactError(f"artifact {key!r} was stored with {stored} bytes instead of "
                                f"{size}", transient=True)

    def _download(self, key: str, dest: Path, ref: Mapping[str, Any]) -> None:
        bucket = str(ref.get("bucket") or self.bucket)
        try:
            self.client.download_file(bucket, key, str(dest), Config=self.transfer)
        except Exception as exc:
            raise self._translate(exc, f"cannot download artifact {key!r}", bucket) from exc

    def _download_folder(self, prefix: str, dest: Path, ref: Mapping[str, Any]) -> bool:
        bucket = str(ref.get("bucket") or self.bucket)
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix + "/")
            # a key ending in / is a folder marker some tools make, not a file (ListDirectory)
            keys = [o["Key"] for page in pages for o in page.get("Contents") or []
                    if not o["Key"].endswith("/")]
        except Exception as exc:
            raise self._translate(exc, f"cannot list artifact folder {prefix!r}", bucket) from exc
        for key in keys:
            try:
                target = within(dest, dest / key[len(prefix) + 1:], f"object {key!r}")
            except PathEscape as exc:
                raise ArtifactError(str(exc), transient=False) from exc
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.client.download_file(bucket, key, str(target), Config=self.transfer)
            except Exception as exc:
                raise self._translate(exc, f"cannot download artifact {key!r}", bucket) from exc
        return bool(keys)

    def _translate(self, exc: Exception, doing: str, bucket: str | None = None) -> Exception:
        where = f"s3://{bucket or self.bucket} at {self.endpoint_url or 'AWS'}"
        if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, Exception):
            exc = exc.__context__  # boto3 wraps the ClientError of any upload request
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return ArtifactError(f"{doing}: no such bucket in {where}", transient=False)
            if code in MISSING:
                return MissingArtifact(f"{doing}: no such object in {where}")
            transient = code in TRANSIENT_CODES or (isinstance(status, int) and status >= 500)
            return ArtifactError(f"{doing} ({where}): {code} {error.get('Message', '')}".rstrip(),
                                 transient=transient)
        if isinstance(exc, NoCredentialsError):
            return ArtifactError(f"{doing}: no S3 credentials ({where})", transient=False)
        if isinstance(exc, BotoCoreError | RetriesExceededError | OSError):
            return ArtifactError(f"{doing}: {where} unreachable: {exc}", transient=True)
        return exc


def _endpoint_url(endpoint: str | None, insecure: bool) -> str | None:
    if not endpoint:
        return None
    if "://" in endpoint:
        return endpoint
    return f"{'http' if insecure else 'https'}://{endpoint}"


def _secret(spec: Mapping[str, Any], field: str, secrets: Secrets | None) -> str | None:
    ref = spec.get(field)
    if not ref:
        return None
    name, key = ref.get("name"), ref.get("key")
    value = secrets(name, key) if secrets and name and key else None
    if value is None:
        raise ArtifactError(f"artifact repository s3: {field} secret {name}/{key} not found",
                            transient=False)
    return value
