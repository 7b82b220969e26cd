"""A closed-loop load test of the HTTP API: requests/s, p50/p95/p99 and errors at several concurrencies.

Usage: python benchmarks/load.py [--concurrency 1 4 8] [--seconds 30] [--workers 1] [--client httpx|raw] [--json]

The real corpus is ingested into a temporary directory, then `whatworks serve` runs in its own
process on a free loopback port (with `--workers N > 1`, behind a `chroma run` server on loopback,
as the README's scaling section says). Each level keeps N clients busy for the given seconds, each
sending the next of 20 varied questions (the golden set's first in-scope ones) as soon as its last
answer arrives. Nothing leaves the machine; every process is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import yaml  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions(count: int = 20) -> list[str]:
    data = yaml.safe_load((REPO / "corpus" / "eval" / "questions.yaml").read_text(encoding="utf-8"))
    return [q["question"] for q in data["questions"]][:count]


def resident_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (the uvicorn workers), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    family, frontier = {pid}, [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier and child not in family]
        family.update(frontier)
    total = 0.0
    for member in family:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its descendants so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        member = int(stat.parent.name)
        if member == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {timeout}s")


class RawClient:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a fraction of httpx's CPU per request (0.3-0.5
    ms against 1.1-2.3 ms, measured), which on 2 cores is CPU the server under test gets back. It reads only
    what this benchmark needs of a response (status line, Content-Length, body) and checks the body is JSON."""

    def __init__(self, url: str) -> None:
        parts = httpx.URL(url)
        self.host, self.port, self.path = parts.host, parts.port or 80, parts.raw_path.decode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, payload: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        json.loads(await self.reader.readexactly(length))
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def level(
    url: str, asked: list[str], concurrency: int, seconds: float, server: int, raw: bool = False
) -> dict[str, float]:
    """One closed-loop level; also the CPU the server and this client spent per answer (on 2 cores they
    share the machine, so both bound the answers per second)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors
        i = n
        raw_client = RawClient(url) if raw else None
        async with httpx.AsyncClient(timeout=60) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                payload = {"question": asked[i % len(asked)]}
                try:
                    if raw_client is not None:
                        ok = await asyncio.wait_for(raw_client.post(payload), 60) == 200
                    else:
                        ok = (await http.post(url, json=payload)).status_code == 200
                except (httpx.HTTPError, OSError, ValueError, asyncio.IncompleteReadError, TimeoutError):
                    ok = False
                    if raw_client is not None:
                        await raw_client.close()
                        raw_client = RawClient(url)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok
                i += concurrency
        if raw_client is not None:
            await raw_client.close()

    started = time.perf_counter()
    server_cpu, client_cpu = cpu_seconds(server), time.process_time()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    server_cpu, client_cpu = cpu_seconds(server) - server_cpu, time.process_time() - client_cpu
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))], 1)

    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": errors,
        "server_cpu_ms": round(server_cpu * 1000 / max(1, len(latencies)), 1),
        "client_cpu_ms": round(client_cpu * 1000 / max(1, len(latencies)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="httpx",
        help="the load generator: httpx, or keep-alive connections on raw asyncio streams (less of the shared CPU)",
    )
    args = parser.parse_args()
    asked = questions()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "WHATWORKS_DATA_DIR": tmp,
            "WHATWORKS_API__RATE_LIMITS": "",
            "WHATWORKS_API__SESSION_RATE_LIMITS": "",
        }
        subprocess.run([str(BIN / "whatworks-ingest"), str(REPO / "corpus")], env=env, check=True, capture_output=True)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            if args.workers > 1:
                chroma_port = free_port()
                procs.append(
                    subprocess.Popen(
                        [str(BIN / "chroma"), "run", "--path", f"{tmp}/chroma-server", "--host", "127.0.0.1"]
                        + ["--port", str(chroma_port)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
                env["WHATWORKS_CHROMA__URL"] = f"http://127.0.0.1:{chroma_port}"
                wait_ready(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", procs[-1])
                subprocess.run(
                    [str(BIN / "whatworks-ingest"), str(REPO / "corpus")], env=env, check=True, capture_output=True
                )
            port = free_port()
            command = [str(BIN / "whatworks"), "serve", "--host", "127.0.0.1", "--port", str(port)]
            command += ["--workers", str(args.workers)] if args.workers > 1 else []
            procs.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            base = f"http://127.0.0.1:{port}"
            ready = wait_ready(f"{base}/readyz", procs[-1])
            with httpx.Client(timeout=60) as warm:  # the first questions of each worker
                for q in asked * max(1, args.workers):
                    warm.post(f"{base}/v1/ask", json={"question": q})
            server = procs[-1].pid
            results = [
                asyncio.run(level(f"{base}/v1/ask", asked, c, args.seconds, server, args.client == "raw"))
                for c in args.concurrency
            ]
            memory = resident_mb(procs[-1].pid)
        finally:
            for proc in reversed(procs):
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(
        f"whatworks serve, {args.workers} worker(s), {args.client} client; ready in {ready:.1f}s; "
        f"resident memory {memory:.0f} MB; {args.seconds:.0f}s per level"
    )
    for r in results:
        print(
            f"  concurrency {r['concurrency']}: {r['per_s']:6.1f} answers/s  p50 {r['p50_ms']:6.1f} ms  "
            f"p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  errors {r['errors']:.0f} of {r['requests']:.0f}  "
            f"CPU per answer: server {r['server_cpu_ms']:.1f} ms, client {r['client_cpu_ms']:.1f} ms"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "workers": args.workers,
                    "client": args.client,
                    "ready_s": round(ready, 1),
                    "rss_mb": round(memory),
                    "levels": results,
                }
            )
        )


if __name__ == "__main__":
    main()
