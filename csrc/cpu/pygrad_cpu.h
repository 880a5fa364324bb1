/* pygrad CPU kernels: the table of fused kernels and the run-time variant dispatch.
 *
 * Every kernel exists for float and double (pg_ops[PG_F32], pg_ops[PG_F64]) and is built
 * three times on x86-64: a baseline x86-64 variant, an AVX2/FMA variant and an AVX-512
 * variant. pg_cpu_init() picks the best one the CPU runs at import time
 * (PYGRAD_CPU_VARIANT=baseline|avx2|avx512|auto overrides the CPU check).
 *
 * Arrays are C-contiguous; "rows" x "c" means a row-major (rows, c) matrix whose rows are
 * independent. Array arguments are typed void* here because one table entry serves one
 * dtype; each implementation casts them to its element type. Scalars are passed as double
 * and rounded to the element type inside the kernel, the way NumPy rounds a Python float.
 */
#ifndef PYGRAD_CPU_H
#define PYGRAD_CPU_H

#include <stdint.h>

enum { PG_F32 = 0, PG_F64 = 1 };

typedef struct pg_ops {
    /* y = σ(x), stable for any x (exact 0 and 1 in the limits). */
    void (*sigmoid_fwd)(const void *x, void *y, int64_t n);
    /* gx = gy·y·(1−y) */
    void (*sigmoid_bwd)(const void *y, const void *gy, void *gx, int64_t n);
    /* row-wise y = exp(x − max)/Σ exp(x − max) */
    void (*softmax_fwd)(const void *x, void *y, int64_t rows, int64_t c);
    /* row-wise gx = y·(gy − Σ y·gy) */
    void (*softmax_bwd)(const void *y, const void *gy, void *gx, int64_t rows, int64_t c);
    /* row-wise y = x − max − log Σ exp(x − max) */
    void (*log_softmax_fwd)(const void *x, void *y, int64_t rows, int64_t c);
    /* row-wise gx = gy − exp(y)·Σ gy */
    void (*log_softmax_bwd)(const void *y, const void *gy, void *gx, int64_t rows, int64_t c);
    /* Softmax cross-entropy per row (loss, and grad·grad_scale when grad != NULL) in one
     * pass over x. weight: NULL or (c,). Returns the first row whose target is outside
     * [0, c) and not ignore_index, or -1 when all targets are valid. */
    int64_t (*cross_entropy)(const void *x, const int64_t *target, const void *weight,
                             int64_t ignore_index, double label_smoothing, double grad_scale,
                             void *loss, void *grad, int64_t rows, int64_t c);
    /* Elementwise BCE with logits over (rows, c); pos_weight NULL or (c,); grad may be NULL. */
    void (*bce_with_logits)(const void *x, const void *y, const void *pos_weight,
                            double grad_scale, void *loss, void *grad, int64_t rows, int64_t c);
    /* In-place optimizer updates (torch.optim single-tensor formulas, see reference.py). */
    void (*sgd_step)(void *p, const void *g, void *buf, int64_t n, double lr, double momentum,
                     double dampening, int nesterov, double weight_decay, int maximize,
                     int first);
    void (*adagrad_step)(void *p, const void *g, void *state_sum, int64_t n, double clr,
                         double weight_decay, double eps, int maximize);
    void (*rmsprop_step)(void *p, const void *g, void *square_avg, void *grad_avg, void *buf,
                         int64_t n, double lr, double alpha, double eps, double weight_decay,
                         double momentum, int centered, int maximize);
    /* step_size = lr/bc1, bc2_sqrt = sqrt(1 − β2^t), decay = 1 − lr·wd (decoupled only). */
    void (*adam_step)(void *p, const void *g, void *exp_avg, void *exp_avg_sq,
                      void *max_exp_avg_sq, int64_t n, double step_size, double beta1,
                      double beta2, double bc2_sqrt, double eps, double weight_decay,
                      int decoupled, double decay, int amsgrad, int maximize);
    /* Row-wise layer norm over (rows, c): mean_i = Σ_j x_ij / c, rstd_i = 1/√(var_i + eps)
     * (biased variance, two passes over the row while it is in cache), then
     * y = (x − mean)·rstd·w + b. w, b: NULL or (c,). mean, rstd: (rows,). */
    void (*layer_norm_fwd)(const void *x, const void *w, const void *b, void *y, void *mean,
                           void *rstd, int64_t rows, int64_t c, double eps);
    /* Its backward from the saved mean and rstd; x̂ = (x − mean)·rstd, g = gy·w:
     * gx = rstd·(g − mean_j(g) − x̂·mean_j(g·x̂)), gw = Σ_i gy·x̂, gb = Σ_i gy. Any of gx, gw,
     * gb may be NULL (not computed). gw and gb do not depend on the thread count (fixed row
     * blocks, summed in double). Returns 0, or -1 when out of memory (nothing written). */
    int (*layer_norm_bwd)(const void *x, const void *gy, const void *w, const void *mean,
                          const void *rstd, void *gx, void *gw, void *gb, int64_t rows,
                          int64_t c);
    /* y = x·Φ(x) (approximate = 0: Φ(x) = erfc(−x/√2)/2) or x·σ(2u) (approximate = 1:
     * u = √(2/π)·(x + 0.044715·x³), the tanh form, since (1 + tanh u)/2 = σ(2u)). */
    void (*gelu_fwd)(const void *x, void *y, int64_t n, int approximate);
    /* gx = gy·dy/dx, recomputed from x: Φ(x) + x·φ(x), or σ + 2x·σ(1−σ)·u'. */
    void (*gelu_bwd)(const void *x, const void *gy, void *gx, int64_t n, int approximate);
} pg_ops;

