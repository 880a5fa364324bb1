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


/* erfcf, inlined into `omp simd` loops (the vector erfcf of libmvec costs ~4x more), within
 * a few ulp over the range where it is normal. Cephes' single-precision erfcf: for |a| < 1,
 * 1 − a·T(a²); else exp(−a²)/|a|·P(1/a²) (|a| < 2) or R(1/a²), and 2 − that for a < 0. Both
 * polynomials are evaluated and one is selected, so the loop has no branches. pg_erfcf_e takes
 * e = exp(−a²) from the caller (gelu's backward needs it for φ too); pg_erfcf computes it with
 * pg_expf_nonpos, so results below ~1e-38 flush to 0. NaN stays NaN. */
static inline float pg_erfcf_e(float a, float e)
{
    const float x = a < 0 ? -a : a, a2 = a * a;
    float t = 7.853861353153693e-5f;
    t = t * a2 - 8.010193625184903e-4f;
    t = t * a2 + 5.188327685732524e-3f;
    t = t * a2 - 2.685381193529856e-2f;
    t = t * a2 + 1.128358514861418e-1f;
    t = t * a2 - 3.761262582423300e-1f;
    t = t * a2 + 1.128379165726710e+0f;
    const float small = 1.0f - a * t;
    const float q = 1.0f / x, y = q * q;
    float p = 2.326819970068386e-2f;
    p = p * y - 1.387039388740657e-1f;
    p = p * y + 3.687424674597105e-1f;
    p = p * y - 5.824733027278666e-1f;
    p = p * y + 6.210004621745983e-1f;
    p = p * y - 4.944515323274145e-1f;
    p = p * y + 3.404879937665872e-1f;
    p = p * y - 2.741127028184656e-1f;
    p = p * y + 5.638259427386472e-1f;
    float r = -1.047766399936249e+1f;
    r = r * y + 1.297719955372516e+1f;
    r = r * y - 7.495518717768503e+0f;
    r = r * y + 2.921019019210786e+0f;
    r = r * y - 1.015265279202700e+0f;
    r = r * y + 4.218463358204948e-1f;
    r = r * y - 2.820767439740514e-1f;
    r = r * y + 5.641895067754075e-1f;
    const float big = e * q * (x < 2.0f ? p : r);
    return x < 1.0f ? small : (a < 0 ? 2.0f - big : big);
}

static inline float pg_erfcf(float a) { return pg_erfcf_e(a, pg_expf_nonpos(-a * a)); }

#endif
