package org.sparsej.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;

/**
 * The facts a benchmark table needs beside it to be read later: CPU model, the kernel ISA that ran, the load average
 * (other work on a shared machine skews every timing) and the clock a core ran at just then (a VM may get a varying
 * share of its cores: one here gave them 1.8 to 3.3 GHz minutes apart, docs/benchmarks.md stop 30), read when the
 * line is printed.
 */
public final class MachineInfo {
  private MachineInfo() {}

  // About 10 ms at 2 GHz: long enough to outlast a timer tick, short beside any benchmark.
  private static final long CLOCK_PROBE_ADDS = 20_000_000L;

  /** "cpu: MODEL; kernels: ISA; load average: 1 5 15 minutes; core clock: G.GG GHz". */
  public static String line() {
    return "cpu: " + cpuModel() + "; kernels: " + isa() + "; load average: " + loadAverage() + "; core clock: "
        + coreClock();
  }

  /**
   * The clock this thread's core ran at over a short loop of dependent adds (one a cycle), as "G.GG GHz", or
   * "unknown" without the native library.
   */
  public static String coreClock() {
    return NativeLibrary.available()
        ? String.format(java.util.Locale.ROOT, "%.2f GHz", SparsejNative.sj_core_clock_ghz(CLOCK_PROBE_ADDS))
        : "unknown";
  }

  /** The first "model name" of /proc/cpuinfo, or "unknown". */
  public static String cpuModel() {
    return cpuModel(Path.of("/proc/cpuinfo"));
  }

  static String cpuModel(Path cpuinfo) {
    try {
      for (String l : Files.readAllLines(cpuinfo)) {
        int colon = l.indexOf(':');
        if (colon > 0 && l.substring(0, colon).trim().equals("model name")) {
          return l.substring(colon + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }

  /** The active native kernel ISA, or "none (native library not loaded)". */
  public static String isa() {
    return NativeLibrary.available() ? NativeLibrary.isaName(SparsejNative.sj_isa_active())
        : "none (native library not loaded)";
  }

  /** The 1, 5 and 15 minute load averages of /proc/loadavg, or "unknown". */
  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
