package org.sparsej.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsej.backend.Backends;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import picocli.CommandLine.Command;

/** What this machine and build can do: Java, CPU, kernel ISA, backends, threads. */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Show the Java runtime, CPU features, selected kernel ISA and which backends load.")
final class InfoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.printf("java:      %s (%s), %s %s%n", System.getProperty("java.version"),
        System.getProperty("java.vendor"), System.getProperty("os.name"), System.getProperty("os.arch"));
    System.out.printf("cpu:       %s, %d cores%n", cpuModel(), Runtime.getRuntime().availableProcessors());
    if (NativeLibrary.available()) {
      String active = NativeLibrary.applyIsaOverride();
      System.out.printf("features:  %s%n", SparsejNative.sj_cpu_features());
      System.out.printf("kernels:   %s (best for this CPU: %s; SPARSEJ_ISA=%s lowers it)%n",
          active,
          NativeLibrary.isaName(SparsejNative.sj_isa_detected()), String.join("|", NativeLibrary.isaNames()));
    }
    System.out.printf("threads:   %d (default; --threads N overrides)%n", Backends.defaultThreads());
    System.out.println("backends:");
    for (Map.Entry<String, String> e : Backends.availability().entrySet()) {
      System.out.printf("  %-5s %s%n", e.getKey(), e.getValue() == null ? "available" : "unavailable: " + e.getValue());
    }
    if (Backends.unavailableReason("cuda") == null) {
      String lt = org.sparsej.nativeops.CudaLibrary.cusparseltReason();
      System.out.printf("  cuda 2:4 on %s%n", lt == null ? "cuSPARSELt" : "the own mma.sp kernel (" + lt + ")");
    }
    String requested = Backends.requested(null);
    String resolved = requested.equals("auto")
        ? Backends.availability().entrySet().stream().filter(e -> e.getValue() == null).findFirst().orElseThrow()
            .getKey()
        : requested;
    System.out.printf("selected:  %s%s%n", requested, requested.equals("auto") ? " -> " + resolved : "");
    return 0;
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst().orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
