// access_layout.cu: which memory-access layout of an elementwise kernel
// reaches the device-to-device copy on this card, and whether the streaming
// store hint (.cs) helps or hurts. A measurement for the kernel authors, not
// part of the library: run.sh builds it with nvcc and runs it where nvcc is
// present, and its table goes to bench.log.
//
// Why: on an H200 (2026-11-27) threshold_f32, whose one 16-byte store per
// thread is contiguous across the warp, ran at the copy's speed, while the
// kernels in which each thread owns a contiguous block of 64 bytes or more
// (so that one warp instruction touches 32 separate 16-byte pieces) ran at
// 14 % to 85 % of it. This probe times, on the same buffers:
//
//   bytes  u8 -> u8 (override_u8's work: out = in != 0), 16 B per load
//     blocked   each thread loads and stores a contiguous 64-byte block
//               (four 16-byte accesses), as override.ptx once did
//     strided   the four 16-byte accesses of a thread are one grid stride
//               apart, so each warp instruction covers 512 contiguous bytes
//               (override.ptx's layout since)
//   volt   u8 -> f32 (voltage_f32's work: out = in ? thresh : rest)
//     blocked   64 spikes (four 16-byte loads) then sixteen 16-byte stores
//               per thread, contiguous per thread (a withdrawn voltage.ptx)
//     strided   sixteen 4-byte loads of 4 spikes, a grid stride apart, each
//               with its 16-byte store: every warp instruction contiguous
//     simple    one 4-byte load and one 16-byte store per thread and pass
//
// each with stores plain (.wb) and streaming (.cs); loads are .cs. Then bit
// packing (u8 and f32 into GeNN's words) with 1, 8 or 32 words formed per
// warp per iteration (the shipped packing kernels form 8). Then bit unpacking
// (words into f32 voltages, voltage_bits_f32's work) with one word per
// warp per iteration (lane 0 loads it, a shuffle broadcasts it, lane j
// stores element j) and with one 16-byte chunk of 4 elements per thread,
// one or four word loads in flight. Then the library's own PTX
// (override_u8, voltage_f32, threshold_f16, and voltage_bits_f32 in
// 16-byte chunks and by the one-word loop, from the paths given), as
// shipped and with every `st.global.cs` made `st.global` (run.sh writes
// those copies). Each row: median of 20 timed calls after
// warm-up (CUDA events), GB/s of bytes read + written, and % of a
// cudaMemcpy device-to-device of the same traffic. Every variant's output
// is compared with the first variant of its kind, all elements.
//
// Usage: access_layout [PTX_DIR [PTX_DIR_NO_CS]]   (exit 1 on any error)
// Build: nvcc -O3 -std=c++17 -arch=sm_90 access_layout.cu -lcuda -o access_layout

#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

static void check_rt(cudaError_t err, const char *what, int line) {
    if (err != cudaSuccess) {
        std::fprintf(stderr, "access_layout: line %d: %s: %s\n", line, what, cudaGetErrorString(err));
        std::exit(1);
    }
}
static void check_drv(CUresult err, const char *what, int line) {
    if (err != CUDA_SUCCESS) {
        const char *name = "?";
        cuGetErrorName(err, &name);
        std::fprintf(stderr, "access_layout: line %d: %s: %s\n", line, what, name);
        std::exit(1);
    }
}
#define RT(x) check_rt((x), #x, __LINE__)
#define DRV(x) check_drv((x), #x, __LINE__)

// ---- u8 -> u8 ---------------------------------------------------------------

// 0/1 per byte: 1 where the byte is nonzero (override.ptx's SWAR test).
__device__ __forceinline__ uint32_t nonzero_bytes(uint32_t x) {
    uint32_t t = (x & 0x7F7F7F7Fu) + 0x7F7F7F7Fu;
    return ((t | x) >> 7) & 0x01010101u;
}
__device__ __forceinline__ uint4 nonzero16(uint4 v) {
    return make_uint4(nonzero_bytes(v.x), nonzero_bytes(v.y), nonzero_bytes(v.z), nonzero_bytes(v.w));
}
template <bool CS> __device__ __forceinline__ void store16(uint4 *p, uint4 v) {
    if (CS) __stcs(p, v); else *p = v;
}
template <bool CS> __device__ __forceinline__ void store16f(float4 *p, float4 v) {
    if (CS) __stcs(p, v); else *p = v;
}

