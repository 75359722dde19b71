"""The corpus runs once per session (only the manifests selected), and its table and
summary line are printed at the end of the run, so CI logs show them."""

from __future__ import annotations

import pytest

from tests.conformance import corpus

OUTCOMES = pytest.StashKey[dict[str, corpus.Outcome]]()
WHOLE_CORPUS = "test_no_regression"  # the ratchet: needs every manifest run


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, corpus.Outcome]:
    """``{manifest path: Outcome}`` for the manifests the session's tests ask for (all of
    them when the ratchet runs)."""
    everything = corpus.manifests()
    wanted = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        manifest = callspec.params.get("manifest") if callspec is not None else None
        if isinstance(manifest, corpus.Manifest):  # not another folder's "manifest" parameter
            wanted.add(manifest.path)
        elif item.name == WHOLE_CORPUS:
            wanted = {m.path for m in everything}
            break
    chosen = [m for m in everything if m.path in wanted]
    found = corpus.run_all(chosen, tmp_path_factory.mktemp("argo-corpus"))
    request.config.stash[OUTCOMES] = found
    return found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    found = config.stash.get(OUTCOMES, None)
    if not found:
        return
    terminalreporter.section("Argo v4.1.2 corpus through the local engine")
    for line in corpus.table(found.values()):
        terminalreporter.write_line(line)
