/*
 * Every misuse of the C API gives a status and a message, never a crash,
 * and changes no state; a success leaves the message empty. The argument
 * is the file of inferno's parameter errors (written by c_programs.rs).
 */
#include <pthread.h>

#include "c_support.h"

/* `status` is `expected` and the message contains `part`. */
#define EXPECT(call, expected, part)                                                   \
    do {                                                                               \
        en_status got_ = (call);                                                       \
        CHECK(got_ == (expected), "%s gave %s (%s), expected %s", #call,              \
              en_status_name(got_), en_last_error(), en_status_name(expected));        \
        CHECK(strstr(en_last_error(), (part)) != NULL, "%s: message \"%s\" lacks \"%s\"", \
              #call, en_last_error(), (part));                                         \
    } while (0)

/* A success, which leaves the message empty. */
#define EXPECT_OK(call)                                                                  \
    do {                                                                                 \
        en_status got_ = (call);                                                         \
        CHECK(got_ == EN_OK, "%s gave %s: %s", #call, en_status_name(got_), en_last_error()); \
        CHECK(strcmp(en_last_error(), "") == 0, "%s left \"%s\"", #call, en_last_error()); \
    } while (0)

/* A row of a misuse table: the status `got` of row `row` of `table` is
   `expected` and the message contains `part` (EXPECT for a table). */
static void expect_row(const char *table, size_t row, en_status got, en_status expected,
                       const char *part) {
    CHECK(got == expected, "%s row %lu gave %s (%s), expected %s", table, (unsigned long)row,
          en_status_name(got), en_last_error(), en_status_name(expected));
    CHECK(strstr(en_last_error(), part) != NULL, "%s row %lu: message \"%s\" lacks \"%s\"",
          table, (unsigned long)row, en_last_error(), part);
}

/* A status that a machine without a GPU (or with one) may give. */
static int no_gpu(en_status status) {
    return status == EN_ERR_NO_DRIVER || status == EN_ERR_NO_DEVICE;
}

static void inferno_parameter_errors(const char *path) {
    size_t size, count, i;
    unsigned char *file = read_file(path, &size);
    cursor c;
    c.at = file;
    c.end = file + size;
    if (memcmp(take_bytes(&c, 8), "ENERRS01", 8) != 0) {
        fprintf(stderr, "%s: not an error file\n", path);
        exit(2);
    }
    count = (size_t)take_u64(&c);
    CHECK(count > 0, "no parameter errors to check");
    for (i = 0; i < count; i++) {
        params p = take_params(&c);
        size_t length = (size_t)take_u64(&c);
        char message[512];
        en_neuron *neuron = (en_neuron *)&message; /* poisoned: must become NULL */
        if (length >= sizeof message) exit(2);
        memcpy(message, take_bytes(&c, length), length);
        message[length] = '\0';
        CHECK(en_neuron_new_cpu(p.shape, p.ndim, p.batch_size, p.step_time, p.rest_v,
                                p.thresh_v, &neuron) == EN_ERR_INVALID_ARGUMENT,
              "cpu: %s", message);
        CHECK(strcmp(en_last_error(), message) == 0, "cpu: \"%s\", inferno: \"%s\"",
              en_last_error(), message);
        CHECK(neuron == NULL, "a failed constructor stores NULL");
        /* The parameters are checked before any device: the same text with
           or without a GPU. */
        neuron = (en_neuron *)&message;
        CHECK(en_neuron_new_cuda(0, NULL, p.shape, p.ndim, p.batch_size, p.step_time, p.rest_v,
                                 p.thresh_v, &neuron) == EN_ERR_INVALID_ARGUMENT,
              "cuda: %s", message);
        CHECK(strcmp(en_last_error(), message) == 0, "cuda: \"%s\", inferno: \"%s\"",
              en_last_error(), message);
        CHECK(neuron == NULL, "a failed constructor stores NULL");
    }
    free(file);
}

static void constructor_misuse(void) {
    size_t shape[2] = {3, 4};
    size_t huge[2] = {SIZE_MAX, 2};
    en_neuron *neuron = NULL;
    EXPECT(en_neuron_new_cpu(shape, 2, 1, 1.0, -60.0, -50.0, NULL), EN_ERR_NULL_POINTER,
           "out is NULL");
    EXPECT(en_neuron_new_cpu(NULL, 2, 1, 1.0, -60.0, -50.0, &neuron), EN_ERR_NULL_POINTER,
           "shape");
    EXPECT(en_neuron_new_cpu(shape, SIZE_MAX, 1, 1.0, -60.0, -50.0, &neuron), EN_ERR_TOO_LARGE,
           "ndim");
    EXPECT(en_neuron_new_cpu(huge, 2, 1, 1.0, -60.0, -50.0, &neuron), EN_ERR_TOO_LARGE,
           "too large");
    EXPECT(en_neuron_new_cpu(shape, 2, SIZE_MAX / 4, 1.0, -60.0, -50.0, &neuron),
           EN_ERR_TOO_LARGE, "too large");
    CHECK(neuron == NULL, "failed constructors store NULL");
    EXPECT(en_neuron_new_cuda(-1, NULL, shape, 2, 1, 1.0, -60.0, -50.0, &neuron),
           EN_ERR_NO_DEVICE, "negative");
    EXPECT(en_neuron_new_cuda(0, NULL, shape, 2, 1, 1.0, -60.0, -50.0, NULL), EN_ERR_NULL_POINTER,
           "out is NULL");
    {
        /* On a machine without a GPU, a good CUDA neuron is refused with a
           reason; with one, it is made and freed. */
        en_status status = en_neuron_new_cuda(0, NULL, shape, 2, 1, 1.0, -60.0, -50.0, &neuron);
        CHECK(status == EN_OK || no_gpu(status), "cuda: %s %s", en_status_name(status),
              en_last_error());
        if (status == EN_OK) {
            CHECK(en_neuron_is_cuda(neuron) == 1, "a CUDA neuron says so");
            en_neuron_free(neuron);
        } else {
            CHECK(strlen(en_last_error()) > 0, "a refusal has a message");
            CHECK(neuron == NULL, "a failed constructor stores NULL");
        }
        neuron = NULL;
    }
    /* A 0-d neuron needs no shape pointer. */
    EXPECT_OK(en_neuron_new_cpu(NULL, 0, 3, 1.0, -60.0, -50.0, &neuron));
    CHECK(en_neuron_len(neuron) == 3, "0-d neuron of batch 3 has 3 elements");
    en_neuron_free(neuron);
}

static void state_is(en_neuron *neuron, const uint8_t *expected, const char *after) {
    const uint8_t *spikes = NULL;
    CHECK(en_neuron_spikes(neuron, &spikes) == EN_OK, "spikes");
    CHECK(spikes && memcmp(spikes, expected, 4) == 0, "the state changed after %s", after);
}

static void step_misuse(void) {
    size_t shape[1] = {4};
    en_neuron *neuron = NULL;
    float inputs[5] = {1.0f, -1.0f, 0.0f, 2.0f, 3.0f};
    uint8_t bools[4] = {0, 1, 2, 0};
    const uint8_t expected[4] = {1, 0, 0, 1};
    const void *voltage = NULL;
    const uint8_t *spikes = NULL;
    char misaligned[64];

    EXPECT_OK(en_neuron_new_cpu(shape, 1, 1, 1.0, -60.0, -50.0, &neuron));
    CHECK(en_neuron_is_cuda(neuron) == 0, "a CPU neuron says so");
    CHECK(en_neuron_batch_size(neuron) == 1, "batch size");
    EXPECT_OK(en_neuron_forward(neuron, EN_F32, inputs, 4));
    state_is(neuron, expected, "a step");

    EXPECT(en_neuron_forward(NULL, EN_F32, inputs, 4), EN_ERR_NULL_POINTER, "neuron is NULL");
    EXPECT(en_neuron_forward(neuron, EN_F32, NULL, 4), EN_ERR_NULL_POINTER, "inputs is NULL");
    EXPECT(en_neuron_forward(neuron, (en_dtype)6, inputs, 4), EN_ERR_BAD_DTYPE, "dtype 6");
    EXPECT(en_neuron_forward(neuron, (en_dtype)-1, inputs, 4), EN_ERR_BAD_DTYPE, "dtype -1");
    EXPECT(en_neuron_forward(neuron, (en_dtype)1000, inputs, 4), EN_ERR_BAD_DTYPE, "1000");
    EXPECT(en_neuron_forward(neuron, EN_F32, inputs, 3), EN_ERR_LENGTH_MISMATCH,
           "inputs has 3 elements, expected 4");
    EXPECT(en_neuron_forward(neuron, EN_F32, inputs, 5), EN_ERR_LENGTH_MISMATCH, "5 elements");
    EXPECT(en_neuron_forward(neuron, EN_F32, inputs, 0), EN_ERR_LENGTH_MISMATCH, "0 elements");
    EXPECT(en_neuron_forward(neuron, EN_F32, inputs, SIZE_MAX), EN_ERR_LENGTH_MISMATCH,
           "expected 4");
    EXPECT(en_neuron_forward(neuron, EN_BOOL, bools, 4), EN_ERR_NO_KERNEL, "no threshold kernel");
    EXPECT(en_neuron_forward(neuron, EN_U8, bools, 4), EN_ERR_NO_KERNEL, "u8");
    memset(misaligned, 0, sizeof misaligned);
    EXPECT(en_neuron_forward(neuron, EN_F32, misaligned + 1, 4), EN_ERR_BAD_VALUES, "align");
    EXPECT(en_neuron_forward(neuron, EN_F64, misaligned + 4, 4), EN_ERR_BAD_VALUES, "align");
    state_is(neuron, expected, "refused steps");

    EXPECT(en_neuron_forward_override(NULL, EN_BOOL, bools, 4), EN_ERR_NULL_POINTER, "neuron");
    EXPECT(en_neuron_forward_override(neuron, EN_BOOL, NULL, 4), EN_ERR_NULL_POINTER,
           "override is NULL");
    EXPECT(en_neuron_forward_override(neuron, (en_dtype)7, bools, 4), EN_ERR_BAD_DTYPE, "7");
    EXPECT(en_neuron_forward_override(neuron, EN_BOOL, bools, 4), EN_ERR_BAD_VALUES, "bool");
    EXPECT(en_neuron_forward_override(neuron, EN_U8, bools, 2), EN_ERR_LENGTH_MISMATCH,
           "override has 2 elements, expected 4");
    state_is(neuron, expected, "refused overrides");
    /* As u8, the same bytes are fine: nonzero is a spike. */
    EXPECT_OK(en_neuron_forward_override(neuron, EN_U8, bools, 4));
    {
        const uint8_t overridden[4] = {0, 1, 1, 0};
        state_is(neuron, overridden, "an override");
    }

    EXPECT(en_neuron_spikes(NULL, &spikes), EN_ERR_NULL_POINTER, "neuron is NULL");
    EXPECT(en_neuron_spikes(neuron, NULL), EN_ERR_NULL_POINTER, "spikes is NULL");
    EXPECT(en_neuron_voltage(NULL, EN_F32, &voltage), EN_ERR_NULL_POINTER, "neuron is NULL");
    EXPECT(en_neuron_voltage(neuron, EN_F32, NULL), EN_ERR_NULL_POINTER, "voltage is NULL");
    EXPECT(en_neuron_voltage(neuron, (en_dtype)99, &voltage), EN_ERR_BAD_DTYPE, "99");
    EXPECT(en_neuron_voltage(neuron, EN_U8, &voltage), EN_ERR_NO_KERNEL, "no voltage kernel");
    EXPECT(en_neuron_voltage(neuron, EN_BOOL, &voltage), EN_ERR_NO_KERNEL, "bool");
    EXPECT_OK(en_neuron_voltage(neuron, EN_F64, &voltage));
    {
        const double *v = (const double *)voltage;
        CHECK(v[0] == -60.0 && v[1] == -50.0 && v[2] == -50.0 && v[3] == -60.0, "f64 voltage");
    }
    EXPECT_OK(en_neuron_voltage(neuron, EN_F16, &voltage));
    {
        /* -60 and -50 as f16 bits. */
        const uint16_t *v = (const uint16_t *)voltage;
        CHECK(v[0] == 0xD380 && v[1] == 0xD240, "f16 voltage bits %04x %04x", v[0], v[1]);
    }

    EXPECT(en_neuron_clear(NULL), EN_ERR_NULL_POINTER, "neuron is NULL");
    EXPECT(en_neuron_set_batch_size(NULL, 2), EN_ERR_NULL_POINTER, "neuron is NULL");
    EXPECT(en_neuron_set_batch_size(neuron, 0), EN_ERR_INVALID_ARGUMENT,
           "'batch_size' of 0 must be positive");
    EXPECT(en_neuron_set_batch_size(neuron, SIZE_MAX), EN_ERR_TOO_LARGE, "too large");
    CHECK(en_neuron_len(neuron) == 4, "refused sizes change nothing");
    {
        const uint8_t overridden[4] = {0, 1, 1, 0};
        state_is(neuron, overridden, "refused batch sizes");
    }
    EXPECT_OK(en_neuron_clear(neuron));
    {
        const uint8_t clear[4] = {0, 0, 0, 0};
        state_is(neuron, clear, "a clear");
    }
    EXPECT_OK(en_neuron_set_batch_size(neuron, 3));
    CHECK(en_neuron_len(neuron) == 12 && en_neuron_batch_size(neuron) == 3, "resized");
    CHECK(en_neuron_len(NULL) == 0 && en_neuron_batch_size(NULL) == 0, "NULL has no length");
    CHECK(en_neuron_is_cuda(NULL) == 0, "NULL is no CUDA neuron");
    en_neuron_free(neuron);
    en_neuron_free(NULL);
}

static void voltage_overflow(void) {
    size_t shape[1] = {2};
    en_neuron *neuron = NULL;
    const void *voltage = NULL;
    EXPECT_OK(en_neuron_new_cpu(shape, 1, 1, 1.0, -60.0, 1e39, &neuron));
    EXPECT(en_neuron_voltage(neuron, EN_F32, &voltage), EN_ERR_VOLTAGE_OVERFLOW,
           "'thresh_v' (1e+39) cannot be converted to f32 without overflow");
    EXPECT(en_neuron_voltage(neuron, EN_BF16, &voltage), EN_ERR_VOLTAGE_OVERFLOW, "bf16");
    EXPECT_OK(en_neuron_voltage(neuron, EN_F64, &voltage));
    en_neuron_free(neuron);
}

static void stateless_launch_misuse(void) {
    uint8_t spikes[4];
    float values[4] = {0};
    en_status status;
    EXPECT(en_launch_threshold(0, NULL, EN_F32, NULL, spikes, 4), EN_ERR_NULL_POINTER, "inputs");
    EXPECT(en_launch_threshold(0, NULL, EN_F32, values, NULL, 4), EN_ERR_NULL_POINTER, "spikes");
    EXPECT(en_launch_threshold(0, NULL, (en_dtype)8, values, spikes, 4), EN_ERR_BAD_DTYPE, "8");
    EXPECT(en_launch_threshold(0, NULL, EN_U8, values, spikes, 4), EN_ERR_NO_KERNEL, "u8");
    EXPECT(en_launch_threshold(0, NULL, EN_F32, values, spikes, 0), EN_ERR_LENGTH_MISMATCH,
           "len is 0");
    EXPECT(en_launch_threshold(0, NULL, EN_F64, values, spikes, SIZE_MAX), EN_ERR_TOO_LARGE,
           "too many bytes");
    EXPECT(en_launch_override(0, NULL, EN_BOOL, NULL, spikes, 4), EN_ERR_NULL_POINTER,
           "override");
    EXPECT(en_launch_override(0, NULL, (en_dtype)-3, values, spikes, 4), EN_ERR_BAD_DTYPE, "-3");
    EXPECT(en_launch_voltage(0, NULL, EN_F32, NULL, -60.0, -50.0, values, 4),
           EN_ERR_NULL_POINTER, "spikes");
    EXPECT(en_launch_voltage(0, NULL, EN_F32, spikes, -60.0, -50.0, NULL, 4),
           EN_ERR_NULL_POINTER, "voltage");
    EXPECT(en_launch_voltage(0, NULL, EN_BOOL, spikes, -60.0, -50.0, values, 4), EN_ERR_NO_KERNEL,
           "voltage");
    EXPECT(en_launch_voltage(0, NULL, EN_F16, spikes, -1e40, -50.0, values, 4),
           EN_ERR_VOLTAGE_OVERFLOW, "rest_v");
    EXPECT(en_launch_voltage(-2, NULL, EN_F32, spikes, -60.0, -50.0, values, 4), EN_ERR_NO_DEVICE,
           "negative");
    /* Host memory is refused: by the driver's answer where there is a GPU,
       for want of one elsewhere. */
    status = en_launch_threshold(0, NULL, EN_F32, values, spikes, 4);
    CHECK(status == EN_ERR_WRONG_CONTEXT || no_gpu(status), "host pointers: %s (%s)",
          en_status_name(status), en_last_error());
    status = en_launch_voltage(0, NULL, EN_F32, spikes, -60.0, -50.0, values, 4);
    CHECK(status == EN_ERR_WRONG_CONTEXT || no_gpu(status), "host pointers: %s (%s)",
          en_status_name(status), en_last_error());
}

/* The state's bytes and bits are `expected` (a group of 4, batch 1). */
static void bits_are(en_neuron *neuron, const uint8_t *expected, const char *after) {
    const uint32_t *words = NULL;
    uint32_t packed = 0;
    int i;
    for (i = 0; i < 4; i++) packed |= (uint32_t)expected[i] << i;
    state_is(neuron, expected, after);
    CHECK(en_neuron_spike_bits(neuron, &words) == EN_OK && words && words[0] == packed,
          "the bits changed after %s", after);
}

static void bit_fused_and_multi_step_misuse(void) {
    size_t shape[1] = {4};
    en_neuron *neuron = NULL;
    float inputs[8] = {1.0f, -1.0f, 0.0f, 2.0f, 3.0f, 0.0f, 0.0f, 1.0f};
    uint8_t trace[8];
    uint32_t words[2];
    float vtrace[8];
    double vtrace64[8];
    const uint8_t expected[4] = {1, 0, 0, 1};
    const void *voltage = NULL;
    const uint32_t *bits = NULL;
    char misaligned[64];
    const size_t huge = SIZE_MAX - 3; /* a multiple of 4, too many floats */

    EXPECT_OK(en_neuron_new_cpu(shape, 1, 1, 1.0, -60.0, -50.0, &neuron));
    CHECK(en_neuron_words_per_row(neuron) == 1 && en_neuron_bits_len(neuron) == 1, "sizes");
    CHECK(en_neuron_words_per_row(NULL) == 0 && en_neuron_bits_len(NULL) == 0, "NULL sizes");
    EXPECT_OK(en_neuron_forward_bits(neuron, EN_F32, inputs, 4));
    bits_are(neuron, expected, "a bit step");

    EXPECT(en_neuron_forward_bits(NULL, EN_F32, inputs, 4), EN_ERR_NULL_POINTER, "neuron");
    EXPECT(en_neuron_forward_bits(neuron, EN_F32, NULL, 4), EN_ERR_NULL_POINTER, "inputs");
    EXPECT(en_neuron_forward_bits(neuron, (en_dtype)6, inputs, 4), EN_ERR_BAD_DTYPE, "6");
    EXPECT(en_neuron_forward_bits(neuron, EN_U8, inputs, 4), EN_ERR_NO_KERNEL, "u8");
    EXPECT(en_neuron_forward_bits(neuron, EN_F32, inputs, 3), EN_ERR_LENGTH_MISMATCH, "3");
    EXPECT(en_neuron_forward_bits(neuron, EN_F32, inputs, 0), EN_ERR_LENGTH_MISMATCH, "0");
    memset(misaligned, 0, sizeof misaligned);
    EXPECT(en_neuron_forward_bits(neuron, EN_F32, misaligned + 1, 4), EN_ERR_BAD_VALUES,
           "align");
    EXPECT(en_neuron_forward_override_bits(neuron, (en_dtype)-2, inputs, 4), EN_ERR_BAD_DTYPE,
           "-2");
    EXPECT(en_neuron_forward_override_bits(neuron, EN_F32, inputs, 5), EN_ERR_LENGTH_MISMATCH,
           "override has 5 elements");
    EXPECT(en_neuron_spike_bits(NULL, &bits), EN_ERR_NULL_POINTER, "neuron");
    EXPECT(en_neuron_spike_bits(neuron, NULL), EN_ERR_NULL_POINTER, "words is NULL");
    bits_are(neuron, expected, "refused bit steps");

    EXPECT(en_neuron_forward_with_voltage(NULL, EN_F32, inputs, 4, EN_F32, &voltage),
           EN_ERR_NULL_POINTER, "neuron");
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, NULL, 4, EN_F32, &voltage),
           EN_ERR_NULL_POINTER, "inputs");
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, inputs, 4, EN_F32, NULL),
           EN_ERR_NULL_POINTER, "voltage is NULL");
    EXPECT(en_neuron_forward_with_voltage(neuron, (en_dtype)9, inputs, 4, EN_F32, &voltage),
           EN_ERR_BAD_DTYPE, "9");
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, inputs, 4, (en_dtype)9, &voltage),
           EN_ERR_BAD_DTYPE, "9");
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, inputs, 4, EN_U8, &voltage),
           EN_ERR_NO_KERNEL, "voltage");
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, inputs, 4, (en_dtype)EN_NO_VOLTAGE,
                                          &voltage),
           EN_ERR_LENGTH_MISMATCH, "EN_NO_VOLTAGE");
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, inputs, 2, EN_F32, &voltage),
           EN_ERR_LENGTH_MISMATCH, "2 elements");
    misaligned[2] = 2; /* not a bool */
    EXPECT(en_neuron_forward_override_with_voltage(neuron, EN_BOOL, misaligned, 4, EN_F32,
                                                   &voltage),
           EN_ERR_BAD_VALUES, "bool");
    misaligned[2] = 0;
    bits_are(neuron, expected, "refused fused steps");

    /* The multi-step call: one misuse a row, refused with its status and
       a part of its message. */
    {
        const struct {
            en_neuron *neuron;
            en_dtype dtype;
            const void *inputs;
            size_t len;
            en_spike_format format;
            void *trace;
            size_t trace_len;
            en_dtype voltage_dtype;
            void *voltage;
            size_t voltage_len;
            en_status status;
            const char *part;
        } refused[] = {
            {NULL, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_NULL_POINTER, "neuron"},
            {neuron, EN_F32, NULL, 8, EN_SPIKES_BYTES,
             trace, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_NULL_POINTER, "inputs"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             NULL, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_NULL_POINTER, "spike_trace"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_F32, NULL, 8, EN_ERR_NULL_POINTER, "voltage"},
            {neuron, (en_dtype)6, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_BAD_DTYPE, "6"},
            {neuron, EN_BOOL, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_NO_KERNEL, "bool"},
            {neuron, EN_F32, inputs, 8, (en_spike_format)2,
             trace, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_BAD_FORMAT, "spike format 2"},
            {neuron, EN_F32, inputs, 8, (en_spike_format)-1,
             trace, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_BAD_FORMAT, "-1"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, (en_dtype)7, vtrace, 8, EN_ERR_BAD_DTYPE, "7"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_NO_VOLTAGE, vtrace, 8, EN_ERR_LENGTH_MISMATCH, "EN_NO_VOLTAGE"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_NO_VOLTAGE, NULL, 8, EN_ERR_LENGTH_MISMATCH, "voltage_trace has 8"},
            {neuron, EN_F32, inputs, 7, EN_SPIKES_BYTES,
             trace, 7, EN_NO_VOLTAGE, NULL, 0, EN_ERR_LENGTH_MISMATCH, "multiple of 4"},
            {neuron, EN_F32, inputs, 0, EN_SPIKES_BYTES,
             trace, 0, EN_NO_VOLTAGE, NULL, 0, EN_ERR_LENGTH_MISMATCH, "has 0 elements"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 7, EN_NO_VOLTAGE, NULL, 0, EN_ERR_LENGTH_MISMATCH, "spike_trace has 7 elements, expected 8"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BITS,
             words, 8, EN_NO_VOLTAGE, NULL, 0, EN_ERR_LENGTH_MISMATCH, "spike_trace has 8 elements, expected 2"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES,
             trace, 8, EN_F32, vtrace, 4, EN_ERR_LENGTH_MISMATCH, "voltage_trace has 4 elements, expected 8"},
            {neuron, EN_F32, inputs, 8, EN_SPIKES_BITS,
             misaligned + 1, 2, EN_NO_VOLTAGE, NULL, 0, EN_ERR_BAD_VALUES, "align"},
            {neuron, EN_F32, inputs, huge, EN_SPIKES_BYTES,
             trace, huge, EN_NO_VOLTAGE, NULL, 0, EN_ERR_TOO_LARGE, "too many bytes"},
        };
        size_t i;
        for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            expect_row("en_neuron_forward_steps", i,
                       en_neuron_forward_steps(refused[i].neuron, refused[i].dtype,
                                               refused[i].inputs, refused[i].len,
                                               refused[i].format, refused[i].trace,
                                               refused[i].trace_len, refused[i].voltage_dtype,
                                               refused[i].voltage, refused[i].voltage_len),
                       refused[i].status, refused[i].part);
        }
    }
    EXPECT(en_neuron_forward_override_steps(neuron, EN_F32, inputs, 8, EN_SPIKES_BITS, words, 1,
                                            EN_NO_VOLTAGE, NULL, 0),
           EN_ERR_LENGTH_MISMATCH, "expected 2");
    bits_are(neuron, expected, "refused multi-step calls");
    en_neuron_free(neuron);

    /* A voltage that does not fit the type is refused before the step. */
    EXPECT_OK(en_neuron_new_cpu(shape, 1, 1, 1.0, -60.0, 1e39, &neuron));
    EXPECT_OK(en_neuron_forward(neuron, EN_F32, inputs, 4));
    EXPECT(en_neuron_forward_with_voltage(neuron, EN_F32, inputs + 4, 4, EN_F32, &voltage),
           EN_ERR_VOLTAGE_OVERFLOW, "thresh_v");
    EXPECT(en_neuron_forward_steps(neuron, EN_F32, inputs, 8, EN_SPIKES_BYTES, trace, 8, EN_F16,
                                   vtrace, 8),
           EN_ERR_VOLTAGE_OVERFLOW, "thresh_v");
    bits_are(neuron, expected, "refused overflowing voltages");
    EXPECT_OK(en_neuron_forward_steps(neuron, EN_F32, inputs, 8, EN_SPIKES_BITS, words, 2, EN_F64,
                                      vtrace64, 8));
    CHECK(words[0] == 0x9u && words[1] == 0x9u, "bit trace %x %x", words[0], words[1]);
    CHECK(vtrace64[0] == 1e39 && vtrace64[1] == -60.0 && vtrace64[7] == 1e39, "voltage trace");
    {
        const uint8_t last[4] = {1, 0, 0, 1};
        bits_are(neuron, last, "a multi-step call");
    }
    en_neuron_free(neuron);
}

