"""Incremental, crash-safe sync of the corpus into the active Chroma collection.

Why not LangChain's `index(..., cleanup="full")`: full cleanup deletes every source
missing from the run, so a file that fails to parse would lose its chunks, and the
spec says nothing already indexed may be lost. Here the vector store itself is the
record: chunk ids derive from document id + section + text, each chunk carries its
`source` path, and a document is (re)written only when its set of chunk ids differs.
New chunks are upserted before stale ones are deleted, so a reader never sees a
document vanish, and a run killed at any point is repaired by the next run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.chunks import Chunk
from assistant.core.crosslingual import MultilingualEncoder, prepare_vectors
from assistant.core.embeddings import Embedder
from assistant.core.store import ChromaIndex, ChunkStore
from ingest.chunking import Chunker
from ingest.loaders import LoadedDocument, LoadError, discover, load_document
from ingest.loaders.cleaning import repeated_lines
from ingest.report import DocumentReport, SyncReport

__all__ = ["CorpusSync", "DocumentReport", "SyncReport", "source_key", "stand_in"]

Progress = Callable[[int, int, str], None]
log = logging.getLogger(__name__)


def source_key(path: Path) -> str:
    """How a file is named in chunk metadata: relative to the working directory when it can be."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def _in_scope(source: str, roots: Sequence[Path]) -> bool:
    path = Path(source) if Path(source).is_absolute() else Path.cwd() / source
    path = path.resolve()
    for root in roots:
        r = root.resolve()
        if path == r or r in path.parents:
            return True
    return False


def unexpected(exc: Exception) -> str:
    """A failure no check foresaw, said so that a curator can act: what broke, and what to send us."""
    detail = " ".join(str(exc).split())[:300]
    return (
        f"could not be ingested ({type(exc).__name__}: {detail}); the rest of the corpus is unaffected. "
        "Check the file opens and saves as UTF-8, or report it with the file attached"
    )


def _lower_priority() -> None:
    """This thread, and the threads it starts, yield the CPU to the embedding (Linux sets niceness per thread;
    elsewhere nothing changes)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def stand_in(chunk_id: str, width: int) -> list[float]:
    """A unit vector drawn from a chunk's id: the same for the same id, in every process."""
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(chunk_id.encode()).digest()[:8], "big"))
    vector = rng.standard_normal(width)
    return list(map(float, vector / np.linalg.norm(vector)))


def strip_site_boilerplate(docs: list[LoadedDocument]) -> None:
    """Lines that recur verbatim in three or more uncurated documents are a site's chrome: out of every block."""
    repeated = repeated_lines(["\n".join(b.text for b in d.blocks) for d in docs])
    if not repeated:
        return
    for doc in docs:
        blocks = []
        for block in doc.blocks:
            lines = block.text.splitlines()
            kept = [ln for ln in lines if " ".join(ln.split()) not in repeated]
            doc.removed += len(lines) - len(kept)
            if any(ln.strip() for ln in kept):
                blocks.append(replace(block, text="\n".join(kept).strip()))
        if blocks:  # a page made only of boilerplate keeps what it had rather than vanish
            doc.blocks = blocks


