"""The judge's network in PyTorch: the packaged MiniLM encoder with a one-logit head, its training
and its inference. Imported only when a judge is first used or trained (torch is heavy)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from assistant.core.embeddings import resolve_model_dir

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class CrossEncoder(torch.nn.Module):
    """MiniLM over `[CLS] sentence [SEP] passage [SEP]`, mean-pooled, one logit: supported or not."""

    def __init__(self, model_dir: Path, frozen_layers: int) -> None:
        super().__init__()
        from transformers import AutoModel

        self.model_dir = model_dir
        self.encoder = AutoModel.from_pretrained(str(model_dir))
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
        # the word-piece embeddings and the lower layers stay as packaged: they are not shipped
        for p in self.encoder.embeddings.parameters():
            p.requires_grad = False
        for i, layer in enumerate(self.encoder.encoder.layer):
            for p in layer.parameters():
                p.requires_grad = i >= frozen_layers

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The parameters fine-tuning changed: all that the judge ships."""
        names = {n for n, p in self.named_parameters() if p.requires_grad}
        return {n: t.detach().clone() for n, t in self.state_dict().items() if n in names}


def packaged_model_dir(model: str) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return resolve_model_dir(model or DEFAULT_MODEL)


def load_cross_encoder(weights: Path, frozen_layers: int, model: str = "") -> tuple[CrossEncoder, Any]:
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    model_dir = packaged_model_dir(model)
    net = CrossEncoder(model_dir, frozen_layers)
    state = _expand(load_file(str(weights)), net.state_dict())
    missing = set(net.trained_state()) - set(state)
    if missing:
        raise RuntimeError(f"{weights}: the judge's weights lack {sorted(missing)[0]}; retrain with train-judge")
    net.load_state_dict(state, strict=False)
    net.eval()
    return net, AutoTokenizer.from_pretrained(str(model_dir))


def _encode(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int) -> dict[str, torch.Tensor]:
    return dict(
        tokenizer(
            [c for c, _ in pairs],
            [p for _, p in pairs],
            truncation="only_second",
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
    )


@torch.inference_mode()
def probabilities(net: CrossEncoder, tokenizer: Any, pairs: list[tuple[str, str]], max_length: int) -> list[float]:
    out: list[float] = []
    for start in range(0, len(pairs), 32):
        batch = _encode(tokenizer, pairs[start : start + 32], max_length)
        out.extend(torch.sigmoid(net(batch)).tolist())
    return out


def train(
    pairs: Sequence[tuple[tuple[str, str], bool]],
    *,
    epochs: int,
    frozen_layers: int,
    max_length: int,
    learning_rate: float = 3e-5,
    batch_size: int = 16,
    seed: int = 0,
    model: str = "",
    progress: Callable[[str], None] = print,
    start: Path | None = None,
) -> tuple[CrossEncoder, Any]:
    """Fine-tune on (pair, supported) examples; unsupported examples weigh as much in all as supported.
    `start`: the weights of an earlier judge to go on from (new claims added to the old, in fewer epochs
    than training from the packaged encoder takes)."""
    from transformers import AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model_dir = packaged_model_dir(model)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if start is not None:
        net, _ = load_cross_encoder(start, frozen_layers, model)
    else:
        net = CrossEncoder(model_dir, frozen_layers)
    encoder_params = [p for p in net.encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": encoder_params, "lr": learning_rate}, {"params": net.head.parameters(), "lr": learning_rate * 20}],
        weight_decay=0.01,
    )
    data = list(pairs)
    steps = epochs * -(-len(data) // batch_size)
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    positives = sum(1 for _, y in data if y)
    weight = torch.tensor((len(data) - positives) / max(positives, 1))
    lengths = {pair: len(pair[0]) + len(pair[1]) for pair, _ in data}
    net.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        rng.shuffle(data)
        # batches of similar length (less padding), in random order
        pool = 8 * batch_size
        batches = []
        for i in range(0, len(data), pool):
            chunk = sorted(data[i : i + pool], key=lambda d: lengths[d[0]])
            batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        total = 0.0
        for batch in batches:
            x = _encode(tokenizer, [p for p, _ in batch], max_length)
            y = torch.tensor([1.0 if s else 0.0 for _, s in batch])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x), y, pos_weight=weight)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += loss.item() * len(batch)
        progress(f"epoch {epoch + 1}/{epochs}: loss {total / len(data):.4f} ({time.perf_counter() - started:.0f} s)")
    net.eval()
    return net, tokenizer


def export_onnx(net: CrossEncoder, tokenizer: Any, path: Path) -> Path:
    """The judge as an ONNX graph giving the logit, for ONNX Runtime (a third of PyTorch's time here)."""
    from assistant.core.embeddings import write_onnx

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.net(
                {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            )

    sample = _encode(tokenizer, [("a claim", "a passage to read"), ("another claim", "another")], 32)
    return write_onnx(Graph(), sample, "logit", path)


DELTA_RANK = 96


def _int8_rows(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    scale = m.abs().amax(1, keepdim=True).clamp(min=1e-12) / 127
    return torch.round(m / scale).clamp(-127, 127).to(torch.int8), scale.squeeze(1).half()


def save(net: CrossEncoder, path: Path, rank: int = DELTA_RANK) -> None:
    """What fine-tuning changed, small enough for the repository: each weight matrix as the packaged one
    plus a rank-`rank` change, its two factors in int8 with a scale per row; biases, norms and the head
    in half precision. For the shipped judge: 4 MB instead of 21 MB in half precision, and 4 of the 602
    validation decisions at its threshold moved."""
    from safetensors.torch import save_file

    packaged = CrossEncoder(net.model_dir, 0).state_dict()
    out: dict[str, torch.Tensor] = {}
    for name, value in net.trained_state().items():
        if value.ndim == 2 and name in packaged and min(value.shape) > rank:
            u, s, vh = torch.linalg.svd(value.float() - packaged[name], full_matrices=False)
            out[f"{name}.a"], out[f"{name}.a_scale"] = _int8_rows(u[:, :rank] * s[:rank])
            out[f"{name}.b"], out[f"{name}.b_scale"] = _int8_rows(vh[:rank])
        else:
            out[name] = value.half()
    save_file({k: v.contiguous() for k, v in out.items()}, str(path))


def _expand(stored: dict[str, torch.Tensor], packaged: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The fine-tuned parameters back from `save`'s form."""
    state = {k: v.float() for k, v in stored.items() if not k.endswith((".a", ".b", ".a_scale", ".b_scale"))}
    for key in stored:
        if key.endswith(".a"):
            name = key[:-2]
            a = stored[key].float() * stored[f"{name}.a_scale"].float().unsqueeze(1)
            b = stored[f"{name}.b"].float() * stored[f"{name}.b_scale"].float().unsqueeze(1)
            state[name] = packaged[name] + a @ b
    return state
