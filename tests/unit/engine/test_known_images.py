"""Images the engine knows (Argo's argoproj/argosay): which image a reference names, what
a pod of it runs by Kubernetes' command/args rule, the files it needs placed, its PATH,
and whether a program not found is the image's lack (Argo's failure) or this host's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from workflows.engine import images, programs
from workflows.engine.artifacts.sandbox import Sandbox
from workflows.engine.secrets import SecretSource

V1, V2 = images.KNOWN["argoproj/argosay:v1"], images.KNOWN["argoproj/argosay:v2"]
DEBIAN_HOST = images.host_is_base(V2)


@pytest.mark.parametrize(("reference", "name"), [
    ("argoproj/argosay:v2", "argoproj/argosay:v2"),
    ("docker.io/argoproj/argosay:v1", "argoproj/argosay:v1"),
    ("argoproj/argosay", None), ("argoproj/argosay:v3", None),
    ("argoproj/argosay@sha256:" + "0" * 64, None), ("quay.io/argoproj/argosay:v2", None),
    ("docker/whalesay", None), ("alpine:3.23", None)])
def test_only_the_two_argosay_tags_are_known(reference: str, name: str | None) -> None:
    found = images.known(reference)
    assert (found.name if found else None) == name


@pytest.mark.parametrize(("image", "command", "args", "argv"), [
    (V2, [], [], ["/argosay"]),  # v2 has no CMD: ENTRYPOINT resets the one v1 gives
    (V2, [], ["echo", "hi", "/tmp/x"], ["/argosay", "echo", "hi", "/tmp/x"]),
    (V2, ["exit", "1"], [], ["exit", "1"]),  # command replaces the entrypoint
    (V2, ["sh", "-c"], ["echo hi"], ["sh", "-c", "echo hi"]),
    (V1, [], [], ["cowsay"]),
    (V1, [], ["cowsay", "moo"], ["cowsay", "moo"]),  # args replace the CMD
    (V1, ["cowsay"], ["hello world"], ["cowsay", "hello world"]),
    (None, ["echo"], ["a"], ["echo", "a"]),
    (None, [], ["a"], None),  # an unknown image's entrypoint cannot be read here
])
def test_command_and_args_follow_kubernetes_over_the_image(
        image: images.KnownImage | None, command: list[str], args: list[str],
        argv: list[str] | None) -> None:
    assert images.command_line(image, command, args) == argv


@pytest.mark.parametrize(("image", "container", "used"), [
    (V2, {}, ["/argosay"]),
    (V2, {"args": ["echo", "x"]}, ["/argosay"]),
    (V2, {"command": ["sh", "-c"], "args": ["/argosay echo x"]}, ["/argosay"]),
    (V2, {"command": ["exit", "1"]}, []),
    (V2, {"command": ["sh", "-c"], "args": ["ls /argosay.d /x/argosay"]}, []),
    (V1, {"args": ["cowsay", "/argosay"]}, []),  # v1 has no such file to place
    (None, {}, []),
])
def test_the_files_a_pod_uses_are_its_entrypoint_or_those_it_names(
        image: images.KnownImage | None, container: dict[str, list[str]],
        used: list[str]) -> None:
    text = "\n".join(container.get("command", []) + container.get("args", []))
    assert images.files_used(image, container, text) == used


def test_argosay_is_placed_verbatim_and_executable_in_the_pod_sandbox(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, "pod")
    binds = images.place(V2, box.root)
    assert list(binds) == ["/argosay"]
    copy = binds["/argosay"].source
    assert copy == box.path("/argosay") and copy.stat().st_mode & 0o111
    assert copy.read_bytes() == (images.HERE / "argosay").read_bytes()
    assert copy.read_text().startswith("#!/bin/sh\nset -eu\n")
    assert images.place(V1, box.root) == {} and images.place(None, box.root) == {}


def test_the_images_path_replaces_the_hosts_and_the_containers_env_still_wins() -> None:
    secrets = SecretSource(environ={"PATH": "/root/.local/bin:/usr/bin", "HOME": "/root",
                                    "SECRET_OF_THE_SHELL": "x"})
    env = secrets.container_env({}, image_env=V1.env)
    assert env == {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                           ":/usr/games", "HOME": "/root"}
    own = secrets.container_env({"env": [{"name": "PATH", "value": "/opt"}]},
                                image_env=V2.env)
    assert own["PATH"] == "/opt"


@pytest.mark.parametrize(("release", "base"), [
    ('ID=debian\n', True), ('ID=ubuntu\nID_LIKE=debian\n', True),
    ('ID="linuxmint"\nID_LIKE="ubuntu debian"\n', True),
    ('ID=fedora\nID_LIKE="rhel centos"\n', False), ('ID=alpine\n', False), (None, False)])
def test_a_debian_family_host_stands_in_for_ubuntu(tmp_path: Path, release: str | None,
                                                  base: bool) -> None:
    path = tmp_path / "os-release"
    if release is not None:
        path.write_text(release)
    assert images.host_is_base(V2, path) is base


HOST_PATH = {"PATH": "/usr/bin:/bin"}


@pytest.mark.skipif(not DEBIAN_HOST, reason="the host is not of the Debian family")
@pytest.mark.parametrize(("program", "termination"), [
    ("exit", 'failed to find name in PATH: exec: "exit": executable file not found in $PATH'),
    ("/nowhere/prog", 'failed to find name in PATH: exec: "/nowhere/prog": '
                      "stat /nowhere/prog: no such file or directory")])
def test_a_program_argosay_lacks_fails_as_argos_executor(program: str,
                                                         termination: str) -> None:
    lacks = programs.missing([program, "1"], HOST_PATH, [], "argoproj/argosay:v2", V2)
    assert lacks == programs.ImageLacks(termination, exit_code=64)


@pytest.mark.skipif(not DEBIAN_HOST, reason="the host is not of the Debian family")
def test_cowsay_off_the_pods_path_is_the_images_lack_not_the_hosts() -> None:
    """A container env PATH without /usr/games: Argo's pod cannot find cowsay either."""
    lacks = programs.missing(["cowsay"], {"PATH": "/usr/bin:/bin"}, [],
                             "argoproj/argosay:v1", V1)
    assert isinstance(lacks, programs.ImageLacks)
    assert lacks.termination_message.endswith('"cowsay": executable file not found in $PATH')


