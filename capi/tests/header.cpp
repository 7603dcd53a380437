// The header as C++: it compiles with -pedantic -Werror, its functions
// have C linkage (the program links against the C library), and a small
// use of it works.
#include <cstdio>
#include <cstring>
#include <vector>

#include "exact_neuron.h"

int main() {
    const std::size_t shape[] = {2, 3};
    en_neuron *neuron = nullptr;
    if (en_neuron_new_cpu(shape, 2, 2, 1.0, -60.0, -50.0, &neuron) != EN_OK) {
        std::fprintf(stderr, "new: %s\n", en_last_error());
        return 1;
    }
    std::vector<double> inputs(en_neuron_len(neuron), -1.0);
    inputs[4] = 0.5;
    const uint8_t *spikes = nullptr;
    const void *voltage = nullptr;
    if (en_neuron_forward(neuron, EN_F64, inputs.data(), inputs.size()) != EN_OK ||
        en_neuron_spikes(neuron, &spikes) != EN_OK ||
        en_neuron_voltage(neuron, EN_F32, &voltage) != EN_OK) {
        std::fprintf(stderr, "step: %s\n", en_last_error());
        return 1;
    }
    const float *v = static_cast<const float *>(voltage);
    for (std::size_t i = 0; i < inputs.size(); i++) {
        if (spikes[i] != (i == 4) || v[i] != (i == 4 ? -50.0f : -60.0f)) {
            std::fprintf(stderr, "element %zu: spike %d voltage %g\n", i, spikes[i], v[i]);
            return 1;
        }
    }
    // An enum value out of range is refused, not undefined behaviour.
    if (en_neuron_forward(neuron, static_cast<en_dtype>(42), inputs.data(), inputs.size()) !=
        EN_ERR_BAD_DTYPE) {
        return 1;
    }
    en_neuron_free(neuron);
    std::printf("C++: ok (%s)\n", en_version());
    return 0;
}
