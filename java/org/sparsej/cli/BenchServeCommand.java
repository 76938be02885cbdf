package org.sparsej.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.sparsej.server.LoadGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparsej bench serve}: load on a running {@code sparsej serve} on this machine, level by level. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Load a running 'sparsej serve' on 127.0.0.1 with N concurrent streaming clients (closed loop:",
        "each sends its next request when the last one ends), for each N in --clients, bounded by --duration",
        "and --requests per level. Prints requests/s, generated tokens/s, time to first token and the time",
        "between tokens (p50/p99), errors, requests retried once because a pooled connection gave no response",
        "byte (not errors when the retry succeeds), and the server's resident memory before and after."})
final class BenchServeCommand implements Callable<Integer> {
  @Option(names = "--port", required = true, paramLabel = "N", description = "The server's port on 127.0.0.1.")
  int port;

  @Option(names = "--clients", split = ",", paramLabel = "N,N,...",
      description = "Concurrent clients, one level each (default: 1,4,16).")
  List<Integer> clients = List.of(1, 4, 16);

  @Option(names = "--duration", paramLabel = "SECONDS",
      description = "Most seconds per level (default: ${DEFAULT-VALUE}).")
  double duration = 20;

  @Option(names = "--requests", paramLabel = "N", description = "Most requests per level (default: ${DEFAULT-VALUE}).")
  int requests = 200;

  @Option(names = "--max-tokens", paramLabel = "N", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
  int maxTokens = 64;

  @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt (default: ${DEFAULT-VALUE}).")
  String prompt = "Once upon a time";

  @Option(names = "--temp", paramLabel = "T", description = "Temperature (default: ${DEFAULT-VALUE}).")
  float temperature = 0.8f;

  @Override
  public Integer call() throws Exception {
    check(port >= 1 && port <= 65535, "--port must be in 1..65535, got " + port);
    check(duration > 0 && duration <= 3600, "--duration must be in (0, 3600] seconds, got " + duration);
    check(requests >= 1 && requests <= 1_000_000, "--requests must be in 1..1000000, got " + requests);
    check(maxTokens >= 1, "--max-tokens must be at least 1, got " + maxTokens);
    for (int c : clients) {
      check(c >= 1 && c <= 256, "--clients values must be in 1..256, got " + c);
    }
    LoadGenerator load = new LoadGenerator(port, prompt, maxTokens, temperature);
    long rssBefore;
    try {
      rssBefore = load.serverRssBytes();
    } catch (java.io.IOException e) {
      throw new org.sparsej.util.SparsejException("no server on 127.0.0.1:" + port + " (" + e + ")");
    }
    System.out.println("| clients | requests | errors | retried | req/s | tokens/s | TTFT p50 ms | TTFT p99 ms "
        + "| per-token p50 ms | per-token p99 ms |");
    System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    // The server's RSS every 60 s while loaded: a leak climbs to the end, warm-up levels off.
    java.util.List<Long> rss = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> {
      try {
        rss.add(load.serverRssBytes());
      } catch (java.io.IOException | InterruptedException | RuntimeException e) {
        rss.add(-1L);
      }
    }, 60, 60, java.util.concurrent.TimeUnit.SECONDS);
    for (int c : clients) {
      LoadGenerator.Result r = load.run(c, duration, requests);
      System.out.printf("| %d | %d | %d | %d | %.2f | %.1f | %.1f | %.1f | %.2f | %.2f |%n", r.clients(),
          r.requests(), r.errors(), r.retries(), r.requestsPerSecond(), r.tokensPerSecond(), r.ttftP50() * 1e3,
          r.ttftP99() * 1e3, r.itlP50() * 1e3, r.itlP99() * 1e3);
      if (r.firstError() != null) {
        System.out.println("first error at " + c + " clients: " + r.firstError());
      }
    }
    sampler.shutdownNow();
    long rssAfter = load.serverRssBytes();
    if (!rss.isEmpty()) {
      StringBuilder line = new StringBuilder("server RSS every 60 s (MiB):");
      synchronized (rss) {
        for (long b : rss) {
          line.append(String.format(" %.0f", b / 1048576.0));
        }
      }
      System.out.println(line);
    }
    System.out.printf("server RSS: %.1f MiB before, %.1f MiB after; %d tokens per request, prompt \"%s\"%n",
        rssBefore / 1048576.0, rssAfter / 1048576.0, maxTokens, prompt);
    return 0;
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), message);
    }
  }
}
