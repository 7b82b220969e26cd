"""`whatworks ask | serve | eval | calibrate | verify-claims | gaps`: the command-line face over the same service."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.core.settings import Settings
from assistant.db_cli import db_app

if TYPE_CHECKING:
    from assistant.core.answers import AskResponse
    from assistant.core.evidence import EvidenceVerdict

app = typer.Typer(add_completion=False, help="whatworks: what works in crime prevention, from the evidence base.")
app.add_typer(db_app, name="db")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain words.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the AskResponse as one JSON line.")] = False,
) -> None:
    """Answer one question from the evidence base."""
    from assistant.core.runtime import open_service
    from assistant.core.service import MAX_QUESTION_CHARS, NotReady

    question = question.strip()
    if not question or len(question) > MAX_QUESTION_CHARS:
        typer.echo(f"error: the question must be 1 to {MAX_QUESTION_CHARS} characters", err=True)
        raise typer.Exit(2)
    with open_service(Settings()) as service:
        try:
            response = service.ask(question, face="cli")
        except NotReady as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(3) from None
    typer.echo(response.model_dump_json() if as_json else plain_answer(response))


def plain_answer(response: AskResponse) -> str:
    """The answer for a terminal, from its fields: bottom lines, prose, sections, related programs, sources."""
    from assistant.core.answers import IN_ENGLISH, INTENT_LABELS_FR, VERDICTS_FR
    from assistant.core.evidence import VERDICT_HEADINGS

    french = response.language == "fr"
    english = f" {IN_ENGLISH}" if french else ""  # a French answer says which quotes are in English

    def verdict(value: EvidenceVerdict) -> str:
        return (VERDICTS_FR if french else VERDICT_HEADINGS).get(value, str(value))

    def plain(text: str) -> str:  # quotes are verbatim corpus Markdown, which may carry **bold**
        return " ".join(text.replace("**", "").replace("__", "").split())

    if response.no_evidence:
        topics = [f"  - {t.question}" for t in response.nearest_topics]
        instead = "Demandez plutôt :" if french else "Ask instead:"
        return "\n".join([response.answer] + (["", instead, *topics] if topics else []))
    blocks: list[list[str]] = []
    for line in response.summary:
        details = [verdict(line.verdict)] if line.kind in ("program", "practice") else []
        details += [text for text in (line.rating_source, line.strength) if text]
        head = f"{line.title}  [{' · '.join(details)}]" if details else line.title
        mark = english if line.language != "fr" else ""
        blocks.append([head, f"  “{plain(line.finding)}” [{line.n}]{mark}"])
    if response.prose:
        blocks.append([response.prose.replace("**", "").strip()])
    for section in response.sections:
        label = INTENT_LABELS_FR[section.intent] if french else section.label
        blocks.append(
            [label]
            + [
                f"  - {item.title}: “{plain(item.text)}” [{item.n}]{english if item.language != 'fr' else ''}"
                for item in section.items
            ]
        )
    for reason in dict.fromkeys(r.reason for r in response.related):
        if french:
            heading = "Solutions mieux appuyées" if reason == "alternative" else "Aussi dans la base"
        else:
            heading = "Better-supported alternatives" if reason == "alternative" else "Related"
        rows = []
        for r in (r for r in response.related if r.reason == reason):
            details = [verdict(r.verdict)] if r.kind in ("program", "practice") else []
            details += [r.rating_source] if r.rating_source else []
            cited = f" [{r.n}]" if r.n is not None else ""
            rows.append(f"  - {r.title}" + (f"  [{' · '.join(details)}]" if details else "") + cited)
        blocks.append([heading, *rows])
    if response.citations and not (response.summary or response.prose or response.sections):
        blocks.append(
            [
                f"{c.title}: “{plain(c.quote)}” [{c.n}]{english if c.language != 'fr' else ''}"
                for c in response.citations
            ]
        )
    if response.citations:
        no_link = "pas de lien" if french else "no link"
        blocks.append(["Sources"] + [f"  [{c.n}] {c.title}: {c.url or no_link}" for c in response.citations])
    if response.dropped_sentences:
        blocks.append([f"({response.dropped_sentences} sentence(s) left out: no source supported them.)"])
    return "\n\n".join("\n".join(block) for block in blocks)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[
        int, typer.Option(help="Processes answering on the same port; more than 1 needs a Chroma server.", min=1)
    ] = 1,
) -> None:
    """Serve the HTTP API, the widget and the demo page."""
    import os
    import secrets

    import uvicorn

    from assistant.api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    settings = Settings()
    host, port = host or settings.api.host, port or settings.api.port
    # X-Forwarded-For is read by the API from WHATWORKS_API__TRUSTED_PROXIES only, not by uvicorn (which
    # would believe any loopback peer)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=False)
        return
    if not settings.chroma.url:
        typer.echo(
            "error: --workers above 1 needs a Chroma server (WHATWORKS_CHROMA__URL): an embedded Chroma "
            "directory may be opened by one process only. See the README's 'Scaling out'.",
            err=True,
        )
        raise typer.Exit(2)
    if settings.api.session_secret is None:
        # every worker must sign and read the same widget and console sessions
        os.environ["WHATWORKS_API__SESSION_SECRET"] = secrets.token_hex(32)
    if not settings.embedding.threads:
        # the cores shared out among the workers: each one's model on as many threads as it has cores
        # (two workers of two threads each on 2 cores answered 75/s; of one thread each, 103-117/s)
        os.environ["WHATWORKS_EMBEDDING__THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    from assistant.api.workers import cannot_listen, serve_workers, spreads_connections

    if not spreads_connections():
        uvicorn.run("assistant.api.main:app", host=host, port=port, workers=workers, proxy_headers=False)
        return
    problem = cannot_listen(host, port)
    if problem is not None:
        typer.echo(f"error: {problem}; choose another --port or stop what holds it", err=True)
        raise typer.Exit(1)
    serve_workers("assistant.api.main:app", host, port, workers, proxy_headers=False)


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Option(help="The golden question set.")] = Path("corpus/eval/questions.yaml"),
    thresholds: Annotated[Path, typer.Option(help="Minimum scores.")] = Path("corpus/eval/thresholds.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="End with the metrics as one JSON line.")] = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="List the questions that missed.")] = False,
) -> None:
    """Run the golden question set; exit 1 when a metric is below its threshold."""
    from assistant.core.evaluation import run_eval
    from assistant.core.runtime import open_service

    with open_service(Settings()) as service:
        report = run_eval(service, questions, thresholds)
    for name, value in report.metrics.items():
        limit = report.thresholds.get(name)
        typer.echo(f"{name:22} {value:8.3f}" + (f"   (threshold {limit})" if limit is not None else ""))
    if show_failures:
        for failure in report.failures:
            typer.echo(f"miss: {json.dumps(failure)}")
    if not report.passed:
        typer.echo("below threshold: " + ", ".join(report.below()), err=True)
    if as_json:
        typer.echo(json.dumps({"metrics": report.metrics, "thresholds": report.thresholds, "passed": report.passed}))
    raise typer.Exit(0 if report.passed else 1)


@app.command()
def calibrate(
    check: Annotated[
        list[Path] | None, typer.Option(help="Question sets to check the fit on (never fitted on).")
    ] = None,
    french_check: Annotated[
        list[Path] | None, typer.Option(help="French question sets to check the French fit on (never fitted on).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="End with the result as one JSON line.")] = False,
) -> None:
    """Fit the evidence gate to corpus/eval/calibration.yaml (and the French gate to
    corpus/eval/french-calibration.yaml and french-2.yaml) and print the settings to use."""
    from dataclasses import asdict

    from assistant.core.calibration import calibrate as fit
    from assistant.core.runtime import open_service

    checks = check if check is not None else [Path("corpus/eval/questions.yaml")]
    french = french_check if french_check is not None else [Path("corpus/eval/french.yaml")]
    with open_service(Settings()) as service:
        result = fit(service, [c for c in checks if c.is_file()], [c for c in french if c.is_file()])
    typer.echo("fitted gate (set these to use it):")
    for line in result.fit.settings_lines():
        typer.echo(f"  {line}")
    typer.echo(f"{'question set':48} {'gate':8} {'answered in scope':>18} {'refused out of scope':>21}")
    for name in result.fitted:
        for label, scores in (("fitted", result.fitted), ("current", result.current)):
            s = scores[name]
            typer.echo(f"{name:48} {label:8} {s.answered:12.3f} of {s.inside:<4} {s.refused:14.3f} of {s.outside:<4}")
    if result.french_fit is not None:
        typer.echo("fitted French gate (set these to use it):")
        for line in result.french_fit.settings_lines():
            typer.echo(f"  {line}")
        for name in result.french_fitted:
            for label, scores in (("fitted", result.french_fitted), ("current", result.french_current)):
                s = scores[name]
                typer.echo(
                    f"{name:48} {label:8} {s.answered:12.3f} of {s.inside:<4} {s.refused:14.3f} of {s.outside:<4}"
                )
    if as_json:
        payload = {
            "fit": result.fit.as_dict(),
            "fitted": {k: asdict(v) for k, v in result.fitted.items()},
            "current": {k: asdict(v) for k, v in result.current.items()},
        }
        if result.french_fit is not None:
            payload |= {
                "french_fit": result.french_fit.as_dict(),
                "french_fitted": {k: asdict(v) for k, v in result.french_fitted.items()},
                "french_current": {k: asdict(v) for k, v in result.french_current.items()},
            }
        typer.echo(json.dumps(payload))


@app.command("verify-claims")
def verify_claims_command(
    file: Annotated[Path, typer.Argument(help='JSON Lines of {"id", "passage", "claim"}; a claim cites [1].')],
    as_json: Annotated[bool, typer.Option("--json", help='End with {"results": [...]} as one JSON line.')] = False,
    thresholds: Annotated[
        Path | None, typer.Option(help="Error-rate limits for labelled claims; exit 1 when one is exceeded.")
    ] = None,
    judge: Annotated[
        bool, typer.Option("--judge/--no-judge", help="Ask the fine-tuned judge too (as answers do), or not.")
    ] = True,
) -> None:
    """Check each claim against its passage with the verifier that answers use."""
    from assistant.core.embeddings import make_embedder
    from assistant.core.verification.claimset import (
        corpus_documents,
        rated_names,
        read_claims,
        score,
        verify_claims,
    )
    from assistant.core.verification.judge import make_judge
    from assistant.core.verification.verifier import SentenceVerifier

    if not file.is_file():
        typer.echo(f"error: {file}: no such file", err=True)
        raise typer.Exit(2)
    settings = Settings()
    documents = corpus_documents(settings.corpus_dir)
    claims, errors = read_claims(file, documents)
    for error in errors:
        typer.echo(f"error: {file}:{error.line}: {error.message}", err=True)
    reader = make_judge(settings.verification, settings.embedding) if judge else None
    results = verify_claims(
        SentenceVerifier(make_embedder(settings.embedding), judge=reader), claims, rated_names(documents)
    )
    typer.echo(f"{'id':14} {'result':12} {'check':10} reason")
    for r in results:
        result = "supported" if r.verdict.supported else "unsupported"
        mark = "" if not r.claim.label or r.claim.label == result else "  (labelled " + r.claim.label + ")"
        typer.echo(f"{r.claim.id:14} {result:12} {r.verdict.check:10} {r.verdict.reason}{mark}")
    summary = score(results)
    missed: list[str] = []
    if summary is not None:
        typer.echo(
            f"unsupported accepted {summary.unsupported_accepted:.3f} of {summary.counts.get('unsupported', 0)}; "
            f"supported rejected {summary.supported_rejected:.3f} of {summary.counts.get('supported', 0)}; "
            f"direction/negation/verdict flips accepted: {summary.flips_accepted}"
        )
        for kind, row in summary.by_kind.items():
            what = "accepted" if row["label"] == "unsupported" else "rejected"
            typer.echo(f"  {kind:28} n={row['n']:<4} {what} {row['error']:.3f}")
        if thresholds is not None:
            import yaml

            limits = yaml.safe_load(thresholds.read_text(encoding="utf-8")) or {}
            # limits for every file, and a file's own under `files: {name: {...}}` (a set of flips only
            # is held to its own rates)
            own = (limits.pop("files", None) or {}).get(file.name, {})
            floors = {k: float(v) for k, v in {**limits, **own}.items()}
            missed = summary.below(floors)
            for line in missed:
                typer.echo(f"over the limit: {line}", err=True)
    if as_json:
        payload: dict[str, object] = {"results": [r.as_dict() for r in results]}
        if errors:
            payload["errors"] = [{"line": e.line, "message": e.message} for e in errors]
        if summary is not None:
            payload["score"] = summary.as_dict()
        typer.echo(json.dumps(payload))
    raise typer.Exit(2 if errors else 1 if missed else 0)


@app.command("flip-claims")
def flip_claims_command(
    files: Annotated[list[Path], typer.Argument(help="Labelled claim files (JSON Lines), read in this order.")],
    out: Annotated[Path, typer.Option(help="Where to write the flipped claims (JSON Lines).")],
    seed: Annotated[int, typer.Option(help="Which change is made where a claim has several.")] = 17,
) -> None:
    """Write, for each supported claim, one that reverses it by a single word, labelled unsupported: training
    data that teaches the judge reversed findings (assistant/core/verification/flipping.py)."""
    from assistant.core.verification.flipping import flipped_claims

    rows = []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                typer.echo(f"error: {file}:{number}: not a JSON object ({exc.msg}); fix or remove the line", err=True)
                raise typer.Exit(2) from exc
    flipped = flipped_claims(rows, seed)
    with out.open("w", encoding="utf-8") as fh:
        for row in flipped:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    typer.echo(f"{len(flipped)} flipped claims from {len(rows)} written to {out}")


@app.command("train-judge")
def train_judge_command(
    validation: Annotated[Path, typer.Option(help="Labelled claim file for choosing the threshold.")],
    train: Annotated[
        list[Path] | None, typer.Option("--train", help="Labelled claim file to train on (repeat).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Directory for the weights and judge.json.")] = None,
    epochs: Annotated[int, typer.Option(min=1, max=50)] = 5,
    frozen_layers: Annotated[int, typer.Option(min=0, max=6, help="Lower encoder layers kept as packaged.")] = 0,
    max_length: Annotated[int, typer.Option(min=32, max=512)] = 144,
    override: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Judge score that overrides the word-level doubts.")
    ] = 0.9,
    threshold_only: Annotated[
        bool, typer.Option("--threshold-only", help="Keep the weights in --out; choose the threshold again.")
    ] = False,
    int8: Annotated[
        bool,
        typer.Option("--int8/--fp32", help="Answers run the judge as an int8 graph (faster); fit the threshold on it."),
    ] = True,
    start_from: Annotated[
        Path | None,
        typer.Option("--start-from", help="A judge directory to go on training from (default: the packaged encoder)."),
    ] = None,
    learning_rate: Annotated[float, typer.Option(min=0.0, max=1e-3)] = 3e-5,
) -> None:
    """Fine-tune the verifier's judge on labelled claims (a CPU takes tens of minutes) and write it to --out."""
    from assistant.core.embeddings import make_embedder
    from assistant.core.verification.claimset import corpus_documents, rated_names, read_claims
    from assistant.core.verification.judge import JUDGE_DIR
    from assistant.core.verification.training import fit_judge, refit_threshold
    from assistant.core.verification.verifier import SentenceVerifier

    settings = Settings()
    documents = corpus_documents(settings.corpus_dir)
    claims = []
    train = train or []
    for path in [*train, validation]:
        if not path.is_file():
            typer.echo(f"error: {path}: no such file", err=True)
            raise typer.Exit(2)
    if start_from is not None and not (start_from / "judge.json").is_file():
        typer.echo(f"error: --start-from {start_from}: no judge there (judge.json missing)", err=True)
        raise typer.Exit(2)
    if start_from is not None:
        # the weights it saves are those of the layers it trains: a judge trained with other settings would
        # be saved as something else than what was trained
        started = json.loads((start_from / "judge.json").read_text(encoding="utf-8"))
        for name, value in (("frozen-layers", frozen_layers), ("max-length", max_length)):
            theirs = started.get(name.replace("-", "_"))
            if theirs is not None and theirs != value:
                typer.echo(
                    f"error: --start-from {start_from}: that judge has {name} {theirs}; give --{name} {theirs}",
                    err=True,
                )
                raise typer.Exit(2)
    for path in train:
        read, errors = read_claims(path, documents)
        for error in errors:
            typer.echo(f"error: {path}:{error.line}: {error.message}", err=True)
        claims.extend(read)
    checked, errors = read_claims(validation, documents)
    for error in errors:
        typer.echo(f"error: {validation}:{error.line}: {error.message}", err=True)
    rules = SentenceVerifier(make_embedder(settings.embedding), rated=rated_names(documents))
    if threshold_only:
        config = (out or JUDGE_DIR) / "judge.json"
        config.write_text(json.dumps(json.loads(config.read_text()) | {"onnx_int8": int8}, indent=2) + "\n")
        report = refit_threshold(out or JUDGE_DIR, checked, rules, override=override)
        typer.echo(json.dumps(report["validation"]))
        return
    if not claims:
        typer.echo("error: give at least one --train file", err=True)
        raise typer.Exit(2)
    report = fit_judge(
        claims,
        checked,
        rules,
        out or JUDGE_DIR,
        epochs=epochs,
        frozen_layers=frozen_layers,
        max_length=max_length,
        override=override,
        int8=int8,
        sources=[p.name for p in train],
        progress=typer.echo,
        start=start_from,
        learning_rate=learning_rate,
    )
    typer.echo(json.dumps(report["validation"]))


