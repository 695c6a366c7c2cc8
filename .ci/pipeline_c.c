/* The issue-6 benchmark pipeline as a hand-written C loop over dense
 * columns: the floor that rfmkit's documented API is measured against
 * (issue 9: "within 1.6x of a hand-written C loop").
 *
 *     cc -O3 -march=native -o pipeline_c .ci/pipeline_c.c
 *     ./pipeline_c orders.csv [repeat]
 *
 * Loading (untimed, like pipeline_bench's "pipeline" figure): read
 * order_id,customer_id,order_date,amount[,...] (integer customer ids, dates
 * YYYY-MM-DD, amounts with at most 2 decimals), intern the ids into dense
 * indices numbered in numeric id order, and keep three columns in file
 * order: customer index, day number, cents.
 *
 * Timed, per run: one pass over the rows into per-customer last purchase
 * day, purchases (rows with amount >= 0) and monetary (sum of every row);
 * customers with returns only are not scored; R, F, M by equal-count rank
 * ceil(5 r / N) with ties by customer id (stable LSD radix sorts); the
 * first-match segments; the audience segment in (at_risk, dormant) and
 * monetary >= 100.00. Prints one JSON line with the median and the same
 * checksums as pipeline_bench, so `pipeline_reference.py compare` can
 * check it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int32_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Stable LSD radix sort of idx[0..n) by key[idx] (unsigned, `bytes` wide). */
