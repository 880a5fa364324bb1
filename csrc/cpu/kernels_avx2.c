/* The AVX2/FMA build of the kernels (x86-64 only), chosen at run time by dispatch.c when the
 * CPU supports it. The target pragma comes first so that every function in this file,
 * OpenMP's outlined bodies included, is compiled for AVX2 and calls libmvec's AVX2 clones
 * (_ZGVdN8v_expf). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif
#define PG_VARIANT avx2
#include "variant.inc"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int pg_no_avx2_variant; /* ISO C forbids an empty translation unit */
#endif
