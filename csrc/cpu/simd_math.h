/* Vector versions of the libm functions the kernels call, without -ffast-math.
 *
 * `omp declare simd` tells the compiler that glibc's libmvec provides SIMD clones
 * (_ZGVbN4v_expf for SSE, _ZGVdN8v_expf for AVX2, ...), so `omp simd` loops calling
 * expf vectorise while keeping IEEE semantics for inf/nan (-ffast-math would turn a
 * fully masked -inf row into garbage). libmvec has exp/expf since glibc 2.22 and
 * log1p/log1pf since 2.35; elsewhere (aarch64, musl, macOS) the scalar calls are used.
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
#endif
#endif

#endif
