package org.sparsej.cli;

import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import picocli.CommandLine.Option;

/** --backend and --threads, shared by every command that runs a model. */
public final class BackendOptions {
  @Option(names = "--backend", paramLabel = "NAME",
      description = "java, cpu, cuda or auto (default: -Dsparsej.backend, else $SPARSEJ_BACKEND, else auto: "
          + "the fastest that loads).")
  String backend;

  @Option(names = {"-t", "--threads"}, paramLabel = "N",
      description = "Threads for kernels and Java code (default: all cores).")
  Integer threads;

  int threads() {
    int n = threads == null ? Backends.defaultThreads() : threads;
    if (n < 1) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--threads must be at least 1, got " + n);
    }
    return n;
  }

  Backend open() {
    return Backends.open(backend, threads(), line -> System.err.println(line));
  }
}
