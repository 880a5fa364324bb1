// Softmax and log-softmax over the last axis, forward and backward, in every row tier
// (see rows.cuh):
//   softmax_fwd_<tier>_<dtype>(x, y, n, c, width, vec)          y = exp(x − max) / Σ exp(x − max)
//   log_softmax_fwd_<tier>_<dtype>(x, y, n, c, width, vec)      y = (x − max) − log Σ exp(x − max)
//   softmax_bwd_<tier>_<dtype>(y, gy, gx, n, c, width, vec)     gx = y·(gy − Σ y·gy)
//   log_softmax_bwd_<tier>_<dtype>(y, gy, gx, n, c, width, vec) gx = gy − exp(y)·Σ gy
// x, y, gy, gx are C-contiguous (n, c); `width` is the lanes per row of the warp tiers (ignored
// by the block tiers); `vec` = 1 when every pointer is 16-byte aligned and c % (16/sizeof(T)) == 0.
#include "rows.cuh"

#define FWD_PARAMS(T) const T* __restrict__ x, T* __restrict__ y, long long n, int c, int width, int vec
#define FWD_SETUP a.x = x; a.out = y; a.n = n; a.c = c; a.width = width; a.vec = vec
#define BWD_PARAMS(T) \
    const T* __restrict__ y, const T* __restrict__ gy, T* __restrict__ gx, long long n, int c, int width, int vec
#define BWD_SETUP a.x = y; a.gy = gy; a.out = gx; a.n = n; a.c = c; a.width = width; a.vec = vec

PG_ROW_ENTRIES(softmax_fwd, float, float32, FWD_PARAMS, FWD_SETUP, row_fwd, MODE_SOFTMAX)
PG_ROW_ENTRIES(softmax_fwd, double, float64, FWD_PARAMS, FWD_SETUP, row_fwd, MODE_SOFTMAX)
PG_ROW_ENTRIES(log_softmax_fwd, float, float32, FWD_PARAMS, FWD_SETUP, row_fwd, MODE_LOG_SOFTMAX)
PG_ROW_ENTRIES(log_softmax_fwd, double, float64, FWD_PARAMS, FWD_SETUP, row_fwd, MODE_LOG_SOFTMAX)
PG_ROW_ENTRIES(softmax_bwd, float, float32, BWD_PARAMS, BWD_SETUP, row_bwd, MODE_SOFTMAX)
PG_ROW_ENTRIES(softmax_bwd, double, float64, BWD_PARAMS, BWD_SETUP, row_bwd, MODE_SOFTMAX)
PG_ROW_ENTRIES(log_softmax_bwd, float, float32, BWD_PARAMS, BWD_SETUP, row_bwd, MODE_LOG_SOFTMAX)
PG_ROW_ENTRIES(log_softmax_bwd, double, float64, BWD_PARAMS, BWD_SETUP, row_bwd, MODE_LOG_SOFTMAX)
