// Fused optimizer steps: one launch updates every parameter of a step, in place.
//
// The parameters are described by a pointer table and prefix offsets:
//   ptrs     uint64 (L, n_tensors): ptrs[l*n_tensors + k] is the address of tensor k of list l
//            (lists in the order of each entry point below; unused lists may repeat the params)
//   offsets  int64 (n_tensors + 1): offsets[k] = Σ sizes of tensors < k, offsets[n_tensors] = total
// Each block walks chunks of CHUNK·blockDim flat indices, finds the tensor of the chunk start by
// binary search and steps to the next tensor when an index passes its end.
//
//   sgd_multi_<dt>(ptrs[p, g, buf], offsets, nt, total, lr, momentum, dampening, weight_decay,
//                  nesterov, maximize, first)
//   adagrad_multi_<dt>(ptrs[p, g, sum], offsets, nt, total, clr, weight_decay, eps, maximize)
//   rmsprop_multi_<dt>(ptrs[p, g, square_avg, grad_avg, buf], offsets, nt, total, lr, alpha, eps,
//                      weight_decay, momentum, centered, maximize)
//   adam_multi_<dt>(ptrs[p, g, exp_avg, exp_avg_sq, max_exp_avg_sq], offsets, nt, total, lr,
//                   beta1, beta2, eps, weight_decay, step_size = lr/bc1, bc2_sqrt, decoupled,
//                   amsgrad, maximize)
// The formulas are torch.optim's single-tensor ones (see pygrad/backend/reference.py).
#include "common.cuh"

#define PG_CHUNK 4

template <typename F>
__device__ __forceinline__ void for_each_multi(const long long* __restrict__ offsets, int nt, long long total, F f) {
    const long long chunk = (long long)blockDim.x * PG_CHUNK;
    for (long long base = (long long)blockIdx.x * chunk; base < total; base += (long long)gridDim.x * chunk) {
        int lo = 0, hi = nt;  // offsets[lo] <= base < offsets[hi]
        while (hi - lo > 1) {
            const int mid = (lo + hi) >> 1;
            if (offsets[mid] <= base) lo = mid; else hi = mid;
        }
        int k = lo;
#pragma unroll
        for (int e = 0; e < PG_CHUNK; ++e) {
            const long long i = base + (long long)e * blockDim.x + threadIdx.x;
            if (i < total) {
                while (i >= offsets[k + 1]) ++k;  // also skips empty tensors
                f(k, i - offsets[k]);
            }
        }
    }
}

template <typename T>
__device__ __forceinline__ T* list_ptr(const unsigned long long* ptrs, int list, int nt, int k) {
    return reinterpret_cast<T*>(ptrs[(long long)list * nt + k]);
}

template <typename T>
__device__ void sgd_multi(const unsigned long long* ptrs, const long long* offsets, int nt, long long total,
                          T lr, T momentum, T dampening, T wd, int nesterov, int maximize, int first) {
    for_each_multi(offsets, nt, total, [&](int k, long long j) {
        T* p = list_ptr<T>(ptrs, 0, nt, k);
        const T* g = list_ptr<T>(ptrs, 1, nt, k);
        T d = maximize ? -g[j] : g[j];
        if (wd != T(0)) d += wd * p[j];
        if (momentum != T(0)) {
            T* buf = list_ptr<T>(ptrs, 2, nt, k);
            const T b = first ? d : momentum * buf[j] + (T(1) - dampening) * d;
            buf[j] = b;
            d = nesterov ? d + momentum * b : b;
        }
        p[j] -= lr * d;
    });
}

template <typename T>
__device__ void adagrad_multi(const unsigned long long* ptrs, const long long* offsets, int nt, long long total,
                              T clr, T wd, T eps, int maximize) {
    for_each_multi(offsets, nt, total, [&](int k, long long j) {
        T* p = list_ptr<T>(ptrs, 0, nt, k);
        const T* g = list_ptr<T>(ptrs, 1, nt, k);
        T* sum = list_ptr<T>(ptrs, 2, nt, k);
        T d = maximize ? -g[j] : g[j];
        if (wd != T(0)) d += wd * p[j];
        const T s = sum[j] + d * d;
        sum[j] = s;
        p[j] -= clr * d / (pg_sqrt(s) + eps);
    });
}