/* Kernels on fewer elements than this run on the calling thread (4x this for kernels with
 * little work per element). Idle OpenMP threads either sleep (pygrad asks for that when it
 * loads libgomp first), so waking them costs tens of microseconds, or spin for milliseconds
 * (torch loaded libgomp first: one runtime per process), taking the cores from NumPy's BLAS
 * threads. Measured on 2 cores, only kernels from about 1M elements gain from threads in
 * both cases (an MLP step at batch 128 ran 3x slower with a 256K threshold under torch). */
extern int64_t pg_cpu_par_min;
#define PG_PAR_MIN_DEFAULT 1048576

/* Variant tables, each indexed by PG_F32 / PG_F64. */
extern const pg_ops pg_ops_baseline[2];
#if defined(__x86_64__)
extern const pg_ops pg_ops_avx2[2];
extern const pg_ops pg_ops_avx512[2];
#endif

/* Chooses the variant from PYGRAD_CPU_VARIANT and the CPU. Returns 0, or -1 when the
 * variable names an unknown or unsupported variant (the baseline is then active). */
int pg_cpu_init(void);
/* Forces a variant: "baseline", "avx2", "avx512" or "auto". Returns 0, or -1 if unknown or
 * unsupported. */
int pg_cpu_set_variant(const char *name);
/* The active variant's name: "avx512", "avx2" or "baseline". */
const char *pg_cpu_variant(void);
/* 1 when this CPU (and build) can run the AVX2/FMA variant. */
int pg_cpu_has_avx2(void);
/* 1 when this CPU (and build) can run the AVX-512 variant (F, VL, DQ, BW). */
int pg_cpu_has_avx512(void);
/* The active kernel table for a dtype code (PG_F32 / PG_F64). */
const pg_ops *pg_cpu_ops(int dtype);
/* OpenMP threads a parallel kernel uses (1 without OpenMP). */
int pg_cpu_num_threads(void);
/* Sets the threads for kernels called from this thread (no-op without OpenMP). */
void pg_cpu_set_num_threads(int n);
/* Sets pg_cpu_par_min (n >= 1); returns the previous value. */
int64_t pg_cpu_set_parallel_min(int64_t n);

#endif
