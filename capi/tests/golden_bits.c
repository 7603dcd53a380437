/*
 * The golden cases (computed by inferno) through the C API's bit, fused
 * and multi-step calls on the CPU, bit for bit: each step's spikes as bits
 * (unpacked against the expected spikes), each fused step's voltage, and
 * the whole case as one multi-step call (spike trace as bytes with the
 * voltage trace, and as bits). Each argument is a case file written by
 * capi/tests/c_programs.rs.
 */
#include "c_support.h"

static size_t dtype_size(int dtype) {
    switch (dtype) {
    case EN_BOOL:
    case EN_U8:
        return 1;
    case EN_F16:
    case EN_BF16:
        return 2;
    case EN_F32:
        return 4;
    default:
        return 8;
    }
}

/* The words of `rows` rows of `count` neurons agree with `spikes` (one
   byte per neuron), padding bits 0. */
static int bits_match(const uint32_t *words, const unsigned char *spikes, size_t rows,
                      size_t count, size_t per_row) {
    size_t r, w, j;
    for (r = 0; r < rows; r++)
        for (w = 0; w < per_row; w++)
            for (j = 0; j < 32; j++) {
                size_t c = 32 * w + j;
                unsigned bit = (words[r * per_row + w] >> j) & 1u;
                unsigned expected = c < count ? spikes[r * count + c] : 0u;
                if (bit != expected) return 0;
            }
    return 1;
}

typedef struct golden_case {
    const char *path;
    params p;
    int mode, value_dtype, voltage_dtype;
    size_t steps, n, value_size, voltage_size;
    const unsigned char *values, *spikes, *voltage;
} golden_case;

static en_neuron *fresh(const golden_case *g) {
    en_neuron *neuron = NULL;
    en_status status = en_neuron_new_cpu(g->p.ndim ? g->p.shape : NULL, g->p.ndim,
                                         g->p.batch_size, g->p.step_time, g->p.rest_v,
                                         g->p.thresh_v, &neuron);
    CHECK(status == EN_OK, "%s: new: %s", g->path, en_last_error());
    return status == EN_OK ? neuron : NULL;
}

/* Step by step with the spikes as bits. */
static void by_bits(const golden_case *g) {
    en_neuron *neuron = fresh(g);
    size_t t, rows = g->p.batch_size, count = g->n / g->p.batch_size, per_row;
    if (!neuron) return;
    per_row = en_neuron_words_per_row(neuron);
    CHECK(per_row == (count + 31) / 32, "%s: words per row %zu", g->path, per_row);
    CHECK(en_neuron_bits_len(neuron) == rows * per_row, "%s: bits len", g->path);
    for (t = 0; t < g->steps; t++) {
        const void *step_values = g->values + t * g->n * g->value_size;
        const uint32_t *words = NULL;
        const uint8_t *state = NULL;
        en_status status =
            g->mode == 0
                ? en_neuron_forward_bits(neuron, (en_dtype)g->value_dtype, step_values, g->n)
                : en_neuron_forward_override_bits(neuron, (en_dtype)g->value_dtype, step_values,
                                                  g->n);
        CHECK(status == EN_OK, "%s step %zu: bits: %s", g->path, t, en_last_error());
        CHECK(en_neuron_spike_bits(neuron, &words) == EN_OK, "%s: spike bits", g->path);
        CHECK(words && bits_match(words, g->spikes + t * g->n, rows, count, per_row),
              "%s step %zu: bits differ", g->path, t);
        CHECK(en_neuron_spikes(neuron, &state) == EN_OK, "%s: spikes", g->path);
        CHECK(state && memcmp(state, g->spikes + t * g->n, g->n) == 0,
              "%s step %zu: bytes after a bit step differ", g->path, t);
    }
    en_neuron_free(neuron);
}

/* Step by step with the fused voltage. */
static void fused(const golden_case *g) {
    en_neuron *neuron = fresh(g);
    size_t t, vbytes = g->n * g->voltage_size;
    if (!neuron) return;
    for (t = 0; t < g->steps; t++) {
        const void *step_values = g->values + t * g->n * g->value_size;
        const void *view = (const void *)g; /* poisoned: must be overwritten */
        const void *again = NULL;
        const uint8_t *state = NULL;
        en_status status =
            g->mode == 0
                ? en_neuron_forward_with_voltage(neuron, (en_dtype)g->value_dtype, step_values,
                                                 g->n, (en_dtype)g->voltage_dtype, &view)
                : en_neuron_forward_override_with_voltage(neuron, (en_dtype)g->value_dtype,
                                                          step_values, g->n,
                                                          (en_dtype)g->voltage_dtype, &view);
        CHECK(status == EN_OK, "%s step %zu: fused: %s", g->path, t, en_last_error());
        CHECK(view != (const void *)g && memcmp(view, g->voltage + t * vbytes, vbytes) == 0,
              "%s step %zu: fused voltage bits differ", g->path, t);
        CHECK(en_neuron_voltage(neuron, (en_dtype)g->voltage_dtype, &again) == EN_OK &&
                  again == view,
              "%s: the fused view is the voltage view", g->path);
        CHECK(en_neuron_spikes(neuron, &state) == EN_OK, "%s: spikes", g->path);
        CHECK(state && memcmp(state, g->spikes + t * g->n, g->n) == 0,
              "%s step %zu: fused spikes differ", g->path, t);
    }
    en_neuron_free(neuron);
}

