package org.sparsej.cli;

import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** --backend and --threads, shared by every command that runs a model. */
public final class BackendOptions {
  @Option(names = "--backend", paramLabel = "NAME",
      description = "java, cpu, cuda or auto (default: -Dsparsej.backend, else $SPARSEJ_BACKEND, else auto: "
          + "the fastest that loads).")
  String backend;

  @Option(names = {"-t", "--threads"}, paramLabel = "N",
      description = "Threads for kernels and Java code (default: all cores).")
  Integer threads;

  /** The command this mixin is part of, so that a bad value is reported against it (and its --help). */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  int threads() {
    int n = threads == null ? Backends.defaultThreads() : threads;
    String problem = Backends.threadsProblem(n);
    if (problem != null) {
      throw new ParameterException(command.commandLine(), "--threads " + problem);
    }
    return n;
  }

  Backend open() {
    requireAvailable();
    return Backends.open(backend, threads(), line -> System.err.println(line));
  }

  /** A backend named explicitly that cannot run here is a usage error (exit 2) saying why, e.g. no GPU. */
  void requireAvailable() {
    String name = Backends.requested(backend);
    String reason = name.equals("auto") ? null : Backends.unavailableReason(name);
    if (reason != null) {
      throw new ParameterException(command.commandLine(), name + ": " + reason);
    }
  }
}
