#!/usr/bin/env bash
# run.sh of the GPU bundle (scripts/gpu-bundle copies this file there).
# Tests and benchmarks exact-neuron on this machine's GPU; needs no Rust,
# no numpy, no CUDA toolkit (compute-sanitizer is used when present).
#
# Steps, most important first, each under its own time limit and all
# within one budget (RUN_BUDGET_S, default 480 s; a step that finds too
# little time left is SKIPPED):
#   system       what machine, driver, clocks, libcuda, linking (system.txt)
#   tests/lib-gpu-*  the library's GPU tests, with REQUIRE_GPU=1
#   golden       every golden case through `exact-neuron run --device=cuda`
#   simulator    capi/examples/simulator.cu built with nvcc against the
#                bundled C API and run (SKIPPED where nvcc is absent)
#   bench        `exact-neuron bench --device=cuda` over BENCH_SIZES (the
#                device is BENCH_DEVICE, for a dry run on the CPU), then
#                `--graph` over BENCH_GRAPH_SIZES (CUDA graph replays;
#                SKIPPED on the CPU), its table and records in bench.log
#   python       where python3 imports torch and numpy: the bundled wheel
#                unpacked (pip --target, no dependencies) into a folder on
#                PYTHONPATH, then
#                python/tests/test_torch.py (golden cases on CUDA tensors, a
#                non-default stream, zero-copy outputs) with REQUIRE_GPU=1,
#                and the timing table beside torch eager (python.log)
#   tests/...    every other test executable, with REQUIRE_GPU=1
#   sanitizer    the GPU test executable under compute-sanitizer's memcheck,
#                racecheck, initcheck and synccheck (SKIPPED without it)
#
# Under $OUT (else results/ beside this script) it writes at most these
# files, each under 16 MiB: system.txt, tests.log, golden.log, bench.log,
# bench.json, python.log, sanitizer.log and summary.txt, which it prints last (a line
# per step: status, seconds, name; then the benchmark's rows at 2^26
# elements and above, its ratios, each entry's grid, and the
# graph-replayed steps). Exits nonzero when a
# step failed or timed out.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${OUT:-$here/results}
mkdir -p "$out" || exit 1
cd "$here" || exit 1