class CorpusSync:
    """Loads, chunks, embeds and writes; one instance per run."""

    def __init__(
        self,
        index: ChromaIndex | None,
        embedder: Embedder,
        chunker: Chunker,
        max_file_bytes: int,
        batch_size: int = 64,
        progress: Progress | None = None,
        store: ChunkStore | None = None,
        multilingual: MultilingualEncoder | None = None,
        vector_cache: Path | None = None,
    ) -> None:
        """`multilingual` and `vector_cache`: the server's multilingual encoder and vector folder; the
        documents written get their multilingual vectors there, so that the server does not encode them
        when it starts (at 12,500 documents, the minutes before it was ready)."""
        self.index = index
        self.embedder = embedder
        self.chunker = chunker
        self.max_file_bytes = max_file_bytes
        self.batch_size = batch_size
        self.progress = progress or (lambda done, total, name: None)
        self._store = store
        self.multilingual = multilingual
        self.vector_cache = vector_cache
        self._failed: set[str] = set()
        # translations that could not be joined to an original this run, with the id they translate
        self._unresolved: dict[str, str] = {}
        self._width: int | None = None  # the embedder's vector size, once known
        self.generation: str | None = None  # the index's generation this run's write made, if it wrote

    def load_all(self, roots: Sequence[Path], report: SyncReport) -> dict[str, LoadedDocument]:
        """Load every file; failures go into the report, never stop the run."""
        docs: dict[str, LoadedDocument] = {}
        by_id: dict[str, str] = {}
        by_translation: dict[str, str] = {}
        files = list(discover(roots))
        # an original given alone brings its French twin along: the twin's chunks carry the original's
        # metadata, so a changed verdict must rewrite them in the same run
        named = set(files)
        files += [
            twin
            for path in files
            if path.suffix == ".md"
            and not path.name.endswith(".fr.md")
            and (twin := path.with_name(path.name.removesuffix(".md") + ".fr.md")).is_file()
            and twin not in named
        ]
        for n, path in enumerate(files, 1):
            self.progress(n, len(files), path.name)
            source = source_key(path)
            try:
                doc = load_document(path, self.max_file_bytes)
                if doc.translation_of is not None:
                    key = f"{doc.metadata.id}@{doc.language}"
                    if key in by_translation:
                        raise LoadError(
                            path,
                            f"'{doc.metadata.id}' already has a {doc.language} translation in "
                            f"{by_translation[key]}: keep one",
                            "id",
                        )
                    by_translation[key] = source
                    docs[source] = doc
                    continue
                if doc.metadata.id in by_id:
                    raise LoadError(
                        path,
                        f"id '{doc.metadata.id}' is already used by {by_id[doc.metadata.id]}: ids must be unique",
                        "id",
                    )
            except LoadError as exc:
                report.failed += 1
                report.errors.append(str(exc))
                docs.pop(source, None)
                self._failed.add(source)
                continue
            except OSError as exc:
                report.failed += 1
                report.errors.append(f"{path}: cannot read the file ({exc.strerror or exc})")
                self._failed.add(source)
                continue
            except Exception as exc:  # whatever a file holds, its failure is its own, never the run's
                log.exception("unexpected failure loading %s", path)
                report.failed += 1
                report.errors.append(f"{path}: {unexpected(exc)}")
                docs.pop(source, None)
                self._failed.add(source)
                continue
            by_id[doc.metadata.id] = source
            docs[source] = doc
        for source in [s for s, d in docs.items() if d.translation_of is not None]:
            try:
                self._resolve_translation(docs[source], docs.get(by_id.get(docs[source].metadata.id, "")))
            except Exception as exc:  # as for any file: its failure is its own, never the run's
                report.failed += 1
                report.errors.append(str(exc) if isinstance(exc, LoadError) else f"{source}: {unexpected(exc)}")
                self._unresolved[source] = docs.pop(source).metadata.id
                self._failed.add(source)
        strip_site_boilerplate([d for d in docs.values() if not d.curated])
        return docs

    def _resolve_translation(self, twin: LoadedDocument, original: LoadedDocument | None) -> None:
        """A translation takes its original's metadata (verdict, sources, French title): found among this
        run's files, else the Markdown file beside it (a run given the translation alone)."""
        if original is None:
            sibling = twin.path.with_name(twin.path.name.replace(f".{twin.language}.", "."))
            if sibling != twin.path and sibling.is_file():
                try:
                    original = load_document(sibling, self.max_file_bytes)
                except Exception:  # the original's own run reports why; here it is only missing
                    original = None
            if original is None or original.metadata.id != twin.metadata.id:
                raise LoadError(
                    twin.path,
                    f"no document with id '{twin.metadata.id}' to translate: ingest the original with it, "
                    "or correct the id",
                    "id",
                )
        if not original.curated:
            raise LoadError(twin.path, f"'{twin.metadata.id}' has no metadata of its own to translate", "id")
        twin.metadata = original.metadata

    def run(self, roots: Sequence[Path], rebuild: bool = False, dry_run: bool = False) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport(rebuilt=rebuild, dry_run=dry_run)
        self._failed = set()
        self._unresolved = {}
        docs = self.load_all(roots, report)

        active = (
            self._store if self._store is not None else (self.index.active(create=not dry_run) if self.index else None)
        )
        existing = active.records() if active is not None else {}
        target: ChunkStore | None
        if rebuild and not dry_run and self.index is not None:
            target = self.index.staging()
            previous = existing
            existing = {}
        else:
            target = active
            previous = {}

        ids_by_source: dict[str, set[str]] = defaultdict(set)
        prints_by_source: dict[str, set[str]] = defaultdict(set)
        for cid, meta in existing.items():
            ids_by_source[str(meta.get("source", ""))].add(cid)
            prints_by_source[str(meta.get("source", ""))].add(str(meta.get("fingerprint", "")))

        pending: list[tuple[str, list[Chunk], set[str]]] = []
        written: list[list[Chunk]] = []  # every chunk of each document written, kept ones too
        for source, doc in docs.items():
            if prints_by_source.get(source) == {self.chunker.fingerprint(doc)}:
                # the same text, metadata and cutting as the chunks in the index: nothing to chunk again
                ids_by_source.pop(source, None)
                report.unchanged += 1
                continue
            try:
                chunks = self.chunker.split(doc, source)
            except Exception as exc:
                log.exception("unexpected failure chunking %s", source)
                report.failed += 1
                report.errors.append(f"{source}: {unexpected(exc)}")
                self._failed.add(source)
                ids_by_source.pop(source, None)  # its chunks already in the index stay
                continue
            new_ids = {c.id for c in chunks}
            old_ids = ids_by_source.pop(source, set())
            if new_ids == old_ids:
                report.unchanged += 1
                continue
            if old_ids:
                report.updated += 1
            else:
                report.added += 1
            report.documents.append(DocumentReport.of(source, "updated" if old_ids else "added", doc, len(chunks)))
            to_write = [c for c in chunks if c.id not in old_ids]
            pending.append((source, to_write, old_ids - new_ids))
            written.append(chunks)

        stale_sources = [s for s in ids_by_source if s not in self._failed and _in_scope(s, roots) and s not in docs]
        stale_sources += self._orphaned(docs, previous or existing, set(stale_sources), rebuild, report)
        # a renamed file's chunks keep their ids (they do not depend on the path): written under the new name,
        # they must not be deleted with the old one
        current = {c.id for _, chunks, _ in pending for c in chunks}
        report.deleted = len(stale_sources)

        if not dry_run and target is not None:
            preparing = self._start_multilingual(written)
            self._write(target, pending, report)
            for source in stale_sources:
                target.delete(sorted(ids_by_source[source] - current))
            if rebuild and self.index is not None:
                self._carry_over_failed(previous, target)
                self.generation = self.index.activate(target)  # type: ignore[arg-type]
            elif (pending or stale_sources) and self.index is not None:
                self.generation = self.index.mark_changed()
            report.chunks = target.count()
            # waited for only after servers are told of the change: a run killed while encoding must not leave
            # the new chunks written but the generation unchanged, unseen by servers until the next change (a
            # running server taking the change in meanwhile encodes what it needs itself)
            report.multilingual = preparing.result() if preparing is not None else 0
        else:
            report.chunks = len(existing)
        report.seconds = time.perf_counter() - started
        return report

    def _write(self, target: ChunkStore, pending: list[tuple[str, list[Chunk], set[str]]], report: SyncReport) -> None:
        """Embed across documents in batches; per batch, one upsert of the new chunks, then one delete of the
        chunks they replace (a quarter of a run's time went to one upsert call per document).

        A batch is written on a second thread while the next one is embedded: Chroma's write keeps one core
        busy, and left a core idle for 5 of 1,000 abstracts' 70 s. Writes stay in order, one at a time."""
        total = sum(len(c) for _, c, _ in pending)
        done = 0
        queue: list[tuple[str, list[Chunk], set[str]]] = []
        queued = 0
        writing: Future[None] | None = None

        def write(batch: list[Chunk], vectors: list[list[float]], stale: list[str]) -> None:
            # one write for the batch's new chunks, then one delete of what they replace: a crash between
            # the two leaves old and new side by side, and the next run deletes the old (as before)
            if batch:
                target.upsert(batch, vectors)
            if stale:
                target.delete(stale)

        with ThreadPoolExecutor(1, thread_name_prefix="whatworks-write") as writer:
            for item in [*pending, None]:
                if item is not None:
                    queue.append(item)
                    queued += len(item[1])
                    if queued < self.batch_size:
                        continue
                if not queue:
                    break
                batch = [c for _, chunks, _ in queue for c in chunks]
                vectors = self._vectors(batch)
                if writing is not None:
                    writing.result()  # the batch before, written (its failure is the run's, raised here)
                    self.progress(done, total, "embedding")
                writing = writer.submit(write, batch, vectors, sorted(cid for _, _, old in queue for cid in old))
                done += len(batch)
                report.embedded += sum(c.metadata.get("language", "en") == "en" for c in batch)
                queue, queued = [], 0
            if writing is not None:
                writing.result()
                self.progress(done, total, "embedding")

    def _start_multilingual(self, written: list[list[Chunk]]) -> Future[int] | None:
        """The multilingual vectors of the documents to write, made on a thread of lower priority beside the
        embedding: it fills the time a core would idle while chunks are written to Chroma (one core) and
        files are read. Made after the write, they added 7.3 s to 1,000 abstracts' 66 s."""
        if self.multilingual is None or self.vector_cache is None or not written:
            return None
        future: Future[int] = Future()

        def work() -> None:
            try:
                future.set_result(self._prepare_multilingual(written))
            except BaseException as exc:  # handed to the run, which waits on it
                future.set_exception(exc)

        # a daemon: a run stopped by Ctrl-C or a failed write exits at once, not after every vector is made
        # (the cache's segments are written whole and renamed, so one cut short is simply absent)
        threading.Thread(target=work, name="whatworks-multilingual", daemon=True).start()
        return future

    def _prepare_multilingual(self, written: list[list[Chunk]]) -> int:
        """Never fails the run: the index is complete without them, and a server makes whatever is missing."""
        assert self.multilingual is not None
        assert self.vector_cache is not None
        started = time.perf_counter()
        try:
            _lower_priority()
            count = prepare_vectors(self.multilingual, self.vector_cache, (c for chunks in written for c in chunks))
        except Exception:
            log.exception("could not make the multilingual vectors ahead; the server will make them")
            return 0
        log.info("multilingual vectors of %d texts made ahead in %.1fs", count, time.perf_counter() - started)
        return count

    def _vectors(self, batch: list[Chunk]) -> list[list[float]]:
        """The embedder's vector for each English chunk. A translation's chunk is never searched by it (the
        multilingual encoder reads those, per snapshot), so it gets a stand-in: a unit vector drawn from its
        id, not the same for all, which would crowd one point of the store's index. Embedding the French
        twins with the English model doubled the corpus's ingestion time (11 s to 22 s)."""
        english = [c for c in batch if c.metadata.get("language", "en") == "en"]
        embedded = iter(self.embedder.embed_documents([c.context_text() for c in english]) if english else [])
        out: list[list[float]] = []
        for chunk in batch:
            if chunk.metadata.get("language", "en") == "en":
                out.append(list(next(embedded)))
                self._width = len(out[-1])
            else:
                if self._width is None:
                    self._width = len(self.embedder.embed_query("width"))
                out.append(stand_in(chunk.id, self._width))
        return out

    def _orphaned(
        self,
        docs: dict[str, LoadedDocument],
        indexed: dict[str, dict[str, Any]],
        deleted: set[str],
        rebuild: bool,
        report: SyncReport,
    ) -> list[str]:
        """Translations whose original is gone from the index (deleted, not failing): their chunks go too, so a
        French answer never quotes evidence a curator withdrew. A twin failing beside an original that is still
        indexed (unreadable this time, say) keeps its chunks, as every failed file does."""
        english = {d.metadata.id for d in docs.values() if d.translation_of is None}
        for meta in indexed.values():
            source = str(meta.get("source", ""))
            kept = source in self._failed if rebuild else source not in deleted
            if meta.get("language", "en") == "en" and source not in docs and kept:
                english.add(str(meta.get("document_id", "")))
        orphans = []
        for source, document_id in self._unresolved.items():
            if document_id in english or not any(str(m.get("source", "")) == source for m in indexed.values()):
                continue
            self._failed.discard(source)
            orphans.append(source)
            report.errors.append(
                f"{source}: its original '{document_id}' is no longer in the index, so its French chunks were "
                "removed too: delete this file, or restore the original"
            )
        return orphans

    def _carry_over_failed(self, previous: dict[str, dict[str, Any]], target: ChunkStore) -> None:
        """A rebuild keeps the old chunks of files that failed this time: nothing indexed is lost."""
        assert self.index is not None
        old = self.index.active()
        if old is None:
            return
        ids = [cid for cid, meta in previous.items() if meta.get("source") in self._failed]
        if ids:
            chunks, vectors = old.export(ids)
            target.upsert(chunks, vectors)
