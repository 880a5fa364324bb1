// Elementwise kernels over n contiguous elements, grid-stride, 16-byte packs when `vec` (every
// pointer 16-byte aligned; the last n % VEC elements take the scalar path):
//   sigmoid_fwd_<dtype>(x, y, n, vec)                 y = 1 / (1 + exp(−x)), from exp(−|x|)
//   sigmoid_bwd_<dtype>(y, gy, gx, n, vec)            gx = gy·y·(1 − y)
//   bce_with_logits_<dtype>(x, y, pos_weight, loss, grad, n, pw_len, has_pw, scale, scale_ptr,
//                           use_scale_ptr, write_grad)
//       loss = (1 − y)·x − (1 + (pw − 1)·y)·logσ(x),  logσ(x) = min(x, 0) − log1p(exp(−|x|))
//       grad = scale·((1 − y) − (1 + (pw − 1)·y)·(1 − σ(x)))   (σ(x) − y without pos_weight)
//       pos_weight has pw_len entries broadcast over the last axis: element i uses pw[i % pw_len].
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
    }

PG_ELEMENTWISE_ENTRIES(float, float32)
PG_ELEMENTWISE_ENTRIES(double, float64)
