// Elementwise kernels over n contiguous elements, grid-stride, 16-byte packs when `vec` (every
// pointer 16-byte aligned; the last n % VEC elements take the scalar path):
//   sigmoid_fwd_<dtype>(x, y, n, vec)                 y = 1 / (1 + exp(−x)), from exp(−|x|)
//   sigmoid_bwd_<dtype>(y, gy, gx, n, vec)            gx = gy·y·(1 − y)
//   bce_with_logits_<dtype>(x, y, pos_weight, loss, grad, n, pw_len, has_pw, scale, scale_ptr,
//                           use_scale_ptr, write_grad)
//       loss = (1 − y)·x − (1 + (pw − 1)·y)·logσ(x),  logσ(x) = min(x, 0) − log1p(exp(−|x|))
//       grad = scale·((1 − y) − (1 + (pw − 1)·y)·(1 − σ(x)))   (σ(x) − y without pos_weight)
//       pos_weight has pw_len entries broadcast over the last axis: element i uses pw[i % pw_len].
//   gelu_fwd_<dtype>(x, y, n, approximate, vec)         y = x·Φ(x), Φ(x) = erfc(−x/√2)/2
//       approximate = 1: y = x·σ(2u) = x·(1 + tanh u)/2, u = √(2/π)·(x + 0.044715·x³)
//   gelu_bwd_<dtype>(x, gy, gx, n, approximate, vec)    gx = gy·(Φ(x) + x·φ(x)), or
//       gy·(σ + 2x·σ(1−σ)·u') with σ(1−σ) = e/(1+e)², e = exp(−2|u|), for approximate = 1
#include "common.cuh"

// f(i) for every element index, as packs of VEC consecutive indices when vec
template <typename T, typename FV, typename FS>
__device__ __forceinline__ void grid_loop(long long n, int vec, FV fv, FS fs) {
    constexpr int VEC = VecOf<T>::value;
    const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long nthreads = (long long)gridDim.x * blockDim.x;
    long long start = 0;
    if (vec) {
        const long long npacks = n / VEC;
        for (long long p = tid; p < npacks; p += nthreads) fv(p * VEC);
        start = npacks * VEC;
    }
    for (long long i = start + tid; i < n; i += nthreads) fs(i);
}

template <typename T>
__device__ __forceinline__ T sigmoid1(T x) { return sigmoid_from(x, pg_exp(x >= T(0) ? -x : x)); }

template <typename T>
__device__ __forceinline__ void sigmoid_fwd(const T* __restrict__ x, T* __restrict__ y, long long n, int vec) {
    constexpr int VEC = VecOf<T>::value;
    grid_loop<T>(
        n, vec,
        [&](long long i) {
            Pack<T, VEC> p = *reinterpret_cast<const Pack<T, VEC>*>(x + i);
#pragma unroll
            for (int k = 0; k < VEC; ++k) p.v[k] = sigmoid1(p.v[k]);
            *reinterpret_cast<Pack<T, VEC>*>(y + i) = p;
        },
        [&](long long i) { y[i] = sigmoid1(x[i]); });
}

template <typename T>
__device__ __forceinline__ void sigmoid_bwd(const T* __restrict__ y, const T* __restrict__ gy, T* __restrict__ gx,
                                            long long n, int vec) {
    constexpr int VEC = VecOf<T>::value;
    grid_loop<T>(
        n, vec,
        [&](long long i) {
            const Pack<T, VEC> py = *reinterpret_cast<const Pack<T, VEC>*>(y + i);
            Pack<T, VEC> pg = *reinterpret_cast<const Pack<T, VEC>*>(gy + i);
#pragma unroll
            for (int k = 0; k < VEC; ++k) pg.v[k] = pg.v[k] * py.v[k] * (T(1) - py.v[k]);
            *reinterpret_cast<Pack<T, VEC>*>(gx + i) = pg;
        },
        [&](long long i) { gx[i] = gy[i] * y[i] * (T(1) - y[i]); });
}

template <typename T>
__device__ __forceinline__ void bce_with_logits(const T* __restrict__ x, const T* __restrict__ y,
                                                const T* __restrict__ pw, T* __restrict__ loss,
                                                T* __restrict__ grad, long long n, long long pw_len,
                                                int has_pw, T scale, const T* __restrict__ scale_ptr,
                                                int use_scale_ptr, int write_grad) {
    const T s = use_scale_ptr ? *scale_ptr : scale;
    grid_loop<T>(
        n, 0, [](long long) {},
        [&](long long i) {
            const T xi = x[i], yi = y[i];
            const T e = pg_exp(xi >= T(0) ? -xi : xi);
            const T log_sig = (xi < T(0) ? xi : T(0)) - pg_log1p(e);
            const T k = has_pw ? T(1) + (pw[i % pw_len] - T(1)) * yi : T(1);
            loss[i] = (T(1) - yi) * xi - k * log_sig;
            if (write_grad) {
                const T sig = sigmoid_from(xi, e);
                grad[i] = s * (has_pw ? (T(1) - yi) - k * (T(1) - sig) : sig - yi);
            }
        });
}

