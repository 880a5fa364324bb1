// Fused softmax + cross-entropy over the rows of x (n, c), in every row tier (see rows.cuh):
//   cross_entropy_<tier>_<dtype>(x, target, weight, loss, grad, n, c, width, vec, ignore_index,
//                                eps, scale, scale_ptr, use_scale_ptr, has_weight, write_grad,
//                                bad_row)
// One read of the row gives the per-row loss
//   loss_i = (1−ε)·w_t·(−log p_it) + ε/C·Σ_c w_c·(−log p_ic)     (0 when t = ignore_index)
// and, when write_grad, the gradient in the same pass
//   grad_ij = scale·(p_ij·((1−ε)w_t + ε/C·Σw) − (1−ε)w_t·[j = t] − ε/C·w_j).
// target is int64 (n,); weight (c,) is read only when has_weight; scale is *scale_ptr when
// use_scale_ptr (a 0-d device array, so a mean needs no host sync), else `scale`. A target
// outside [0, c) that is not ignore_index gives NaN loss and gradient for its row and lowers
// *bad_row to the row index (atomicMin), for the host to report.
#include "rows.cuh"

#define CE_PARAMS(T)                                                                          \
    const T* __restrict__ x, const long long* __restrict__ target, const T* __restrict__ weight, \
        T* __restrict__ loss, T* __restrict__ grad, long long n, int c, int width, int vec,   \
        long long ignore_index, T eps, T scale, const T* __restrict__ scale_ptr,              \
        int use_scale_ptr, int has_weight, int write_grad, unsigned long long* bad_row
#define CE_SETUP                                                                     \
    a.x = x; a.target = target; a.weight = weight; a.loss = loss; a.out = grad;     \
    a.n = n; a.c = c; a.width = width; a.vec = vec; a.ignore_index = ignore_index;  \
    a.eps = eps; a.scale = scale; a.scale_ptr = scale_ptr;                          \
    a.use_scale_ptr = use_scale_ptr; a.has_weight = has_weight;                     \
    a.write_grad = write_grad; a.bad_row = bad_row

PG_ROW_ENTRIES(cross_entropy, float, float32, CE_PARAMS, CE_SETUP, row_fwd, MODE_CE)
PG_ROW_ENTRIES(cross_entropy, double, float64, CE_PARAMS, CE_SETUP, row_fwd, MODE_CE)
