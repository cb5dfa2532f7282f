#!/usr/bin/env python3
"""Plain PyTorch eager fine-tuning of a BERT sequence classifier: the peer the `pytorch` benchmark mode compares with.

Reads an HF-layout folder (config.json + model.safetensors with the encoder, pooler and classifier the C# side saved, so both
start from the same weights) and a JSON file of pre-tokenized batches (the same batches the C# side trains on), then trains
with AdamW (decay on weights of rank >= 2, as our Trainer), gradient clipping at 1.0 and dropout on, and prints one JSON
line with examples/s over the timed steps, the losses and the matmul GFLOP/s measured in this process.

Needs only torch (Debian: python3-torch; install libopenblas0-pthread too, or BLAS falls back to netlib, ~8x slower).
The model is written out here, HF's modeling_bert.py in miniature, so no transformers package is needed.
Usage: finetune_bert.py MODEL_DIR BATCHES_JSON --threads 2 --warmup 2 [--warm-pass] [--bf16]
"""
import argparse, json, math, struct, sys, time

import torch
from torch import nn
import torch.nn.functional as F


def load_safetensors(path):
    """The safetensors format: u64 header length, JSON header, raw little-endian tensors (no safetensors package needed)."""
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[info["dtype"]]) if end > start else torch.empty(0)
        tensors[name] = t.reshape(info["shape"]).float() if info["dtype"] != "I64" else t.reshape(info["shape"])
    return tensors


class Layer(nn.Module):
    """One BERT layer, post-LayerNorm, GELU (erf), as HF BertLayer; attention through PyTorch's SDPA-free eager path."""

    def __init__(self, c):
        super().__init__()
        h, self.heads = c["hidden_size"], c["num_attention_heads"]
        eps, p = c.get("layer_norm_eps", 1e-12), c.get("hidden_dropout_prob", 0.1)
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attention_output, self.attention_norm = nn.Linear(h, h), nn.LayerNorm(h, eps=eps)
        self.intermediate, self.output = nn.Linear(h, c["intermediate_size"]), nn.Linear(c["intermediate_size"], h)
        self.output_norm = nn.LayerNorm(h, eps=eps)
        self.dropout, self.attention_dropout = nn.Dropout(p), nn.Dropout(c.get("attention_probs_dropout_prob", 0.1))

    def forward(self, x, additive_mask):
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, h // self.heads).transpose(1, 2)           # (B, nh, T, hs)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + additive_mask          # (B, nh, T, T)
        context = (self.attention_dropout(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, h)
        x = self.attention_norm(x + self.dropout(self.attention_output(context)))
        return self.output_norm(x + self.dropout(self.output(F.gelu(self.intermediate(x)))))


class BertClassifier(nn.Module):
    """Embeddings -> layers -> pooler (dense + tanh on [CLS]) -> dropout -> classifier: HF BertForSequenceClassification."""

    def __init__(self, c, num_labels):
        super().__init__()
        h = c["hidden_size"]
        self.word = nn.Embedding(c["vocab_size"], h)
        self.position = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type = nn.Embedding(c["type_vocab_size"], h)
        self.norm = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.pooler = nn.Linear(h, h)
        self.classifier = nn.Linear(h, num_labels)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.dropout(self.norm(self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))))
        additive = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, additive)
        return self.classifier(self.dropout(torch.tanh(self.pooler(x[:, 0]))))

    def load_hf(self, tensors):
        """Copies HF keys (with or without the bert. prefix) into this model, shape-checked; every parameter must be found."""
        strip = lambda k: k[5:] if k.startswith("bert.") else k
        tensors = {strip(k): v for k, v in tensors.items()}
        names = {"word.weight": "embeddings.word_embeddings.weight", "position.weight": "embeddings.position_embeddings.weight",
                 "token_type.weight": "embeddings.token_type_embeddings.weight", "norm.weight": "embeddings.LayerNorm.weight",
                 "norm.bias": "embeddings.LayerNorm.bias", "pooler.weight": "pooler.dense.weight", "pooler.bias": "pooler.dense.bias",
                 "classifier.weight": "classifier.weight", "classifier.bias": "classifier.bias"}
        parts = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
                 "attention_output": "attention.output.dense", "attention_norm": "attention.output.LayerNorm",
                 "intermediate": "intermediate.dense", "output": "output.dense", "output_norm": "output.LayerNorm"}
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.startswith("layers."):
                    _, i, part, kind = name.split(".")
                    key = f"encoder.layer.{i}.{parts[part]}.{kind}"
                else:
                    key = names[name]
                if key not in tensors or tuple(tensors[key].shape) != tuple(p.shape):
                    sys.exit(f"checkpoint: {key} missing or of another shape than {tuple(p.shape)}")
                p.copy_(tensors[key])


def matmul_gflops(m, k, n, dtype):
    a, w = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    for _ in range(3):
        a @ w
    repeats = max(1, int(2e10 / (2.0 * m * k * n)))
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            a @ w
        times.append((time.perf_counter() - start) / repeats)
    return 2.0 * m * k * n / sorted(times)[2] / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("batches")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--warm-pass", action="store_true", help="train one untimed pass over all batches before the timed pass")
    parser.add_argument("--bf16", action="store_true", help="torch.autocast(cpu, bfloat16) for forward/backward")
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    config = json.load(open(f"{args.model}/config.json"))
    batches = json.load(open(args.batches))["batches"]
    num_labels = len(config.get("id2label", {"0": 0, "1": 1}))
    model = BertClassifier(config, num_labels)
    model.load_hf(load_safetensors(f"{args.model}/model.safetensors"))
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.999), eps=1e-8)

    def train(part, timed_from):
        """Training steps over `part`; steps from index `timed_from` on are timed. Returns losses, seconds, examples."""
        losses, seconds, examples = [], 0.0, 0
        for step, batch in enumerate(part):
            ids, mask = torch.tensor(batch["input_ids"]), torch.tensor(batch["attention_mask"])
            labels = torch.tensor(batch["labels"])
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                logits = model(ids, mask)
            loss = F.cross_entropy(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            elapsed = time.perf_counter() - start
            losses.append(loss.item())
            if step >= timed_from:
                seconds += elapsed
                examples += len(batch["labels"])
        return losses, seconds, examples

    if args.warm_pass:
        # One untimed pass over every batch first, so the timed pass meets no shape for the first time (kernel selection,
        # oneDNN primitives, allocations): the C# side does the same in its own process.
        losses, _, _ = train(batches, len(batches))
        _, seconds, examples = train(batches[args.warmup:], 0)
    else:
        losses, seconds, examples = train(batches, args.warmup)   # the first steps pay allocation and kernel selection

    tokens = sum(len(b["input_ids"]) * len(b["input_ids"][0]) for b in batches[args.warmup:]) / max(1, len(batches) - args.warmup)
    h, i = config["hidden_size"], config["intermediate_size"]
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "bf16": args.bf16,
        "timed_steps": len(batches) - args.warmup, "examples_per_second": examples / seconds if seconds > 0 else 0.0,
        "losses": losses,
        "matmul_gflops": matmul_gflops(int(tokens), h, i, torch.bfloat16 if args.bf16 else torch.float32),
    }))


if __name__ == "__main__":
    main()