budget=${RUN_BUDGET_S:-480}
bench_sizes=${BENCH_SIZES:-2^10,2^16,2^20,2^24,2^26,2^28}
bench_device=${BENCH_DEVICE:-cuda} # cpu: a dry run of this script without a GPU
# SKIP_TESTS (default none): test executables to leave out, by name without
# the hash, e.g. "cli-golden", for a short rerun
bench_graph_sizes=${BENCH_GRAPH_SIZES:-2^10,2^16,2^20}
# The GPU tests run under the sanitizers: the small ones (the big lengths
# of every_kernel_matches_the_cpu_on_random_data are too slow there).
sanitizer_tests=${SANITIZER_TESTS:-the_neuron_state_machine kernels_load_once inputs_from_another_stream a_step_can_be_captured golden_cases_replay}
started=$(date +%s)
deadline=$((started + budget))
file_cap=$((15 * 1024 * 1024)) # each file under $OUT stays below this
step_cap=$((4 * 1024 * 1024))  # output kept of one step

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Permissions may not survive a copy: make the executables executable, or
# run copies of them from the scratch folder where that is not allowed.
chmod +x "$here"/bin/* "$here"/tests/* 2>/dev/null
bin_dir=$here/bin
tests_dir=$here/tests
for exe in "$here"/bin/* "$here"/tests/*; do
    if [ ! -x "$exe" ]; then
        mkdir -p "$scratch/bin" "$scratch/tests"
        cp "$here"/bin/* "$scratch/bin/" && cp "$here"/tests/* "$scratch/tests/" &&
            chmod +x "$scratch"/bin/* "$scratch"/tests/*
        bin_dir=$scratch/bin
        tests_dir=$scratch/tests
        break
    fi
done

export EXACT_NEURON_GOLDEN="$here/golden"
export EXACT_NEURON_BIN="$bin_dir/exact-neuron"
export REQUIRE_GPU=1
export RUST_BACKTRACE=1

summary="$scratch/summary.txt"
: >"$summary"
failed=0

# record STATUS SECONDS NAME [NOTE]: one summary line, also shown now.
record() {
    local line
    line=$(printf '%-8s %5ss  %s%s' "$1" "$2" "$3" "${4:+  ($4)}")
    echo "$line" >>"$summary"
    echo "$line"
}

# append LOG FILE: FILE's text at the end of $out/LOG, unless that would
# take LOG past the cap; then a note instead.
append() {
    local log=$out/$1 size
    size=$(stat -c %s "$log" 2>/dev/null || echo 0)
    if [ $((size + $(stat -c %s "$2"))) -gt "$file_cap" ]; then
        echo "[run.sh: output left out: $1 would exceed $file_cap bytes]" >>"$log"
    else
        cat "$2" >>"$log"
    fi
}

# step NAME LOG LIMIT COMMAND...: runs COMMAND with LIMIT seconds (less
# when the budget has less left), its output (at most step_cap bytes) to
# $out/LOG; records ok, FAILED (exit N) or TIMEOUT. Sets step_status.
step() {
    local name=$1 log=$2 limit=$3
    shift 3
    local now left
    now=$(date +%s)
    left=$((deadline - now))
    if [ "$left" -lt 15 ]; then
        record SKIPPED 0 "$name" "no time left of the ${budget}s budget"
        step_status=skipped
        return
    fi
    [ "$limit" -le "$left" ] || limit=$left
    echo "== $name (time limit ${limit}s)" >>"$out/$log"
    local t0 status
    t0=$(date +%s)
    timeout --kill-after=10 "$limit" "$@" 2>&1 </dev/null | head -c "$((step_cap + 1))" >"$scratch/step.out"
    status=${PIPESTATUS[0]}
    local secs=$(($(date +%s) - t0))
    local note=
    if [ "$(stat -c %s "$scratch/step.out")" -gt "$step_cap" ]; then
        truncate -s "$step_cap" "$scratch/step.out"
        printf '\n[run.sh: output cut at %s bytes]\n' "$step_cap" >>"$scratch/step.out"
        note="output cut at $step_cap bytes"
    fi
    append "$log" "$scratch/step.out"
    echo "== $name: exit $status after ${secs}s" >>"$out/$log"
    case $status in
    0)
        record ok "$secs" "$name" "$note"
        step_status=ok
        ;;
    124 | 137)
        record TIMEOUT "$secs" "$name" "killed after ${limit}s; $log"
        step_status=failed
        failed=$((failed + 1))
        ;;
    *)
        record FAILED "$secs" "$name" "exit $status; $log${note:+; $note}"
        step_status=failed
        failed=$((failed + 1))
        tail -n 5 "$scratch/step.out" | sed 's/^/    | /'
        ;;
    esac
}

# system.txt: the machine, as the results will need to be read against it.
system_info() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -a)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) threads)"
    echo "memory: $(grep -m1 MemTotal /proc/meminfo)"
    echo "glibc: $(ldd --version 2>&1 | head -n 1)"
    echo "exact-neuron: $("$EXACT_NEURON_BIN" --version 2>&1)"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH-(unset)}"
    echo "== ldconfig -p | grep libcuda"
    ldconfig -p 2>&1 | grep libcuda || echo "(no libcuda in the linker cache)"
    echo "== ldd $EXACT_NEURON_BIN"
    ldd "$EXACT_NEURON_BIN" 2>&1
    if command -v nvidia-smi >/dev/null 2>&1; then
        echo "== nvidia-smi --query-gpu"
        timeout 30 nvidia-smi --format=csv --query-gpu=name,pci.bus_id,driver_version,memory.total,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,clocks.applications.graphics,clocks.applications.memory,power.limit,pstate,compute_mode,mig.mode.current 2>&1
        echo "== nvidia-smi -q -d CLOCK"
        timeout 30 nvidia-smi -q -d CLOCK 2>&1
        echo "== nvidia-smi"
        timeout 30 nvidia-smi 2>&1
    else
        echo "nvidia-smi: not found"
    fi
    echo "== compute-sanitizer"
    if [ -n "$sanitizer" ]; then
        echo "$sanitizer"
        timeout 30 "$sanitizer" --version 2>&1
    else
        echo "not found (the sanitizer steps are skipped)"
    fi
}

# compute-sanitizer: on the PATH, or in a CUDA toolkit's usual places.
sanitizer=$(command -v compute-sanitizer 2>/dev/null || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda-*/bin/compute-sanitizer \
    /opt/nvidia/*/compute-sanitizer/compute-sanitizer; do
    if [ -z "$sanitizer" ] && [ -x "$candidate" ]; then sanitizer=$candidate; fi
done

echo "run.sh: budget ${budget}s; results in $out"
export sanitizer
export -f system_info
step system system.txt 60 bash -c system_info

# The library's GPU tests first, then the golden replay and the bench,
# then every other test executable (the CLI's replay on CUDA among them).
gpu_test=
for candidate in "$tests_dir"/lib-gpu-*; do
    if [ -z "$gpu_test" ] && [ -f "$candidate" ]; then gpu_test=$candidate; fi
done
: >"$out/tests.log"
if [ -n "$gpu_test" ]; then
    step "tests/$(basename "$gpu_test")" tests.log 300 "$gpu_test"
fi

: >"$out/golden.log"
step "golden cases through exact-neuron run --device=cuda" golden.log 120 \
    "$EXACT_NEURON_BIN" golden --device=cuda --cases="$EXACT_NEURON_GOLDEN"

# The C API's CUDA example: built with nvcc where there is one (on the
# PATH or in a CUDA toolkit's usual places), then run. Its output goes to
# tests.log.
nvcc=$(command -v nvcc 2>/dev/null || true)
for candidate in /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
    if [ -z "$nvcc" ] && [ -x "$candidate" ]; then nvcc=$candidate; fi
done
if [ -z "$nvcc" ]; then
    record SKIPPED 0 "capi simulator.cu (nvcc build)" "nvcc not found"
elif [ ! -f "$here/capi/examples/simulator.cu" ]; then
    record SKIPPED 0 "capi simulator.cu (nvcc build)" "no capi/ in the bundle"
else
    step "capi simulator.cu (nvcc build)" tests.log 180 "$nvcc" -std=c++14 -O2 \
        -I "$here/capi/include" "$here/capi/examples/simulator.cu" \
        -L "$here/capi/lib" -lexact_neuron_c -Xlinker -rpath -Xlinker "$here/capi/lib" \
        -lpthread -ldl -lm -o "$scratch/simulator"
    if [ "$step_status" = ok ]; then
        step "capi simulator (run)" tests.log 60 "$scratch/simulator"
    else
        record SKIPPED 0 "capi simulator (run)" "the build failed"
    fi
fi

: >"$out/bench.log"
rm -f "$out/bench.json"
step "exact-neuron bench --device=$bench_device --sizes=$bench_sizes" bench.log 180 \
    "$EXACT_NEURON_BIN" bench --device="$bench_device" --sizes="$bench_sizes" --json="$out/bench.json"
# Graph replays at small sizes, where launches cost most. Its records go
# into bench.log (after its table), not a file of their own: $OUT holds
# at most the eight files listed above.
graph_json=$scratch/bench_graph.json
if [ "$bench_device" = cpu ]; then
    record SKIPPED 0 "exact-neuron bench --graph" "CUDA graphs need --device=cuda"
else
    step "exact-neuron bench --device=$bench_device --sizes=$bench_graph_sizes --graph" bench.log 90 \
        "$EXACT_NEURON_BIN" bench --device="$bench_device" --sizes="$bench_graph_sizes" --graph --json="$graph_json"
    if [ -s "$graph_json" ]; then
        echo "== bench --graph records (JSON)" >>"$out/bench.log"
        append bench.log "$graph_json"
    fi
fi

# The access-layout probe (scripts/probes/access_layout.cu): which layout
# of loads and stores reaches the copy, and the shipped PTX with and
# without the streaming store hint; its table goes to bench.log.
if [ -z "$nvcc" ]; then
    record SKIPPED 0 "probe: access layout" "nvcc not found"
elif [ ! -f "$here/probes/access_layout.cu" ]; then
    record SKIPPED 0 "probe: access layout" "no probes/ in the bundle"
else
    mkdir -p "$scratch/ptx_no_cs"
    for ptx in "$here"/probes/kernels/*.ptx; do
        sed 's/st\.global\.cs\./st.global./g' "$ptx" >"$scratch/ptx_no_cs/$(basename "$ptx")"
    done
    step "probe: access layout (nvcc build)" bench.log 120 "$nvcc" -O3 -std=c++17 -arch=sm_90 \
        "$here/probes/access_layout.cu" -lcuda -o "$scratch/access_layout"
    if [ "$step_status" = ok ]; then
        step "probe: access layout (run)" bench.log 90 "$scratch/access_layout" \
            "$here/probes/kernels" "$scratch/ptx_no_cs"
    else
        record SKIPPED 0 "probe: access layout (run)" "the build failed"
    fi
fi

# The Python package, where python3 has torch (and numpy, which the
# package needs): the bundled wheel unpacked into a folder of its own on
# PYTHONPATH, with no dependency resolution (python3 there may itself be a
# virtual environment, whose packages a nested venv would not see), and
# pytest from the bundle if python3 lacks it.
: >"$out/python.log"
if [ ! -d "$here/python/wheels" ]; then
    record SKIPPED 0 "python" "no python/ in the bundle"
elif ! python3 -c 'import torch, numpy' >/dev/null 2>&1; then
    record SKIPPED 0 "python" "python3 cannot import torch and numpy here"
else
    site=$scratch/site
    export PYTHONDONTWRITEBYTECODE=1
    # shellcheck disable=SC2016 # $1 and $2 are the inner bash's arguments
    step "python: install the wheel" python.log 120 bash -c '
        python3 -m pip install --quiet --no-index --no-deps --target "$1" "$2"/exact_neuron-*.whl &&
            { python3 -c "import pytest" 2>/dev/null ||
                python3 -m pip install --quiet --no-index --no-deps --target "$1" \
                    $(ls "$2"/*.whl | grep -v exact_neuron-); } &&
            PYTHONPATH="$1" python3 -c "import exact_neuron, torch; print(exact_neuron.__file__, torch.__version__, exact_neuron.cuda_device_count(), \"CUDA device(s)\")"
    ' _ "$site" "$here/python/wheels"
    if [ "$step_status" = ok ]; then
        step "python: torch tests (golden on CUDA tensors, streams, zero-copy)" python.log 150 \
            env PYTHONPATH="$site" python3 -m pytest -v -p no:cacheprovider "$here/python/tests/test_torch.py"
        step "python: timing beside torch eager, 2^16 to 2^28 neurons" python.log 120 \
            env PYTHONPATH="$site" python3 "$here/python/benchmarks/torch_step.py"
    fi
fi

for test in "$tests_dir"/*; do
    [ "$test" != "$gpu_test" ] || continue
    # SKIP_TESTS: names without the hash (e.g. cli-golden), for a short rerun
    case " ${SKIP_TESTS:-} " in
    *" $(basename "$test" | sed 's/-[0-9a-f]*$//') "*)
        record SKIPPED 0 "tests/$(basename "$test")" "named in SKIP_TESTS"
        continue
        ;;
    esac
    step "tests/$(basename "$test")" tests.log 300 "$test"
done

# sanitize TOOL EXE [FILTER...]: the test executable EXE (its filters)
# under compute-sanitizer TOOL. Its error count is in the summary; a
# missing tool or one that refuses the device (no ERROR SUMMARY line) is
# SKIPPED, not a failure.
: >"$out/sanitizer.log"
sanitize() {
    local tool=$1 exe=$2
    shift 2
    local name="compute-sanitizer --tool $tool"
    [ "$exe" = "$gpu_test" ] || name="$name ($(basename "$exe" | sed 's/-[0-9a-f]*$//'))"
    if [ -z "$sanitizer" ]; then
        record SKIPPED 0 "$name" "compute-sanitizer not found"
        return
    fi
    if [ -z "$exe" ]; then
        record SKIPPED 0 "$name" "no such test executable in the bundle"
        return
    fi
    local before
    before=$(stat -c %s "$out/sanitizer.log")
    step "$name" sanitizer.log 90 "$sanitizer" --tool "$tool" --error-exitcode 99 \
        --print-limit 100 "$exe" --test-threads=1 "$@"
    local text errors
    text=$(tail -c +"$((before + 1))" "$out/sanitizer.log")
    errors=$(printf '%s\n' "$text" | grep -o 'ERROR SUMMARY: [0-9]*' | tail -n 1 | grep -o '[0-9]*$')
    if [ -n "$errors" ]; then
        echo "         $tool: $errors errors" | tee -a "$summary"
    elif [ "$step_status" = failed ] &&
        printf '%s\n' "$text" | grep -qiE 'not supported|unsupported|unable to|could not|is not available|Permission denied'; then
        # The tool itself refused (device or driver not supported): not a
        # failure of the crate. Turn the FAILED line into a SKIPPED one.
        failed=$((failed - 1))
        sed -i '$d' "$summary"
        record SKIPPED 0 "$name" "the tool refused: $(printf '%s\n' "$text" | grep -iE 'not supported|unsupported|unable to|could not|is not available|Permission denied' | head -n 1 | cut -c1-120)"
    fi
}
# shellcheck disable=SC2086 # the filters are separate words
for tool in memcheck racecheck initcheck synccheck; do
    sanitize "$tool" "$gpu_test" $sanitizer_tests
done
# memcheck over the bit, fused and multi-step kernels (warp collectives)
# and the C API's launches on raw pointers, whole executables but for one
# test: the C API's refusal of foreign memory hands the driver pointers it
# does not know on purpose, and memcheck counts the CUDA_ERROR_INVALID_VALUE
# that cuPointerGetAttribute answers (our check's input) as an error
# (seen on an H200, 2026-11-27).
for pattern in lib-gpu_bits capi-cuda; do
    exe=
    for candidate in "$tests_dir/$pattern"-*; do
        if [ -z "$exe" ] && [ -f "$candidate" ]; then exe=$candidate; fi
    done
    sanitize memcheck "$exe" --skip memory_and_streams_of_another_context_are_refused
done

# field(NAME): the value of a JSON field of the current line of bench
# JSON (one record per line), for the awk programs of the summary.
# shellcheck disable=SC2016 # awk's own $0, not the shell's
json_field='
    function field(name,   m) {
        if (match($0, "\"" name "\":(\"[^\"]*\"|[-+0-9.eE]+)")) {
            m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
            gsub(/"/, "", m)
            return m
        }
        return ""
    }'

# The summary, last: steps, then the benchmark's rows at 2^26 and above.
{
    echo "exact-neuron GPU bundle: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(($(date +%s) - started))s of ${budget}s"
    cat "$summary"
    echo
    if [ -s "$out/bench.json" ]; then
        echo "bench rows at 2^26 elements and above (bench.json):"
        printf '%-16s %-6s %12s %14s %9s %10s\n' op dtype elements median_s GB/s '% of copy'
        awk "$json_field"'
            /"elements":/ && field("elements") + 0 >= 67108864 {
                printf "%-16s %-6s %12s %14.6g %9.1f %10.1f\n", field("op"), field("dtype"),
                    field("elements"), field("median_s"), field("gbps"), field("pct_of_copy")
                rows++
            }
            END { if (!rows) print "(none: no size of 2^26 or more was measured)" }' "$out/bench.json"
        echo
        echo "bench ratios, same run (speed-up of the first named; bench.json):"
        awk "$json_field"'
            /"ratio":/ {
                printf "%-24s %-6s %12s %8.2f\n", field("ratio"), field("dtype"),
                    field("ratio_elements"), field("speedup")
            }' "$out/bench.json"
    else
        echo "bench: no bench.json (see bench.log)"
    fi
    if grep -q '^grid: ' "$out/tests.log" 2>/dev/null; then
        echo
        echo "grid per entry (tests.log, every_entry_grid_is_two_waves_of_its_own_occupancy):"
        grep '^grid: ' "$out/tests.log" | cut -c1-200
    fi
    if [ -s "$graph_json" ]; then
        echo
        echo "bench --graph: steps replayed from a CUDA graph, per call (bench.log):"
        printf '%-10s %-6s %12s %14s %6s\n' op dtype elements median_s cache
        awk "$json_field"'
            /"elements":/ && /"graph_calls":[0-9]/ && field("op") ~ /^(fused_step|threshold)$/ {
                printf "%-10s %-6s %12s %14.6g %6s\n", field("op"), field("dtype"),
                    field("elements"), field("median_s"), field("cache")
            }' "$graph_json"
    fi
    if grep -q '^access_layout: ' "$out/bench.log" 2>/dev/null; then
        echo
        echo "access-layout probe (bench.log):"
        sed -n '/^access_layout: .*SMs/,/^access_layout: done/p' "$out/bench.log"
    fi
    if grep -q '^| 2^' "$out/python.log" 2>/dev/null; then
        echo
        echo "python timing beside torch eager (python.log):"
        grep -E '^(# |\| neurons|\| 2\^2[68])' "$out/python.log"
    fi
    if [ "$failed" -ne 0 ]; then
        echo "$failed step(s) failed; logs in $out"
    else
        echo "no step failed; logs in $out"
    fi
} >"$out/summary.txt"

# Every file under $OUT stays below 16 MiB.
for file in "$out"/*; do
    if [ -f "$file" ] && [ "$(stat -c %s "$file")" -gt "$file_cap" ]; then
        truncate -s "$file_cap" "$file"
        printf '\n[run.sh: cut at %s bytes]\n' "$file_cap" >>"$file"
    fi
done

echo "== summary.txt"
cat "$out/summary.txt"
[ "$failed" -eq 0 ]
