"""Set-up shared by every test file, before any of them imports Keras.

JAX reads JAX_DEFAULT_MATMUL_PRECISION when it is imported. The course kernels set it
to "highest" (kcourse.kernel.KERNEL_ENV), so a student's checks on a GPU compare full
float32 maths, never TF32. The checker's self-tests run in pytest's own process, so it
is set here as well. Seen on an H100 (JAX 0.11.2): without it, the first check of a
fresh process (a built-in LSTM compared with itself) failed on a TF32-sized gradient
error although `kcourse.determinism.disable_tf32()` had run before collecting (why the
runtime switch was not enough there is not established); with it, 13/13 passed.
"""

import os

os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
