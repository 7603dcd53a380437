/*
 * The golden cases (computed by inferno) through the C API on the CPU,
 * bit for bit: every step's spikes and voltage. Each argument is a case
 * file written by capi/tests/c_programs.rs from one case folder.
 */
#include "c_support.h"

/* The size of one value of a dtype. */
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

static void run_case(const char *path) {
    size_t size, n, steps, t, value_size, voltage_size;
    unsigned char *file = read_file(path, &size);
    cursor c;
    params p;
    int mode, value_dtype, voltage_dtype;
    const unsigned char *values, *spikes, *voltage;
    en_neuron *neuron = NULL;
    en_status status;

    c.at = file;
    c.end = file + size;
    if (memcmp(take_bytes(&c, 8), "ENCASE01", 8) != 0) {
        fprintf(stderr, "%s: not a case file\n", path);
        exit(2);
    }
    p = take_params(&c);
    mode = (int)take_u64(&c);
    value_dtype = (int)take_u64(&c);
    voltage_dtype = (int)take_u64(&c);
    steps = (size_t)take_u64(&c);
    n = (size_t)take_u64(&c);
    value_size = dtype_size(value_dtype);
    voltage_size = dtype_size(voltage_dtype);
    values = take_bytes(&c, steps * n * value_size);
    spikes = take_bytes(&c, steps * n);
    voltage = take_bytes(&c, steps * n * voltage_size);

    /* A 0-d neuron passes no shape at all. */
    status = en_neuron_new_cpu(p.ndim ? p.shape : NULL, p.ndim, p.batch_size, p.step_time,
                               p.rest_v, p.thresh_v, &neuron);
    CHECK(status == EN_OK, "%s: new: %s", path, en_last_error());
    if (status != EN_OK) {
        free(file);
        return;
    }
    CHECK(en_neuron_len(neuron) == n, "%s: len %zu, expected %zu", path, en_neuron_len(neuron), n);
    for (t = 0; t < steps; t++) {
        const void *step_values = values + t * n * value_size;
        const uint8_t *state = NULL;
        const void *view = NULL;
        if (mode == 0)
            status = en_neuron_forward(neuron, (en_dtype)value_dtype, step_values, n);
        else
            status = en_neuron_forward_override(neuron, (en_dtype)value_dtype, step_values, n);
        CHECK(status == EN_OK, "%s step %zu: %s", path, t, en_last_error());
        CHECK(strcmp(en_last_error(), "") == 0, "a success leaves the message empty");
        CHECK(en_neuron_spikes(neuron, &state) == EN_OK, "%s: spikes", path);
        CHECK(state && memcmp(state, spikes + t * n, n) == 0, "%s step %zu: spikes differ", path,
              t);
        CHECK(en_neuron_voltage(neuron, (en_dtype)voltage_dtype, &view) == EN_OK,
              "%s: voltage: %s", path, en_last_error());
        CHECK(view && memcmp(view, voltage + t * n * voltage_size, n * voltage_size) == 0,
              "%s step %zu: voltage bits differ", path, t);
    }
    en_neuron_free(neuron);
    free(file);
}

int main(int argc, char **argv) {
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: golden CASE_FILE...\n");
        return 2;
    }
    for (i = 1; i < argc; i++) run_case(argv[i]);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("%d golden case(s) bit for bit\n", argc - 1);
    return 0;
}
