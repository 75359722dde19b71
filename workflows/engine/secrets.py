"""Secrets and ConfigMaps for local runs, and the environment of a container.

A step's ``secretKeyRef``/``configMapKeyRef``/``envFrom`` read the secrets file (YAML),
the local stand-in for the cluster's Secrets and ConfigMaps, and the ConfigMap documents
given with the manifests (``add_config_maps``)::

    cadencia-source-db:          # a Secret: name -> {key: value}
      url: postgresql+psycopg://...
    configMaps:                  # reserved key: ConfigMaps, name -> {key: value}
      cadencia-settings:
        CADENCIA_HTTP_AUTH: bearer

A step's environment is what its container declares (``envFrom``, then ``env``) plus the
host basics a process needs to run at all (``HOST_VARIABLES``: PATH, HOME, locale, time
zone, user), as a pod gets its image's: no other variable of the caller's environment
reaches it, ``CADENCIA_*`` included, so a setting exported in the shell never changes what
a step does behind the manifest's back. ``optional: true`` is honoured; a missing
required value raises ``MissingSecret`` (the node errors, as a pod that cannot start
would). Values are never logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from steps import contracts
from workflows.engine.errors import NodeError

# What a process needs from the host to run at all; a container would bring its own.
HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SYSTEMROOT")
CONFIG_MAPS_KEY = "configMaps"


class MissingSecret(NodeError):
    """A required Secret or ConfigMap value is not available locally."""


class SecretSource:
    """Secrets and ConfigMaps from a YAML file; ``environ`` (default: this process's)
    gives only the host basics."""

    def __init__(self, path: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.environ = dict(os.environ if environ is None else environ)
        self.secrets: dict[str, dict[str, str]] = {}
        self.config_maps: dict[str, dict[str, str]] = {}
        if path is not None:
            self._read(path)

    def _read(self, path: Path) -> None:
        try:
            data = contracts.load_yaml(Path(path).read_text(encoding="utf-8")) or {}
        except contracts.AliasRefused as exc:
            raise MissingSecret(f"secrets file {path}: {exc}") from None
        except (OSError, yaml.YAMLError) as exc:
            raise MissingSecret(f"cannot read secrets file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise MissingSecret(f"secrets file {path} must be a mapping of Secret names")
        for name, values in data.items():
            if name == CONFIG_MAPS_KEY:
                for cm_name, cm_values in (values or {}).items():
                    self.config_maps[str(cm_name)] = _strings(cm_values, f"configMaps.{cm_name}")
            else:
                self.secrets[str(name)] = _strings(values, str(name))

    def add_config_maps(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        """The ConfigMap documents given with the manifests (``{name: document}``), for
        env and envFrom as well: a name the secrets file also holds is an error."""
        for name, doc in documents.items():
            if name in self.config_maps:
                raise MissingSecret(f"ConfigMap {name!r} is given both as a document and in "
                                    f"the secrets file {self.path}: keep one")
            self.config_maps[name] = _strings(doc.get("data") or {}, f"ConfigMap {name}")

    def secret(self, name: str, key: str) -> str | None:
        """The value of ``key`` in Secret ``name`` from the file, or None."""
        return self.secrets.get(name, {}).get(key)

    def _where(self) -> str:
        return f"the secrets file {self.path}" if self.path else "a secrets file (--secrets)"

    def container_env(self, container: Mapping[str, Any], *, substitute: Any = None,
                      image_env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of ``container``: host basics, the ENV of an image the engine
        knows (``images``), ``envFrom``, then ``env`` (later entries win, as a container
        runtime merges the pod's over the image's); nothing else of the caller's
        environment."""
        env = {k: v for k, v in self.environ.items() if k in HOST_VARIABLES}
        env.update(image_env or {})
        for source in container.get("envFrom") or []:
            env.update(self._env_from(source))
        for entry in container.get("env") or []:
            name = entry["name"]
            if "valueFrom" in entry:
                value = self._value_from(name, entry["valueFrom"])
                if value is None:
                    env.pop(name, None)
                    continue
                env[name] = value
            else:
                value = str(entry.get("value", ""))
                env[name] = substitute(value, f"env {name}") if substitute else value
        return env

    def _env_from(self, source: Mapping[str, Any]) -> dict[str, str]:
        prefix = source.get("prefix") or ""
        if "secretRef" in source:
            ref, kind, store = source["secretRef"], "secret", self.secrets
        else:
            ref, kind, store = source["configMapRef"], "configmap", self.config_maps
        name = ref["name"]
        if name in store:
            return {f"{prefix}{k}": v for k, v in store[name].items()}
        if ref.get("optional"):
            return {}
        raise MissingSecret(f'{kind} "{name}" not found (envFrom): add it to {self._where()}')

    def _value_from(self, env_name: str, value_from: Mapping[str, Any]) -> str | None:
        if "secretKeyRef" in value_from:
            ref, kind, store = value_from["secretKeyRef"], "secret", self.secrets
        else:
            ref, kind, store = value_from["configMapKeyRef"], "configmap", self.config_maps
        name, key = ref["name"], ref["key"]
        value = store.get(name, {}).get(key)
        if value is None and not ref.get("optional"):
            raise MissingSecret(
                f'{kind} "{name}" has no key "{key}" for env {env_name}: add it to '
                f"{self._where()}")
        return value


def _strings(values: Any, where: str) -> dict[str, str]:
    if not isinstance(values, dict):
        raise MissingSecret(f"secrets file: {where} must map keys to values")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}
