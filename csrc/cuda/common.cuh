// Shared helpers for pygrad's CUDA kernels: math overloads for float/double, 16-byte packs,
// and reductions over a group of threads that owns one row (a slice of a warp, or a block).
//
// The Python loader pastes this file in place of `#include "common.cuh"`, so the source CuPy
// hashes for its kernel cache is the whole program.
#ifndef PYGRAD_COMMON_CUH
#define PYGRAD_COMMON_CUH

#define PG_FULL_MASK 0xffffffffu

// ----------------------------------------------------------------------------- math

__device__ __forceinline__ float pg_exp(float x) { return expf(x); }
__device__ __forceinline__ double pg_exp(double x) { return exp(x); }
__device__ __forceinline__ float pg_log(float x) { return logf(x); }
__device__ __forceinline__ double pg_log(double x) { return log(x); }
__device__ __forceinline__ float pg_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double pg_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float pg_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double pg_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float pg_erfc(float x) { return erfcf(x); }
__device__ __forceinline__ double pg_erfc(double x) { return erfc(x); }
// fmax ignores a NaN operand; a NaN in a row still reaches every output through exp(x - max)
__device__ __forceinline__ float pg_max(float a, float b) { return fmaxf(a, b); }
__device__ __forceinline__ double pg_max(double a, double b) { return fmax(a, b); }

template <typename T> __device__ __forceinline__ T neg_inf();
template <> __device__ __forceinline__ float neg_inf<float>() { return __int_as_float(0xff800000); }
template <> __device__ __forceinline__ double neg_inf<double>() {
    return __longlong_as_double(0xfff0000000000000LL);
}
template <typename T> __device__ __forceinline__ T quiet_nan();
template <> __device__ __forceinline__ float quiet_nan<float>() { return __int_as_float(0x7fc00000); }
template <> __device__ __forceinline__ double quiet_nan<double>() {
    return __longlong_as_double(0x7ff8000000000000LL);
}

// Numerically stable sigmoid from e = exp(-|x|), which never overflows.
template <typename T> __device__ __forceinline__ T sigmoid_from(T x, T e) {
    return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

// ----------------------------------------------------------------------------- packs
// A 16-byte aligned group of VEC elements: loads and stores compile to ld/st.global.v4.f32
// (or .v2.f64). Used only when the caller checked that every pointer is 16-byte aligned.

template <typename T> struct VecOf { static constexpr int value = 16 / sizeof(T); };

template <typename T, int N> struct alignas(sizeof(T) * N) Pack { T v[N]; };

struct MaxOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return pg_max(a, b); }
};
struct SumOp {
    template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};

// ----------------------------------------------------------------------------- row groups
// A row is owned by `width` consecutive lanes of a warp (width a power of two ≤ 32, so several
// rows share a warp when rows are short) or by a whole block. Element slot i of a thread lies at
// column i*stride + lane (scalar path) or ((i/VEC)*stride + lane)*VEC + i%VEC (packed path).

struct WarpGroup {
    int width, lane;
    long long row;
    __device__ __forceinline__ explicit WarpGroup(int w) : width(w) {
        long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
        lane = threadIdx.x & (w - 1);
        row = t / w;
    }
    __device__ __forceinline__ int stride() const { return width; }
    __device__ __forceinline__ bool leader() const { return lane == 0; }
    // every lane of the warp must call this (inactive rows included): the shuffles use a full mask
    template <typename T, typename Op> __device__ __forceinline__ T reduce(T v, Op op, T) const {
        for (int o = width >> 1; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(PG_FULL_MASK, v, o, width));
        return v;
    }
};

template <typename T> struct BlockGroup {
    T* smem;  // 32 slots of shared memory
    int lane;
    long long row;
    __device__ __forceinline__ explicit BlockGroup(T* s) : smem(s), lane(threadIdx.x), row(blockIdx.x) {}
    __device__ __forceinline__ int stride() const { return blockDim.x; }
    __device__ __forceinline__ bool leader() const { return threadIdx.x == 0; }
    // blockDim.x is a multiple of 32 (≤ 1024); every thread gets the result
    template <typename Op> __device__ __forceinline__ T reduce(T v, Op op, T identity) const {
        for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(PG_FULL_MASK, v, o));
        const int warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
        __syncthreads();  // the previous reduce may still be reading smem
        if ((threadIdx.x & 31) == 0) smem[warp] = v;
        __syncthreads();
        v = (threadIdx.x & 31) < nwarps ? smem[threadIdx.x & 31] : identity;
        for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(PG_FULL_MASK, v, o));
        return v;
    }
};

// ----------------------------------------------------------------------------- row I/O
// Load VPL elements of a row into registers (`fill` where the column is past the row end or the
// row is inactive) and store them back; `vec` picks the 16-byte packed layout.

template <typename T, int VPL>
__device__ __forceinline__ int slot_col(int i, int stride, int lane, bool vec) {
    constexpr int VEC = VecOf<T>::value;
    return vec ? ((i / VEC) * stride + lane) * VEC + i % VEC : i * stride + lane;
}

template <typename T, int VPL>
__device__ __forceinline__ void load_row(T (&v)[VPL], const T* __restrict__ p, int c, int stride,
                                         int lane, bool vec, bool active, T fill) {
    constexpr int VEC = VecOf<T>::value;
    if constexpr (VPL % VEC == 0) {
        if (vec) {
#pragma unroll
            for (int i = 0; i < VPL / VEC; ++i) {
                const int j = (i * stride + lane) * VEC;
                Pack<T, VEC> pk;
                if (active && j < c) {
                    pk = *reinterpret_cast<const Pack<T, VEC>*>(p + j);
                } else {
#pragma unroll
                    for (int k = 0; k < VEC; ++k) pk.v[k] = fill;
                }
#pragma unroll
                for (int k = 0; k < VEC; ++k) v[i * VEC + k] = pk.v[k];
            }
            return;
        }
    }
#pragma unroll
    for (int i = 0; i < VPL; ++i) {
        const int j = i * stride + lane;
        v[i] = (active && j < c) ? p[j] : fill;
    }
}

// out[col] = f(i, col) for every slot i whose column is inside the row
template <typename T, int VPL, typename F>
__device__ __forceinline__ void store_row(T* __restrict__ p, int c, int stride, int lane, bool vec,
                                          bool active, F f) {
    constexpr int VEC = VecOf<T>::value;
    if (!active) return;
    if constexpr (VPL % VEC == 0) {
        if (vec) {
#pragma unroll
            for (int i = 0; i < VPL / VEC; ++i) {
                const int j = (i * stride + lane) * VEC;
                if (j < c) {
                    Pack<T, VEC> pk;
#pragma unroll
                    for (int k = 0; k < VEC; ++k) pk.v[k] = f(i * VEC + k, j + k);
                    *reinterpret_cast<Pack<T, VEC>*>(p + j) = pk;
                }
            }
            return;
        }
    }
#pragma unroll
    for (int i = 0; i < VPL; ++i) {
        const int j = i * stride + lane;
        if (j < c) p[j] = f(i, j);
    }
}

#endif  // PYGRAD_COMMON_CUH
