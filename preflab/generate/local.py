"""Local Hugging Face checkpoints (``--model hf:PATH``): a folder, or a ``.gguf`` file read through
transformers' GGUF loader (de-quantized). Loaded with ``local_files_only=True``: nothing is
downloaded.

Requests from concurrent prompts are gathered into batches of up to ``batch_size`` and generated
together in a worker thread (the event loop keeps collecting the next batch meanwhile). Prompts
are left padded, so every sequence in a batch ends where generation starts, and the attention mask
hides the padding: a prompt gets the same greedy answer alone or in a batch. A tokenizer with a
chat template renders the messages through it; one without gets the prompt text (a chat history as
its transcript, ending in ``Assistant:``). Sampling draws from ``torch.manual_seed`` set per batch
from the first request's seed, so a seeded run repeats when its batches do.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from .backends import Answer, Fatal, Request, Stats
from .config import GenerateConfig

EXTRA_HINT = "local models need the train extra: pip install 'preflab[train]'"


class LocalBackend:
    batched = True  # limits itself to a batch at a time: not under the HTTP concurrency limit
    greedy_is_deterministic = True

    def __init__(self, model, tokenizer, config: GenerateConfig, stats: Stats, name: str):
        self.model, self.tokenizer, self.config, self.stats, self.name = model, tokenizer, config, stats, name
        self.device = next(model.parameters()).device
        self.queue: asyncio.Queue | None = None
        self.batcher: asyncio.Task | None = None
        self.batch_sizes: list[int] = []  # one entry per generate() call

    @classmethod
    def load(cls, path: str, config: GenerateConfig, stats: Stats) -> LocalBackend:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise Fatal(EXTRA_HINT) from None
        file = Path(path).expanduser()
        if not file.exists():
            raise Fatal(f"hf:{path}: no such folder or .gguf file (local models are never downloaded)")
        folder, extra = file, {}
        if file.is_file():
            if file.suffix.lower() != ".gguf":
                raise Fatal(f"hf:{path}: name a checkpoint folder or a .gguf file")
            folder, extra = file.parent, {"gguf_file": file.name}
        device = _device(config.device, torch)
        dtype = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        model_extra = dict(extra)
        if "gguf_file" in extra:
            with contextlib.suppress(ImportError, TypeError):
                from transformers import GgufConfig

                model_extra["quantization_config"] = GgufConfig(gguf_file=file.name, dequantize=True)
        try:
            # local files only: nothing is ever fetched from a model hub
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, **extra)  # nosec B615
            model = AutoModelForCausalLM.from_pretrained(  # nosec B615
                str(folder), dtype=dtype, local_files_only=True, **model_extra
            )
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise Fatal(f"hf:{path}: cannot load the model: {exc}") from exc
        model.to(device).eval()
        tokenizer.padding_side = "left"
        tokenizer.truncation_side = "left"  # a long prompt keeps its end, next to the answer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        return cls(model, tokenizer, config, stats, f"hf:{path}")

    async def check(self) -> None:
        return None

    async def complete(self, request: Request) -> Answer:
        if self.batcher is None:
            self.queue = asyncio.Queue()
            self.batcher = asyncio.create_task(self._batches())
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((request, future))
        return await future

    async def aclose(self) -> None:
        if self.batcher is not None:
            self.batcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.batcher

    async def _batches(self) -> None:
        while True:
            batch = [await self.queue.get()]
            await asyncio.sleep(0)  # let the other prompts' slots queue up
            while len(batch) < self.config.batch_size and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            live = [(r, f) for r, f in batch if not f.cancelled()]
            if not live:
                continue
            try:
                answers = await asyncio.to_thread(self.generate, [r for r, _ in live])
            except Exception as exc:
                for _, f in live:
                    if not f.done():
                        f.set_exception(exc)
                continue
            self.stats.requests += len(live)
            self.stats.tokens += sum(a.tokens for a in answers)
            for (_, f), answer in zip(live, answers, strict=True):
                if not f.done():
                    f.set_result(answer)

    def render(self, request: Request) -> str:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            return tok.apply_chat_template(request.messages, tokenize=False, add_generation_prompt=True)
        if len(request.messages) > 1:
            return request.text + "\n\nAssistant:"
        return request.text

    def generate(self, requests: list[Request]) -> list[Answer]:
        """Answer a batch (runs in a worker thread)."""
        import torch

        tok, config = self.tokenizer, self.config
        templated = bool(getattr(tok, "chat_template", None))
        limit = getattr(self.model.config, "max_position_embeddings", None)
        room = max(1, limit - config.max_tokens) if limit else None
        encoded = tok(
            [self.render(r) for r in requests],
            return_tensors="pt",
            padding=True,
            truncation=room is not None,
            max_length=room,
            add_special_tokens=not templated,  # a chat template writes its own BOS
        ).to(self.device)
        sampling = {"do_sample": False}
        if config.temperature > 0:
            sampling = {"do_sample": True, "temperature": config.temperature, "top_p": config.top_p}
        seed = requests[0].seed
        if seed is not None:
            torch.manual_seed(seed)
        eos = self.model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos]) if eos is not None else {tok.eos_token_id}
        with torch.inference_mode():
            out = self.model.generate(
                **encoded,
                max_new_tokens=config.max_tokens,
                min_new_tokens=1,  # an empty answer is no candidate
                pad_token_id=tok.pad_token_id,
                eos_token_id=sorted(e for e in eos if e is not None) or None,
                **sampling,
            )
        self.batch_sizes.append(len(requests))
        answers = []
        for row in out[:, encoded["input_ids"].shape[1] :].tolist():
            end = next((i for i, t in enumerate(row) if t in eos), None)
            ids = row if end is None else row[:end]
            answers.append(Answer(tok.decode(ids, skip_special_tokens=True).strip(), len(ids),
                                  "length" if end is None else "stop"))  # fmt: skip
        return answers


def _device(name: str, torch):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
