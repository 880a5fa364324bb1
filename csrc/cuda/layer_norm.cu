// Layer norm over the last axis of a C-contiguous (n, c) array, forward and backward:
//   layer_norm_fwd_<tier>_<dtype>(x, w, b, y, mean, rstd, n, c, width, eps, has_w, has_b)
//       mean_i = Σ_j x_ij / c, rstd_i = 1/√(Σ_j (x_ij − mean_i)²/c + eps),
//       y = (x − mean)·rstd·w + b (w, b: (c,), read only when has_w / has_b)
//   layer_norm_bwd_<tier>_<dtype>(x, gy, w, mean, rstd, gx, n, c, width, has_w)
//       x̂ = (x − mean)·rstd, g = gy·w: gx = rstd·(g − Σg/c − x̂·Σ(g·x̂)/c)
//   layer_norm_gamma_beta_<dtype>(x, gy, mean, rstd, part_w, part_b, n, c, rows_per_chunk,
//                                 has_w, has_b)
//       the weight and bias gradients in row chunks: part_w[k, j] = Σ_{i in chunk k} gy·x̂,
//       part_b[k, j] = Σ gy (a thread per (k, j), consecutive threads on consecutive
//       columns); the host sums the (chunks, c) partials over k.
// Tiers (as in rows.cuh): warp — `width` lanes (power of two ≤ 32) own a row, several rows per
// 128-thread block; block — a block (a multiple of 32 threads) owns a row. Each pass re-reads
// the row, which the first pass brought into L1/L2, so x is read from memory once.
#include "common.cuh"

template <typename T, typename G>
__device__ __forceinline__ void ln_fwd(const T* __restrict__ x, const T* __restrict__ w,
                                       const T* __restrict__ b, T* __restrict__ y, T* __restrict__ mean,
                                       T* __restrict__ rstd, long long n, int c, T eps, int has_w,
                                       int has_b, const G& g) {
    const bool active = g.row < n;  // inactive lanes still join the reductions
    const long long base = (active ? g.row : 0) * (long long)c;
    const int stride = g.stride(), lane = g.lane;
    T s = T(0);
    if (active)
        for (int j = lane; j < c; j += stride) s += x[base + j];
    const T m = g.reduce(s, SumOp(), T(0)) / T(c);
    T v = T(0);
    if (active)
        for (int j = lane; j < c; j += stride) {
            const T d = x[base + j] - m;
            v += d * d;
        }
    const T r = T(1) / pg_sqrt(g.reduce(v, SumOp(), T(0)) / T(c) + eps);
    if (!active) return;
    if (g.leader()) {
        mean[g.row] = m;
        rstd[g.row] = r;
    }
    for (int j = lane; j < c; j += stride) {
        T o = (x[base + j] - m) * r;
        if (has_w) o *= w[j];
        if (has_b) o += b[j];
        y[base + j] = o;
    }
}

template <typename T, typename G>
__device__ __forceinline__ void ln_bwd(const T* __restrict__ x, const T* __restrict__ gy,
                                       const T* __restrict__ w, const T* __restrict__ mean,
                                       const T* __restrict__ rstd, T* __restrict__ gx, long long n, int c,
                                       int has_w, const G& g) {
    const bool active = g.row < n;
    const long long base = (active ? g.row : 0) * (long long)c;
    const int stride = g.stride(), lane = g.lane;
    const T m = active ? mean[g.row] : T(0), r = active ? rstd[g.row] : T(0);
    T s1 = T(0), s2 = T(0);
    if (active)
        for (int j = lane; j < c; j += stride) {
            const T gj = has_w ? gy[base + j] * w[j] : gy[base + j];
            s1 += gj;
            s2 += gj * ((x[base + j] - m) * r);
        }
    s1 = g.reduce(s1, SumOp(), T(0));
    s2 = g.reduce(s2, SumOp(), T(0));
    if (!active) return;
    const T k1 = s1 / T(c), k2 = s2 / T(c);  // subtracted before scaling by the (maybe large) r
    for (int j = lane; j < c; j += stride) {
        const T gj = has_w ? gy[base + j] * w[j] : gy[base + j];
        gx[base + j] = r * (gj - k1 - ((x[base + j] - m) * r) * k2);
    }
}

template <typename T>
__device__ __forceinline__ void ln_gamma_beta(const T* __restrict__ x, const T* __restrict__ gy,
                                              const T* __restrict__ mean, const T* __restrict__ rstd,
                                              T* __restrict__ part_w, T* __restrict__ part_b, long long n,
                                              int c, long long rows_per_chunk, int has_w, int has_b) {
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long chunks = (n + rows_per_chunk - 1) / rows_per_chunk;
    if (t >= chunks * c) return;
    const int j = (int)(t % c);
    const long long k = t / c;
    const long long i0 = k * rows_per_chunk;
    const long long i1 = i0 + rows_per_chunk < n ? i0 + rows_per_chunk : n;
    T aw = T(0), ab = T(0);
    for (long long i = i0; i < i1; ++i) {
        const T gv = gy[i * c + j];
        if (has_w) aw += gv * ((x[i * c + j] - mean[i]) * rstd[i]);
        ab += gv;
    }
    if (has_w) part_w[k * c + j] = aw;
    if (has_b) part_b[k * c + j] = ab;
}

#define LN_FWD_PARAMS(T)                                                                        \
    const T *x, const T *w, const T *b, T *y, T *mean, T *rstd, long long n, int c, int width, \
        T eps, int has_w, int has_b
#define LN_BWD_PARAMS(T) \
    const T *x, const T *gy, const T *w, const T *mean, const T *rstd, T *gx, long long n, int c, int width, int has_w

#define PG_LAYER_NORM_ENTRIES(T, DT)                                                                    \
    extern "C" __global__ void __launch_bounds__(128) layer_norm_fwd_warp_##DT(LN_FWD_PARAMS(T)) {      \
        ln_fwd<T>(x, w, b, y, mean, rstd, n, c, eps, has_w, has_b, WarpGroup(width));                   \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(1024) layer_norm_fwd_block_##DT(LN_FWD_PARAMS(T)) {    \
        __shared__ T smem[32];                                                                          \
        ln_fwd<T>(x, w, b, y, mean, rstd, n, c, eps, has_w, has_b, BlockGroup<T>(smem));                \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(128) layer_norm_bwd_warp_##DT(LN_BWD_PARAMS(T)) {      \
        ln_bwd<T>(x, gy, w, mean, rstd, gx, n, c, has_w, WarpGroup(width));                             \
    }                                                                                                   \
    extern "C" __global__ void __launch_bounds__(1024) layer_norm_bwd_block_##DT(LN_BWD_PARAMS(T)) {    \
        __shared__ T smem[32];                                                                          \
        ln_bwd<T>(x, gy, w, mean, rstd, gx, n, c, has_w, BlockGroup<T>(smem));                          \
    }                                                                                                   \
    extern "C" __global__ void layer_norm_gamma_beta_##DT(const T* x, const T* gy, const T* mean,       \
                                                          const T* rstd, T* part_w, T* part_b,          \
                                                          long long n, int c, long long rows_per_chunk, \
                                                          int has_w, int has_b) {                       \
        ln_gamma_beta<T>(x, gy, mean, rstd, part_w, part_b, n, c, rows_per_chunk, has_w, has_b);        \
    }

PG_LAYER_NORM_ENTRIES(float, float32)
PG_LAYER_NORM_ENTRIES(double, float64)
