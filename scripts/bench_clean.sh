#!/usr/bin/env bash
# Cleaning benchmarks (issue 16), ours and the peers in the same run; prints Markdown on stdout.
#
#   scripts/bench_clean.sh [images] [hamming] [text] [project]      (all four by default)
#
# Builds the release binary and examples/clean_bench, makes target/bench-env (scripts/bench-env.sh:
# datasketch, rensa, xxhash, imagededup without torch) and generates what is missing under
# target/bench-data/ (deterministic, seed 0). Then:
#   images   IMAGES (100,000) photo-like JPEGs with ~10 % planted near copies (scripts/gen_images.py).
#            On the first SMALL (10,000) of them, RUNS times interleaved: clean_bench images (files on
#            disk -> groups), `verdict import` + `verdict dedup P --images` (timed apart: the import
#            only references the files), and imagededup's PHash pipeline (encode_images +
#            find_duplicates, its default search and multiprocessing). On all IMAGES, once: the same,
#            except that imagededup's find_duplicates (quadratic, hours at 100k here) is replaced by an
#            exact numpy search for the comparison of groups; its time at IMAGES is estimated from the
#            SMALL runs (x (IMAGES/SMALL)^2) and said so. Hashes, pairs and groups are compared.
#   hamming  clean_bench hamming: pairs_within over 100k and 1M random hashes (10 % planted near
#            copies), radius 6, 10, 12, RUNS runs each.
#   text     TEXTS (100,000) responses with planted exact and near copies (scripts/gen_responses.py),
#            and 20,000 drawn from LLaMA-Factory's dpo_en_demo.json when DEMO names it: RUNS times
#            interleaved, clean_bench text, scripts/peer_minhash.py --lib datasketch and --lib rensa,
#            and `verdict dedup P --text responses` on a copy of the imported project (each run
#            starts with no stored signatures). Groups and the first 1,000 signatures compared. Then
#            TEXTS_BIG (1,000,000) responses: clean_bench text and the CLI, time and peak RSS.
#   project  The 1M-sample text project of scripts/bench_import.sh (no media): `verdict dedup P`
#            (every pass) on a copy, time and peak RSS; examples/ui_bench's frames on the same file
#            while it runs (--frames-while), and with nothing running (--frames-for).
# Environment: RUNS (3), IMAGES, SMALL, TEXTS, TEXTS_BIG, DEMO (default: /work/shared/media/
# llamafactory-demo/dpo_en_demo.json when present), SKIP_BIG=1 (no 100k-image / 1M-text runs).
# Logs and raw JSON in target/bench-data/clean-logs/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-3}
IMAGES=${IMAGES:-100000}
SMALL=${SMALL:-10000}
TEXTS=${TEXTS:-100000}
TEXTS_BIG=${TEXTS_BIG:-1000000}
DEFAULT_DEMO=/work/shared/media/llamafactory-demo/dpo_en_demo.json
DEMO=${DEMO-$([ -f "$DEFAULT_DEMO" ] && echo "$DEFAULT_DEMO" || true)}
DATA=target/bench-data
LOGS=$DATA/clean-logs
mkdir -p "$LOGS"
SECTIONS=${*:-images hamming text project}
log() { printf '%s\n' "$*" >&2; }
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

[ -x /usr/bin/time ] || { log "GNU time is needed at /usr/bin/time (apt-get install time)"; exit 1; }
log "== cargo build --release --no-default-features"
# Without the default `local-models` feature (candle, for scoring): nothing measured here uses it,
# and its release build is long. The cleaning code is the same with or without it.
cargo build --release --no-default-features --bin verdict --example clean_bench --example ui_bench >&2
VERDICT=$ROOT/target/release/verdict
BENCH=$ROOT/target/release/examples/clean_bench
PY=$(scripts/bench-env.sh)

