package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build without nvcc: CMake says so in one line and builds the stub libsparsej_cuda.so (every call failing
 * with "this SparseJ build has no CUDA kernels"), so the JNI glue links and the CPU build is unchanged.
 */
class CudaCmakeSkipTest {
  private static final String LINE = "cuda: nvcc not found, building without the CUDA library";

  @Test
  void withoutNvccTheBuildSaysSoAndBuildsTheStub(@TempDir Path build) throws Exception {
    List<String> path = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .filter(d -> !d.isEmpty() && !Files.exists(Path.of(d, "nvcc"))).collect(Collectors.toList());
    Path cmake = path.stream().map(d -> Path.of(d, "cmake")).filter(Files::isExecutable).findFirst().orElse(null);
    assumeTrue(cmake != null, "cmake is not on the PATH outside nvcc's folders");
    String configure = run(path, List.of(cmake.toString(), "-S", ".", "-B", build.toString()), build);
    long lines = configure.lines().filter(l -> l.contains(LINE)).count();
    assertEquals(1, lines, configure);
    assertTrue(configure.lines().noneMatch(l -> l.contains("CUDA compiler identification")), configure);
    run(path, List.of(cmake.toString(), "--build", build.toString(), "--target", "sparsej_cuda"), build);
    assertTrue(Files.exists(build.resolve("cuda/libsparsej_cuda.so")), "the stub library was not built");
  }

  private static String run(List<String> path, List<String> command, Path build) throws IOException,
      InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("PATH", String.join(":", path));
    for (String v : new String[] {"CUDACXX", "CUDA_PATH", "CUDA_HOME", "CUDAToolkit_ROOT"}) {
      env.remove(v);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", command) + " failed:\n" + out);
    return out;
  }
}
