/* The baseline build of the kernels: whatever instruction set the compiler targets by
 * default (SSE2 on x86-64, NEON on aarch64). */
#define PG_VARIANT baseline
#include "variant.inc"
