// Row kernels over the last axis of an (N, C) array: softmax, log-softmax, their backward passes
// and the fused softmax-cross-entropy. One templated body per family, run by three tiers:
//
//   warp<VPL>   a group of `width` lanes (power of two ≤ 32) owns a row, each lane holds VPL
//               elements in registers: several rows per warp when C ≤ 32, a warp per row up to
//               32·VPL columns. Block of 128 threads.
//   block<VPT>  a block per row (blockDim a multiple of 32, ≤ 1024), VPT elements per thread in
//               registers: one read of the row, one write.
//   online      a block per row for rows that do not fit in registers: pass 1 keeps a running
//               (max, Σexp) pair, pass 2 re-reads the row and writes.
//
// Fully -inf rows give NaN (as torch); CE rows whose target equals ignore_index give 0.
#ifndef PYGRAD_ROWS_CUH
#define PYGRAD_ROWS_CUH
#include "common.cuh"

enum RowMode { MODE_SOFTMAX = 0, MODE_LOG_SOFTMAX = 1, MODE_CE = 2 };

template <typename T> struct RowArgs {
    const T* x;    // forward input; backward: the forward output y
    const T* gy;   // backward only: upstream gradient
    T* out;        // softmax/log-softmax output, CE gradient, or backward gx
    long long n;
    int c, width, vec;
    // cross-entropy only
    const long long* target;
    const T* weight;
    T* loss;
    long long ignore_index;
    T eps, scale;
    const T* scale_ptr;
    int use_scale_ptr, has_weight, write_grad;
    unsigned long long* bad_row;  // atomicMin of the rows whose target is out of range
};

// Per-row cross-entropy constants once (max m, log Σexp) are known.
template <typename T> struct CeRow {
    long long t;
    bool keep, bad;
    T wt, xt;
};

template <typename T>
__device__ __forceinline__ CeRow<T> ce_row(const RowArgs<T>& a, long long row, bool active, bool leader) {
    CeRow<T> r;
    r.t = active ? a.target[row] : a.ignore_index;
    r.keep = r.t != a.ignore_index;
    r.bad = r.keep && (r.t < 0 || r.t >= a.c);
    if (r.bad && leader) atomicMin(a.bad_row, (unsigned long long)row);
    r.wt = T(0);
    r.xt = T(0);
    if (r.keep && !r.bad) {
        r.wt = a.has_weight ? a.weight[r.t] : T(1);
        r.xt = a.x[row * (long long)a.c + r.t];
    }
    return r;
}

// loss_i = (1−ε)·w_t·(log s − z_t) + ε/C·(Σw·log s − Σ w_c z_c), z = x − max
template <typename T>
__device__ __forceinline__ T ce_loss(const RowArgs<T>& a, const CeRow<T>& r, T m, T logs, T sw, T swz) {
    if (!r.keep) return T(0);
    if (r.bad) return quiet_nan<T>();
    T loss = (T(1) - a.eps) * r.wt * (logs - (r.xt - m));
    if (a.eps != T(0)) loss += a.eps / T(a.c) * (sw * logs - swz);
    return loss;
}

// ∂loss_i/∂x_ij·scale = scale·(p_j·((1−ε)w_t + ε/C·Σw) − (1−ε)w_t·[j=t] − ε/C·w_j)
template <typename T> struct CeGrad {
    T coef, hit, es, scale;
    const T* weight;
    int has_weight;
    __device__ __forceinline__ CeGrad(const RowArgs<T>& a, const CeRow<T>& r, T sw) {
        coef = (T(1) - a.eps) * r.wt + a.eps / T(a.c) * sw;
        hit = (T(1) - a.eps) * r.wt;
        es = a.eps / T(a.c);
        scale = a.use_scale_ptr ? *a.scale_ptr : a.scale;
        weight = a.weight;
        has_weight = a.has_weight;
    }
    __device__ __forceinline__ T operator()(const CeRow<T>& r, T p, int j) const {
        if (!r.keep) return T(0);
        if (r.bad) return quiet_nan<T>();
        T g = p * coef;
        if (j == r.t) g -= hit;
        if (es != T(0)) g -= es * (has_weight ? weight[j] : T(1));
        return g * scale;
    }
};