def test_a_program_only_the_host_lacks_stays_the_hosts_error(tmp_path: Path) -> None:
    games = str(tmp_path / "games")  # where this image has cowsay and this host has not
    image = dataclasses.replace(V1, env={"PATH": f"/usr/bin:{games}"},
                                from_host={f"{games}/cowsay": "cowsay"})
    cowsay = programs.missing(["cowsay"], image.env, [], "argoproj/argosay:v1", image)
    assert isinstance(cowsay, programs.HostLacks)
    assert cowsay.message.startswith("failed to start cowsay: [Errno 2]")
    assert "image argoproj/argosay:v1" in cowsay.message
    assert cowsay.message.endswith("install Debian's cowsay package)")
    by_path = programs.missing([f"{games}/cowsay"], {}, [], "argoproj/argosay:v1", image)
    assert isinstance(by_path, programs.HostLacks)
    unknown = programs.missing(["exit"], HOST_PATH, [], "alpine:3.23", None)
    assert isinstance(unknown, programs.HostLacks) and "image alpine:3.23" in unknown.message


def test_a_program_found_or_placed_is_not_missing() -> None:
    assert programs.missing(["sh", "-c", "true"], HOST_PATH, [], "argoproj/argosay:v2",
                            V2) is None
    assert programs.missing(["/argosay", "echo"], HOST_PATH, ["/tmp", "/argosay"],
                            "argoproj/argosay:v2", V2) is None
