/* Run-time choice between the baseline, AVX2/FMA and AVX-512 builds of the kernels. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "pygrad_cpu.h"

int64_t pg_cpu_par_min = PG_PAR_MIN_DEFAULT;

static const pg_ops *active = pg_ops_baseline;
static const char *active_name = "baseline";

int pg_cpu_has_avx2(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int pg_cpu_has_avx512(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return pg_cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}

int pg_cpu_set_variant(const char *name)
{
    const int avx2 = pg_cpu_has_avx2(), avx512 = pg_cpu_has_avx512();
    if (!name || !*name || strcmp(name, "auto") == 0) {
        name = avx512 ? "avx512" : avx2 ? "avx2" : "baseline";
    }
    if (strcmp(name, "baseline") == 0) {
        active = pg_ops_baseline;
        active_name = "baseline";
        return 0;
    }
#if defined(__x86_64__)
    if (strcmp(name, "avx2") == 0 && avx2) {
        active = pg_ops_avx2;
        active_name = "avx2";
        return 0;
    }
    if (strcmp(name, "avx512") == 0 && avx512) {
        active = pg_ops_avx512;
        active_name = "avx512";
        return 0;
    }
#endif
    return -1;
}

int pg_cpu_init(void)
{
    const char *env = getenv("PYGRAD_CPU_VARIANT");
    if (pg_cpu_set_variant(env) == 0)
        return 0;
    pg_cpu_set_variant("baseline");
    return -1;
}

const char *pg_cpu_variant(void) { return active_name; }

const pg_ops *pg_cpu_ops(int dtype) { return &active[dtype == PG_F64 ? PG_F64 : PG_F32]; }

int pg_cpu_num_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int64_t pg_cpu_set_parallel_min(int64_t n)
{
    const int64_t previous = pg_cpu_par_min;
    pg_cpu_par_min = n < 1 ? 1 : n;
    return previous;
}

void pg_cpu_set_num_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}