// ----------------------------------------------------------------------------- register tiers

template <typename T, int VPL, int MODE, typename G>
__device__ __forceinline__ void row_fwd(const RowArgs<T>& a, const G& g) {
    constexpr bool CAN_VEC = VPL % VecOf<T>::value == 0;
    const bool active = g.row < a.n;
    const bool vec = CAN_VEC && a.vec;
    const int c = a.c, stride = g.stride(), lane = g.lane;
    const long long base = (active ? g.row : 0) * (long long)c;

    T v[VPL];
    load_row<T, VPL>(v, a.x + base, c, stride, lane, vec, active, neg_inf<T>());
    T m = neg_inf<T>();
#pragma unroll
    for (int i = 0; i < VPL; ++i) m = pg_max(m, v[i]);
    m = g.reduce(m, MaxOp(), neg_inf<T>());
    T s = T(0);
#pragma unroll
    for (int i = 0; i < VPL; ++i) s += pg_exp(v[i] - m);  // padding: exp(-inf) = 0
    s = g.reduce(s, SumOp(), T(0));
    const T logs = pg_log(s);

    if constexpr (MODE == MODE_SOFTMAX) {
        const T inv = T(1) / s;
        store_row<T, VPL>(a.out + base, c, stride, lane, vec, active,
                          [&](int i, int) { return pg_exp(v[i] - m) * inv; });
    } else if constexpr (MODE == MODE_LOG_SOFTMAX) {
        store_row<T, VPL>(a.out + base, c, stride, lane, vec, active,
                          [&](int i, int) { return (v[i] - m) - logs; });
    } else {
        T sw = T(c), swz = T(0);
        if (a.eps != T(0)) {  // uniform over the grid, so the collective reduce is safe
            T lsw = T(0), lswz = T(0);
#pragma unroll
            for (int i = 0; i < VPL; ++i) {
                const int j = slot_col<T, VPL>(i, stride, lane, vec);
                if (j < c) {
                    const T w = a.has_weight ? a.weight[j] : T(1);
                    lsw += w;
                    lswz += w * (v[i] - m);
                }
            }
            sw = g.reduce(lsw, SumOp(), T(0));
            swz = g.reduce(lswz, SumOp(), T(0));
        }
        const CeRow<T> r = ce_row(a, g.row, active, g.leader());
        if (active && g.leader()) a.loss[g.row] = ce_loss(a, r, m, logs, sw, swz);
        if (a.write_grad) {
            const CeGrad<T> grad(a, r, sw);
            const T inv = T(1) / s;
            store_row<T, VPL>(a.out + base, c, stride, lane, vec, active,
                              [&](int i, int j) { return grad(r, pg_exp(v[i] - m) * inv, j); });
        }
    }
}

template <typename T, int VPL, int MODE, typename G>
__device__ __forceinline__ void row_bwd(const RowArgs<T>& a, const G& g) {
    constexpr bool CAN_VEC = VPL % VecOf<T>::value == 0;
    const bool active = g.row < a.n;
    const bool vec = CAN_VEC && a.vec;
    const int c = a.c, stride = g.stride(), lane = g.lane;
    const long long base = (active ? g.row : 0) * (long long)c;

    T y[VPL], gy[VPL];
    load_row<T, VPL>(y, a.x + base, c, stride, lane, vec, active, T(0));
    load_row<T, VPL>(gy, a.gy + base, c, stride, lane, vec, active, T(0));
    T s = T(0);
#pragma unroll
    for (int i = 0; i < VPL; ++i) s += MODE == MODE_SOFTMAX ? y[i] * gy[i] : gy[i];
    s = g.reduce(s, SumOp(), T(0));
    if constexpr (MODE == MODE_SOFTMAX) {  // y·(gy − Σ y·gy)
        store_row<T, VPL>(a.out + base, c, stride, lane, vec, active,
                          [&](int i, int) { return y[i] * (gy[i] - s); });
    } else {  // gy − exp(y)·Σ gy
        store_row<T, VPL>(a.out + base, c, stride, lane, vec, active,
                          [&](int i, int) { return gy[i] - pg_exp(y[i]) * s; });
    }
}

