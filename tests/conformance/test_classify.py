"""The corpus's classification of a random manifest: Argo's retry-script and
retry-container fail by chance 1.2% of the time, on a cluster too; such a run is a match
only when it is that chance (11 attempts, each exit 1, retries run out)."""

from __future__ import annotations

from tests.conformance import corpus

RETRY = corpus.Manifest("examples/retry-script.yaml", "Succeeded")


def ran(phase: str, failed: list[str]) -> dict[str, object]:
    return {"outcome": "ran", "phase": phase, "message": "", "failed_nodes": failed}


def test_retries_run_out_by_chance_is_argos_outcome_too() -> None:
    out_of_luck = [f"retry-script({i}): Error (exit code 1)" for i in range(11)]
    outcome = corpus.classify(RETRY, ran("Failed", [*out_of_luck,
                                                    "retry-script: No more retries left"]), 1.0)
    assert outcome.cls == "match"


def test_any_other_failure_of_a_random_manifest_is_wrong() -> None:
    too_few = [f"retry-script({i}): Error (exit code 1)" for i in range(3)]
    for failed in ([*too_few, "retry-script: No more retries left"],
                   ["retry-script(0): Error (exit code 2)"] * 11
                   + ["retry-script: No more retries left"]):
        assert corpus.classify(RETRY, ran("Failed", failed), 1.0).cls == "wrong"
    other = corpus.Manifest("examples/hello-world.yaml", "Succeeded")
    out_of_luck = [f"x({i}): Error (exit code 1)" for i in range(11)]
    assert corpus.classify(other, ran("Failed", [*out_of_luck, "x: No more retries left"]),
                           1.0).cls == "wrong"
