/* The AVX-512 build of the kernels (x86-64 only), chosen at run time by dispatch.c when the
 * CPU has AVX-512 F/VL/DQ/BW. As in kernels_avx2.c the target pragma comes first, so every
 * function here, OpenMP's outlined bodies included, uses 16-wide vectors and libmvec's
 * AVX-512 clones (_ZGVeN16v_expf). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")
#endif
#define PG_VARIANT avx512
#include "variant.inc"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int pg_no_avx512_variant; /* ISO C forbids an empty translation unit */
#endif
