#pragma once

// Which matrix-product kernels this process gets, and getting the fast ones without the
// user's help. Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its kernels from the CPUID
// model number when the library loads; on processors newer than it (Intel family 6 model
// 207, Emerald Rapids) it falls back to its Prescott (SSE3) kernels and runs the model ~9x
// slower than the machine allows. The kernel set can only be chosen before the library
// loads (OPENBLAS_CORETYPE), so the fix is a re-exec of the program with it set.
// No Qt and no LibTorch here: this runs first thing in main().

#include <string>

namespace rine {

struct CpuFeatures {
    std::string vendor, brand;
    int family = 0, model = 0;
    bool avx = false, fma = false, avx2 = false;
    bool avx512 = false; // F, DQ, CD, BW, VL, and the OS saves the AVX-512 state
    bool avx512bf16 = false, avx512vnni = false;
    bool amxBf16 = false, amxInt8 = false; // the OS saves the AMX tile state
};

// From CPUID and XGETBV of the processor this runs on.
CpuFeatures cpuFeatures();

// "AMD EPYC ... (AVX-512, AVX512-BF16)": the brand and the instructions that matter here.
std::string describeCpu(const CpuFeatures &cpu);

// Widest vector instructions, of a processor or of an OpenBLAS kernel set.
enum class VectorLevel { Sse = 0, Avx = 1, Avx2 = 2, Avx512 = 3 };

VectorLevel vectorLevel(const CpuFeatures &cpu);
// The level an OpenBLAS core name's kernels use; false for a name this code does not know.
bool openBlasCoreLevel(const std::string &coreName, VectorLevel &level);
// The OpenBLAS 0.3.21 core type to ask for on this processor ("" when none is better than
// the generic one). Chosen by measurement (docs/performance.md): the fp32 GEMM of the
// model's MLP product runs at 345-347 GFLOP/s with SkylakeX or Cooperlake kernels on a
// 2-core AVX-512 machine, 182 with Haswell's, and ~19 with Prescott's.
std::string bestOpenBlasCore(const CpuFeatures &cpu);

// The decision, as a pure function of what the process sees (tested on its own).
struct BlasDecision {
    bool reexec = false;
    std::string coreType; // what to set OPENBLAS_CORETYPE to, when reexec
    std::string warning; // what cannot be fixed, for the CLI and the status bar; "" if none
};
// loadedCore: openblas_get_corename() ("" when OpenBLAS is not the BLAS in use);
// userCoreType: OPENBLAS_CORETYPE as the process found it (nullptr when unset);
// guard: RINE_BLAS_CORETYPE as the process found it (nullptr when unset): set by the
// re-exec itself (never twice), or "keep" to measure the BLAS as it loads.
BlasDecision decideBlasKernels(const std::string &loadedCore, const CpuFeatures &cpu, const char *userCoreType,
                               const char *guard);

// Called first in main(): re-executes the program (/proc/self/exe, same arguments) with the
// better OPENBLAS_CORETYPE when the decision says so. Returns when no re-exec is due (or it
// failed, which leaves the slow kernels and the warning).
void ensureFastBlasKernels(char *argv[]);

// What the process runs with, for --version, the benchmark and the status bar.
struct BlasKernels {
    std::string library; // "OpenBLAS 0.3.21 ..." (openblas_get_config) or "" when not OpenBLAS
    std::string coreName; // openblas_get_corename()
    std::string chosenBy; // "OpenBLAS", "RINE Studio (OpenBLAS chose Prescott)", "OPENBLAS_CORETYPE"
    std::string warning;
    std::string describe() const; // one line
};
BlasKernels blasKernels();

} // namespace rine