static void stateless_bit_and_fused_launch_misuse(void) {
    uint8_t spikes[64];
    uint32_t words[4];
    float values[64] = {0};
    en_status status;
    EXPECT(en_launch_threshold_bits(0, NULL, EN_F32, NULL, 2, 40, words), EN_ERR_NULL_POINTER,
           "inputs");
    EXPECT(en_launch_threshold_bits(0, NULL, EN_F32, values, 2, 40, NULL), EN_ERR_NULL_POINTER,
           "words");
    EXPECT(en_launch_threshold_bits(0, NULL, (en_dtype)6, values, 2, 40, words),
           EN_ERR_BAD_DTYPE, "6");
    EXPECT(en_launch_threshold_bits(0, NULL, EN_U8, values, 2, 40, words), EN_ERR_NO_KERNEL,
           "u8");
    EXPECT(en_launch_threshold_bits(0, NULL, EN_F32, values, 0, 40, words),
           EN_ERR_LENGTH_MISMATCH, "rows is 0");
    EXPECT(en_launch_threshold_bits(0, NULL, EN_F32, values, 2, 0, words),
           EN_ERR_LENGTH_MISMATCH, "count is 0");
    EXPECT(en_launch_threshold_bits(0, NULL, EN_F32, values, SIZE_MAX, 3, words),
           EN_ERR_TOO_LARGE, "too many");
    EXPECT(en_launch_threshold_bits(0, NULL, EN_F64, values, SIZE_MAX / 8, 8, words),
           EN_ERR_TOO_LARGE, "too many bytes");
    EXPECT(en_launch_override_bits(0, NULL, (en_dtype)-1, values, 2, 40, words),
           EN_ERR_BAD_DTYPE, "-1");
    EXPECT(en_launch_override_bits(0, NULL, EN_BOOL, NULL, 2, 40, words), EN_ERR_NULL_POINTER,
           "override");
    EXPECT(en_launch_pack_bits(0, NULL, NULL, 2, 40, words), EN_ERR_NULL_POINTER, "spikes");
    EXPECT(en_launch_pack_bits(0, NULL, spikes, 2, 40, NULL), EN_ERR_NULL_POINTER, "words");
    EXPECT(en_launch_unpack_bits(0, NULL, NULL, 2, 40, spikes), EN_ERR_NULL_POINTER, "words");
    EXPECT(en_launch_unpack_bits(0, NULL, words, 2, 40, NULL), EN_ERR_NULL_POINTER, "spikes");
    EXPECT(en_launch_unpack_bits(0, NULL, words, 2, 0, spikes), EN_ERR_LENGTH_MISMATCH,
           "count is 0");
    EXPECT(en_launch_voltage_bits(0, NULL, EN_F32, NULL, 2, 40, -60.0, -50.0, values),
           EN_ERR_NULL_POINTER, "words");
    EXPECT(en_launch_voltage_bits(0, NULL, EN_F32, words, 2, 40, -60.0, -50.0, NULL),
           EN_ERR_NULL_POINTER, "voltage");
    EXPECT(en_launch_voltage_bits(0, NULL, EN_U8, words, 2, 40, -60.0, -50.0, values),
           EN_ERR_NO_KERNEL, "voltage");
    EXPECT(en_launch_voltage_bits(0, NULL, EN_BF16, words, 2, 40, -60.0, 1e39, values),
           EN_ERR_VOLTAGE_OVERFLOW, "thresh_v");
    /* The fused step: one misuse a row (device 0 and the default stream),
       refused with its status and a part of its message. */
    {
        const struct {
            en_dtype dtype;
            const void *inputs;
            size_t len;
            uint8_t *spikes;
            en_dtype voltage_dtype;
            void *voltage;
            double rest_v, thresh_v;
            uint8_t *state;
            size_t state_len;
            en_status status;
            const char *part;
        } refused[] = {
            {EN_F32, NULL, 64, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_NULL_POINTER, "inputs"},
            {EN_F32, values, 64, NULL, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_NULL_POINTER, "spikes"},
            {(en_dtype)6, values, 64, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_BAD_DTYPE, "6"},
            {EN_BOOL, values, 64, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_NO_KERNEL, "bool"},
            {EN_F32, values, 64, spikes, EN_F32,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_NULL_POINTER, "voltage"},
            {EN_F32, values, 64, spikes, EN_NO_VOLTAGE,
             values, -60.0, -50.0, NULL, 0, EN_ERR_LENGTH_MISMATCH, "EN_NO_VOLTAGE"},
            {EN_F32, values, 64, spikes, (en_dtype)8,
             values, -60.0, -50.0, NULL, 0, EN_ERR_BAD_DTYPE, "8"},
            {EN_F32, values, 0, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_LENGTH_MISMATCH, "len is 0"},
            {EN_F32, values, 64, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 4, EN_ERR_NULL_POINTER, "state"},
            {EN_F32, values, 64, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, spikes, 0, EN_ERR_LENGTH_MISMATCH, "state_len is 0"},
            {EN_F32, values, 4, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, spikes, 8, EN_ERR_LENGTH_MISMATCH, "state has 8"},
            {EN_F64, values, SIZE_MAX, spikes, EN_NO_VOLTAGE,
             NULL, -60.0, -50.0, NULL, 0, EN_ERR_TOO_LARGE, "too many bytes"},
            {EN_F32, values, 64, spikes, EN_F16,
             values, 1e40, -50.0, NULL, 0, EN_ERR_VOLTAGE_OVERFLOW, "rest_v"},
        };
        size_t i;
        for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            expect_row("en_launch_step", i,
                       en_launch_step(0, NULL, refused[i].dtype, refused[i].inputs,
                                      refused[i].len, refused[i].spikes,
                                      refused[i].voltage_dtype, refused[i].voltage,
                                      refused[i].rest_v, refused[i].thresh_v,
                                      refused[i].state, refused[i].state_len),
                       refused[i].status, refused[i].part);
        }
    }
    EXPECT(en_launch_step_override(0, NULL, (en_dtype)-4, values, 64, spikes, EN_NO_VOLTAGE, NULL,
                                   -60.0, -50.0, NULL, 0),
           EN_ERR_BAD_DTYPE, "-4");
    EXPECT(en_launch_step_bits(0, NULL, EN_F32, values, 2, 40, NULL, EN_NO_VOLTAGE, NULL, -60.0,
                               -50.0, NULL, 0),
           EN_ERR_NULL_POINTER, "words");
    EXPECT(en_launch_step_bits(0, NULL, EN_U8, values, 2, 40, words, EN_NO_VOLTAGE, NULL, -60.0,
                               -50.0, NULL, 0),
           EN_ERR_NO_KERNEL, "u8");
    EXPECT(en_launch_step_bits(0, NULL, EN_F32, values, 2, 40, words, EN_NO_VOLTAGE, NULL, -60.0,
                               -50.0, words, 3),
           EN_ERR_LENGTH_MISMATCH, "multiple of 2");
    EXPECT(en_launch_step_bits(0, NULL, EN_F32, values, 2, 40, words, EN_NO_VOLTAGE, NULL, -60.0,
                               -50.0, words, 6),
           EN_ERR_LENGTH_MISMATCH, "up to the output's 4");
    EXPECT(en_launch_step_bits(0, NULL, EN_F32, values, 2, 0, words, EN_NO_VOLTAGE, NULL, -60.0,
                               -50.0, NULL, 0),
           EN_ERR_LENGTH_MISMATCH, "count is 0");
    EXPECT(en_launch_step_bits_override(0, NULL, EN_F32, values, 2, 40, words, (en_dtype)6,
                                        values, -60.0, -50.0, NULL, 0),
           EN_ERR_BAD_DTYPE, "6");
    /* Host memory is refused: by the driver where there is a GPU, for want
       of one elsewhere. */
    status = en_launch_threshold_bits(0, NULL, EN_F32, values, 2, 32, words);
    CHECK(status == EN_ERR_WRONG_CONTEXT || no_gpu(status), "host pointers: %s (%s)",
          en_status_name(status), en_last_error());
    status = en_launch_step(0, NULL, EN_F32, values, 64, spikes, EN_F32, values, -60.0, -50.0,
                            spikes, 32);
    CHECK(status == EN_ERR_WRONG_CONTEXT || no_gpu(status), "host pointers: %s (%s)",
          en_status_name(status), en_last_error());
}

