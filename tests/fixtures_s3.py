"""A real S3 endpoint for tests: moto's server on 127.0.0.1 (in memory), with a fresh bucket.

::

    with MotoS3() as s3:
        s3.url, s3.endpoint, s3.bucket, s3.access_key, s3.secret_key
        s3.env                   # AWS_* variables for a subprocess (checksums when_required)
        s3.repository_spec()     # Argo's s3 repository shape, credentials via s3.secrets
        s3.client()              # a plain boto3 client, to look behind the repository's back

Every moto server in one process shares one in-memory backend, so each instance makes its
own uniquely named bucket.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

SECRET_NAME = "cadencia-s3"


class MotoS3:
    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.bucket = "cadencia-" + uuid.uuid4().hex[:12]
        self.access_key = "AKIA" + uuid.uuid4().hex[:16].upper()
        self.secret_key = uuid.uuid4().hex
        self.endpoint = ""
        self.running = False

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.url,
                "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
                "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required"}

    def secrets(self, name: str, key: str) -> str | None:
        """Resolve the repository's secret references, as a Kubernetes Secret would."""
        values = {"accesskey": self.access_key, "secretkey": self.secret_key}
        return values.get(key) if name == SECRET_NAME else None

    def repository_spec(self, **overrides: Any) -> dict[str, Any]:
        spec = {"endpoint": self.endpoint, "bucket": self.bucket, "insecure": True,
                "accessKeySecret": {"name": SECRET_NAME, "key": "accesskey"},
                "secretKeySecret": {"name": SECRET_NAME, "key": "secretkey"}}
        return {"s3": {**spec, **overrides}}

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(request_checksum_calculation="when_required",
                          response_checksum_validation="when_required",
                          s3={"addressing_style": "path"}))

    def start(self) -> MotoS3:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"{host}:{port}"
        self.running = True
        self.client().create_bucket(Bucket=self.bucket)
        return self

    def stop(self) -> None:
        if not self.running:
            return
        self._server.stop()
        # ThreadedMotoServer.stop() leaves the socket listening: connections would be
        # accepted by the kernel and hang instead of being refused like a dead server's.
        inner = self._server._server
        if inner is not None:
            inner.server_close()
        self.running = False

    def __enter__(self) -> MotoS3:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
