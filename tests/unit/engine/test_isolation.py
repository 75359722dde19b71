"""bwrap's command line for a pod: the sandbox is the pod's root, the host's entries are
bound into it read-only where the pod's image would have them, and every mount point
bwrap makes lands in the sandbox, never on the host."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from workflows.engine.isolation import TMP, Bind, availability, bwrap_argv, image_folder


def pairs(argv: list[str], option: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, word in enumerate(argv) if word == option]


def test_the_sandbox_is_the_root_and_is_mounted_before_anything_else(tmp_path: Path) -> None:
    argv = bwrap_argv("bwrap", tmp_path, {TMP: Bind(tmp_path / "tmp")}, ["true"], "/", 3)
    first = argv.index("--bind")
    assert argv[first:first + 3] == ["--bind", str(tmp_path), "/"]
    assert first < min(argv.index(o) for o in ("--proc", "--dev", "--ro-bind", "--symlink")
                       if o in argv)
    assert argv[-4:] == ["--chdir", "/", "--", "true"]


def test_host_entries_show_read_only_except_tmp_and_what_the_sandbox_has(
        tmp_path: Path) -> None:
    host = sorted(os.listdir("/"))
    taken = next(n for n in host if n not in ("tmp", "proc", "dev")
                 and not os.path.islink("/" + n))
    (tmp_path / taken).mkdir()  # e.g. an input artifact placed at that path
    argv = bwrap_argv("bwrap", tmp_path, {TMP: Bind(tmp_path / "tmp")}, ["true"], "/", 3)
    shown = {dest for _, dest in pairs(argv, "--ro-bind") + pairs(argv, "--symlink")}
    assert "/" + taken not in shown
    assert {"/tmp", "/proc", "/dev"}.isdisjoint(shown)
    assert shown == {"/" + n for n in host} - {"/" + taken, "/tmp", "/proc", "/dev"}
    # /tmp is the sandbox's own folder at that path: no mount, and no host entry of /tmp
    assert not any(dest.startswith("/tmp") for _, dest in pairs(argv, "--bind")[1:])


def test_an_image_folder_is_the_sandboxs_with_the_hosts_entries_and_volumes_are_bound(
        tmp_path: Path) -> None:
    folder = next(f for f in ("/usr/share", "/usr/lib", "/etc") if os.path.isdir(f))
    volume = tmp_path.parent / "vol"
    targets = {TMP: Bind(tmp_path / "tmp"), folder: Bind(tmp_path / folder[1:], merge=True),
               "/mnt/vol": Bind(volume, read_only=True)}
    argv = bwrap_argv("bwrap", tmp_path, targets, ["true"], "/", 3)
    binds = pairs(argv, "--bind")
    assert binds == [(str(tmp_path), "/")]  # the image folder is the root's own: no mount
    assert (str(volume), "/mnt/vol") in pairs(argv, "--ro-bind")
    entries = {dest for _, dest in pairs(argv, "--ro-bind") + pairs(argv, "--symlink")}
    assert {os.path.join(folder, n) for n in os.listdir(folder)} <= entries
    assert folder not in entries and "/usr" not in entries  # the way is built, not bound


def test_image_folder_is_the_deepest_folder_the_host_has() -> None:
    assert image_folder("/usr/cadencia-none/out/x.json") == "/usr"
    assert image_folder("/result.txt") is None  # / itself: always the sandbox
    assert image_folder("/tmp/a/b") is None and image_folder("/dev/x") is None
    assert image_folder("/usr/lib/x", own=["/usr/lib"]) is None  # a volume there
    assert image_folder("/usr", itself=True) == "/usr"


@pytest.mark.skipif(not availability("auto").ok, reason="no private mount namespace here")
def test_mount_points_are_made_in_the_sandbox_and_nothing_on_the_host(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "tmp").mkdir(parents=True)
    before = sorted(os.listdir("/"))
    folder = "/usr/cadencia-pod-test"
    targets = {TMP: Bind(root / "tmp"), "/usr": Bind(root / "usr", merge=True)}
    reader, info = os.pipe()  # bwrap reports the child's pid there
    argv = bwrap_argv(availability("auto").how, root, targets,
                      ["sh", "-c", f"echo r > result.txt && mkdir {folder} && echo u > "
                       f"{folder}/x && ls /tmp | wc -l"], "/", info)
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30,
                          pass_fds=(info,))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"  # the pod's /tmp: empty, none of the host's
    assert (root / "result.txt").read_text() == "r\n"
    assert (root / folder[1:] / "x").read_text() == "u\n"
    assert sorted(os.listdir("/")) == before and not os.path.exists(folder)
    assert (root / "proc").is_dir() and (root / "usr" / "bin").is_dir()  # stubs, here
    os.close(reader)
    os.close(info)
