"""Reads a bot's `/metrics` over HTTP, as Prometheus does, with prometheus-client's parser."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Scrape:
    families: dict[str, str]  # family name -> type
    samples: list[tuple[str, dict[str, str], float]]
    content_type: str

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called `name` whose labels include `labels` (0: none)."""
        return sum(
            v for n, ls, v in self.samples
            if n == name and all(ls.get(k) == want for k, want in labels.items())
        )

    def labels_of(self, name: str, label: str) -> set[str]:
        return {ls[label] for n, ls, _ in self.samples if n == name and label in ls}


async def scrape(port: int, accept: str | None = None) -> Scrape:
    headers = {"Accept": accept} if accept else {}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as response:
            assert response.status == 200, await response.text()
            text = await response.text()
            content_type = response.headers["Content-Type"]
    families, samples = {}, []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        samples += [(s.name, dict(s.labels), s.value) for s in family.samples]
    return Scrape(families, samples, content_type)