// groups: 16-byte groups (n / 16); the tail is not the point here.
template <bool CS> __global__ void bytes_blocked(uint4 *out, const uint4 *in, size_t groups) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x; q < groups / 4; q += stride) {
        uint4 a = __ldcs(in + 4 * q), b = __ldcs(in + 4 * q + 1);
        uint4 c = __ldcs(in + 4 * q + 2), d = __ldcs(in + 4 * q + 3);
        store16<CS>(out + 4 * q, nonzero16(a));
        store16<CS>(out + 4 * q + 1, nonzero16(b));
        store16<CS>(out + 4 * q + 2, nonzero16(c));
        store16<CS>(out + 4 * q + 3, nonzero16(d));
    }
}
template <bool CS> __global__ void bytes_strided(uint4 *out, const uint4 *in, size_t groups) {
    size_t s = (size_t)gridDim.x * blockDim.x;
    size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; k + 3 * s < groups; k += 4 * s) {
        uint4 a = __ldcs(in + k), b = __ldcs(in + k + s);
        uint4 c = __ldcs(in + k + 2 * s), d = __ldcs(in + k + 3 * s);
        store16<CS>(out + k, nonzero16(a));
        store16<CS>(out + k + s, nonzero16(b));
        store16<CS>(out + k + 2 * s, nonzero16(c));
        store16<CS>(out + k + 3 * s, nonzero16(d));
    }
    for (; k < groups; k += s) store16<CS>(out + k, nonzero16(__ldcs(in + k)));
}

// ---- u8 -> f32 --------------------------------------------------------------

__device__ __forceinline__ float4 volts(uint32_t w, float rest, float thresh) {
    return make_float4((w & 0xFFu) ? thresh : rest, (w & 0xFF00u) ? thresh : rest,
                       (w & 0xFF0000u) ? thresh : rest, (w & 0xFF000000u) ? thresh : rest);
}
// quads: 4-spike groups (n / 4)
template <bool CS>
__global__ void volt_blocked(float4 *out, const uint4 *in, size_t quads, float rest, float thresh) {
    size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x; b < quads / 16; b += stride) {
        uint4 x[4];
#pragma unroll
        for (int j = 0; j < 4; j++) x[j] = __ldcs(in + 4 * b + j);
#pragma unroll
        for (int j = 0; j < 4; j++) {
            store16f<CS>(out + 16 * b + 4 * j, volts(x[j].x, rest, thresh));
            store16f<CS>(out + 16 * b + 4 * j + 1, volts(x[j].y, rest, thresh));
            store16f<CS>(out + 16 * b + 4 * j + 2, volts(x[j].z, rest, thresh));
            store16f<CS>(out + 16 * b + 4 * j + 3, volts(x[j].w, rest, thresh));
        }
    }
}
template <bool CS>
__global__ void volt_strided(float4 *out, const uint32_t *in, size_t quads, float rest, float thresh) {
    size_t s = (size_t)gridDim.x * blockDim.x;
    size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; k + 15 * s < quads; k += 16 * s) {
        uint32_t x[16];
#pragma unroll
        for (int j = 0; j < 16; j++) x[j] = __ldcs(in + k + j * s);
#pragma unroll
        for (int j = 0; j < 16; j++) store16f<CS>(out + k + j * s, volts(x[j], rest, thresh));
    }
    for (; k < quads; k += s) store16f<CS>(out + k, volts(__ldcs(in + k), rest, thresh));
}
template <bool CS>
__global__ void volt_simple(float4 *out, const uint32_t *in, size_t quads, float rest, float thresh) {
    size_t s = (size_t)gridDim.x * blockDim.x;
    for (size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x; k < quads; k += s)
        store16f<CS>(out + k, volts(__ldcs(in + k), rest, thresh));
}

