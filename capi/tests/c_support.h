/*
 * Helpers shared by the C test programs: reading the flat case files that
 * the Rust test writes from the golden cases, and checking calls.
 */
#ifndef C_SUPPORT_H
#define C_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exact_neuron.h"

static int failures = 0;

/* Fails the program's check `what` (and keeps going, to report them all). */
#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
                    __LINE__, #cond);                                 \
            fprintf(stderr, __VA_ARGS__);                             \
            fprintf(stderr, "\n");                                    \
            failures++;                                               \
        }                                                             \
    } while (0)

/* Reads a whole file into a malloc'd buffer (aligned for any type). */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    unsigned char *bytes;
    long end;
    if (!file) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    end = ftell(file);
    fseek(file, 0, SEEK_SET);
    bytes = (unsigned char *)malloc(end > 0 ? (size_t)end : 1);
    if (!bytes || fread(bytes, 1, (size_t)end, file) != (size_t)end) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(file);
    *size = (size_t)end;
    return bytes;
}

/* A cursor over a case file: little-endian 64-bit fields, then bytes. */
typedef struct cursor {
    const unsigned char *at;
    const unsigned char *end;
} cursor;

static uint64_t take_u64(cursor *c) {
    uint64_t value = 0;
    int i;
    if (c->end - c->at < 8) {
        fprintf(stderr, "case file too short\n");
        exit(2);
    }
    for (i = 7; i >= 0; i--) value = (value << 8) | c->at[i];
    c->at += 8;
    return value;
}

static double take_f64(cursor *c) {
    uint64_t bits = take_u64(c);
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static const unsigned char *take_bytes(cursor *c, size_t n) {
    const unsigned char *start = c->at;
    if ((size_t)(c->end - c->at) < n) {
        fprintf(stderr, "case file too short\n");
        exit(2);
    }
    c->at += n;
    return start;
}

/* The parameters of a neuron as a case file stores them. */
typedef struct params {
    size_t ndim;
    size_t shape[8];
    size_t batch_size;
    double step_time, rest_v, thresh_v;
} params;

static params take_params(cursor *c) {
    params p;
    size_t i;
    p.ndim = (size_t)take_u64(c);
    if (p.ndim > 8) {
        fprintf(stderr, "too many dimensions\n");
        exit(2);
    }
    for (i = 0; i < p.ndim; i++) p.shape[i] = (size_t)take_u64(c);
    p.batch_size = (size_t)take_u64(c);
    p.step_time = take_f64(c);
    p.rest_v = take_f64(c);
    p.thresh_v = take_f64(c);
    return p;
}

#endif
