"""Sample City's year as canonical Parquet, generated and ingested once into bench/.cache."""

from __future__ import annotations

from pathlib import Path

from altresponse.calls.adapter import find_adapter
from altresponse.calls.ingest import ingest, ingest_stamp
from altresponse.samplecity.generator import generate

CACHE = Path(__file__).resolve().parent / ".cache"
SAMPLE_SEED = 2026


def sample_city_year(cache: Path = CACHE) -> Path:
    """A year of Sample City, ingested (with the ingest stamp); rebuilt only when missing."""
    out = cache / f"sample_city_{SAMPLE_SEED}.parquet"
    if not out.exists() or not ingest_stamp(out):
        cache.mkdir(parents=True, exist_ok=True)
        csv = cache / f"sample_city_{SAMPLE_SEED}.csv"
        print(f"generating Sample City (seed {SAMPLE_SEED}) in {csv} ...", flush=True)
        generate(csv, seed=SAMPLE_SEED)
        ingest(csv, find_adapter("sample_city"), out)
        csv.unlink()
    return out