# timed NAME CMD...: stdout -> LOGS/NAME.out; WALL (s), RSS_MB (peak, 10^6 bytes) set.
timed() {
    local name=$1
    shift
    /usr/bin/time -v -o "$LOGS/$name.time" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" || {
        log "!! $name failed; see $LOGS/$name.err"; tail -n 15 "$LOGS/$name.err" >&2; exit 1; }
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$LOGS/$name.time")
    RSS_MB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 * 1024 / 1e6 }' "$LOGS/$name.time")
}
# field FILE KEY: a number from the last JSON line of FILE
field() { "$PY" -c 'import json,sys; print(round(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]], 3))' "$1" "$2"; }
median() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
span() { echo "$1" | tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
calc() { awk "BEGIN { x = $1; printf \"%.${2:-1}f\", x }"; }
fresh() { rm -f "$1" "$1-wal" "$1-shm" "$1-journal"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

cat <<EOF

## Cleaning benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores, $(uname -m))

Load average at the start: $(load) (other work shares the machine).
EOF

# --- images ------------------------------------------------------------------------------------
if has images; then
    IMG=$DATA/images-$IMAGES-s0
    if [ ! -f "$IMG/.done" ]; then
        log "== generating $IMAGES images in $IMG"
        "$PY" scripts/gen_images.py --count "$IMAGES" --out "$IMG" --seed 0 >&2
        touch "$IMG/.done"
    fi
    SUB=$DATA/images-$SMALL-of-$IMAGES
    if [ ! -f "$SUB/.done" ]; then
        rm -rf "$SUB" && mkdir -p "$SUB"
        find "$IMG" -maxdepth 1 -name "*.jpg" | sort | awk -v n="$SMALL" "NR <= n" | xargs ln -t "$SUB"
        touch "$SUB/.done"
    fi
    # A JSONL of samples referencing each image by its name (imported with --media-root DIR), and
    # its import mapping.
    samples_of() {
        "$PY" - "$1" "$2" <<'EOF'
import json, os, sys
d = os.path.abspath(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for n in sorted(x for x in os.listdir(d) if x.endswith(".jpg")):
        f.write(json.dumps({"id": n, "prompt": f"What is in picture {n}?", "chosen": "a picture",
                            "rejected": "a cat", "image": n}) + "\n")
EOF
    }
    printf 'id = "id"\nprompt = "prompt"\nchosen = "chosen"\nrejected = "rejected"\n[[media]]\nfield = "image"\nkind = "image"\n' >"$LOGS/images.toml"
    image_runs() { # DIR TAG RUNS SEARCH
        local dir=$1 tag=$2 runs=$3 search=$4 p=$DATA/clean-images-$2.verdict
        samples_of "$dir" "$LOGS/images-$tag.jsonl"
        OURS_T="" CLI_T="" IMP_T="" PEER_T="" PEER_ENC="" PEER_SEARCH="" CLI_RSS=0 OURS_RSS=0
        for i in $(seq "$runs"); do
            log "== images $tag: clean_bench ($i/$runs)"
            timed "img-$tag-ours" "$BENCH" images "$dir" --hashes "$LOGS/img-$tag-ours.hashes" --pairs "$LOGS/img-$tag-ours.pairs"
            OURS_T="$OURS_T $(field "$LOGS/img-$tag-ours.out" total_s)"; OURS_RSS=$RSS_MB
            log "== images $tag: verdict import + dedup --images ($i/$runs)"
            fresh "$p"
            timed "img-$tag-import" "$VERDICT" import --project "$p" --map "$LOGS/images.toml" \
                --media-root "$dir" "$LOGS/images-$tag.jsonl"
            IMP_T="$IMP_T $WALL"
            timed "img-$tag-cli" "$VERDICT" dedup "$p" --images --json
            CLI_T="$CLI_T $WALL"; CLI_RSS=$RSS_MB
            log "== images $tag: imagededup ($i/$runs, search $search)"
            timed "img-$tag-peer" "$PY" scripts/peer_imagededup.py "$dir" --search "$search" \
                --hashes "$LOGS/img-$tag-peer.hashes" --pairs "$LOGS/img-$tag-peer.pairs"
            PEER_T="$PEER_T $WALL"
            PEER_ENC="$PEER_ENC $(field "$LOGS/img-$tag-peer.out" encode_s)"
            PEER_SEARCH="$PEER_SEARCH $(field "$LOGS/img-$tag-peer.out" search_s)"
        done
        "$VERDICT" dups "$p" --kind image --json >"$LOGS/img-$tag-cli.groups"
        "$PY" scripts/bench_compare.py images "$LOGS/img-$tag-ours.hashes" "$LOGS/img-$tag-peer.hashes" \
            "$LOGS/img-$tag-ours.pairs" "$LOGS/img-$tag-peer.pairs" >"$LOGS/img-$tag-compare.json"
        fresh "$p"
    }
    image_runs "$SUB" small "$RUNS" imagededup
    S_OURS=$(median "$OURS_T") S_CLI=$(median "$CLI_T") S_IMP=$(median "$IMP_T") S_PEER=$(median "$PEER_T")
    S_ENC=$(median "$PEER_ENC") S_SEARCH=$(median "$PEER_SEARCH")
    cat <<EOF

### Perceptual hashing and grouping, $SMALL JPEGs (median of $RUNS interleaved runs, range in brackets)

| run | wall s | what it counts |
|---|---:|---|
| \`clean_bench images\` | $S_OURS ($(span "$OURS_T")) | read + hash every file (one thread per core) + pairs within 10 bits + groups |
| \`verdict dedup P --images\` | $S_CLI ($(span "$CLI_T")) | the same from a project referencing the files (blake3 of each file, hashes stored, groups stored); peak RSS $CLI_RSS MB |
| \`verdict import\` of those samples (apart) | $S_IMP ($(span "$IMP_T")) | not in the dedup figure |
| imagededup \`encode_images\` + \`find_duplicates\` | $S_PEER ($(span "$PEER_T")) | process wall; encode $S_ENC s, find_duplicates $S_SEARCH s (medians) |

- imagededup / clean_bench: **$(calc "$S_PEER / $S_OURS" 1)x**; imagededup / (\`verdict dedup --images\`): **$(calc "$S_PEER / $S_CLI" 1)x**; imagededup / (import + dedup): $(calc "$S_PEER / ($S_CLI + $S_IMP)" 1)x.
- Compared with imagededup (clean_bench's hashes and pairs, imagededup's encodings and find_duplicates lists): \`$(cat "$LOGS/img-small-compare.json")\`
EOF
    if [ "${SKIP_BIG:-0}" != 1 ]; then
        image_runs "$IMG" big 1 exact
        B_ENC=$(median "$PEER_ENC") B_SEARCH=$(median "$PEER_SEARCH")
        EST=$(calc "$S_SEARCH * ($IMAGES / $SMALL) ^ 2" 0)
        cat <<EOF

### Perceptual hashing and grouping, $IMAGES JPEGs (one run each; $(du -sh "$IMG" | cut -f1) on disk)

| run | wall s | what it counts |
|---|---:|---|
| \`clean_bench images\` | $OURS_T | hashing $(field "$LOGS/img-big-ours.out" hash_s) s, pairs $(field "$LOGS/img-big-ours.out" pairs_s) s, groups $(field "$LOGS/img-big-ours.out" groups_s) s; peak RSS $OURS_RSS MB |
| \`verdict dedup P --images\` | $CLI_T | from the project; peak RSS $CLI_RSS MB |
| \`verdict import\` of those samples (apart) | $IMP_T | |
| imagededup \`encode_images\` | $B_ENC | measured |
| imagededup \`find_duplicates\` | ~$EST (estimated) | not run: its $SMALL-image time ($S_SEARCH s) x ($IMAGES / $SMALL)^2, as its search compares every pair; an exact numpy search found its lists in $B_SEARCH s for the comparison below |

- imagededup's encoding alone / clean_bench: **$(calc "$B_ENC / $OURS_T" 1)x**; / \`verdict dedup --images\`: **$(calc "$B_ENC / $CLI_T" 1)x**. With its find_duplicates as estimated: $(calc "($B_ENC + $EST) / $OURS_T" 0)x and $(calc "($B_ENC + $EST) / $CLI_T" 0)x.
- Compared with imagededup's encodings and lists: \`$(cat "$LOGS/img-big-compare.json")\`
EOF
    fi
fi

# --- hamming -----------------------------------------------------------------------------------
if has hamming; then
    log "== hamming"
    cat <<EOF

### Pairs within a radius over stored hashes (\`clean_bench hamming\`, $RUNS runs each, median (min-max))

| hashes | radius | pairs | seconds |
|---:|---:|---:|---:|
EOF
    for n in 100000 1000000; do
        timed "hamming-$n" "$BENCH" hamming --n "$n" --runs "$RUNS" --radius 6,10,12
        "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print("| {:,} | {} | {:,} | {:.3f} ({:.3f}-{:.3f}) |".format(
        r["n"], r["radius"], r["pairs"], r["median_s"], r["min_s"], r["max_s"]))
' "$LOGS/hamming-$n.out"
    done
    echo "- peak RSS of the 1M run (three radii, hashes and tables): $RSS_MB MB"
fi

# --- text --------------------------------------------------------------------------------------
if has text; then
    printf 'id = "id"\nprompt = "prompt"\nchosen = "chosen"\nrejected = "rejected"\n' >"$LOGS/text.toml"
    # The peers take Verdict's word characters (Rust's alphanumeric classes) to shingle as it does.
    "$BENCH" word-chars >"$LOGS/word-chars.json"
    text_runs() { # PREFIX TAG RUNS PEERS(0/1)
        local prefix=$1 tag=$2 runs=$3 peers=$4 p=$DATA/clean-text-$2.verdict
        log "== text $tag: importing $prefix.pairs.jsonl (once)"
        fresh "$p"
        timed "txt-$tag-import" "$VERDICT" import --project "$p" --map "$LOGS/text.toml" "$prefix.pairs.jsonl"
        IMPORT_S=$WALL
        OURS_T="" CLI_T="" DS_T="" RS_T="" DS_NC="" RS_NC="" OURS_RSS=0 CLI_RSS=0 DS_RSS=0 RS_RSS=0
        for i in $(seq "$runs"); do
            log "== text $tag: clean_bench ($i/$runs)"
            timed "txt-$tag-ours" "$BENCH" text "$prefix.texts.jsonl" --groups "$LOGS/txt-$tag-ours.groups" \
                --signatures 1000 "$LOGS/txt-$tag-ours.sigs"
            OURS_T="$OURS_T $WALL"; OURS_RSS=$RSS_MB
            log "== text $tag: verdict dedup --text responses ($i/$runs)"
            fresh "$p.run"; cp "$p" "$p.run"
            timed "txt-$tag-cli" "$VERDICT" dedup "$p.run" --text responses --json
            CLI_T="$CLI_T $WALL"; CLI_RSS=$RSS_MB
            if [ "$peers" = 1 ]; then
                log "== text $tag: datasketch ($i/$runs)"
                timed "txt-$tag-ds" "$PY" scripts/peer_minhash.py "$prefix.texts.jsonl" --lib datasketch \
                    --word-chars "$LOGS/word-chars.json" --groups "$LOGS/txt-$tag-ds.groups" --signatures 1000 "$LOGS/txt-$tag-ds.sigs"
                DS_T="$DS_T $WALL"; DS_RSS=$RSS_MB
                DS_NC="$DS_NC $(calc "$WALL - $(field "$LOGS/txt-$tag-ds.out" verify_s)" 2)"
                log "== text $tag: rensa ($i/$runs)"
                timed "txt-$tag-rs" "$PY" scripts/peer_minhash.py "$prefix.texts.jsonl" --lib rensa \
                    --word-chars "$LOGS/word-chars.json" --groups "$LOGS/txt-$tag-rs.groups"
                RS_T="$RS_T $WALL"; RS_RSS=$RSS_MB
                RS_NC="$RS_NC $(calc "$WALL - $(field "$LOGS/txt-$tag-rs.out" verify_s)" 2)"
            fi
        done
        timed "txt-$tag-prompts" "$VERDICT" dedup "$p" --text prompts --json
        PROMPTS_S=$WALL
        fresh "$p.run"
        fresh "$p"
    }
    text_table() { # TAG LINES
        local tag=$1 n=$2
        O=$(median "$OURS_T") C=$(median "$CLI_T") D=$(median "$DS_T") R=$(median "$RS_T")
        DN=$(median "$DS_NC") RN=$(median "$RS_NC")
        cat <<EOF

### MinHash LSH over $n responses ($tag; median of $RUNS interleaved runs, range in brackets; process wall times)

| run | wall s | peak RSS MB | groups | lines in groups | phases (last run) |
|---|---:|---:|---:|---:|---|
| \`clean_bench text\` | $O ($(span "$OURS_T")) | $OURS_RSS | $(field "$LOGS/txt-$tag-ours.out" groups) | $(field "$LOGS/txt-$tag-ours.out" in_groups) | read+normalize+sign $(field "$LOGS/txt-$tag-ours.out" sign_s) s ($(field "$LOGS/txt-$tag-ours.out" distinct) distinct texts), bands $(field "$LOGS/txt-$tag-ours.out" candidates_s) s, exact check $(field "$LOGS/txt-$tag-ours.out" verify_s) s |
| \`verdict dedup P --text responses\` (fresh copy of the project) | $C ($(span "$CLI_T")) | $CLI_RSS | | | includes the prompt pass ($(calc "$PROMPTS_S" 2) s alone for \`--text prompts\`), signatures stored; import ($IMPORT_S s) not counted |
| datasketch (MinHash + MinHashLSH) | $D ($(span "$DS_T")) | $DS_RSS | $(field "$LOGS/txt-$tag-ds.out" groups) | $(field "$LOGS/txt-$tag-ds.out" in_groups) | read+shingle $(field "$LOGS/txt-$tag-ds.out" read_s) s, sign $(field "$LOGS/txt-$tag-ds.out" sign_s) s, LSH $(field "$LOGS/txt-$tag-ds.out" lsh_s) s, check $(field "$LOGS/txt-$tag-ds.out" verify_s) s, imports $(field "$LOGS/txt-$tag-ds.out" import_s) s |
| rensa (RMinHash + RMinHashLSH) | $R ($(span "$RS_T")) | $RS_RSS | $(field "$LOGS/txt-$tag-rs.out" groups) | $(field "$LOGS/txt-$tag-rs.out" in_groups) | read+shingle $(field "$LOGS/txt-$tag-rs.out" read_s) s, sign $(field "$LOGS/txt-$tag-rs.out" sign_s) s, LSH $(field "$LOGS/txt-$tag-rs.out" lsh_s) s, check $(field "$LOGS/txt-$tag-rs.out" verify_s) s |

- datasketch / clean_bench: **$(calc "$D / $O" 1)x**; rensa / clean_bench: **$(calc "$R / $O" 1)x**; datasketch / CLI: $(calc "$D / $C" 1)x; rensa / CLI: $(calc "$R / $C" 1)x.
- Without the peers' exact check of candidates (their process wall less that phase: $DN s datasketch, $RN s rensa, medians; Verdict always checks): datasketch / clean_bench $(calc "$DN / $O" 1)x, rensa / clean_bench $(calc "$RN / $O" 1)x.
- Groups vs datasketch (and the first 1,000 signatures): \`$("$PY" scripts/bench_compare.py text "$LOGS/txt-$tag-ours.groups" "$LOGS/txt-$tag-ds.groups" "$LOGS/txt-$tag-ours.sigs" "$LOGS/txt-$tag-ds.sigs")\`
- Groups vs rensa (its own permutations): \`$("$PY" scripts/bench_compare.py text "$LOGS/txt-$tag-ours.groups" "$LOGS/txt-$tag-rs.groups")\`
EOF
    }
    RESP=$DATA/resp-$TEXTS-s0
    [ -f "$RESP.pairs.jsonl" ] || "$PY" scripts/gen_responses.py --count "$TEXTS" --seed 0 --out "$RESP" >&2
    text_runs "$RESP" synthetic "$RUNS" 1
    text_table synthetic "$TEXTS"
    if [ -n "$DEMO" ]; then
        DEMO_P=$DATA/demo-20000-s0
        [ -f "$DEMO_P.pairs.jsonl" ] || "$PY" scripts/gen_responses.py --count 20000 --seed 0 --demo "$DEMO" --out "$DEMO_P" >&2
        text_runs "$DEMO_P" demo "$RUNS" 1
        text_table demo 20000
    fi
    if [ "${SKIP_BIG:-0}" != 1 ]; then
        BIG=$DATA/resp-$TEXTS_BIG-s0
        [ -f "$BIG.pairs.jsonl" ] || "$PY" scripts/gen_responses.py --count "$TEXTS_BIG" --seed 0 --out "$BIG" >&2
        text_runs "$BIG" big 1 0
        cat <<EOF

### MinHash LSH over $TEXTS_BIG responses (one run each)

| run | wall s | peak RSS MB | groups | lines in groups | phases |
|---|---:|---:|---:|---:|---|
| \`clean_bench text\` | $OURS_T | $OURS_RSS | $(field "$LOGS/txt-big-ours.out" groups) | $(field "$LOGS/txt-big-ours.out" in_groups) | sign $(field "$LOGS/txt-big-ours.out" sign_s) s, bands $(field "$LOGS/txt-big-ours.out" candidates_s) s, check $(field "$LOGS/txt-big-ours.out" verify_s) s |
| \`verdict dedup P --text responses\` | $CLI_T | $CLI_RSS | | | with the prompt pass ($(calc "$PROMPTS_S" 1) s alone); import $IMPORT_S s apart |
EOF
    fi
fi

# --- project -----------------------------------------------------------------------------------
if has project; then
    TEXT=$DATA/text-1000000-s0.jsonl
    P1M=$DATA/q1m.verdict
    if [ ! -f "$P1M" ]; then
        [ -f "$TEXT" ] || "$PY" scripts/gen_synthetic.py --kind text-jsonl --rows 1000000 --seed 0 --out "$TEXT" >&2
        log "== importing $TEXT into $P1M (once)"
        "$VERDICT" import "$TEXT" --project "$P1M" >&2
    fi
    log "== frames with nothing running"
    "$ROOT/target/release/examples/ui_bench" "$P1M" --frames-for 20 >"$LOGS/frames-idle.out"
    PC=$DATA/clean-q1m.verdict
    fresh "$PC"; cp "$P1M" "$PC"
    log "== verdict dedup on the 1M-sample project, and the app's frames meanwhile"
    /usr/bin/time -v -o "$LOGS/project-dedup.time" "$VERDICT" dedup "$PC" --json >"$LOGS/project-dedup.out" 2>"$LOGS/project-dedup.err" &
    DEDUP_PID=$!
    sleep 1
    # /usr/bin/time's child is the dedup: frames while it lives.
    CHILD=$(pgrep -P "$DEDUP_PID" | head -n 1 || echo "$DEDUP_PID")
    "$ROOT/target/release/examples/ui_bench" "$PC" --frames-while "$CHILD" >"$LOGS/frames-busy.out"
    wait "$DEDUP_PID"
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$LOGS/project-dedup.time")
    RSS_MB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 * 1024 / 1e6 }' "$LOGS/project-dedup.time")
    cat <<EOF

### The whole pass on the 1M-sample benchmark project (text only: no media, so the image, video and audio passes find nothing)

- \`verdict dedup P\` (every pass: prompts, responses, samples) on a copy of the project: **$WALL s**, peak RSS $RSS_MB MB; report \`$(cat "$LOGS/project-dedup.out")\`
- The app's frames on the same project file (examples/ui_bench, 60 frames/s, a step to the next sample every 4th frame):
$(grep '^| frame' "$LOGS/frames-idle.out" | sed 's/^/  /')
$(grep '^| frame' "$LOGS/frames-busy.out" | sed 's/^/  /')
EOF
    fresh "$PC"
fi
echo
echo "Load average at the end: $(load)."