// ---- u8 / f32 -> bits (GeNN's layout, one row) -------------------------------
//
// word w, bit j = element 32w + j. The shipped bit kernels take one word per
// warp per iteration (lane j loads element 32w + j, a ballot forms the word,
// lane 0 stores it): one small load per lane between two dependent steps.
// The variants differ in how many words a warp forms per iteration.

// one word per warp per iteration (the shipped shape)
template <typename T> __global__ void bits_one(uint32_t *out, const T *in, size_t words) {
    size_t warp = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 32, warps = (size_t)gridDim.x * blockDim.x / 32;
    unsigned lane = threadIdx.x % 32;
    for (size_t w = warp; w < words; w += warps) {
        T x = __ldcs(in + 32 * w + lane);
        uint32_t word = __ballot_sync(0xFFFFFFFFu, x > T(0));
        if (lane == 0) __stcs(out + w, word);
    }
}
// U words per warp per iteration: U independent loads per lane issued
// first, then U ballots; lane u < U keeps word u and the U lanes store them
// with one contiguous store instruction (U * 4 bytes)
template <typename T, int U> __global__ void bits_tile(uint32_t *out, const T *in, size_t words) {
    size_t warp = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 32, warps = (size_t)gridDim.x * blockDim.x / 32;
    unsigned lane = threadIdx.x % 32;
    for (size_t t = warp; t < words / U; t += warps) {
        T x[U];
#pragma unroll
        for (int u = 0; u < U; u++) x[u] = __ldcs(in + 32 * (U * t + u) + lane);
        uint32_t mine = 0;
#pragma unroll
        for (int u = 0; u < U; u++) {
            uint32_t word = __ballot_sync(0xFFFFFFFFu, x[u] > T(0));
            if (lane == (unsigned)u) mine = word;
        }
        if (lane < (unsigned)U) __stcs(out + U * t + lane, mine);
    }
}
// u8 only: lane loads 4 bytes (neurons 4l .. 4l + 3 of a 128-neuron chunk,
// one 128-byte warp load), four ballots give bit l = neuron 4l + m for
// m = 0..3, and word q of the chunk interleaves byte q of the four ballots.
// 8 chunks per iteration: 32 words, lane j stores word j (one 128-byte store).
__device__ __forceinline__ uint32_t spread4(uint32_t b) {  // bit i -> bit 4i, 8 bits
    b &= 0xFFu;
    b = (b | (b << 12)) & 0x000F000Fu;
    b = (b | (b << 6)) & 0x03030303u;
    b = (b | (b << 3)) & 0x11111111u;
    return b;
}
__global__ void bits_u8_interleave(uint32_t *out, const uint32_t *in, size_t words) {
    size_t warp = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 32, warps = (size_t)gridDim.x * blockDim.x / 32;
    unsigned lane = threadIdx.x % 32;
    for (size_t t = warp; t < words / 32; t += warps) {
        uint32_t x[8];
#pragma unroll
        for (int c = 0; c < 8; c++) x[c] = __ldcs(in + 32 * (8 * t + c) + lane);
        uint32_t mine = 0;
#pragma unroll
        for (int c = 0; c < 8; c++) {
            uint32_t b[4];
#pragma unroll
            for (int m = 0; m < 4; m++) b[m] = __ballot_sync(0xFFFFFFFFu, (x[c] >> (8 * m)) & 0xFFu);
#pragma unroll
            for (int q = 0; q < 4; q++) {
                uint32_t word = spread4(b[0] >> (8 * q)) | spread4(b[1] >> (8 * q)) << 1 |
                                spread4(b[2] >> (8 * q)) << 2 | spread4(b[3] >> (8 * q)) << 3;
                if (lane == (unsigned)(4 * c + q)) mine = word;
            }
        }
        __stcs(out + 32 * t + lane, mine);
    }
}

// ---- bits -> f32 (voltage_bits_f32's work, one row) ---------------------------
//
// word w, bit j -> out[32w + j] = bit ? thresh : rest. Word loads go through
// the read-only path (__ldg: ld.global.nc, as the shipped kernels'); the
// chunks' stores are .cs, the one-word loop's plain (as shipped).

