# C declarations of the fused CPU kernels (csrc/cpu/pygrad_cpu.h).
from libc.stdint cimport int64_t

cdef extern from "pygrad_cpu.h" nogil:
    enum:
        PG_F32
        PG_F64

    ctypedef struct pg_ops:
        void (*sigmoid_fwd)(const void *x, void *y, int64_t n) noexcept nogil
        void (*sigmoid_bwd)(const void *y, const void *gy, void *gx, int64_t n) noexcept nogil
        void (*softmax_fwd)(const void *x, void *y, int64_t rows, int64_t c) noexcept nogil
        void (*softmax_bwd)(const void *y, const void *gy, void *gx, int64_t rows, int64_t c) noexcept nogil
        void (*log_softmax_fwd)(const void *x, void *y, int64_t rows, int64_t c) noexcept nogil
        void (*log_softmax_bwd)(const void *y, const void *gy, void *gx, int64_t rows,
                                int64_t c) noexcept nogil
        int64_t (*cross_entropy)(const void *x, const int64_t *target, const void *weight,
                                 int64_t ignore_index, double label_smoothing,
                                 double grad_scale, void *loss, void *grad, int64_t rows,
                                 int64_t c) noexcept nogil
        void (*bce_with_logits)(const void *x, const void *y, const void *pos_weight,
                                double grad_scale, void *loss, void *grad, int64_t rows,
                                int64_t c) noexcept nogil
        void (*sgd_step)(void *p, const void *g, void *buf, int64_t n, double lr,
                         double momentum, double dampening, int nesterov, double weight_decay,
                         int maximize, int first) noexcept nogil
        void (*adagrad_step)(void *p, const void *g, void *state_sum, int64_t n, double clr,
                             double weight_decay, double eps, int maximize) noexcept nogil
        void (*rmsprop_step)(void *p, const void *g, void *square_avg, void *grad_avg,
                             void *buf, int64_t n, double lr, double alpha, double eps,
                             double weight_decay, double momentum, int centered, int maximize) noexcept nogil
        void (*adam_step)(void *p, const void *g, void *exp_avg, void *exp_avg_sq,
                          void *max_exp_avg_sq, int64_t n, double step_size, double beta1,
                          double beta2, double bc2_sqrt, double eps, double weight_decay,
                          int decoupled, double decay, int amsgrad, int maximize) noexcept nogil
        void (*layer_norm_fwd)(const void *x, const void *w, const void *b, void *y,
                               void *mean, void *rstd, int64_t rows, int64_t c,
                               double eps) noexcept nogil
        int (*layer_norm_bwd)(const void *x, const void *gy, const void *w, const void *mean,
                              const void *rstd, void *gx, void *gw, void *gb, int64_t rows,
                              int64_t c) noexcept nogil
        void (*gelu_fwd)(const void *x, void *y, int64_t n, int approximate) noexcept nogil
        void (*gelu_bwd)(const void *x, const void *gy, void *gx, int64_t n,
                         int approximate) noexcept nogil

    int pg_cpu_init()
    int pg_cpu_set_variant(const char *name)
    const char *pg_cpu_variant()
    int pg_cpu_has_avx2()
    int pg_cpu_has_avx512()
    const pg_ops *pg_cpu_ops(int dtype)
    int pg_cpu_num_threads()
    void pg_cpu_set_num_threads(int n)
    int64_t pg_cpu_set_parallel_min(int64_t n)
