package org.sparsej.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparsej.api.ModelException;

/**
 * A request the server refuses, with the HTTP status and OpenAI's error body
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class ApiError extends RuntimeException {
  final int status;
  final String type;
  final String param;
  final String code;

  ApiError(int status, String type, String param, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 invalid_request_error naming the offending parameter. */
  static ApiError invalid(String param, String code, String message) {
    return new ApiError(400, "invalid_request_error", param, code, message);
  }

  /** The status and body for a model's refusal of a request; {@code promptParam} is "prompt" or "messages". */
  static ApiError of(ModelException e, String promptParam) {
    switch (e.kind()) {
      case OVERLOADED:
        return new ApiError(503, "server_error", null, "queue_full",
            "the server is busy (every slot taken and the queue full); retry later: " + e.getMessage());
      case CONTEXT_EXCEEDED:
        return invalid(promptParam, "context_length_exceeded", e.getMessage());
      case INVALID_REQUEST:
        return invalid(null, "invalid_value", e.getMessage());
      default:
        return new ApiError(500, "server_error", null, "internal_error", e.getMessage());
    }
  }

  ObjectNode body() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", getMessage());
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return root;
  }
}