// one word per warp per iteration (the one-word loop): lane 0 loads the
// word, a shuffle hands it to the warp, lane j stores element j (4 bytes)
__global__ void unbits_warp(float *out, const uint32_t *in, size_t words, float rest, float thresh) {
    size_t warp = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / 32, warps = (size_t)gridDim.x * blockDim.x / 32;
    unsigned lane = threadIdx.x % 32;
    for (size_t w = warp; w < words; w += warps) {
        uint32_t word = 0;
        if (lane == 0) word = __ldg(in + w);
        word = __shfl_sync(0xFFFFFFFFu, word, 0);
        out[32 * w + lane] = ((word >> lane) & 1u) ? thresh : rest;
    }
}
// 16-byte chunks: chunk c is elements 4c .. 4c + 3, bits 4 (c mod 8) on of
// word c / 8 (the 8 threads of a word load the same address). Thread k
// takes chunks k, k + S, ...; U of them per iteration, their U word loads
// issued before the first store, then the rest one by one.
__device__ __forceinline__ float4 chunk_volts(uint32_t word, size_t c, float rest, float thresh) {
    uint32_t b = word >> (4 * (unsigned)(c % 8));
    return make_float4((b & 1u) ? thresh : rest, (b & 2u) ? thresh : rest, (b & 4u) ? thresh : rest,
                       (b & 8u) ? thresh : rest);
}
template <int U>
__global__ void unbits_chunks(float4 *out, const uint32_t *in, size_t chunks, float rest, float thresh) {
    size_t s = (size_t)gridDim.x * blockDim.x;
    size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; k + (U - 1) * s < chunks; k += U * s) {
        uint32_t x[U];
#pragma unroll
        for (int j = 0; j < U; j++) x[j] = __ldg(in + (k + j * s) / 8);
#pragma unroll
        for (int j = 0; j < U; j++) __stcs(out + k + j * s, chunk_volts(x[j], k + j * s, rest, thresh));
    }
    for (; k < chunks; k += s) __stcs(out + k, chunk_volts(__ldg(in + k / 8), k, rest, thresh));
}

// Test data: about half the bytes zero, the rest nonzero of every kind.
__global__ void fill(uint8_t *p, size_t n) {
    size_t s = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += s) {
        uint64_t x = i * 0x9E3779B97F4A7C15ull;
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 32;
        p[i] = (x & 1) ? (uint8_t)(x >> 8) | 1 : 0;
    }
}

// ---- timing -----------------------------------------------------------------

static float median_us(const std::function<void()> &call, int reps = 20) {
    cudaEvent_t a, b;
    RT(cudaEventCreate(&a));
    RT(cudaEventCreate(&b));
    for (int i = 0; i < 3; i++) call();
    RT(cudaDeviceSynchronize());
    std::vector<float> t;
    for (int i = 0; i < reps; i++) {
        RT(cudaEventRecord(a));
        call();
        RT(cudaEventRecord(b));
        RT(cudaEventSynchronize(b));
        float ms;
        RT(cudaEventElapsedTime(&ms, a, b));
        t.push_back(ms * 1000.0f);
    }
    RT(cudaGetLastError());
    std::sort(t.begin(), t.end());
    RT(cudaEventDestroy(a));
    RT(cudaEventDestroy(b));
    return t[t.size() / 2];
}

static void *copy_src, *copy_dst;

static void report(const char *name, double bytes, float us) {
    float copy = median_us([&] { RT(cudaMemcpyAsync(copy_dst, copy_src, (size_t)(bytes / 2), cudaMemcpyDeviceToDevice)); });
    double gbps = bytes / us / 1e3, copy_gbps = bytes / copy / 1e3;
    std::printf("%-34s %10.1f %9.1f %9.1f %9.1f\n", name, us, gbps, copy_gbps, 100.0 * gbps / copy_gbps);
    std::fflush(stdout);
}

static void same(const void *a, const void *b, size_t bytes, const char *what) {
    std::vector<uint8_t> x(bytes), y(bytes);
    RT(cudaMemcpy(x.data(), a, bytes, cudaMemcpyDeviceToHost));
    RT(cudaMemcpy(y.data(), b, bytes, cudaMemcpyDeviceToHost));
    if (std::memcmp(x.data(), y.data(), bytes) != 0) {
        std::fprintf(stderr, "access_layout: %s differs from the reference variant\n", what);
        std::exit(1);
    }
}

