package org.sparsej.backend;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.sparsej.util.SparsejException;

/**
 * Chooses a backend: the --backend flag, else -Dsparsej.backend, else $SPARSEJ_BACKEND, else auto.
 * Auto tries cuda, then cpu, then java, and says in one line why it skipped any.
 */
public final class Backends {
  public static final List<String> NAMES = List.of("auto", "cuda", "cpu", "java");

  private Backends() {}

  /** The backend name the user asked for, by precedence flag > property > environment > "auto". */
  public static String requested(String flag) {
    for (String candidate : new String[] {flag, System.getProperty("sparsej.backend"),
        System.getenv("SPARSEJ_BACKEND")}) {
      if (candidate != null && !candidate.isBlank()) {
        String name = candidate.trim().toLowerCase(Locale.ROOT);
        if (!NAMES.contains(name)) {
          throw new SparsejException("unknown backend '" + candidate + "' (expected one of " + NAMES + ")");
        }
        return name;
      }
    }
    return "auto";
  }

  /** Null if the named backend can run here, else one line saying why not. */
  public static String unavailableReason(String name) {
    switch (name) {
      case "java": return null;
      case "cpu": return CpuBackend.unavailableReason();
      case "cuda": return CudaBackend.unavailableReason();
      default: throw new SparsejException("unknown backend '" + name + "'");
    }
  }

  /** Every concrete backend with null (usable) or the reason it is not. */
  public static Map<String, String> availability() {
    Map<String, String> result = new LinkedHashMap<>();
    for (String name : List.of("cuda", "cpu", "java")) {
      result.put(name, unavailableReason(name));
    }
    return result;
  }

  /**
   * Opens the backend named by {@code flag} (or property/env/auto). An explicitly named backend that cannot
   * load is an error; auto falls back and reports what it skipped through {@code log}.
   */
  public static Backend open(String flag, int threads, Consumer<String> log) {
    String problem = threadsProblem(threads);
    if (problem != null) {
      throw new SparsejException("threads " + problem);
    }
    String name = requested(flag);
    if (!name.equals("auto")) {
      String reason = unavailableReason(name);
      if (reason != null) {
        throw new SparsejException(name + ": " + reason);
      }
      return create(name, threads);
    }
    StringBuilder skipped = new StringBuilder();
    for (String candidate : List.of("cuda", "cpu", "java")) {
      String reason = unavailableReason(candidate);
      if (reason == null) {
        Backend backend = create(candidate, threads);
        log.accept("backend: " + backend.describe() + skipped);
        return backend;
      }
      skipped.append("; ").append(candidate).append(" unavailable: ").append(reason);
    }
    throw new IllegalStateException("the java backend is always available");
  }

  private static Backend create(String name, int threads) {
    switch (name) {
      case "java": return new JavaBackend(threads);
      case "cpu": return new CpuBackend(threads);
      case "cuda": return new CudaBackend();
      default: throw new SparsejException(name + ": " + unavailableReason(name));
    }
  }

  /**
   * The most threads a backend starts: more than a few per core only adds switching, and an unbounded count
   * exhausts the process's thread limit before an error can say why.
   */
  public static int maxThreads() {
    return Math.max(64, 8 * defaultThreads());
  }

  /** Why a thread count is refused ("must be ..."), or null when it is fine. */
  public static String threadsProblem(int n) {
    if (n < 1) {
      return "must be at least 1, got " + n;
    }
    return n > maxThreads() ? "must be at most " + maxThreads() + " (8 per core), got " + n : null;
  }

  /** Default thread count: every core the JVM sees. */
  public static int defaultThreads() {
    return Runtime.getRuntime().availableProcessors();
  }
}
