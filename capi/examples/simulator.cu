// simulator.cu: how a CUDA C++ simulator drives exact-neuron through its C
// API. The simulator owns everything: its buffers (cudaMalloc), its stream,
// and the kernel that produces each step's synaptic input. The library's
// calls are queued on that stream among the simulator's own kernels, for
// many steps; one step is captured into a CUDA graph and replayed; one
// step runs by the bit kernels and one fused (spikes and voltage in one
// kernel). Every spike and voltage is checked against a host reference, bit for bit.
//
// Build (the GPU bundle's run.sh does this where nvcc exists):
//   nvcc -std=c++14 -O2 -I capi/include capi/examples/simulator.cu
//        target/release/libexact_neuron_c.a -lpthread -ldl -lm -o simulator
// (one command line).
//
// Built with a plain C++ compiler and -DEXACT_NEURON_HOST_ONLY, the same
// steps run on a CPU neuron with host buffers (no CUDA needed): the test
// suite does that, so the reference and the checks are tested everywhere.
//
// Exit status: 0 when every check passed, 1 otherwise.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "exact_neuron.h"

#ifdef __CUDACC__
#include <cuda_runtime.h>
#define SIM_HD __host__ __device__
#else
#define SIM_HD
#endif

// ---------------------------------------------------------------------------
// Host and device: the simulator's input model. Plain integer arithmetic
// and exact float operations, so the host computes the same bits as the
// GPU.

static const std::size_t kShape[2] = {37, 29};  // odd sizes: tails in every kernel
static const std::size_t kBatch = 3;
static const double kStepTime = 0.5;
static const double kRestV = -65.0;
static const double kThreshV = -50.0;
static const unsigned kSteps = 64;         // steps queued one by one
static const unsigned kOverrideEvery = 7;  // every 7th step is an override
static const unsigned kReplays = 5;        // replays of the captured step

SIM_HD inline std::uint32_t mix(std::uint32_t i, std::uint32_t step) {
    std::uint32_t h = i * 0x9E3779B1u ^ (step + 1u) * 0x85EBCA77u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    h *= 0x297A2D39u;
    h ^= h >> 15;
    return h;
}