@app.command("export-onnx")
def export_onnx_command() -> None:
    """Export the packaged embedding model and the verifier's judge to ONNX now (make install and the Docker
    build run this), so no server or ingestion job spends the few seconds at its first start."""
    from assistant.core.embeddings import OnnxEmbedder
    from assistant.core.verification.judge import CrossEncoderJudge, judge_onnx_dir

    settings = Settings()
    embedder = OnnxEmbedder(settings.embedding)
    path = embedder.onnx_path()
    if path.exists():
        typer.echo(f"already exported: {path}")
    else:
        embedder.export()
        typer.echo(f"exported: {path}")
    if CrossEncoderJudge.available():
        judge = CrossEncoderJudge(model=settings.embedding.model, onnx_dir=judge_onnx_dir(settings.embedding))
        judge_path = judge.onnx_path()
        assert judge_path is not None
        existed = judge_path.exists()
        judge.prepare()
        typer.echo(f"{'already exported' if existed else 'exported'}: {judge_path}")


@app.command("curator-key")
def curator_key(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. alice (letters, digits, -_).")],
) -> None:
    """Make a curator key: prints the key once (give it to the curator) and the setting that admits it."""
    import re

    from assistant.core.access import new_curator_key

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
        typer.echo("error: NAME must be 1 to 40 letters, digits, '-' or '_'", err=True)
        raise typer.Exit(2)
    key, digest = new_curator_key()
    typer.echo(f"key for {name} (shown once; the server keeps only its hash): {key}")
    typer.echo("add it to the API's settings (with any other curators' keys):")
    typer.echo(f"  WHATWORKS_API__CURATOR_KEYS='{json.dumps({name: digest})}'")


