#include "BlasKernels.h"

#include <cpuid.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace rine {

namespace {

constexpr const char *kGuard = "RINE_BLAS_CORETYPE";

bool bit(unsigned value, int index) { return (value >> index) & 1u; }

unsigned long long xgetbv0()
{
    unsigned eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<unsigned long long>(edx) << 32) | eax;
}

const char *levelName(VectorLevel level)
{
    switch (level) {
    case VectorLevel::Avx512: return "AVX-512";
    case VectorLevel::Avx2: return "AVX2";
    case VectorLevel::Avx: return "AVX";
    case VectorLevel::Sse: break;
    }
    return "SSE";
}

using NameFunction = char *(*)();

std::string openBlasString(const char *symbol)
{
    // The BLAS LibTorch calls is mapped by the time main() runs (a dependency of libtorch);
    // with OpenBLAS as libblas.so.3, its functions are in the global scope.
    if (auto function = reinterpret_cast<NameFunction>(dlsym(RTLD_DEFAULT, symbol)))
        if (const char *text = function())
            return text;
    return {};
}

} // namespace

CpuFeatures cpuFeatures()
{
    CpuFeatures cpu;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
        return cpu;
    const unsigned maxLeaf = eax;
    char vendor[13] = {};
    std::memcpy(vendor, &ebx, 4);
    std::memcpy(vendor + 4, &edx, 4);
    std::memcpy(vendor + 8, &ecx, 4);
    cpu.vendor = vendor;

    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    const unsigned baseFamily = (eax >> 8) & 0xf, baseModel = (eax >> 4) & 0xf;
    cpu.family = int(baseFamily == 0xf ? baseFamily + ((eax >> 20) & 0xff) : baseFamily);
    cpu.model = int(baseFamily == 0x6 || baseFamily == 0xf ? (((eax >> 16) & 0xf) << 4) | baseModel : baseModel);
    const bool osxsave = bit(ecx, 27);
    const unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    const bool osAvx = (xcr0 & 0x6) == 0x6, osAvx512 = (xcr0 & 0xe6) == 0xe6;
    const bool osAmx = (xcr0 & 0x60000) == 0x60000;
    cpu.avx = osAvx && bit(ecx, 28);
    cpu.fma = cpu.avx && bit(ecx, 12);

    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        cpu.avx2 = cpu.avx && bit(ebx, 5);
        cpu.avx512 = osAvx512 && bit(ebx, 16) && bit(ebx, 17) && bit(ebx, 28) && bit(ebx, 30) && bit(ebx, 31);
        cpu.avx512vnni = cpu.avx512 && bit(ecx, 11);
        cpu.amxBf16 = osAmx && bit(edx, 22) && bit(edx, 24);
        cpu.amxInt8 = osAmx && bit(edx, 25) && bit(edx, 24);
        const unsigned subleaves = eax;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            cpu.avx512bf16 = cpu.avx512 && bit(eax, 5);
        }
    }
    __get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx);
    if (eax >= 0x80000004) {
        char brand[49] = {};
        for (unsigned leaf = 0; leaf < 3; ++leaf) {
            unsigned regs[4];
            __get_cpuid(0x80000002 + leaf, &regs[0], &regs[1], &regs[2], &regs[3]);
            std::memcpy(brand + 16 * leaf, regs, 16);
        }
        cpu.brand = brand;
        while (!cpu.brand.empty() && cpu.brand.back() == ' ')
            cpu.brand.pop_back();
        cpu.brand.erase(0, cpu.brand.find_first_not_of(' '));
    }
    return cpu;
}

std::string describeCpu(const CpuFeatures &cpu)
{
    std::string out = cpu.brand.empty() ? cpu.vendor : cpu.brand;
    out += " (family " + std::to_string(cpu.family) + ", model " + std::to_string(cpu.model) + "; "
         + levelName(vectorLevel(cpu));
    if (cpu.avx512bf16)
        out += ", AVX512-BF16";
    if (cpu.amxBf16)
        out += ", AMX-BF16";
    if (cpu.amxInt8)
        out += ", AMX-INT8";
    return out + ")";
}

VectorLevel vectorLevel(const CpuFeatures &cpu)
{
    if (cpu.avx512)
        return VectorLevel::Avx512;
    if (cpu.avx2 && cpu.fma)
        return VectorLevel::Avx2;
    if (cpu.avx)
        return VectorLevel::Avx;
    return VectorLevel::Sse;
}

