#!/usr/bin/env bash
# Runs on the GPU machine as target/gpu-check/run.sh (scripts/gpu-check prepare copies it there).
# Needs the NVIDIA driver and PyTorch with its CUDA 13 libraries; writes one JSON line per
# measurement to $OUT/gpu-check.jsonl (or target/gpu-check/out/ where $OUT is unset) and prints a
# summary. GPU_CHECK_DEVICE=cpu runs the same steps on the CPU (to check the bundle without a GPU).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
mkdir -p "$out"
log=$out/gpu-check.jsonl
: > "$log"
device=${GPU_CHECK_DEVICE:-cuda}
python=${PYTHON:-python3}
threads=$(nproc)

# PyTorch's CUDA libraries (cublas, cublasLt, nvrtc) and what the bundle brings (cudart, the curand stub).
torch_libs=$("$python" - <<'EOF' 2>/dev/null
import glob, os, torch
root = os.path.dirname(os.path.dirname(torch.__file__))
print(":".join(sorted({os.path.dirname(p) for p in glob.glob(os.path.join(root, "nvidia", "**", "lib*.so*"), recursive=True)})))
EOF
)
export LD_LIBRARY_PATH=$here/lib${torch_libs:+:$torch_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu-check: GPU /' >&2

step() { # NAME COMMAND...: runs it, keeps its JSON line, says what failed
  local name=$1; shift
  local line
  if line=$("$@" 2> "$out/$name.err"); then
    echo "$line" | tail -n 1 >> "$log"
    echo "gpu-check: $name: $(echo "$line" | tail -n 1)" >&2
  else
    echo "{\"what\": \"$name\", \"error\": $("$python" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()[-2000:]))' "$out/$name.err")}" >> "$log"
    echo "gpu-check: $name FAILED: $(tail -n 5 "$out/$name.err")" >&2
  fi
}

# The binary and the pairs come xz-compressed: unpacked beside the results.
work=$out/unpacked
mkdir -p "$work"
"$python" -c 'import lzma, os, sys
here, work = sys.argv[1], sys.argv[2]
for name in ("gpu_check", "pairs.jsonl", "tokens.json"):
    with lzma.open(os.path.join(here, name + ".xz")) as f, open(os.path.join(work, name), "wb") as out:
        out.write(f.read())
os.chmod(os.path.join(work, "gpu_check"), 0o755)' "$here" "$work" || { echo "gpu-check: could not unpack the bundle" >&2; exit 1; }
bin=$work/gpu_check
model=$here/minilm
missing=$(ldd "$bin" | awk '/not found/{print $1}')
if [ -n "$missing" ]; then
  echo "gpu-check: the binary cannot start, libraries not found: $missing" >&2
  echo "gpu-check: it was built against CUDA 13 (PyPI's torch 2.15 brings these); this machine's torch: $("$python" -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>&1)" >&2
  exit 1
fi

if [ "$device" = cuda ]; then
  step agree "$bin" agree "$model" "$here/pairs-agree.jsonl" --tolerance 0.01
fi
head -n 64 "$here/pairs-agree.jsonl" > "$out/pairs-reward.jsonl"
for reward in tiny-deberta-reward tiny-deberta-v2-conv tiny-cross-encoder; do
  step "reward-agree-$reward" "$bin" reward-agree "$here/reward/$reward" "$out/pairs-reward.jsonl" --device "$device" --tolerance 0.05
done
for clap in clap clap_fused; do
  step "clap-agree-$clap" "$bin" clap-agree "$here/clap" --model "$clap" --device "$device" --tolerance 0.02
done
n=20000
[ "$device" = cpu ] && n=200 && head -n $n "$work/pairs.jsonl" > "$out/pairs-cpu.jsonl"
pairs=$work/pairs.jsonl
[ "$device" = cpu ] && pairs=$out/pairs-cpu.jsonl
"$python" - "$work/tokens.json" "$n" "$out/tokens.json" <<'EOF'
import json, sys
json.dump(json.load(open(sys.argv[1]))[: int(sys.argv[2])], open(sys.argv[3], "w"))
EOF
for batch in 64 256; do
  step "minilm-verdict-b$batch" "$bin" minilm "$model" "$pairs" --device "$device" --batch $batch
  step "minilm-torch-b$batch" "$python" "$here/gpu_peer.py" minilm "$model" "$out/tokens.json" --device "$device" --batch $batch --threads "$threads"
done
iters=20
[ "$device" = cpu ] && iters=2
for batch in 32 256; do
  [ "$device" = cpu ] && [ $batch = 256 ] && continue
  step "clip-verdict-b$batch" "$bin" clip --device "$device" --batch $batch --iters $iters
  step "clip-torch-b$batch" "$python" "$here/gpu_peer.py" clip --device "$device" --batch $batch --iters $iters --threads "$threads"
done
"$python" - "$log" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ours = {(r["what"], r.get("batch")): r for r in rows if "error" not in r and "peer" not in r}
peer = {(r["what"], r.get("batch")): r for r in rows if "error" not in r and r.get("peer") == "torch"}
for key, r in sorted(ours.items(), key=str):
    p = peer.get(key)
    if not p:
        continue
    rate = "pairs_per_s" if key[0] == "minilm" else "images_per_s"
    line = f"{key[0]} batch {key[1]}: Verdict {r[rate]:.1f} {rate}, PyTorch {p[rate]:.1f}: {r[rate] / p[rate]:.2f}x"
    if key[0] == "clip":
        line += f"; texts {r['texts_per_s']:.1f} vs {p['texts_per_s']:.1f}: {r['texts_per_s'] / p['texts_per_s']:.2f}x"
    print("gpu-check:", line, file=sys.stderr)
failed = [r["what"] for r in rows if "error" in r]
print("gpu-check:", "failed: " + ", ".join(failed) if failed else "every step ran", file=sys.stderr)
sys.exit(1 if failed or any(r.get("what") in ("agree", "reward-agree", "clap-agree") and not r.get("ok") for r in rows) else 0)
EOF
