"""The console's data, without a browser: CSV that a spreadsheet cannot run, the out-of-scope review file,
console sessions that end, and gap grouping measured on the blind sets (the real encoder)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from assistant.api.console_auth import ConsoleSessions, same_origin
from assistant.cli import app as cli
from assistant.core.access import key_digest
from assistant.core.curation import GapGrouper, as_csv, grouping_scores, set_aside_out_of_scope

REPO = Path(__file__).resolve().parents[2]


def test_csv_quotes_cells_a_spreadsheet_would_run_as_formulas() -> None:
    rows = [{"question": '=HYPERLINK("http://evil.example","click")', "cited": ["cctv", "dare"], "n": 3}]
    rows.append({"question": "-1 + 2 ?", "cited": [], "n": None})
    rows.append({"question": "Les caméras, ça marche?", "cited": ["cctv"], "n": 0})
    parsed = list(csv.DictReader(io.StringIO(as_csv(rows, ["question", "cited", "n"]))))
    assert parsed[0]["question"].startswith("'=HYPERLINK")
    assert parsed[0]["cited"] == "cctv;dare"
    assert parsed[1]["question"] == "'-1 + 2 ?"
    assert parsed[1]["n"] == ""
    assert parsed[2]["question"] == "Les caméras, ça marche?"


def test_out_of_scope_questions_are_set_aside_once_for_review(tmp_path: Path) -> None:
    path = tmp_path / "review.yaml"
    assert set_aside_out_of_scope(path, [("a1b2c3d4-x", "snow removal budget?"), ("e5", "dog parks?")], "alice") == 2
    assert set_aside_out_of_scope(path, [("f6", "snow removal budget?"), ("g7", "library hours?")], "bob") == 1
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Questions curators marked 'out of scope'")
    entries = yaml.safe_load(text)["out_of_scope"]
    assert [e["question"] for e in entries] == ["snow removal budget?", "dog parks?", "library hours?"]
    assert entries[0]["id"] == "gap-a1b2c3d4"
    assert [e["marked_by"] for e in entries] == ["alice", "alice", "bob"]


def test_console_sessions_expire_are_bound_to_the_key_and_cannot_be_forged() -> None:
    sessions = ConsoleSessions("secret-1")
    keys = {"alice": key_digest("wwc_a"), "bob": key_digest("wwc_b")}
    cookie = sessions.issue("alice", keys["alice"], hours=1)
    session = sessions.read(cookie, keys)
    assert session is not None
    assert session.name == "alice"
    assert sessions.csrf_ok(session, sessions.csrf_token(session))
    assert not sessions.csrf_ok(session, "")
    assert sessions.read(cookie, keys, now=time.time() + 3601) is None  # expired
    assert sessions.read(cookie, {"bob": keys["bob"]}) is None  # alice's name removed: revoked
    assert sessions.read(cookie, {"alice": key_digest("wwc_new")}) is None  # alice's key changed
    assert ConsoleSessions("secret-2").read(cookie, keys) is None  # another server's secret
    body, signature = cookie.rsplit(".", 1)
    as_bob = sessions.issue("bob", keys["bob"], hours=1).rsplit(".", 1)[0]
    assert sessions.read(f"{as_bob}.{signature}", keys) is None  # a body swapped under a signature
    assert sessions.read("garbage", keys) is None
    assert sessions.read(f"{body}x.{signature}", keys) is None


def test_same_origin_accepts_only_this_host() -> None:
    assert same_origin(None, "http", "127.0.0.1:8000")  # no Origin: not a cross-site browser form
    assert same_origin("http://127.0.0.1:8000", "http", "127.0.0.1:8000")
    assert same_origin("https://whatworks.example", "http", "whatworks.example")  # TLS ends at a proxy
    assert not same_origin("https://evil.example", "https", "whatworks.example")
    assert not same_origin("null", "https", "whatworks.example")


def test_grouping_joins_what_is_near_and_keeps_the_rest_apart() -> None:
    vectors = {"a": [1, 0, 0], "a2": [0.95, 0.1, 0], "b": [0, 1, 0], "c": [0, 0, 1]}

    def encode(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts], dtype=np.float32)

    grouper = GapGrouper(encode)
    labels = grouper.labels(["a", "a2", "b", "c"])
    assert labels[0] == labels[1]
    assert len({labels[0], labels[2], labels[3]}) == 3
    assert grouping_scores(labels, [0, 0, 1, 2])["ari"] == pytest.approx(1.0)


@pytest.mark.slow
def test_gap_grouping_on_the_blind_sets_is_reported_and_beats_chance() -> None:
    """The figures the README reports, from the command curators would run; a floor well below them."""
    sets = ["gap-clusters.yaml", "gap-clusters-holdout.yaml", "gap-clusters-holdout2.yaml"]
    run = CliRunner().invoke(cli, ["gap-clusters", *[str(REPO / "corpus" / "eval" / s) for s in sets]])
    assert run.exit_code == 0, run.output
    print(run.output)
    aris = [float(line.split("ARI ")[1].split(",")[0]) for line in run.output.splitlines()]
    assert len(aris) == 3
    assert min(aris) > 0.15  # random grouping scores 0
    assert aris[0] > 0.4
