package org.sparsej.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.sparsej.api.Completion;
import org.sparsej.api.Generation;
import org.sparsej.api.Model;
import org.sparsej.api.ModelException;

/**
 * POST /v1/completions and /v1/chat/completions: parse and check the body, start the generation on the shared
 * model (refusals become 4xx/503 before anything is sent), then answer whole or as server-sent events ending with
 * {@code data: [DONE]}. A client that goes away cancels its generation, which frees its slot at the next step.
 */
final class CompletionEndpoint {
  private final ServerMetrics metrics;
  private final int maxBodyBytes;
  private final AtomicLong nextId = new AtomicLong();

  CompletionEndpoint(ServerMetrics metrics, int maxBodyBytes) {
    this.metrics = metrics;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Serves one request and returns the HTTP status it got. */
  int handle(Request request, Response response, Callback callback, Model model, String name, boolean chat)
      throws IOException {
    JsonNode body = HttpIo.readJson(request, maxBodyBytes);
    OpenAiRequest r = OpenAiRequest.parse(body, chat, model.contextLength());
    if (r.model() != null && !r.model().equals(name)) {
      throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "the model '" + r.model()
          + "' does not exist (this server serves '" + name + "')");
    }
    String promptParam = chat ? "messages" : "prompt";
    Generation g;
    try {
      g = chat ? model.startChat(r.messages(), r.options())
          : r.promptTokens() != null ? model.start(r.promptTokens(), r.options())
          : model.start(r.prompt(), r.options());
    } catch (ModelException e) {
      throw ApiError.of(e, promptParam);
    }
    // Jetty reports a connection that failed (client gone, idle timeout) here: free the slot at once.
    request.addFailureListener(failure -> g.cancel());
    // The idle timeout is for clients that stop reading (or sending): while the server itself is busy (queued,
    // prefilling), a quiet connection is not the client's fault, so only a timeout during a write counts.
    AtomicBoolean writing = new AtomicBoolean();
    request.addIdleTimeoutListener(timeout -> writing.get());
    String id = (chat ? "chatcmpl-" : "cmpl-") + Long.toHexString(System.nanoTime()) + "-" + nextId.incrementAndGet();
    Responses out = new Responses(chat, id, System.currentTimeMillis() / 1000, name, r.includeUsage(),
        r.logprobs(), model::tokenBytes);
    try (g) {
      if (!r.stream()) {
        Completion c;
        try {
          c = g.await();
        } catch (ModelException e) {
          throw ApiError.of(e, promptParam);
        }
        if (c.finishReason() == org.sparsej.api.FinishReason.CANCELLED) {
          // Only a shutdown cancels a request whose client is still waiting: say so rather than answer half.
          throw new ApiError(503, "server_error", null, "stopping", "the server is shutting down");
        }
        metrics.finished(c);
        writing.set(true);
        HttpIo.sendJson(response, callback, 200, out.whole(c));
        return 200;
      }
      stream(response, callback, g, out, chat, writing);
      return 200;
    }
  }

  private void stream(Response response, Callback callback, Generation g, Responses out, boolean chat,
                      AtomicBoolean writing) throws IOException {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    try {
      if (chat) {
        event(response, writing, HttpIo.json(out.delta("", true, List.of())));
      }
      for (Generation.Chunk c = g.nextChunk(); c != null; c = g.nextChunk()) {
        event(response, writing, HttpIo.json(out.delta(c.text(), false, c.logits())));
      }
      Completion c = g.await();
      metrics.finished(c);
      event(response, writing, HttpIo.json(out.end(c)));
      if (out.includesUsage()) {
        event(response, writing, HttpIo.json(out.usageChunk(c)));
      }
    } catch (ModelException e) {
      // Headers are gone: the failure becomes an error event, then the stream ends as usual.
      event(response, writing, HttpIo.json(ApiError.of(e, chat ? "messages" : "prompt").body()));
    } catch (IOException e) {
      g.cancel();  // the client went away or stopped reading
      callback.failed(e);
      return;
    }
    writing.set(true);
    HttpIo.writeBlocking(response, true, "data: [DONE]\n\n");
    callback.succeeded();
  }

  private static void event(Response response, AtomicBoolean writing, String json) throws IOException {
    writing.set(true);
    HttpIo.writeBlocking(response, false, "data: " + json + "\n\n");
    writing.set(false);
  }
}