@app.command()
def gaps(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What members asked that the evidence base could not answer (for curators)."""
    from assistant.core.records import RecordStore

    settings = Settings()
    rows = RecordStore(settings.sql_url).evidence_gaps(limit)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("no evidence gaps logged yet")
    for row in rows:
        nearest = ", ".join(row["nearest_topics"]) or "-"
        typer.echo(
            f"{row['created_at'][:16]}  [{row['face']} {row['language']}]  {row['question']}   (nearest: {nearest})"
        )


@app.command("gap-clusters")
def gap_clusters(
    files: Annotated[list[Path], typer.Argument(help="Labelled sets, e.g. corpus/eval/gap-clusters.yaml.")],
    distance: Annotated[
        float | None, typer.Option(help="The grouping distance to try (default: the shipped one).")
    ] = None,
) -> None:
    """How well the console groups evidence gaps: adjusted Rand index and pairwise precision and recall."""
    import yaml

    from assistant.core.crosslingual import UniversalSentenceEncoder
    from assistant.core.curation import GROUP_DISTANCE, GapGrouper, grouping_scores, load_grouping_set

    grouper = GapGrouper(UniversalSentenceEncoder().encode, distance or GROUP_DISTANCE)
    for path in files:
        try:
            texts, truth = load_grouping_set(path)
        except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
            typer.echo(f"error: {path}: not a labelled set ({exc}); see corpus/eval/gap-clusters.yaml", err=True)
            raise typer.Exit(2) from None
        scores = grouping_scores(grouper.labels(texts), truth)
        typer.echo(
            f"{path}: {len(texts)} questions, ARI {scores['ari']:.3f}, pair precision "
            f"{scores['pair_precision']:.3f}, pair recall {scores['pair_recall']:.3f}, groups found "
            f"{scores['groups_found']:.0f} of {scores['groups_true']:.0f} (distance {grouper.distance})"
        )


@app.command()
def retention(
    days: Annotated[
        int | None, typer.Option(help="Older than this many days (default: the retention_days setting).", min=1)
    ] = None,
    mode: Annotated[str | None, typer.Option(help="anonymise or delete (default: the retention_mode setting).")] = None,
) -> None:
    """Anonymise or delete members' questions older than the retention period, now."""
    from assistant.core.records import RecordStore

    settings = Settings()
    days = days or settings.retention_days
    mode = mode or settings.retention_mode
    if days is None:
        typer.echo("error: give --days or set WHATWORKS_RETENTION_DAYS", err=True)
        raise typer.Exit(2)
    if mode not in ("anonymise", "delete"):
        typer.echo("error: --mode must be anonymise or delete", err=True)
        raise typer.Exit(2)
    store = RecordStore(settings.sql_url)
    try:
        done = store.apply_retention(days, mode)
    finally:
        store.close()
    verb = "anonymised" if mode == "anonymise" else "deleted"
    typer.echo(f"{verb} {done} question{'s' if done != 1 else ''} older than {days} days")


def run() -> None:
    app()
