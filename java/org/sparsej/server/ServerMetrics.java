package org.sparsej.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import org.sparsej.api.Completion;
import org.sparsej.api.ModelStats;

/**
 * The server's Prometheus metrics (client_java): token counters and the engine's running/queued/slot gauges read
 * from {@link ModelStats} at scrape time; request counts by endpoint and status; time-to-first-token, time per
 * output token (every gap between two tokens) and request duration histograms observed as requests finish.
 */
final class ServerMetrics {
  private static final ModelStats IDLE = new ModelStats(0, 0, 0, 0, 0, 0, 0);

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests;
  private final Histogram timeToFirstToken;
  private final Histogram timePerToken;
  private final Histogram duration;

  /** @param stats the loaded model's stats, or null while it loads */
  ServerMetrics(Supplier<ModelStats> stats) {
    Supplier<ModelStats> s = () -> {
      ModelStats m = stats.get();
      return m == null ? IDLE : m;
    };
    CounterWithCallback.builder().name("sparsej_prompt_tokens").help("Prompt tokens processed")
        .callback(cb -> cb.call(s.get().promptTokensTotal())).register(registry);
    CounterWithCallback.builder().name("sparsej_generated_tokens").help("Tokens generated")
        .callback(cb -> cb.call(s.get().generatedTokensTotal())).register(registry);
    GaugeWithCallback.builder().name("sparsej_requests_running").help("Sequences being decoded")
        .callback(cb -> cb.call(s.get().running())).register(registry);
    GaugeWithCallback.builder().name("sparsej_requests_queued").help("Requests waiting for a slot")
        .callback(cb -> cb.call(s.get().queued())).register(registry);
    GaugeWithCallback.builder().name("sparsej_slots").help("Sequences that can be decoded together")
        .callback(cb -> cb.call(s.get().slots())).register(registry);
    GaugeWithCallback.builder().name("sparsej_slots_in_use").help("Fraction of the slots in use")
        .callback(cb -> {
          ModelStats m = s.get();
          cb.call(m.slots() == 0 ? 0 : (double) m.running() / m.slots());
        }).register(registry);
    GaugeWithCallback.builder().name("sparsej_kv_cache_bytes").help("KV-cache memory in use")
        .callback(cb -> cb.call(s.get().kvBytesInUse())).register(registry);
    GaugeWithCallback.builder().name("sparsej_kv_cache_budget_bytes").help("KV-cache memory budget")
        .callback(cb -> cb.call(s.get().kvBudgetBytes())).register(registry);
    GaugeWithCallback.builder().name("sparsej_process_resident_memory_bytes")
        .help("Resident memory of the server process (Linux /proc/self/statm)")
        .callback(cb -> cb.call(residentBytes())).register(registry);
    requests = Counter.builder().name("sparsej_http_requests").help("HTTP requests by endpoint and status")
        .labelNames("endpoint", "status").register(registry);
    timeToFirstToken = Histogram.builder().name("sparsej_time_to_first_token_seconds")
        .help("Time from request to first generated token").classicOnly()
        .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60).register(registry);
    timePerToken = Histogram.builder().name("sparsej_time_per_output_token_seconds")
        .help("Time between consecutive generated tokens of a request (each gap observed)").classicOnly()
        .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5).register(registry);
    duration = Histogram.builder().name("sparsej_request_duration_seconds")
        .help("Time from request to last token").classicOnly()
        .classicUpperBounds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120).register(registry);
  }

  /** Resident set size from /proc/self/statm (pages), or 0 where there is no /proc. */
  static double residentBytes() {
    try {
      String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/statm")).trim().split("\\s+");
      return Long.parseLong(f[1]) * 4096.0;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  void request(String endpoint, int status) {
    requests.labelValues(endpoint, Integer.toString(status)).inc();
  }

  void finished(Completion c) {
    if (c.completionTokens() > 0) {
      timeToFirstToken.observe(c.timeToFirstToken().toNanos() / 1e9);
    }
    for (java.time.Duration gap : c.tokenGaps()) {
      timePerToken.observe(gap.toNanos() / 1e9);
    }
    duration.observe(c.totalTime().toNanos() / 1e9);
  }

  /** The Prometheus text exposition. */
  String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  String contentType() {
    return writer.getContentType();
  }
}
