package org.sparsej.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.sparsej.api.Model;
import org.sparsej.server.OpenAiServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sparsej serve}: the OpenAI-compatible HTTP server over one model. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serve a model over an OpenAI-compatible HTTP API.",
        "POST /v1/completions and /v1/chat/completions (stream: true for server-sent events), GET /v1/models,",
        "/health (503 while loading), /metrics (Prometheus). Requests are decoded together, up to --slots at a time; up to",
        "--queue more wait, beyond that a request gets 503. Stops cleanly on SIGTERM or Ctrl-C."})
final class ServeCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;

  @Option(names = "--host", paramLabel = "ADDR",
      description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "N", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free one).")
  int port = 8080;

  @Option(names = "--slots", paramLabel = "N",
      description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
  int slots = 8;

  @Option(names = "--queue", paramLabel = "N",
      description = "Requests that may wait for a slot; beyond, 503 (default: ${DEFAULT-VALUE}).")
  int queue = 64;

  @Option(names = {"-c", "--ctx"}, paramLabel = "N",
      description = "Longest sequence, prompt + answer (default: the model's context).")
  int ctx = 0;

  @Option(names = "--kv-budget-mb", paramLabel = "MB",
      description = "KV-cache memory for all sequences (default: derived from free memory).")
  long kvBudgetMb = 0;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Model name clients must use, if they give one (default: the model's file or folder name).")
  String name;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS",
      description = "A client that sends or reads nothing this long is dropped (default: ${DEFAULT-VALUE}).")
  int idleTimeoutSeconds = 30;

  @Option(names = "--max-body-kb", paramLabel = "KB",
      description = "Largest request body; larger gets 413 (default: ${DEFAULT-VALUE}).")
  int maxBodyKb = 1024;

  @Override
  public Integer call() throws InterruptedException {
    check(port >= 0 && port <= 65535, "--port must be in 0..65535, got " + port);
    check(slots >= 1, "--slots must be at least 1, got " + slots);
    check(queue >= 0, "--queue must be >= 0, got " + queue);
    check(ctx >= 0, "--ctx must be >= 0, got " + ctx);
    check(kvBudgetMb >= 0, "--kv-budget-mb must be >= 0, got " + kvBudgetMb);
    check(idleTimeoutSeconds >= 1, "--idle-timeout must be at least 1 second, got " + idleTimeoutSeconds);
    check(maxBodyKb >= 1 && maxBodyKb <= 1 << 20, "--max-body-kb must be in 1..1048576, got " + maxBodyKb);
    org.sparsej.api.ModelOptions options = modelOptions.apiOptions(backendOptions)
        .withSlots(slots).withMaxQueued(queue).withContextLength(ctx).withKvBudgetBytes(kvBudgetMb << 20)
        .withLog(line -> System.err.println(line));

    OpenAiServer server = new OpenAiServer(OpenAiServer.Options.defaults().withHost(host).withPort(port)
        .withIdleTimeoutMillis(idleTimeoutSeconds * 1000L).withMaxBodyBytes(maxBodyKb << 10));
    server.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      System.err.println("stopping: finishing requests");
      server.close();
      stopped.countDown();
    }, "sparsej-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    System.err.printf("listening on http://%s:%d (loading %s)%n", host, server.port(), modelOptions.model);
    Model model;
    try {
      model = Model.load(modelOptions.model, options);
    } catch (RuntimeException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      server.close();
      throw e;
    }
    server.ready(model, name);
    System.err.printf("ready: %s, context %d, %d slots, queue %d | %s%n", name == null ? model.name() : name,
        model.contextLength(), slots, queue, model.backendDescription());
    stopped.await();
    return 0;
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), message);
    }
  }
}
