# Independent float32 reference for the synthetic Qwen3-MoE and OLMoE checkpoints of the moe-core tests
# (adapted from ../../../../../shared/reference/mixtral_ref.py, the implementation behind golden.json).
# It follows Hugging Face's modeling_qwen3_moe.py / modeling_olmoe.py:
#   Qwen3-MoE: q_norm/k_norm = RMSNorm over each head (head_dim) before RoPE; top-k renormalised if norm_topk_prob.
#   OLMoE:     q_norm/k_norm = RMSNorm over the whole q / k projection, THEN clamp(clip_qkv), then RoPE;
#              norm_topk_prob defaults to false.
# Regenerate (from the repository root) after changing SyntheticModels.java:
#   ./mvnw -o -q -pl moe-core test -Dtest=OtherArchitecturesTest   # writes moe-core/target/synthetic/{qwen3-moe,olmoe}
#   /usr/bin/python3 moe-core/src/test/python/synthetic_ref.py moe-core/target/synthetic \
#       moe-core/src/test/resources/synthetic-expected.json
import hashlib, json, math, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
PROMPTS = [[2, 17, 33, 5, 90, 64, 11, 3], [7], [100, 4, 4, 4, 56, 120, 77, 9, 31, 2, 15, 60, 61, 62, 8, 12]]
GREEDY_STEPS = 8


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; hdr = json.loads(f.read(n)); raw = f.read()
    out = {}
    for k, m in hdr.items():
        if k == "__metadata__": continue
        a, b = m["data_offsets"]; buf = raw[a:b]
        if m["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(buf, dtype=np.int16).copy()).view(torch.bfloat16).float()
        elif m["dtype"] == "F32": t = torch.from_numpy(np.frombuffer(buf, dtype=np.float32).copy())
        elif m["dtype"] == "F16": t = torch.from_numpy(np.frombuffer(buf, dtype=np.float16).copy()).float()
        else: raise ValueError(m["dtype"])
        out[k] = t.view(m["shape"])
    return out


def rms(x, w, eps):
    v = x.pow(2).mean(-1, keepdim=True); return w * (x * torch.rsqrt(v + eps))


def rot_half(x): h = x.shape[-1] // 2; return torch.cat([-x[..., h:], x[..., :h]], -1)


def forward(W, c, ids):
    arch = c["architectures"][0]; T = len(ids); H, K = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim") or c["hidden_size"] // H
    if arch == "OlmoeForCausalLM": hd = c["hidden_size"] // H
    eps, E, k = c["rms_norm_eps"], c["num_experts"], c["num_experts_per_tok"]
    norm_topk = c.get("norm_topk_prob", arch == "Qwen3MoeForCausalLM")
    inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)); f = torch.outer(torch.arange(T).float(), inv)
    e2 = torch.cat([f, f], -1); cos, sin = e2.cos(), e2.sin()
    mask = torch.full((T, T), float("-inf")).triu(1)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    topks, margin = [], float("inf")
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], eps)
        q = h @ W[p + "self_attn.q_proj.weight"].T; kk = h @ W[p + "self_attn.k_proj.weight"].T
        v = h @ W[p + "self_attn.v_proj.weight"].T
        if arch == "OlmoeForCausalLM":
            q = rms(q, W[p + "self_attn.q_norm.weight"], eps); kk = rms(kk, W[p + "self_attn.k_norm.weight"], eps)
            if c.get("clip_qkv") is not None:
                cl = c["clip_qkv"]; q = q.clamp(-cl, cl); kk = kk.clamp(-cl, cl); v = v.clamp(-cl, cl)
        q = q.view(T, H, hd); kk = kk.view(T, K, hd); v = v.view(T, K, hd)
        if arch == "Qwen3MoeForCausalLM":
            q = rms(q, W[p + "self_attn.q_norm.weight"], eps); kk = rms(kk, W[p + "self_attn.k_norm.weight"], eps)
        q, kk, v = q.transpose(0, 1), kk.transpose(0, 1), v.transpose(0, 1)
        q = q * cos + rot_half(q) * sin; kk = kk * cos + rot_half(kk) * sin
        kk = kk.repeat_interleave(H // K, 0); v = v.repeat_interleave(H // K, 0)
        a = F.softmax((q @ kk.transpose(-1, -2)) / math.sqrt(hd) + mask, -1)
        x = x + (a @ v).transpose(0, 1).reshape(T, H * hd) @ W[p + "self_attn.o_proj.weight"].T
        h2 = rms(x, W[p + "post_attention_layernorm.weight"], eps)
        router_logits = h2 @ W[p + "mlp.gate.weight"].T
        probs = F.softmax(router_logits, dim=-1)
        srt = router_logits.sort(-1, descending=True).values  # the gap in logits decides the top-k robustly
        margin = min(margin, float((srt[:, k - 1] - srt[:, k]).min()))
        w, idx = torch.topk(probs, k, dim=-1)
        if norm_topk: w = w / w.sum(-1, keepdim=True)
        out = torch.zeros_like(h2)
        for e in range(E):
            tok, slot = torch.where(idx == e)
            if tok.numel():
                xe = h2[tok]; x1 = xe @ W[p + f"mlp.experts.{e}.gate_proj.weight"].T
                x3 = xe @ W[p + f"mlp.experts.{e}.up_proj.weight"].T
                y = (F.silu(x1) * x3) @ W[p + f"mlp.experts.{e}.down_proj.weight"].T
                out.index_add_(0, tok, y * w[tok, slot, None])
        x = x + out
        topks.append(idx.tolist())
    logits = rms(x, W["model.norm.weight"], eps) @ W["lm_head.weight"].T
    return logits, topks, margin


def main(root, out_path):
    result = {}
    for name in ["qwen3-moe", "olmoe"]:
        d = f"{root}/{name}"
        c = json.load(open(f"{d}/config.json"))
        st = f"{d}/model.safetensors"
        W = load_safetensors(st)
        cases = []
        for ids in PROMPTS:
            logits, topks, margin = forward(W, c, ids)
            seq, greedy, gaps = list(ids), [], []
            for _ in range(GREEDY_STEPS):
                lg, _, _ = forward(W, c, seq)
                top2 = lg[-1].topk(2).values
                nxt = int(lg[-1].argmax()); greedy.append(nxt); gaps.append(float(top2[0] - top2[1])); seq.append(nxt)
            assert margin > 1e-3, f"{name}: a top-k gate decision is a near tie ({margin})"
            assert min(gaps) > 1e-3, f"{name}: a greedy step is a near tie ({min(gaps)})"
            cases.append(dict(input_ids=ids, last_logits=[round(float(v), 7) for v in logits[-1]],
                              router_topk=topks, greedy_ids=greedy, min_gate_margin=margin, min_greedy_gap=min(gaps)))
        result[name] = dict(architecture=c["architectures"][0],
                            safetensors_sha256=hashlib.sha256(open(st, "rb").read()).hexdigest(), cases=cases)
    with open(out_path, "w") as f:
        json.dump(dict(generated_by="src/test/python/synthetic_ref.py", torch=torch.__version__, models=result), f)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