int main(int argc, char **argv) {
    const size_t n = size_t(1) << 28;  // elements (spike bytes)
    int sms = 0;
    RT(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    cudaDeviceProp prop;
    RT(cudaGetDeviceProperties(&prop, 0));
    // the library's grid: two waves of resident 256-thread blocks (8 per
    // multiprocessor on sm_90 for its entries); the probe's kernels get the
    // same grid so only the layout differs
    const int resident = 8;
    dim3 block(256), grid(sms * resident * 2);
    std::printf("access_layout: %s, %d SMs, L2 %d MiB, n = 2^28, grid %u x %u, median of 20\n",
                prop.name, sms, prop.l2CacheSize >> 20, grid.x, block.x);
    std::printf("%-34s %10s %9s %9s %9s\n", "variant", "median us", "GB/s", "copy GB/s", "% of copy");

    uint8_t *in, *out8, *ref8;
    float *outf, *reff, *refu;
    RT(cudaMalloc(&in, n));
    RT(cudaMalloc(&out8, n));
    RT(cudaMalloc(&ref8, n));
    RT(cudaMalloc(&outf, n * 4));
    RT(cudaMalloc(&reff, n * 4));
    RT(cudaMalloc(&refu, n * 4));
    RT(cudaMalloc(&copy_src, n * 5 / 2 + 16));
    RT(cudaMalloc(&copy_dst, n * 5 / 2 + 16));
    fill<<<1024, 256>>>(in, n);
    RT(cudaGetLastError());
    RT(cudaDeviceSynchronize());
    const double b_bytes = 2.0 * n, v_bytes = 5.0 * n;
    const float rest = -60.0f, thresh = -50.0f;
    auto u4 = [](void *p) { return (uint4 *)p; };

    // bytes
    float us;
    us = median_us([&] { bytes_blocked<true><<<grid, block>>>(u4(ref8), u4(in), n / 16); });
    report("bytes blocked, stores .cs", b_bytes, us);
    us = median_us([&] { bytes_blocked<false><<<grid, block>>>(u4(out8), u4(in), n / 16); });
    report("bytes blocked, stores .wb", b_bytes, us);
    same(out8, ref8, n, "bytes blocked .wb");
    RT(cudaMemset(out8, 0xAA, n));
    us = median_us([&] { bytes_strided<true><<<grid, block>>>(u4(out8), u4(in), n / 16); });
    report("bytes strided, stores .cs", b_bytes, us);
    same(out8, ref8, n, "bytes strided .cs");
    RT(cudaMemset(out8, 0xAA, n));
    us = median_us([&] { bytes_strided<false><<<grid, block>>>(u4(out8), u4(in), n / 16); });
    report("bytes strided, stores .wb", b_bytes, us);
    same(out8, ref8, n, "bytes strided .wb");

    // volt
    auto f4 = [](float *p) { return (float4 *)p; };
    us = median_us([&] { volt_simple<true><<<grid, block>>>(f4(reff), (uint32_t *)in, n / 4, rest, thresh); });
    report("volt simple, stores .cs", v_bytes, us);
    us = median_us([&] { volt_simple<false><<<grid, block>>>(f4(outf), (uint32_t *)in, n / 4, rest, thresh); });
    report("volt simple, stores .wb", v_bytes, us);
    same(outf, reff, n * 4, "volt simple .wb");
    const char *vnames[4] = {"volt blocked, stores .cs", "volt blocked, stores .wb", "volt strided, stores .cs",
                             "volt strided, stores .wb"};
    for (int v = 0; v < 4; v++) {
        RT(cudaMemset(outf, 0xFF, n * 4));
        us = median_us([&] {
            switch (v) {
            case 0: volt_blocked<true><<<grid, block>>>(f4(outf), u4(in), n / 4, rest, thresh); break;
            case 1: volt_blocked<false><<<grid, block>>>(f4(outf), u4(in), n / 4, rest, thresh); break;
            case 2: volt_strided<true><<<grid, block>>>(f4(outf), (uint32_t *)in, n / 4, rest, thresh); break;
            default: volt_strided<false><<<grid, block>>>(f4(outf), (uint32_t *)in, n / 4, rest, thresh); break;
            }
        });
        report(vnames[v], v_bytes, us);
        same(outf, reff, n * 4, vnames[v]);
    }

    // bits: u8 -> bits and f32 -> bits (the f32 inputs are the spike bytes
    // read as n/4 floats: any bits, about half of them positive)
    {
        uint32_t *words, *refw;
        RT(cudaMalloc(&words, n / 8));
        RT(cudaMalloc(&refw, n / 8));
        const size_t w8 = n / 32, w32 = n / 4 / 32;
        us = median_us([&] { bits_one<uint8_t><<<grid, block>>>(refw, in, w8); });
        report("u8 -> bits, 1 word per warp", n + n / 8.0, us);
        const char *tnames[3] = {"u8 -> bits, 8 words per warp", "u8 -> bits, 32 words per warp",
                                 "u8 -> bits, 4-byte loads, 32 words"};
        for (int v = 0; v < 3; v++) {
            RT(cudaMemset(words, 0xFF, n / 8));
            us = median_us([&] {
                if (v == 0) bits_tile<uint8_t, 8><<<grid, block>>>(words, in, w8);
                else if (v == 1) bits_tile<uint8_t, 32><<<grid, block>>>(words, in, w8);
                else bits_u8_interleave<<<grid, block>>>(words, (const uint32_t *)in, w8);
            });
            report(tnames[v], n + n / 8.0, us);
            same(words, refw, n / 8, tnames[v]);
        }
        const float *fin = (const float *)in;
        us = median_us([&] { bits_one<float><<<grid, block>>>(refw, fin, w32); });
        report("f32 -> bits, 1 word per warp", n + n / 32.0, us);
        const char *fnames[2] = {"f32 -> bits, 8 words per warp", "f32 -> bits, 32 words per warp"};
        for (int v = 0; v < 2; v++) {
            RT(cudaMemset(words, 0xFF, n / 32));
            us = median_us([&] {
                if (v == 0) bits_tile<float, 8><<<grid, block>>>(words, fin, w32);
                else bits_tile<float, 32><<<grid, block>>>(words, fin, w32);
            });
            report(fnames[v], n + n / 32.0, us);
            same(words, refw, n / 32, fnames[v]);
        }
        RT(cudaFree(words));
        RT(cudaFree(refw));
    }

    // bits -> f32: one row of n voltages from the spike bytes read as n / 32
    // words (any bits)
    const double u_bytes = n / 8.0 + 4.0 * n;
    {
        const uint32_t *win = (const uint32_t *)in;
        us = median_us([&] { unbits_warp<<<grid, block>>>(refu, win, n / 32, rest, thresh); });
        report("bits -> f32, 1 word per warp", u_bytes, us);
        const char *unames[2] = {"bits -> f32, 16 B/thread, 1 load", "bits -> f32, 16 B/thread, 4 loads"};
        for (int v = 0; v < 2; v++) {
            RT(cudaMemset(outf, 0xFF, n * 4));
            us = median_us([&] {
                if (v == 0) unbits_chunks<1><<<grid, block>>>(f4(outf), win, n / 4, rest, thresh);
                else unbits_chunks<4><<<grid, block>>>(f4(outf), win, n / 4, rest, thresh);
            });
            report(unames[v], u_bytes, us);
            same(outf, refu, n * 4, unames[v]);
        }
    }

    // the library's PTX, as shipped and without the store hint
    for (int dir = 1; dir < argc && dir <= 2; dir++) {
        DRV(cuInit(0));  // the runtime's context is current: modules load there
        const char *files[4] = {"override.ptx", "voltage.ptx", "threshold.ptx", "voltage_bits.ptx"};
        CUmodule mods[4];
        for (int f = 0; f < 4; f++) {
            std::string path = std::string(argv[dir]) + "/" + files[f];
            DRV(cuModuleLoad(&mods[f], path.c_str()));
        }
        const char *tag = dir == 1 ? "shipped" : "st without .cs";
        CUfunction fn;
        uint64_t pout, pin, pn = n, head = 0, groups;
        char name[64];
        // override_u8(out, in, n, head, groups of 16)
        DRV(cuModuleGetFunction(&fn, mods[0], "override_u8"));
        pout = (uint64_t)out8, pin = (uint64_t)in, groups = n / 16;
        void *oargs[] = {&pout, &pin, &pn, &head, &groups};
        RT(cudaMemset(out8, 0xAA, n));
        us = median_us([&] { DRV(cuLaunchKernel(fn, grid.x, 1, 1, block.x, 1, 1, 0, 0, oargs, nullptr)); });
        std::snprintf(name, sizeof name, "ptx override_u8, %s", tag);
        report(name, b_bytes, us);
        same(out8, ref8, n, name);
        // voltage_f32(out, in, n, head, groups of 4 spikes, rest, thresh)
        DRV(cuModuleGetFunction(&fn, mods[1], "voltage_f32"));
        pout = (uint64_t)outf, groups = n / 4;
        uint32_t brest, bthresh;
        std::memcpy(&brest, &rest, 4);
        std::memcpy(&bthresh, &thresh, 4);
        void *vargs[] = {&pout, &pin, &pn, &groups, &brest, &bthresh};
        RT(cudaMemset(outf, 0xFF, n * 4));
        us = median_us([&] { DRV(cuLaunchKernel(fn, grid.x, 1, 1, block.x, 1, 1, 0, 0, vargs, nullptr)); });
        std::snprintf(name, sizeof name, "ptx voltage_f32, %s", tag);
        report(name, v_bytes, us);
        same(outf, reff, n * 4, name);
        // threshold_f16(out, in, n, head, groups of 8): the spike bytes
        // read as n/2 halves (any bits), output n/2 spikes
        DRV(cuModuleGetFunction(&fn, mods[2], "threshold_f16"));
        uint64_t halves = n / 2;
        pout = (uint64_t)out8, groups = halves / 8;
        void *targs[] = {&pout, &pin, &halves, &head, &groups};
        us = median_us([&] { DRV(cuLaunchKernel(fn, grid.x, 1, 1, block.x, 1, 1, 0, 0, targs, nullptr)); });
        std::snprintf(name, sizeof name, "ptx threshold_f16, %s", tag);
        report(name, 1.5 * n, us);
        {
            static std::vector<uint8_t> shipped;
            std::vector<uint8_t> got(n / 2);
            RT(cudaMemcpy(got.data(), out8, n / 2, cudaMemcpyDeviceToHost));
            if (dir == 1) {
                shipped = got;
            } else if (got != shipped) {
                std::fprintf(stderr, "access_layout: %s differs from the shipped kernel\n", name);
                std::exit(1);
            }
        }
        // voltage_bits_f32(out, in, rows, count, groups, rest, thresh): one
        // row of n from n / 32 words, in 16-byte chunks (groups n / 4) and
        // by the one-word loop (groups 0)
        DRV(cuModuleGetFunction(&fn, mods[3], "voltage_bits_f32"));
        uint64_t rows = 1, count = n;
        for (int path = 0; path < 2; path++) {
            pout = (uint64_t)outf, pin = (uint64_t)in, groups = path == 0 ? n / 4 : 0;
            void *uargs[] = {&pout, &pin, &rows, &count, &groups, &brest, &bthresh};
            RT(cudaMemset(outf, 0xFF, n * 4));
            us = median_us([&] { DRV(cuLaunchKernel(fn, grid.x, 1, 1, block.x, 1, 1, 0, 0, uargs, nullptr)); });
            std::snprintf(name, sizeof name, "ptx voltage_bits_f32 %s, %s", path == 0 ? "chunks" : "words", tag);
            report(name, u_bytes, us);
            same(outf, refu, n * 4, name);
        }
        for (int f = 0; f < 4; f++) DRV(cuModuleUnload(mods[f]));
    }
    RT(cudaDeviceSynchronize());
    std::printf("access_layout: done\n");
    return 0;
}