template <typename T>
__device__ void rmsprop_multi(const unsigned long long* ptrs, const long long* offsets, int nt, long long total,
                              T lr, T alpha, T eps, T wd, T momentum, int centered, int maximize) {
    for_each_multi(offsets, nt, total, [&](int k, long long j) {
        T* p = list_ptr<T>(ptrs, 0, nt, k);
        const T* g = list_ptr<T>(ptrs, 1, nt, k);
        T* sq = list_ptr<T>(ptrs, 2, nt, k);
        T d = maximize ? -g[j] : g[j];
        if (wd != T(0)) d += wd * p[j];
        const T v = alpha * sq[j] + (T(1) - alpha) * d * d;
        sq[j] = v;
        T avg;
        if (centered) {
            T* ga = list_ptr<T>(ptrs, 3, nt, k);
            const T m = ga[j] + (T(1) - alpha) * (d - ga[j]);
            ga[j] = m;
            avg = pg_sqrt(v - m * m) + eps;
        } else {
            avg = pg_sqrt(v) + eps;
        }
        if (momentum != T(0)) {
            T* buf = list_ptr<T>(ptrs, 4, nt, k);
            const T b = momentum * buf[j] + d / avg;
            buf[j] = b;
            p[j] -= lr * b;
        } else {
            p[j] -= lr * d / avg;
        }
    });
}

template <typename T>
__device__ void adam_multi(const unsigned long long* ptrs, const long long* offsets, int nt, long long total,
                           T lr, T beta1, T beta2, T eps, T wd, T step_size, T bc2_sqrt, int decoupled,
                           int amsgrad, int maximize) {
    for_each_multi(offsets, nt, total, [&](int k, long long j) {
        T* p = list_ptr<T>(ptrs, 0, nt, k);
        const T* g = list_ptr<T>(ptrs, 1, nt, k);
        T* m1 = list_ptr<T>(ptrs, 2, nt, k);
        T* m2 = list_ptr<T>(ptrs, 3, nt, k);
        T d = maximize ? -g[j] : g[j];
        T pj = p[j];
        if (wd != T(0)) {
            if (decoupled) pj *= T(1) - lr * wd;
            else d += wd * pj;
        }
        const T m = m1[j] + (T(1) - beta1) * (d - m1[j]);  // torch's lerp
        const T v = beta2 * m2[j] + (T(1) - beta2) * d * d;
        m1[j] = m;
        m2[j] = v;
        T vhat = v;
        if (amsgrad) {
            // a NaN-propagating max, as torch.maximum (fmax would drop the NaN)
            T* vmax = list_ptr<T>(ptrs, 4, nt, k);
            const T old = vmax[j];
            vhat = (old != old || old > v) ? old : v;
            vmax[j] = vhat;
        }
        p[j] = pj - step_size * m / (pg_sqrt(vhat) / bc2_sqrt + eps);
    });
}

#define PG_OPTIM_ENTRIES(T, DT)                                                                       \
    extern "C" __global__ void sgd_multi_##DT(const unsigned long long* ptrs, const long long* offsets, \
                                              int nt, long long total, T lr, T momentum, T dampening, \
                                              T wd, int nesterov, int maximize, int first) {          \
        sgd_multi<T>(ptrs, offsets, nt, total, lr, momentum, dampening, wd, nesterov, maximize, first); \
    }                                                                                                 \
    extern "C" __global__ void adagrad_multi_##DT(const unsigned long long* ptrs,                     \
                                                  const long long* offsets, int nt, long long total,  \
                                                  T clr, T wd, T eps, int maximize) {                 \
        adagrad_multi<T>(ptrs, offsets, nt, total, clr, wd, eps, maximize);                           \
    }                                                                                                 \
    extern "C" __global__ void rmsprop_multi_##DT(const unsigned long long* ptrs,                     \
                                                  const long long* offsets, int nt, long long total,  \
                                                  T lr, T alpha, T eps, T wd, T momentum,             \
                                                  int centered, int maximize) {                       \
        rmsprop_multi<T>(ptrs, offsets, nt, total, lr, alpha, eps, wd, momentum, centered, maximize); \
    }                                                                                                 \
    extern "C" __global__ void adam_multi_##DT(const unsigned long long* ptrs, const long long* offsets, \
                                               int nt, long long total, T lr, T beta1, T beta2, T eps, \
                                               T wd, T step_size, T bc2_sqrt, int decoupled,          \
                                               int amsgrad, int maximize) {                           \
        adam_multi<T>(ptrs, offsets, nt, total, lr, beta1, beta2, eps, wd, step_size, bc2_sqrt,       \
                      decoupled, amsgrad, maximize);                                                  \
    }

PG_OPTIM_ENTRIES(float, float32)
PG_OPTIM_ENTRIES(double, float64)