// ----------------------------------------------------------------------------- online tier

// f(j, x_j) for every column this thread owns, 16-byte packs when `vec`
template <typename T, typename F>
__device__ __forceinline__ void row_foreach(const T* __restrict__ p, int c, bool vec, F f) {
    constexpr int VEC = VecOf<T>::value;
    if (vec) {
        for (int j = threadIdx.x * VEC; j < c; j += blockDim.x * VEC) {
            const Pack<T, VEC> pk = *reinterpret_cast<const Pack<T, VEC>*>(p + j);
#pragma unroll
            for (int k = 0; k < VEC; ++k) f(j + k, pk.v[k]);
        }
    } else {
        for (int j = threadIdx.x; j < c; j += blockDim.x) f(j, p[j]);
    }
}

// out_j = f(j, p_j, q_j) (q may equal p when only one input is needed)
template <typename T, typename F>
__device__ __forceinline__ void row_map(T* __restrict__ out, const T* p, const T* q, int c, bool vec, F f) {
    constexpr int VEC = VecOf<T>::value;
    if (vec) {
        for (int j = threadIdx.x * VEC; j < c; j += blockDim.x * VEC) {
            const Pack<T, VEC> pp = *reinterpret_cast<const Pack<T, VEC>*>(p + j);
            const Pack<T, VEC> pq = *reinterpret_cast<const Pack<T, VEC>*>(q + j);
            Pack<T, VEC> po;
#pragma unroll
            for (int k = 0; k < VEC; ++k) po.v[k] = f(j + k, pp.v[k], pq.v[k]);
            *reinterpret_cast<Pack<T, VEC>*>(out + j) = po;
        }
    } else {
        for (int j = threadIdx.x; j < c; j += blockDim.x) out[j] = f(j, p[j], q[j]);
    }
}

template <typename T, int MODE>
__device__ __forceinline__ void row_fwd_online(const RowArgs<T>& a, const BlockGroup<T>& g) {
    const int c = a.c;
    const bool vec = a.vec;
    const long long base = g.row * (long long)c;
    const T* x = a.x + base;

    // running (m, s) with s = Σ exp(x − m); -inf entries add nothing, NaN poisons s
    T m = neg_inf<T>(), s = T(0);
    row_foreach(x, c, vec, [&](int, T xv) {
        if (xv > m) {
            s = s * pg_exp(m - xv) + T(1);
            m = xv;
        } else if (xv != neg_inf<T>()) {
            s += pg_exp(xv - m);
        }
    });
    const T mx = g.reduce(m, MaxOp(), neg_inf<T>());
    // a lane that saw only -inf keeps s (0, or NaN from a NaN logit, which must spread)
    s = m == neg_inf<T>() ? s : s * pg_exp(m - mx);
    s = g.reduce(s, SumOp(), T(0));
    m = mx;
    const T logs = pg_log(s);

    if constexpr (MODE == MODE_SOFTMAX) {
        const T inv = T(1) / s;
        row_map(a.out + base, x, x, c, vec, [&](int, T xv, T) { return pg_exp(xv - m) * inv; });
    } else if constexpr (MODE == MODE_LOG_SOFTMAX) {
        row_map(a.out + base, x, x, c, vec, [&](int, T xv, T) { return (xv - m) - logs; });
    } else {
        T sw = T(c), swz = T(0);
        if (a.eps != T(0)) {
            T lsw = T(0), lswz = T(0);
            row_foreach(x, c, vec, [&](int j, T xv) {
                const T w = a.has_weight ? a.weight[j] : T(1);
                lsw += w;
                lswz += w * (xv - m);
            });
            sw = g.reduce(lsw, SumOp(), T(0));
            swz = g.reduce(lswz, SumOp(), T(0));
        }
        const CeRow<T> r = ce_row(a, g.row, true, g.leader());
        if (g.leader()) a.loss[g.row] = ce_loss(a, r, m, logs, sw, swz);
        if (a.write_grad) {
            const CeGrad<T> grad(a, r, sw);
            const T inv = T(1) / s;
            row_map(a.out + base, x, x, c, vec,
                    [&](int j, T xv, T) { return grad(r, pg_exp(xv - m) * inv, j); });
        }
    }
}