/* The whole case in one call, as bytes with the voltage and as bits. */
static void multi_step(const golden_case *g) {
    size_t total = g->steps * g->n, rows = g->p.batch_size, count = g->n / g->p.batch_size;
    size_t per_row, word_count, vbytes = total * g->voltage_size;
    unsigned char *trace = (unsigned char *)malloc(total);
    unsigned char *vtrace = (unsigned char *)malloc(vbytes ? vbytes : 1);
    uint32_t *words;
    en_neuron *neuron = fresh(g);
    en_status status;
    const uint8_t *state = NULL;
    const uint32_t *last = NULL;
    if (!neuron || !trace || !vtrace) exit(2);
    memset(trace, 0xA5, total); /* poisoned */
    memset(vtrace, 0xA5, vbytes);
    status = g->mode == 0 ? en_neuron_forward_steps(neuron, (en_dtype)g->value_dtype, g->values,
                                                    total, EN_SPIKES_BYTES, trace, total,
                                                    (en_dtype)g->voltage_dtype, vtrace, total)
                          : en_neuron_forward_override_steps(
                                neuron, (en_dtype)g->value_dtype, g->values, total,
                                EN_SPIKES_BYTES, trace, total, (en_dtype)g->voltage_dtype,
                                vtrace, total);
    CHECK(status == EN_OK, "%s: steps: %s", g->path, en_last_error());
    CHECK(memcmp(trace, g->spikes, total) == 0, "%s: spike trace differs", g->path);
    CHECK(memcmp(vtrace, g->voltage, vbytes) == 0, "%s: voltage trace differs", g->path);
    CHECK(en_neuron_spikes(neuron, &state) == EN_OK && state &&
              memcmp(state, g->spikes + total - g->n, g->n) == 0,
          "%s: the state is the last step's", g->path);
    en_neuron_free(neuron);

    neuron = fresh(g);
    if (!neuron) exit(2);
    per_row = en_neuron_words_per_row(neuron);
    word_count = g->steps * en_neuron_bits_len(neuron);
    words = (uint32_t *)malloc(word_count * sizeof(uint32_t) + 4);
    if (!words) exit(2);
    memset(words, 0xA5, word_count * sizeof(uint32_t));
    status = g->mode == 0 ? en_neuron_forward_steps(neuron, (en_dtype)g->value_dtype, g->values,
                                                    total, EN_SPIKES_BITS, words, word_count,
                                                    EN_NO_VOLTAGE, NULL, 0)
                          : en_neuron_forward_override_steps(
                                neuron, (en_dtype)g->value_dtype, g->values, total,
                                EN_SPIKES_BITS, words, word_count, EN_NO_VOLTAGE, NULL, 0);
    CHECK(status == EN_OK, "%s: steps in bits: %s", g->path, en_last_error());
    CHECK(bits_match(words, g->spikes, g->steps * rows, count, per_row),
          "%s: bit trace differs", g->path);
    CHECK(en_neuron_spike_bits(neuron, &last) == EN_OK && last &&
              bits_match(last, g->spikes + total - g->n, rows, count, per_row),
          "%s: the bit state is the last step's", g->path);
    CHECK(en_neuron_spikes(neuron, &state) == EN_OK && state &&
              memcmp(state, g->spikes + total - g->n, g->n) == 0,
          "%s: the byte state is the last step's", g->path);
    en_neuron_free(neuron);
    free(words);
    free(trace);
    free(vtrace);
}

static void run_case(const char *path) {
    size_t size;
    unsigned char *file = read_file(path, &size);
    cursor c;
    golden_case g;
    c.at = file;
    c.end = file + size;
    if (memcmp(take_bytes(&c, 8), "ENCASE01", 8) != 0) {
        fprintf(stderr, "%s: not a case file\n", path);
        exit(2);
    }
    g.path = path;
    g.p = take_params(&c);
    g.mode = (int)take_u64(&c);
    g.value_dtype = (int)take_u64(&c);
    g.voltage_dtype = (int)take_u64(&c);
    g.steps = (size_t)take_u64(&c);
    g.n = (size_t)take_u64(&c);
    g.value_size = dtype_size(g.value_dtype);
    g.voltage_size = dtype_size(g.voltage_dtype);
    g.values = take_bytes(&c, g.steps * g.n * g.value_size);
    g.spikes = take_bytes(&c, g.steps * g.n);
    g.voltage = take_bytes(&c, g.steps * g.n * g.voltage_size);
    if (g.steps > 0) {
        by_bits(&g);
        fused(&g);
        multi_step(&g);
    }
    free(file);
}

int main(int argc, char **argv) {
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: golden_bits CASE_FILE...\n");
        return 2;
    }
    for (i = 1; i < argc; i++) run_case(argv[i]);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("%d golden case(s) bit for bit as bits, fused and multi-step\n", argc - 1);
    return 0;
}
