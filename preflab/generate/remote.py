"""Any OpenAI-compatible endpoint (OpenAI, vLLM, TGI, llama.cpp server, Ollama, ...) through the
``openai`` client's async API.

The client's own retries are off (``max_retries=0``): this module retries 408 / 409 / 429 / 5xx,
timeouts and dropped connections itself, with exponential back-off and jitter, honouring
``Retry-After`` / ``retry-after-ms``, and counts every try. 401 / 403 (authentication) and 404
(a model or path the server does not have) stop the run with a message saying what to fix.
Before the first prompt, ``check`` asks ``/v1/models`` whether the server has the model (servers
without that route are asked nothing more).
"""

from __future__ import annotations

import asyncio

from .backends import Answer, Fatal, Request, RequestFailed, Stats, backoff, retry_after, retryable
from .config import GenerateConfig

EXTRA_HINT = "the OpenAI-compatible backend needs the generate extra: pip install 'preflab[generate]'"


def make_client(config: GenerateConfig):
    try:
        from openai import AsyncOpenAI
    except ImportError:
        raise Fatal(EXTRA_HINT) from None
    import os

    base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or None
    api_key = config.api_key or os.environ.get("OPENAI_API_KEY")
    if not api_key:
        if base_url is None:
            raise Fatal("no API key: set --api-key or OPENAI_API_KEY (or --base-url for a local server)")
        api_key = "none"  # local servers (vLLM, llama.cpp, Ollama) usually take any key
    return AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=config.timeout, max_retries=0)


class OpenAIBackend:
    greedy_is_deterministic = False  # servers batch and may answer a greedy request differently

    def __init__(self, client, model: str, config: GenerateConfig, stats: Stats):
        self.client, self.model, self.config, self.stats = client, model, config, stats
        self.url = str(client.base_url).rstrip("/")

    async def check(self) -> None:
        """Fail early on a bad key or a model the server does not list."""
        import openai

        try:
            page = await self._retrying(lambda: self.client.models.list(), what="listing the models")
        except RequestFailed as exc:
            raise Fatal(str(exc)) from None
        except Fatal as exc:
            if isinstance(exc.__cause__, openai.NotFoundError):
                return  # no /v1/models here: the first request will tell
            raise
        ids = [m.id for m in page.data]
        if ids and self.model not in ids:
            shown = ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else "")
            raise Fatal(f"the model {self.model!r} is not served at {self.url} (it serves: {shown})")

    async def aclose(self) -> None:
        await self.client.close()

    async def complete(self, request: Request) -> Answer:
        return await self._retrying(lambda: self._once(request), what=f"asking {self.model}")

    async def _retrying(self, call, *, what: str):
        import httpx
        import openai

        for attempt in range(self.config.max_retries + 1):
            self.stats.requests += 1
            try:
                return await call()
            except openai.APIStatusError as exc:
                status, problem = exc.status_code, _message(exc)
                if status in (401, 403):
                    raise Fatal(
                        f"authentication failed ({status}) at {self.url}: {problem}. "
                        "Check --api-key / OPENAI_API_KEY."
                    ) from exc
                if status == 404:
                    raise Fatal(
                        f"not found (404) at {self.url} {what}: {problem}. Check the model name "
                        "(GET /v1/models lists them) and --base-url (it usually ends in /v1)."
                    ) from exc
                if not retryable(status):
                    raise RequestFailed(
                        f"{what}: the server refused the request ({status}): {problem}"
                    ) from exc
                last, asked = f"{status} {problem}", retry_after(exc.response.headers)
            except (openai.APITimeoutError, openai.APIConnectionError, httpx.TransportError) as exc:
                last, asked = f"{type(exc).__name__}: {exc}", None
            except openai.APIError as exc:  # e.g. an error event in the middle of a stream
                last, asked = f"{type(exc).__name__}: {exc}", None
            if attempt == self.config.max_retries:
                break
            self.stats.retries += 1
            await asyncio.sleep(backoff(attempt, self.config.retry_delay, asked))
        raise RequestFailed(f"{what}: gave up after {self.config.max_retries + 1} tries; last: {last}")

    def _params(self, request: Request) -> dict:
        params = {
            "model": self.model,
            "temperature": self.config.temperature,
            "top_p": self.config.top_p,
            "max_tokens": self.config.max_tokens,
        }
        if request.seed is not None:
            params["seed"] = request.seed
        return params

    async def _once(self, request: Request) -> Answer:
        chat = self.config.endpoint == "chat"
        params = self._params(request)
        if chat:
            create, params["messages"] = self.client.chat.completions.create, request.messages
        else:
            create, params["prompt"] = self.client.completions.create, request.text
        if not self.config.stream:
            response = await create(**params)
            if not response.choices:
                raise RequestFailed(f"asking {self.model}: the answer has no choices")
            choice = response.choices[0]
            text = (choice.message.content if chat else choice.text) or ""
            tokens = response.usage.completion_tokens if response.usage else len(text.split())
            self.stats.tokens += tokens
            return Answer(text, tokens, choice.finish_reason)
        stream = await create(**params, stream=True, stream_options={"include_usage": True})
        parts: list[str] = []
        counted, usage, finish = 0, None, None
        try:
            async for chunk in stream:
                if getattr(chunk, "usage", None):
                    usage = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    piece = (choice.delta.content if chat else choice.text) or ""
                    if piece:
                        parts.append(piece)
                        counted += 1  # a chunk is about a token; corrected by usage at the end
                        self.stats.tokens += 1
                    finish = choice.finish_reason or finish
        except BaseException:
            self.stats.tokens -= counted
            raise
        if usage is not None:
            self.stats.tokens += usage - counted
        return Answer("".join(parts), usage if usage is not None else counted, finish)


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return str(exc.message) if getattr(exc, "message", None) else str(exc)
