package org.sparsej.backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The NVIDIA GPU backend. Its kernels (cuBLAS, cuSPARSELt 2:4) are a later milestone; until they exist this
 * class only probes for a driver so that {@code auto} and {@code info} can say precisely why CUDA is not used.
 */
public final class CudaBackend {
  private CudaBackend() {}

  /** Why the cuda backend cannot run here (never null while its kernels are not built). */
  public static String unavailableReason() {
    if (findDriver() == null) {
      return "no NVIDIA driver (libcuda.so.1 not found)";
    }
    return "driver found at " + findDriver() + ", but this SparseJ build has no CUDA kernels yet";
  }

  static Path findDriver() {
    List<String> dirs = new ArrayList<>(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
        "/usr/local/nvidia/lib64"));
    String ld = System.getenv("LD_LIBRARY_PATH");
    if (ld != null) {
      dirs.addAll(List.of(ld.split(":")));
    }
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, "libcuda.so.1");
      if (Files.exists(p)) {
        return p;
      }
    }
    return null;
  }
}