#define PG_GELU_K 0.79788456080286535588  // √(2/π)
#define PG_GELU_A 0.044715
#define PG_SQRT1_2 0.70710678118654752440
#define PG_INV_SQRT_2PI 0.39894228040143267794

template <typename T>
__device__ __forceinline__ T gelu1(T x, int approximate) {
    if (approximate) {
        const T u = T(PG_GELU_K) * (x + T(PG_GELU_A) * x * x * x);
        const T e = pg_exp(T(-2) * (u >= T(0) ? u : -u));
        return x * ((u >= T(0) ? T(1) : e) / (T(1) + e));
    }
    return T(0.5) * x * pg_erfc(-x * T(PG_SQRT1_2));
}

template <typename T>
__device__ __forceinline__ T gelu_grad1(T x, int approximate) {
    if (approximate) {
        const T x2 = x * x;
        const T u = T(PG_GELU_K) * (x + T(PG_GELU_A) * x2 * x);
        const T e = pg_exp(T(-2) * (u >= T(0) ? u : -u));
        const T d = T(1) / (T(1) + e);
        const T s = (u >= T(0) ? T(1) : e) * d;
        const T du = T(PG_GELU_K) * (T(1) + T(3 * PG_GELU_A) * x2);
        return s + T(2) * x * (e * d * d) * du;
    }
    return T(0.5) * pg_erfc(-x * T(PG_SQRT1_2)) + x * (T(PG_INV_SQRT_2PI) * pg_exp(T(-0.5) * x * x));
}

template <typename T>
__device__ __forceinline__ void gelu_fwd(const T* __restrict__ x, T* __restrict__ y, long long n, int approximate,
                                         int vec) {
    constexpr int VEC = VecOf<T>::value;
    grid_loop<T>(
        n, vec,
        [&](long long i) {
            Pack<T, VEC> p = *reinterpret_cast<const Pack<T, VEC>*>(x + i);
#pragma unroll
            for (int k = 0; k < VEC; ++k) p.v[k] = gelu1(p.v[k], approximate);
            *reinterpret_cast<Pack<T, VEC>*>(y + i) = p;
        },
        [&](long long i) { y[i] = gelu1(x[i], approximate); });
}

template <typename T>
__device__ __forceinline__ void gelu_bwd(const T* __restrict__ x, const T* __restrict__ gy, T* __restrict__ gx,
                                         long long n, int approximate, int vec) {
    constexpr int VEC = VecOf<T>::value;
    grid_loop<T>(
        n, vec,
        [&](long long i) {
            const Pack<T, VEC> px = *reinterpret_cast<const Pack<T, VEC>*>(x + i);
            Pack<T, VEC> pg = *reinterpret_cast<const Pack<T, VEC>*>(gy + i);
#pragma unroll
            for (int k = 0; k < VEC; ++k) pg.v[k] = pg.v[k] * gelu_grad1(px.v[k], approximate);
            *reinterpret_cast<Pack<T, VEC>*>(gx + i) = pg;
        },
        [&](long long i) { gx[i] = gy[i] * gelu_grad1(x[i], approximate); });
}

#define PG_ELEMENTWISE_ENTRIES(T, DT)                                                          \
    extern "C" __global__ void sigmoid_fwd_##DT(const T* x, T* y, long long n, int vec) {     \
        sigmoid_fwd<T>(x, y, n, vec);                                                          \
    }                                                                                          \
    extern "C" __global__ void sigmoid_bwd_##DT(const T* y, const T* gy, T* gx, long long n,  \
                                                int vec) {                                     \
        sigmoid_bwd<T>(y, gy, gx, n, vec);                                                     \
    }                                                                                          \
    extern "C" __global__ void bce_with_logits_##DT(                                           \
        const T* x, const T* y, const T* pw, T* loss, T* grad, long long n, long long pw_len,  \
        int has_pw, T scale, const T* scale_ptr, int use_scale_ptr, int write_grad) {          \
        bce_with_logits<T>(x, y, pw, loss, grad, n, pw_len, has_pw, scale, scale_ptr,          \
                           use_scale_ptr, write_grad);                                         \
    }                                                                                          \
    extern "C" __global__ void gelu_fwd_##DT(const T* x, T* y, long long n, int approximate,   \
                                             int vec) {                                        \
        gelu_fwd<T>(x, y, n, approximate, vec);                                                \
    }                                                                                          \
    extern "C" __global__ void gelu_bwd_##DT(const T* x, const T* gy, T* gx, long long n,      \
                                             int approximate, int vec) {                       \
        gelu_bwd<T>(x, gy, gx, n, approximate, vec);                                           \
    }

PG_ELEMENTWISE_ENTRIES(float, float32)
PG_ELEMENTWISE_ENTRIES(double, float64)
