"""Tiny models built from configs for the training, TRL and generation tests: word-level
tokenizers and a layer or two, saved as local checkpoints (no download, seconds on CPU).
Import only where torch is installed (the tests skip themselves without the extra)."""

from __future__ import annotations

WORDS = [
    "the",
    "answer",
    "is",
    "good",
    "bad",
    "evil",
    "what",
    "how",
    "why",
    "of",
    "to",
    "a",
    "capital",
    "paris",
    "london",
    "cat",
    "dog",
    ":",
    "user",
    "assistant",
    "system",
]


def tiny_bert(folder, *, hidden: int = 32, layers: int = 2, eos: str | None = None):
    """A BERT sequence classifier (one score); its tokenizer has SEP and, unless ``eos``, no EOS."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *map(str, range(40))]
    extra = {"eos_token": eos} if eos else {}
    BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, **extra).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=128,
        num_labels=1,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


def tiny_llama(folder, *, hidden: int = 32, layers: int = 2, chat_template: str | None = None):
    """A Llama-shape causal LM; its tokenizer has EOS and no SEP."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = ["<pad>", "<unk>", "<eos>", *WORDS, *map(str, range(40))]
    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
        pad_token_id=0,
        eos_token_id=2,
        bos_token_id=None,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder
