package org.sparsej.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;

/**
 * The facts a benchmark table needs beside it to be read later: CPU model, the kernel ISA that ran, and the
 * load average (other work on a shared machine skews every timing), read when the line is printed.
 */
public final class MachineInfo {
  private MachineInfo() {}

  /** "cpu: MODEL; kernels: ISA; load average: 1 5 15 minutes". */
  public static String line() {
    return "cpu: " + cpuModel() + "; kernels: " + isa() + "; load average: " + loadAverage();
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
