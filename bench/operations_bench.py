"""Benchmark: sustained intake on the live service, SQLite and PostgreSQL side by side.

The server (`altresponse serve`, uvicorn) runs in its own process on 127.0.0.1; the load generator
runs in another process. It sends `POST /calls` at a fixed rate (open loop: a request is sent on
schedule whether or not earlier ones have answered, so a slow server cannot slow the load down)
for the given duration, each a new canonical call (Sample City's kinds of call, with screening
answers), and measures every request's latency from its scheduled time to its answer.

Targets (issue): at least 300 intakes a second sustained for 60 s, p99 under 50 ms, with SQLite,
on this 2-core machine; the same run against PostgreSQL is reported beside it.

    .venv/bin/python bench/operations_bench.py [--rate 300] [--seconds 60] [--workers 1]
        [--no-postgres]

or `make bench-operations`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from altresponse.operations.auth import Role, Users
from altresponse.operations.db import make_engine, sessions, upgrade

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PASSWORD = "benchmark-password"
TARGET_RATE = 300
TARGET_P99_MS = 50.0
CONNECTIONS = 64
"""Keep-alive connections the generator spreads its requests over (as a CAD's pool would)."""
KINDS = (
    ("WELFARE CHECK", "PERSON SLEEPING IN DOORWAY, NO WEAPONS"),
    ("DISTURBANCE", "MALE YELLING AT CARS"),
    ("SUICIDE THREAT", "RP SAYS FRIEND TEXTED GOODBYE"),
    ("TRESPASS", "SUBJ REFUSING TO LEAVE LOBBY"),
    ("ASSAULT", "MALE HIT W/ BOTTLE"),
)
SCREENED = {
    "weapon": False, "violence": False, "injury": False, "medical_emergency": False,
    "crime_in_progress": False, "immediate_danger": False, "suicide_risk": "none",
}  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"ALTRESPONSE_DATABASE_URL": url, "ALTRESPONSE_PROGRAM": "star_denver"}
    cmd = [str(Path(sys.executable).parent / "altresponse"), "serve", "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


async def _load(base: str, rate: float, seconds: float, prefix: str) -> dict[str, float]:
    """Open-loop load over keep-alive connections, with plain asyncio streams.

    (httpx's connection pool costs more CPU per request than the server under test at these
    rates, so the generator would measure itself.)
    """
    host, port = base.removeprefix("http://").split(":")
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (await client.post("/auth/token", json={"name": "b", "password": PASSWORD})).json()
    auth = f"Bearer {token['token']}"
    total = int(rate * seconds)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for k in range(total):
        queue.put_nowait(k)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.5

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        while True:
            try:
                k = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            local, notes = KINDS[k % len(KINDS)]
            body = json.dumps({
                "call_id": f"{prefix}-{k}", "agency": "BENCH",
                "received_at": "2025-05-07T12:10:00-06:00", "local_type": local,
                "narrative": notes, "screening": SCREENED,
            }).encode()  # fmt: skip
            writer.write(
                f"POST /calls HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - due) * 1000)
            if status != 201:
                errors += 1
        writer.close()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": total,
        "errors": errors,
        "seconds": elapsed,
        "rate": total / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
    }


def _generator(base: str, rate: float, seconds: float, prefix: str) -> dict[str, float]:
    """The load generator in its own process (the server's process stays the server's)."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]);"
        "import operations_bench as b;"
        "print(json.dumps(asyncio.run(b._load(sys.argv[2], float(sys.argv[3]),"
        " float(sys.argv[4]), sys.argv[5]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(HERE), base, str(rate), str(seconds), prefix],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout)
    return result


def run(name: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    upgrade(url)
    Users(sessions(make_engine(url))).add("b", Role.CALL_TAKER, PASSWORD)
    port = _port()
    server = _serve(url, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        _generator(base, 50, 2, f"{name}-warm")
        result = _generator(base, args.rate, args.seconds, f"{name}-run")
    finally:
        server.terminate()
        server.wait(timeout=30)
    met = result["rate"] >= 0.98 * TARGET_RATE and result["p99_ms"] < TARGET_P99_MS
    print(
        f"{name:10} {result['requests']:>7,.0f} intakes in {result['seconds']:5.1f} s = "
        f"{result['rate']:6.1f}/s, p50 {result['p50_ms']:6.1f} ms, p99 {result['p99_ms']:6.1f} "
        f"ms, max {result['max_ms']:7.1f} ms, errors {result['errors']:.0f}"
        + (f"  [target {TARGET_RATE}/s, p99 < {TARGET_P99_MS:g} ms: "
           f"{'MET' if met and not result['errors'] else 'NOT MET'}]" if name == "sqlite" else ""),
        flush=True,
    )  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"{args.rate:g} intakes/s for {args.seconds:g} s, {args.workers} server worker(s), "
          f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="ops-bench-"))
    work.chmod(0o755)
    try:
        run("sqlite", f"sqlite:///{work / 'ops.db'}", args)
        if not args.no_postgres:
            script = ROOT / "scripts" / "test-postgres"
            url = subprocess.run(
                [str(script), "start", str(work / "pg")], check=True, capture_output=True,
                text=True,
            ).stdout.strip()  # fmt: skip
            try:
                run("postgresql", url, args)
            finally:
                subprocess.run([str(script), "stop", str(work / "pg")], check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
