"""The bare Litestar JSON endpoint every throughput is compared with (``baseline_ratio``).

Served by ``python -m bench.baseline_app --port N`` on the same granian settings as
``ticketing serve``, so that the ratio isolates what the API does beyond answering JSON.
"""

from __future__ import annotations

import argparse

from litestar import Litestar, get

from ticketing_entrypoints.cli.serve import granian_server

PATH = "/baseline"


@get(PATH, sync_to_thread=False)
def baseline() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar(route_handlers=[baseline], openapi_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    granian_server(
        "bench.baseline_app:create_app", host=arguments.host, port=arguments.port, workers=1
    ).serve()


if __name__ == "__main__":
    main()