template <typename T, int MODE>
__device__ __forceinline__ void row_bwd_online(const RowArgs<T>& a, const BlockGroup<T>& g) {
    const int c = a.c;
    const bool vec = a.vec;
    const long long base = g.row * (long long)c;
    const T *y = a.x + base, *gy = a.gy + base;
    T s = T(0);
    if (MODE == MODE_SOFTMAX) {
        constexpr int VEC = VecOf<T>::value;
        if (vec) {
            for (int j = threadIdx.x * VEC; j < c; j += blockDim.x * VEC) {
                const Pack<T, VEC> py = *reinterpret_cast<const Pack<T, VEC>*>(y + j);
                const Pack<T, VEC> pg = *reinterpret_cast<const Pack<T, VEC>*>(gy + j);
#pragma unroll
                for (int k = 0; k < VEC; ++k) s += py.v[k] * pg.v[k];
            }
        } else {
            for (int j = threadIdx.x; j < c; j += blockDim.x) s += y[j] * gy[j];
        }
    } else {
        row_foreach(gy, c, vec, [&](int, T v) { s += v; });
    }
    s = g.reduce(s, SumOp(), T(0));
    if constexpr (MODE == MODE_SOFTMAX) {
        row_map(a.out + base, y, gy, c, vec, [&](int, T yv, T gv) { return yv * (gv - s); });
    } else {
        row_map(a.out + base, y, gy, c, vec, [&](int, T yv, T gv) { return gv - pg_exp(yv) * s; });
    }
}

// ----------------------------------------------------------------------------- entry points
// PG_ROW_ENTRIES(NAME, T, DT, PARAMS, SETUP, BODY, MODE) defines
//   NAME_warp{1..64}_DT, NAME_block{4..32}_DT, NAME_online_DT
// with the same parameter list, so the host launches every tier alike. PARAMS is the name of a
// macro taking T and expanding to the parameter list; SETUP fills `RowArgs<T> a` from them;
// BODY is row_fwd or row_bwd (the online tier uses BODY##_online).

#define PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, VPL)                 \
    extern "C" __global__ void __launch_bounds__(128) NAME##_warp##VPL##_##DT(PARAMS(T)) { \
        RowArgs<T> a{};                                                              \
        SETUP;                                                                       \
        BODY<T, VPL, MODE>(a, WarpGroup(a.width));                                   \
    }

#define PG_BLOCK_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, VPT)                 \
    extern "C" __global__ void __launch_bounds__(1024) NAME##_block##VPT##_##DT(PARAMS(T)) { \
        __shared__ T smem[32];                                                       \
        RowArgs<T> a{};                                                              \
        SETUP;                                                                       \
        BODY<T, VPT, MODE>(a, BlockGroup<T>(smem));                                  \
    }

#define PG_ONLINE_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE)                   \
    extern "C" __global__ void __launch_bounds__(1024) NAME##_online_##DT(PARAMS(T)) { \
        __shared__ T smem[32];                                                     \
        RowArgs<T> a{};                                                            \
        SETUP;                                                                     \
        BODY##_online<T, MODE>(a, BlockGroup<T>(smem));                            \
    }

#define PG_ROW_ENTRIES(NAME, T, DT, PARAMS, SETUP, BODY, MODE)     \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 1)       \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 2)       \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 4)       \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 8)       \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 16)      \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 32)      \
    PG_WARP_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 64)      \
    PG_BLOCK_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 4)      \
    PG_BLOCK_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 8)      \
    PG_BLOCK_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 16)     \
    PG_BLOCK_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE, 32)     \
    PG_ONLINE_ENTRY(NAME, T, DT, PARAMS, SETUP, BODY, MODE)

#endif  // PYGRAD_ROWS_CUH