static void radix_order(uint32_t *idx, uint32_t *tmp, const uint64_t *key, size_t n, int bytes) {
    for (int b = 0; b < bytes; b++) {
        size_t count[257] = {0};
        int shift = 8 * b;
        for (size_t i = 0; i < n; i++) count[((key[idx[i]] >> shift) & 255) + 1]++;
        if (count[((key[idx[0]] >> shift) & 255) + 1] == n) continue; /* one digit: skip */
        for (int d = 0; d < 256; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) tmp[count[(key[idx[i]] >> shift) & 255]++] = idx[i];
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pipeline_c ORDERS.csv [repeat]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 5;
    if (repeat < 1) repeat = 1;
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    double t0 = now();
    size_t cap = 1 << 20, rows = 0;
    uint64_t *ids = malloc(cap * sizeof *ids);
    int32_t *day = malloc(cap * sizeof *day);
    int64_t *cents = malloc(cap * sizeof *cents);
    char line[4096];
    if (!fgets(line, sizeof line, f)) return 1; /* header */
    while (fgets(line, sizeof line, f)) {
        if (rows == cap) {
            cap *= 2;
            ids = realloc(ids, cap * sizeof *ids);
            day = realloc(day, cap * sizeof *day);
            cents = realloc(cents, cap * sizeof *cents);
        }
        char *p = strchr(line, ',');
        if (!p) continue;
        ids[rows] = strtoull(p + 1, &p, 10);
        int y = (int)strtol(p + 1, &p, 10), m = (int)strtol(p + 1, &p, 10), d = (int)strtol(p + 1, &p, 10);
        day[rows] = days_from_civil(y, m, d);
        p++;
        int neg = *p == '-';
        if (neg) p++;
        int64_t v = strtoll(p, &p, 10) * 100;
        if (*p == '.') {
            p++;
            int k = 0;
            for (; k < 2 && *p >= '0' && *p <= '9'; k++, p++) v += (k == 0 ? 10 : 1) * (*p - '0');
        }
        cents[rows] = neg ? -v : v;
        rows++;
    }
    fclose(f);
    /* Intern: sorted distinct ids, then binary search (index = id order). */
    uint64_t *distinct = malloc(rows * sizeof *distinct);
    memcpy(distinct, ids, rows * sizeof *ids);
    qsort(distinct, rows, sizeof *distinct, cmp_u64);
    size_t n = 0;
    for (size_t i = 0; i < rows; i++)
        if (i == 0 || distinct[i] != distinct[i - 1]) distinct[n++] = distinct[i];
    uint32_t *cust = malloc(rows * sizeof *cust);
    for (size_t i = 0; i < rows; i++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (distinct[mid] < ids[i]) lo = mid + 1; else hi = mid;
        }
        cust[i] = (uint32_t)lo;
    }
    free(ids);
    double load = now() - t0;

    int32_t as_of = days_from_civil(2026, 1, 1);
    int32_t *last = malloc(n * sizeof *last);
    uint32_t *freq = malloc(n * sizeof *freq);
    int64_t *mon = malloc(n * sizeof *mon);
    uint32_t *scored = malloc(n * sizeof *scored), *idx = malloc(n * sizeof *idx);
    uint32_t *scratch = malloc(n * sizeof *scratch);
    uint64_t *key = malloc(n * sizeof *key);
    uint8_t *r = malloc(n), *fs = malloc(n), *ms = malloc(n), *seg = malloc(n);
    double *times = malloc(repeat * sizeof *times);
    long long segs[6] = {0}, audience = 0, sum_rec = 0, sum_freq = 0, sum_mon = 0;
    for (int run = 0; run < repeat; run++) {
        double t = now();
        for (size_t c = 0; c < n; c++) { last[c] = INT32_MIN; freq[c] = 0; mon[c] = 0; }
        for (size_t i = 0; i < rows; i++) {
            uint32_t c = cust[i];
            int64_t a = cents[i];
            mon[c] += a;
            if (a >= 0) {
                freq[c]++;
                if (day[i] > last[c]) last[c] = day[i];
            }
        }
        size_t m = 0;
        for (size_t c = 0; c < n; c++)
            if (freq[c] > 0) scored[m++] = (uint32_t)c;
        /* R: by last purchase day; F: by purchases; M: by monetary. */
        uint8_t *out[3] = {r, fs, ms};
        for (int dim = 0; dim < 3; dim++) {
            for (size_t k = 0; k < m; k++) {
                uint32_t c = scored[k];
                key[c] = dim == 0 ? (uint64_t)(uint32_t)(last[c] - INT32_MIN)
                       : dim == 1 ? (uint64_t)freq[c]
                                  : (uint64_t)mon[c] ^ (UINT64_C(1) << 63);
                idx[k] = c;
            }
            radix_order(idx, scratch, key, m, dim == 2 ? 8 : 4);
            for (size_t k = 0; k < m; k++) out[dim][idx[k]] = (uint8_t)((5 * (k + 1) + m - 1) / m);
        }
        memset(segs, 0, sizeof segs);
        audience = sum_rec = sum_freq = sum_mon = 0;
        for (size_t k = 0; k < m; k++) {
            uint32_t c = scored[k];
            uint8_t R = r[c], F = fs[c], M = ms[c];
            uint8_t s = (R >= 4 && F >= 4 && M >= 4) ? 0 : F >= 4 ? 1 : (R >= 4 && F == 1) ? 2
                      : (R <= 2 && F >= 3) ? 3 : R == 1 ? 4 : 5;
            seg[c] = s;
            segs[s]++;
            audience += (s == 3 || s == 4) && mon[c] >= 10000;
            sum_rec += as_of - last[c];
            sum_freq += freq[c];
            sum_mon += mon[c];
        }
        times[run] = now() - t;
    }
    for (int i = 1; i < repeat; i++)
        for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
            double x = times[j]; times[j] = times[j - 1]; times[j - 1] = x;
        }
    double median = repeat % 2 ? times[repeat / 2] : (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
    printf("{\"tool\": \"c\", \"rows\": %zu, \"customers\": %zu, \"load\": %.4f, \"median\": %.4f, "
           "\"checksums\": {\"segments\": {\"champions\": %lld, \"loyal\": %lld, \"new\": %lld, "
           "\"at_risk\": %lld, \"dormant\": %lld, \"other\": %lld}, \"audience\": %lld, "
           "\"sum_recency_days\": %lld, \"sum_frequency\": %lld, \"sum_monetary\": %lld}}\n",
           rows, n, load, median, segs[0], segs[1], segs[2], segs[3], segs[4], segs[5], audience,
           sum_rec, sum_freq, sum_mon);
    return 0;
}
