"""A small OpenAI-compatible server for tests and benchmarks: ``/v1/chat/completions`` and
``/v1/completions`` (plain JSON, or server-sent events with ``stream: true`` and a final
``usage`` chunk when ``stream_options.include_usage`` is set) and ``/v1/models``, in the wire
format of the OpenAI API, so the real ``openai`` client talks to it over HTTP.

It counts what it is asked (requests, requests in flight and their maximum, a log of every
generation request) and injects faults: queued ones (``fail(status=429, retry_after="1")``,
``fail(status=500)``, ``fail(slow=2.0)``) are served to the next requests in order; bad keys get
401, unknown models 404. Answers come from ``answer(model, prompt, seed, call)`` (``call``
counts the requests for that prompt, from 0), by default a text naming the model, the prompt and
the seed.

    with StubServer(latency=0.05) as stub:          # in a thread, on loopback
        ...  OpenAI(base_url=stub.url, api_key=stub.key) ...

``python -m preflab.generate.stub --port 8001 --latency 0.05`` serves one in its own process
(``GET /stub/stats`` gives its counters; ``DELETE /stub/stats`` resets them).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable

import orjson

_counter = itertools.count()


def judge_answer(better: Callable[[str, str, str], str | None], *, first_bias: float = 0.0, seed: int = 0):
    """An ``answer`` for a judge (``preflab.domain.judging``'s request): ``better(question, a, b)``
    names the better answer's text as it knows the truth (``"A"``, ``"B"``, ``"C"``, or None for
    an answer without a verdict); with ``first_bias`` it says ``[[A]]`` that share of the time
    whatever the answers are, as a judge with a first-position bias does."""
    import random
    import re

    rng = random.Random(seed)
    parts = re.compile(
        r"\[User Question\]\n(.*?)\n\n\[The Start of Assistant A's Answer\]\n(.*?)\n"
        r"\[The End of Assistant A's Answer\]\n\n\[The Start of Assistant B's Answer\]\n(.*?)\n"
        r"\[The End of Assistant B's Answer\]",
        re.S,
    )

    def answer(model: str, prompt: str, seed_: int | None, call: int) -> str:
        found = parts.search(prompt)
        if found is None:
            return "I was not asked to judge anything."
        if rng.random() < first_bias:
            return "Assistant A reads better. [[A]]"
        verdict = better(*found.groups())
        return "I cannot decide." if verdict is None else f"Having compared both: [[{verdict}]]"

    return answer


def default_answer(model: str, prompt: str, seed: int | None, call: int) -> str:
    tail = f"seed {seed}" if seed is not None else f"draw {next(_counter)}"
    return f"{model} answers: {prompt[:60]} ({tail})"


class StubServer:
    def __init__(
        self,
        *,
        models=("stub-a", "stub-b"),
        keys=("sk-test",),
        latency: float = 0.0,
        answer: Callable[[str, str, int | None, int], str] = default_answer,
        host: str = "127.0.0.1",
        port: int | None = None,
    ):
        self.models, self.keys, self.latency, self.answer = list(models), set(keys), latency, answer
        self.host, self.port = host, port or _free_port()
        self.url = f"http://{host}:{self.port}/v1"
        self.key = next(iter(self.keys), "")
        self.listed: list[str] | None = None  # what /v1/models lists, when not ``models``
        self.faults: list[dict] = []
        self.requests = 0  # generation requests (chat and completions), faults included
        self.model_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.log: list[dict] = []  # every generation request: model, prompt, seed, stream, status
        self.calls: dict[str, int] = defaultdict(int)  # answered requests per prompt
        self.app = self._app()
        self._server = None
        self._thread = None

    # faults and counters -------------------------------------------------------------------
    def fail(self, *, status: int | None = None, retry_after: str | None = None, slow: float | None = None,
             times: int = 1, message: str | None = None) -> None:  # fmt: skip
        """Queue a fault for the next ``times`` generation requests."""
        for _ in range(times):
            self.faults.append(
                {"status": status, "retry_after": retry_after, "slow": slow, "message": message}
            )

    def reset_counts(self) -> None:
        self.requests = self.model_requests = self.max_in_flight = 0
        self.log.clear()

    # the app ---------------------------------------------------------------------------------
    def _app(self):
        from starlette.applications import Starlette
        from starlette.routing import Route

        return Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/completions", self._completions, methods=["POST"]),
                Route("/stub/stats", self._stats, methods=["GET", "DELETE"]),
            ]
        )

    def _denied(self, request):
        header = request.headers.get("authorization", "")
        key = header[7:] if header.lower().startswith("bearer ") else ""
        if key in self.keys:
            return None
        return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")

    async def _models(self, request):
        self.model_requests += 1
        denied = self._denied(request)
        if denied is not None:
            return denied
        created = 1_700_000_000
        listed = self.models if self.listed is None else self.listed
        data = [{"id": m, "object": "model", "created": created, "owned_by": "stub"} for m in listed]
        return _json({"object": "list", "data": data})

    async def _stats(self, request):
        """The counters (for a stub in another process); DELETE resets them."""
        if request.method == "DELETE":
            self.reset_counts()
        return _json({"requests": self.requests, "model_requests": self.model_requests,
                      "in_flight": self.in_flight, "max_in_flight": self.max_in_flight})  # fmt: skip

    async def _chat(self, request):
        return await self._generate(request, chat=True)

    async def _completions(self, request):
        return await self._generate(request, chat=False)

    async def _generate(self, request, *, chat: bool):
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        streaming = False
        try:
            body = orjson.loads(await request.body())
            if chat:
                users = [m for m in body.get("messages", []) if m.get("role") == "user"]
                prompt = users[-1]["content"] if users else ""
            else:
                prompt = body.get("prompt", "")
            entry = {"model": body.get("model"), "prompt": prompt, "seed": body.get("seed"),
                     "stream": bool(body.get("stream")), "status": 200, "body": body}  # fmt: skip
            self.log.append(entry)
            fault = self.faults.pop(0) if self.faults else None
            if self.latency:
                await asyncio.sleep(self.latency)
            denied = self._denied(request)
            if denied is not None:
                entry["status"] = 401
                return denied
            if body.get("model") not in self.models:
                entry["status"] = 404
                return _error(404, f"The model `{body.get('model')}` does not exist.", "invalid_request_error",
                              "model_not_found")  # fmt: skip
            if fault and fault["slow"]:
                await asyncio.sleep(fault["slow"])
            if fault and fault["status"]:
                entry["status"] = fault["status"]
                headers = {"retry-after": fault["retry_after"]} if fault["retry_after"] else {}
                return _error(fault["status"], fault["message"] or f"injected {fault['status']}", "server_error",
                              None, headers)  # fmt: skip
            text = self.answer(body["model"], prompt, body.get("seed"), self.calls[prompt])
            self.calls[prompt] += 1
            if body.get("stream"):
                streaming = True
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return self._sse(body["model"], text, prompt, chat, include_usage)
            return _json(_completion(body["model"], text, prompt, chat))
        finally:
            if not streaming:
                self.in_flight -= 1

    def _sse(self, model: str, text: str, prompt: str, chat: bool, include_usage: bool):
        from starlette.responses import StreamingResponse

        ident, created = f"{'chatcmpl' if chat else 'cmpl'}-{next(_counter)}", int(time.time())
        kind = "chat.completion.chunk" if chat else "text_completion"

        def chunk(choices, usage=None):
            out = {"id": ident, "object": kind, "created": created, "model": model, "choices": choices}
            if usage is not None or include_usage:
                out["usage"] = usage
            return b"data: " + orjson.dumps(out) + b"\n\n"

        def choice(piece: str | None, finish: str | None, role: bool = False):
            if not chat:
                return {"index": 0, "text": piece or "", "logprobs": None, "finish_reason": finish}
            delta = {"role": "assistant", "content": ""} if role else ({"content": piece} if piece else {})
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

        words = text.split(" ")

        async def events():
            try:
                if chat:
                    yield chunk([choice(None, None, role=True)])
                for i, word in enumerate(words):
                    await asyncio.sleep(0)
                    yield chunk([choice(word if i == 0 else " " + word, None)])
                yield chunk([choice(None, "stop")])
                if include_usage:
                    yield chunk([], _usage(prompt, text))
                yield b"data: [DONE]\n\n"
            finally:
                self.in_flight -= 1

        return StreamingResponse(events(), media_type="text/event-stream")

    # running -----------------------------------------------------------------------------------
    def __enter__(self):
        import uvicorn

        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning",
                                access_log=False, lifespan="off")  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the stub server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self._server.should_exit = True
        self._thread.join(10)


def _usage(prompt: str, text: str) -> dict:
    p, c = len(prompt.split()), len(text.split())
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _completion(model: str, text: str, prompt: str, chat: bool) -> dict:
    created, ident = int(time.time()), next(_counter)
    if chat:
        return {
            "id": f"chatcmpl-{ident}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(prompt, text),
        }
    return {
        "id": f"cmpl-{ident}",
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
        "usage": _usage(prompt, text),
    }


def _json(document: dict, status: int = 200, headers: dict | None = None):
    from starlette.responses import Response

    return Response(
        orjson.dumps(document), status_code=status, headers=headers, media_type="application/json"
    )


def _error(status: int, message: str, kind: str, code: str | None, headers: dict | None = None):
    return _json({"error": {"message": message, "type": kind, "param": None, "code": code}}, status, headers)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds each generation request takes.")
    parser.add_argument("--model", action="append", help="Model to serve (repeatable).")
    parser.add_argument("--key", default="sk-test")
    args = parser.parse_args()
    import uvicorn

    stub = StubServer(models=args.model or ["stub-a", "stub-b"], keys=[args.key], latency=args.latency,
                      port=args.port)  # fmt: skip
    uvicorn.run(stub.app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