bool openBlasCoreLevel(const std::string &coreName, VectorLevel &level)
{
    // OpenBLAS 0.3.21's x86-64 core names (driver/others/dynamic.c), by the widest vector
    // instructions their kernels use.
    static const struct {
        const char *name;
        VectorLevel level;
    } kCores[] = {
        {"Katmai", VectorLevel::Sse},       {"Coppermine", VectorLevel::Sse}, {"Northwood", VectorLevel::Sse},
        {"Prescott", VectorLevel::Sse},     {"Banias", VectorLevel::Sse},     {"Atom", VectorLevel::Sse},
        {"Core2", VectorLevel::Sse},        {"Penryn", VectorLevel::Sse},     {"Dunnington", VectorLevel::Sse},
        {"Nehalem", VectorLevel::Sse},      {"Athlon", VectorLevel::Sse},     {"Opteron", VectorLevel::Sse},
        {"Opteron_SSE3", VectorLevel::Sse}, {"Barcelona", VectorLevel::Sse},  {"Nano", VectorLevel::Sse},
        {"Bobcat", VectorLevel::Sse},       {"Sandybridge", VectorLevel::Avx}, {"Bulldozer", VectorLevel::Avx},
        {"Piledriver", VectorLevel::Avx},   {"Steamroller", VectorLevel::Avx}, {"Excavator", VectorLevel::Avx},
        {"Haswell", VectorLevel::Avx2},     {"Zen", VectorLevel::Avx2},       {"SkylakeX", VectorLevel::Avx512},
        {"Cooperlake", VectorLevel::Avx512}, {"SapphireRapids", VectorLevel::Avx512},
    };
    for (const auto &core : kCores)
        if (strcasecmp(core.name, coreName.c_str()) == 0) {
            level = core.level;
            return true;
        }
    return false;
}

std::string bestOpenBlasCore(const CpuFeatures &cpu)
{
    switch (vectorLevel(cpu)) {
    case VectorLevel::Avx512: return cpu.avx512bf16 ? "Cooperlake" : "SkylakeX";
    case VectorLevel::Avx2: return "Haswell";
    case VectorLevel::Avx: return "Sandybridge";
    case VectorLevel::Sse: break;
    }
    return {};
}

BlasDecision decideBlasKernels(const std::string &loadedCore, const CpuFeatures &cpu, const char *userCoreType,
                               const char *guard)
{
    BlasDecision decision;
    VectorLevel loaded = VectorLevel::Sse;
    if (loadedCore.empty() || !openBlasCoreLevel(loadedCore, loaded))
        return decision; // not OpenBLAS, or a core this code does not know: nothing to judge
    const VectorLevel machine = vectorLevel(cpu);
    if (loaded >= machine)
        return decision;
    const std::string best = bestOpenBlasCore(cpu);
    const std::string slow = std::string("OpenBLAS runs its ") + loadedCore + " kernels (" + levelName(loaded)
                           + ") on a processor with " + levelName(machine) + ": matrix products run slower than this "
                             "machine allows";
    if (guard && std::strcmp(guard, "keep") == 0)
        return decision; // the benchmark's "as loaded" measurement: no re-exec, no warning
    if (guard) {
        decision.warning = slow + " (OpenBLAS did not take OPENBLAS_CORETYPE=" + best
                         + "); install a newer OpenBLAS (libopenblas0-pthread)";
        return decision;
    }
    if (userCoreType && *userCoreType) {
        decision.warning = slow + " because OPENBLAS_CORETYPE=" + userCoreType
                         + " is set in the environment; unset it (RINE Studio then chooses " + best + ")";
        return decision;
    }
    decision.reexec = !best.empty();
    decision.coreType = best;
    return decision;
}

void ensureFastBlasKernels(char *argv[])
{
    const std::string loaded = openBlasString("openblas_get_corename");
    const char *user = std::getenv("OPENBLAS_CORETYPE");
    const char *guard = std::getenv(kGuard);
    const BlasDecision decision = decideBlasKernels(loaded, cpuFeatures(), user, guard);
    if (!decision.reexec)
        return;
    // The guard records what OpenBLAS chose alone, and stops a second re-exec whatever happens.
    setenv(kGuard, loaded.c_str(), 1);
    setenv("OPENBLAS_CORETYPE", decision.coreType.c_str(), 1);
    execv("/proc/self/exe", argv);
    // execv failed (no /proc?): go on with the slow kernels; blasKernels() warns.
    unsetenv("OPENBLAS_CORETYPE");
}

BlasKernels blasKernels()
{
    BlasKernels out;
    out.coreName = openBlasString("openblas_get_corename");
    out.library = openBlasString("openblas_get_config");
    if (out.coreName.empty())
        return out;
    const char *user = std::getenv("OPENBLAS_CORETYPE");
    const char *guard = std::getenv(kGuard);
    if (guard && std::strcmp(guard, "keep") != 0)
        out.chosenBy = std::string("RINE Studio (OpenBLAS alone chose ") + guard + ")";
    else if (user && *user)
        out.chosenBy = std::string("OPENBLAS_CORETYPE=") + user + " in the environment";
    else
        out.chosenBy = "OpenBLAS";
    const CpuFeatures cpu = cpuFeatures();
    const BlasDecision decision = decideBlasKernels(out.coreName, cpu, user, guard);
    out.warning = decision.reexec ? std::string("OpenBLAS runs its ") + out.coreName + " kernels; restarting with "
                                        + decision.coreType + " kernels failed"
                                  : decision.warning;
    return out;
}

std::string BlasKernels::describe() const
{
    if (coreName.empty())
        return "not OpenBLAS (LibTorch's BLAS)";
    return "OpenBLAS " + coreName + " kernels, chosen by " + chosenBy;
}

} // namespace rine
