// Preloaded into rine-cli by tst_blas_kernels: makes OpenBLAS look as it does on a processor
// newer than it (Intel family 6 model 207 with OpenBLAS 0.3.21): Prescott kernels, unless
// OPENBLAS_CORETYPE is set, when the real library answers.
#include <dlfcn.h>
#include <cstdlib>

extern "C" __attribute__((visibility("default"))) char *openblas_get_corename(void)
{
    static char prescott[] = "Prescott";
    if (!std::getenv("OPENBLAS_CORETYPE"))
        return prescott;
    auto real = reinterpret_cast<char *(*)()>(dlsym(RTLD_NEXT, "openblas_get_corename"));
    return real ? real() : prescott;
}
