/* Vector versions of the libm functions the kernels call, without -ffast-math.
 *
 * `omp declare simd` tells the compiler that glibc's libmvec provides SIMD clones
 * (_ZGVbN4v_expf for SSE, _ZGVdN8v_expf for AVX2, ...), so `omp simd` loops calling
 * expf vectorise while keeping IEEE semantics for inf/nan (-ffast-math would turn a
 * fully masked -inf row into garbage). libmvec has exp/expf since glibc 2.22 and
 * log1p/log1pf and erfc/erfcf since 2.35; elsewhere (aarch64, musl, macOS) the scalar
 * calls are used.
 */
#ifndef PYGRAD_SIMD_MATH_H
#define PYGRAD_SIMD_MATH_H

#include <math.h>

#if defined(__x86_64__) && defined(__GLIBC__) && defined(_OPENMP)
#if __GLIBC_PREREQ(2, 22)
#pragma omp declare simd notinbranch
extern float expf(float);
#pragma omp declare simd notinbranch
extern double exp(double);
#endif
#if __GLIBC_PREREQ(2, 35)
#pragma omp declare simd notinbranch
extern float log1pf(float);
#pragma omp declare simd notinbranch
extern double log1p(double);
#pragma omp declare simd notinbranch
extern float erfcf(float);
#pragma omp declare simd notinbranch
extern double erfc(double);
#endif
#endif

#include <stdint.h>

/* expf for z <= 0 (and NaN), inlined into `omp simd` loops: ~25% faster than libmvec's
 * AVX2 expf, within 1.4 ulp. exp(z) = 2^k·p(r), r = z − k·ln2 (ln2 split in two), p the
 * Cephes degree-7 polynomial, 2^k added to p's exponent bits. Results below exp(−86.5)
 * (2.6e-38, next to FLT_MIN) flush to 0, which keeps 2^k normal. The softmax kernels call it
 * on x − max(x), which is never positive. */
static inline float pg_expf_nonpos(float z)
{
    const float zc = z < -86.5f ? -86.5f : z;
    const float t = zc * 1.44269504088896341f + 12582912.0f; /* 1.5·2^23: rounds to int */
    const float k = t - 12582912.0f;
    float r = zc - k * 0.693359375f;
    r = r + k * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { float f; int32_t i; } u = {p}, kb = {t};
    u.i += (kb.i - 0x4B400000) * (1 << 23); /* the integer k from t's mantissa bits */
    return z < -86.5f ? 0.0f : (z != z ? z : u.f);
}

#endif