SIM_HD inline float float_from_bits(std::uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

// Synaptic input of neuron `i` at `step`: mostly ordinary values of either
// sign, and the special ones a real simulation meets (NaN, both zeros, a
// subnormal, -inf).
SIM_HD inline float input_value(std::uint32_t i, std::uint32_t step) {
    std::uint32_t h = mix(i, step);
    switch (h % 8u) {
    case 0: return float_from_bits(0x7FC00000u);  // NaN: no spike
    case 1: return float_from_bits(0x80000000u);  // -0.0: no spike
    case 2: return 0.0f;                          // +0.0: no spike
    case 3: return float_from_bits(0x00000001u);  // smallest subnormal: spike
    case 4: return float_from_bits(0xFF800000u);  // -inf: no spike
    default: return (float)((int)(h >> 16) - 32768) / 1024.0f;
    }
}

// An override value (as bytes, EN_U8): nonzero forces a spike.
SIM_HD inline std::uint8_t override_value(std::uint32_t i, std::uint32_t step) {
    return (std::uint8_t)((mix(i, step ^ 0xABCDu) >> 3) % 3u);
}

// ---------------------------------------------------------------------------
// Host only: the reference and the checks (plain C++).

static int failures = 0;

static void fail(const char *what, unsigned step, std::size_t i) {
    if (failures < 20) std::fprintf(stderr, "simulator: %s differs at step %u, element %zu\n", what, step, i);
    failures++;
}

// Checks the spikes and the f32 voltage of `step` (a threshold step on
// input_value, or an override step on override_value).
static void check_step(const std::uint8_t *spikes, const float *voltage, std::size_t n, unsigned step,
                       bool override_step) {
    const float rest = (float)kRestV, thresh = (float)kThreshV;
    for (std::size_t i = 0; i < n; i++) {
        bool spike = override_step ? override_value((std::uint32_t)i, step) != 0
                                   : input_value((std::uint32_t)i, step) > 0.0f;
        if (spikes[i] != (spike ? 1 : 0)) fail("spike", step, i);
        float expected = spike ? thresh : rest;
        if (std::memcmp(&voltage[i], &expected, sizeof expected) != 0) fail("voltage", step, i);
    }
}

// Checks an f64 voltage against spikes already checked.
static void check_voltage64(const std::uint8_t *spikes, const double *voltage, std::size_t n, unsigned step) {
    for (std::size_t i = 0; i < n; i++) {
        double expected = spikes[i] ? kThreshV : kRestV;
        if (std::memcmp(&voltage[i], &expected, sizeof expected) != 0) fail("f64 voltage", step, i);
    }
}

// Checks the spikes of a threshold step at `step` as bits: `kBatch` rows
// of `per_row` words, bit j of word w of row r the neuron 32 w + j.
static void check_bits(const std::uint32_t *words, std::size_t n, std::size_t per_row, unsigned step) {
    const std::size_t count = n / kBatch;
    for (std::size_t r = 0; r < kBatch; r++) {
        for (std::size_t c = 0; c < per_row * 32; c++) {
            std::size_t i = r * count + c;
            bool spike = c < count && input_value((std::uint32_t)i, step) > 0.0f;
            bool bit = ((words[r * per_row + c / 32] >> (c % 32)) & 1u) != 0;
            if (bit != spike) fail("spike bit", step, i);
        }
    }
}

static bool en_ok(en_status status, const char *call) {
    if (status == EN_OK) return true;
    std::fprintf(stderr, "simulator: %s: %s: %s\n", call, en_status_name(status), en_last_error());
    failures++;
    return false;
}
#define EN_CHECK(call) en_ok((call), #call)

static int finish(unsigned steps, unsigned replays) {
    if (failures) {
        std::fprintf(stderr, "simulator: %d check(s) failed\n", failures);
        return 1;
    }
    std::printf("simulator: %u steps and %u graph replays, every spike and voltage as the host reference\n",
                steps, replays);
    return 0;
}

#ifdef EXACT_NEURON_HOST_ONLY
// ---------------------------------------------------------------------------
// The same steps on a CPU neuron with host buffers.

int main() {
    en_neuron *neuron = NULL;
    if (!EN_CHECK(en_neuron_new_cpu(kShape, 2, kBatch, kStepTime, kRestV, kThreshV, &neuron))) return 1;
    const std::size_t n = en_neuron_len(neuron);
    std::vector<float> inputs(n);
    std::vector<std::uint8_t> overrides(n);
    for (unsigned step = 0; step < kSteps; step++) {
        bool override_step = step % kOverrideEvery == kOverrideEvery - 1;
        for (std::size_t i = 0; i < n; i++) {
            inputs[i] = input_value((std::uint32_t)i, step);
            overrides[i] = override_value((std::uint32_t)i, step);
        }
        if (override_step)
            EN_CHECK(en_neuron_forward_override(neuron, EN_U8, overrides.data(), n));
        else
            EN_CHECK(en_neuron_forward(neuron, EN_F32, inputs.data(), n));
        const std::uint8_t *spikes = NULL;
        const void *voltage = NULL;
        const void *voltage64 = NULL;
        if (EN_CHECK(en_neuron_spikes(neuron, &spikes)) && EN_CHECK(en_neuron_voltage(neuron, EN_F32, &voltage)) &&
            EN_CHECK(en_neuron_voltage(neuron, EN_F64, &voltage64))) {
            check_step(spikes, static_cast<const float *>(voltage), n, step, override_step);
            check_voltage64(spikes, static_cast<const double *>(voltage64), n, step);
        }
    }
    // One step by the bit kernels and one fused step (spikes and voltage
    // in one kernel), as the CUDA build runs them after its graph.
    for (unsigned step = kSteps; step < kSteps + 2; step++) {
        for (std::size_t i = 0; i < n; i++) inputs[i] = input_value((std::uint32_t)i, step);
        const std::uint8_t *spikes = NULL;
        const void *voltage = NULL;
        if (step == kSteps) {
            const std::uint32_t *words = NULL;
            if (EN_CHECK(en_neuron_forward_bits(neuron, EN_F32, inputs.data(), n)) &&
                EN_CHECK(en_neuron_spike_bits(neuron, &words)))
                check_bits(words, n, en_neuron_words_per_row(neuron), step);
        } else {
            EN_CHECK(en_neuron_forward_with_voltage(neuron, EN_F32, inputs.data(), n, EN_F32, &voltage));
        }
        if (EN_CHECK(en_neuron_spikes(neuron, &spikes)) && EN_CHECK(en_neuron_voltage(neuron, EN_F32, &voltage)))
            check_step(spikes, static_cast<const float *>(voltage), n, step, false);
    }
    en_neuron_free(neuron);
    return finish(kSteps + 2, 0);
}

#else
// ---------------------------------------------------------------------------
// CUDA: the simulator's own kernels, buffers, stream and graph.

#define CUDA_CHECK(call)                                                                         \
    do {                                                                                         \
        cudaError_t err_ = (call);                                                               \
        if (err_ != cudaSuccess) {                                                               \
            std::fprintf(stderr, "simulator: %s: %s (%s:%d)\n", #call, cudaGetErrorString(err_), \
                         __FILE__, __LINE__);                                                    \
            std::exit(1);                                                                        \
        }                                                                                        \
    } while (0)

// The simulator's input kernel: this step's synaptic input. The step
// number is read from device memory, so that a captured graph of it
// produces a new step's input on every replay.
__global__ void make_inputs(float *inputs, std::size_t n, const unsigned *step) {
    unsigned t = *step;
    for (std::size_t i = blockIdx.x * (std::size_t)blockDim.x + threadIdx.x; i < n;
         i += (std::size_t)gridDim.x * blockDim.x)
        inputs[i] = input_value((std::uint32_t)i, t);
}

__global__ void make_overrides(std::uint8_t *values, std::size_t n, const unsigned *step) {
    unsigned t = *step;
    for (std::size_t i = blockIdx.x * (std::size_t)blockDim.x + threadIdx.x; i < n;
         i += (std::size_t)gridDim.x * blockDim.x)
        values[i] = override_value((std::uint32_t)i, t);
}

__global__ void next_step(unsigned *step) { *step += 1; }

int main() {
    int devices = 0;
    CUDA_CHECK(cudaGetDeviceCount(&devices));
    if (devices == 0) {
        std::fprintf(stderr, "simulator: no CUDA device\n");
        return 1;
    }
    const int device = 0;
    CUDA_CHECK(cudaSetDevice(device));
    cudaStream_t stream;
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

    en_neuron *neuron = NULL;
    if (!EN_CHECK(en_neuron_new_cuda(device, stream, kShape, 2, kBatch, kStepTime, kRestV, kThreshV, &neuron)))
        return 1;
    if (en_neuron_is_cuda(neuron) != 1) {
        std::fprintf(stderr, "simulator: the neuron is not a CUDA one\n");
        return 1;
    }
    const std::size_t n = en_neuron_len(neuron);

    // The simulator's own buffers.
    float *d_inputs = NULL;
    std::uint8_t *d_overrides = NULL, *d_spikes = NULL;
    double *d_voltage64 = NULL;
    unsigned *d_step = NULL;
    CUDA_CHECK(cudaMalloc(&d_inputs, n * sizeof(float)));
    CUDA_CHECK(cudaMalloc(&d_overrides, n));
    CUDA_CHECK(cudaMalloc(&d_spikes, n));
    CUDA_CHECK(cudaMalloc(&d_voltage64, n * sizeof(double)));
    CUDA_CHECK(cudaMalloc(&d_step, sizeof(unsigned)));
    CUDA_CHECK(cudaMemsetAsync(d_step, 0, sizeof(unsigned), stream));
    std::uint8_t *h_spikes = NULL, *h_stateless = NULL;
    float *h_voltage = NULL;
    double *h_voltage64 = NULL;
    CUDA_CHECK(cudaMallocHost(&h_spikes, n));
    CUDA_CHECK(cudaMallocHost(&h_stateless, n));
    CUDA_CHECK(cudaMallocHost(&h_voltage, n * sizeof(float)));
    CUDA_CHECK(cudaMallocHost(&h_voltage64, n * sizeof(double)));
    const unsigned blocks = (unsigned)((n + 255) / 256);

    // The state's address is fixed; the voltage view's buffer is made by
    // its first request, which must come before any capture.
    const std::uint8_t *d_state = NULL;
    const void *d_voltage = NULL;
    if (!EN_CHECK(en_neuron_spikes(neuron, &d_state)) || !EN_CHECK(en_neuron_voltage(neuron, EN_F32, &d_voltage)))
        return 1;

    // A host pointer is refused with a status, not a crash: the driver
    // says it is no device memory. (Where the GPU reads pageable host
    // memory, as with HMM, the driver may accept it, and so does the
    // library; the step then runs, and the next one overwrites it.)
    {
        std::vector<float> host(n, 1.0f);
        en_status status = en_neuron_forward(neuron, EN_F32, host.data(), n);
        if (status == EN_OK)
            std::printf("simulator: note: the driver accepted a host pointer as device memory\n");
        else if (status != EN_ERR_WRONG_CONTEXT) {
            std::fprintf(stderr, "simulator: a host pointer gave %s (%s)\n", en_status_name(status), en_last_error());
            failures++;
        }
    }

    // Many steps, queued on the simulator's stream between its own kernels.
    for (unsigned step = 0; step < kSteps; step++) {
        bool override_step = step % kOverrideEvery == kOverrideEvery - 1;
        if (override_step) {
            make_overrides<<<blocks, 256, 0, stream>>>(d_overrides, n, d_step);
            CUDA_CHECK(cudaGetLastError());
            EN_CHECK(en_neuron_forward_override(neuron, EN_U8, d_overrides, n));
        } else {
            make_inputs<<<blocks, 256, 0, stream>>>(d_inputs, n, d_step);
            CUDA_CHECK(cudaGetLastError());
            EN_CHECK(en_neuron_forward(neuron, EN_F32, d_inputs, n));
        }
        const void *voltage = NULL;
        EN_CHECK(en_neuron_voltage(neuron, EN_F32, &voltage));
        if (voltage != d_voltage) {
            std::fprintf(stderr, "simulator: the voltage view moved\n");
            failures++;
        }
        // The stateless launches on the simulator's own buffers, the same
        // step: threshold (or override) into d_spikes, an f64 voltage.
        if (override_step)
            EN_CHECK(en_launch_override(device, stream, EN_U8, d_overrides, d_spikes, n));
        else
            EN_CHECK(en_launch_threshold(device, stream, EN_F32, d_inputs, d_spikes, n));
        EN_CHECK(en_launch_voltage(device, stream, EN_F64, d_spikes, kRestV, kThreshV, d_voltage64, n));
        next_step<<<1, 1, 0, stream>>>(d_step);
        CUDA_CHECK(cudaGetLastError());
        CUDA_CHECK(cudaMemcpyAsync(h_spikes, d_state, n, cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaMemcpyAsync(h_voltage, voltage, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaMemcpyAsync(h_stateless, d_spikes, n, cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaMemcpyAsync(h_voltage64, d_voltage64, n * sizeof(double), cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaStreamSynchronize(stream));
        check_step(h_spikes, h_voltage, n, step, override_step);
        if (std::memcmp(h_spikes, h_stateless, n) != 0) fail("stateless spikes", step, 0);
        check_voltage64(h_stateless, h_voltage64, n, step);
    }

    // One step captured into a graph: the input kernel, the neuron's step
    // and voltage, the stateless threshold and the step counter. Replayed,
    // it runs step kSteps, kSteps + 1, ...
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    make_inputs<<<blocks, 256, 0, stream>>>(d_inputs, n, d_step);
    bool captured = EN_CHECK(en_neuron_forward(neuron, EN_F32, d_inputs, n));
    const void *captured_voltage = NULL;
    captured = EN_CHECK(en_neuron_voltage(neuron, EN_F32, &captured_voltage)) && captured;
    captured = EN_CHECK(en_launch_threshold(device, stream, EN_F32, d_inputs, d_spikes, n)) && captured;
    next_step<<<1, 1, 0, stream>>>(d_step);
    CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
    if (!captured) return finish(kSteps, 0);
    CUDA_CHECK(cudaGraphInstantiateWithFlags(&exec, graph, 0));
    for (unsigned replay = 0; replay < kReplays; replay++) {
        unsigned step = kSteps + replay;
        CUDA_CHECK(cudaGraphLaunch(exec, stream));
        CUDA_CHECK(cudaMemcpyAsync(h_spikes, d_state, n, cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaMemcpyAsync(h_voltage, captured_voltage, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaMemcpyAsync(h_stateless, d_spikes, n, cudaMemcpyDeviceToHost, stream));
        CUDA_CHECK(cudaStreamSynchronize(stream));
        check_step(h_spikes, h_voltage, n, step, false);
        if (std::memcmp(h_spikes, h_stateless, n) != 0) fail("stateless spikes (graph)", step, 0);
    }

    // A neuron on the legacy default stream (NULL), one step.
    {
        en_neuron *legacy = NULL;
        if (EN_CHECK(en_neuron_new_cuda(device, NULL, kShape, 2, kBatch, kStepTime, kRestV, kThreshV, &legacy))) {
            const std::uint8_t *state = NULL;
            const void *voltage = NULL;
            CUDA_CHECK(cudaStreamSynchronize(stream));  // d_inputs holds step kSteps + kReplays - 1
            if (EN_CHECK(en_neuron_forward(legacy, EN_F32, d_inputs, n)) && EN_CHECK(en_neuron_spikes(legacy, &state)) &&
                EN_CHECK(en_neuron_voltage(legacy, EN_F32, &voltage))) {
                CUDA_CHECK(cudaMemcpy(h_spikes, state, n, cudaMemcpyDeviceToHost));
                CUDA_CHECK(cudaMemcpy(h_voltage, voltage, n * sizeof(float), cudaMemcpyDeviceToHost));
                check_step(h_spikes, h_voltage, n, kSteps + kReplays - 1, false);
            }
            en_neuron_free(legacy);
        }
    }

    // One step by the bit kernels and one fused step (spikes and the f32
    // voltage in one kernel), on the simulator's stream after the graph's
    // replays (d_step holds kSteps + kReplays).
    {
        const std::size_t per_row = en_neuron_words_per_row(neuron);
        const std::size_t word_count = en_neuron_bits_len(neuron);
        std::vector<std::uint32_t> h_words(word_count);
        for (unsigned extra = 0; extra < 2; extra++) {
            unsigned step = kSteps + kReplays + extra;
            make_inputs<<<blocks, 256, 0, stream>>>(d_inputs, n, d_step);
            CUDA_CHECK(cudaGetLastError());
            const void *voltage = NULL;
            bool stepped;
            if (extra == 0) {
                const std::uint32_t *d_words = NULL;
                stepped = EN_CHECK(en_neuron_forward_bits(neuron, EN_F32, d_inputs, n)) &&
                          EN_CHECK(en_neuron_spike_bits(neuron, &d_words));
                if (stepped)
                    CUDA_CHECK(cudaMemcpyAsync(h_words.data(), d_words, word_count * sizeof(std::uint32_t),
                                               cudaMemcpyDeviceToHost, stream));
                stepped = stepped && EN_CHECK(en_neuron_voltage(neuron, EN_F32, &voltage));
            } else {
                stepped = EN_CHECK(en_neuron_forward_with_voltage(neuron, EN_F32, d_inputs, n, EN_F32, &voltage));
            }
            next_step<<<1, 1, 0, stream>>>(d_step);
            CUDA_CHECK(cudaGetLastError());
            if (!stepped) continue;
            CUDA_CHECK(cudaMemcpyAsync(h_spikes, d_state, n, cudaMemcpyDeviceToHost, stream));
            CUDA_CHECK(cudaMemcpyAsync(h_voltage, voltage, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
            CUDA_CHECK(cudaStreamSynchronize(stream));
            if (extra == 0) check_bits(h_words.data(), n, per_row, step);
            check_step(h_spikes, h_voltage, n, step, false);
        }
    }

    CUDA_CHECK(cudaGraphExecDestroy(exec));
    CUDA_CHECK(cudaGraphDestroy(graph));
    en_neuron_free(neuron);  // before its stream goes
    CUDA_CHECK(cudaStreamSynchronize(stream));
    CUDA_CHECK(cudaFree(d_inputs));
    CUDA_CHECK(cudaFree(d_overrides));
    CUDA_CHECK(cudaFree(d_spikes));
    CUDA_CHECK(cudaFree(d_voltage64));
    CUDA_CHECK(cudaFree(d_step));
    CUDA_CHECK(cudaFreeHost(h_spikes));
    CUDA_CHECK(cudaFreeHost(h_stateless));
    CUDA_CHECK(cudaFreeHost(h_voltage));
    CUDA_CHECK(cudaFreeHost(h_voltage64));
    CUDA_CHECK(cudaStreamDestroy(stream));
    return finish(kSteps + 2, kReplays);
}
#endif