static void *fail_on_another_thread(void *unused) {
    (void)unused;
    en_neuron_clear(NULL);
    return strstr(en_last_error(), "neuron is NULL") ? (void *)1 : NULL;
}

static void messages_are_per_thread(void) {
    pthread_t thread;
    void *result = NULL;
    size_t shape[1] = {1};
    en_neuron *neuron = NULL;
    EXPECT_OK(en_neuron_new_cpu(shape, 1, 1, 1.0, -60.0, -50.0, &neuron));
    CHECK(pthread_create(&thread, NULL, fail_on_another_thread, NULL) == 0, "thread");
    CHECK(pthread_join(thread, &result) == 0, "join");
    CHECK(result == (void *)1, "the other thread saw its own message");
    CHECK(strcmp(en_last_error(), "") == 0, "this thread's message is untouched: \"%s\"",
          en_last_error());
    en_neuron_free(neuron);
}

static void names_and_version(void) {
    const char *version = en_version();
    CHECK(version && strlen(version) >= 5 && strchr(version, '.'), "version \"%s\"", version);
    CHECK(strcmp(en_status_name(EN_OK), "EN_OK") == 0, "EN_OK name");
    CHECK(strcmp(en_status_name(EN_ERR_INTERNAL), "EN_ERR_INTERNAL") == 0, "internal name");
    CHECK(strcmp(en_status_name(-5), "unknown status") == 0, "unknown status name");
    CHECK(strcmp(en_status_name(EN_ERR_BAD_FORMAT), "EN_ERR_BAD_FORMAT") == 0, "format name");
    CHECK(EN_SPIKES_BYTES == 0 && EN_SPIKES_BITS == 1 && EN_NO_VOLTAGE == -1, "format numbers");
    CHECK(EN_BOOL == 0 && EN_U8 == 1 && EN_F16 == 2 && EN_BF16 == 3 && EN_F32 == 4 && EN_F64 == 5,
          "dtype numbers");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: errors ERRORS_FILE\n");
        return 2;
    }
    CHECK(strcmp(en_last_error(), "") == 0, "no call yet, no message");
    names_and_version();
    inferno_parameter_errors(argv[1]);
    constructor_misuse();
    step_misuse();
    voltage_overflow();
    stateless_launch_misuse();
    bit_fused_and_multi_step_misuse();
    stateless_bit_and_fused_launch_misuse();
    messages_are_per_thread();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("every misuse gave its status and message\n");
    return 0;
}
