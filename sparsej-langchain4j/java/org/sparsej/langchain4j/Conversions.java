package org.sparsej.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;

/** LangChain4j requests to SparseJ's, and SparseJ completions back to LangChain4j responses. */
final class Conversions {
  private Conversions() { }

  /** The conversation as SparseJ messages; tools, images and JSON mode are not supported. */
  static List<org.sparsej.api.ChatMessage> messages(ChatRequest request) {
    ChatRequestParameters p = request.parameters();
    if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
      throw new UnsupportedFeatureException("SparseJ models do not call tools");
    }
    if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
      throw new UnsupportedFeatureException("SparseJ models have no JSON response format");
    }
    List<org.sparsej.api.ChatMessage> out = new ArrayList<>();
    for (ChatMessage m : request.messages()) {
      if (m instanceof SystemMessage s) {
        out.add(org.sparsej.api.ChatMessage.system(s.text()));
      } else if (m instanceof UserMessage u) {
        if (!u.hasSingleText()) {
          throw new UnsupportedFeatureException("SparseJ models read text only (a user message has other content)");
        }
        out.add(org.sparsej.api.ChatMessage.user(u.singleText()));
      } else if (m instanceof AiMessage a && !a.hasToolExecutionRequests()) {
        out.add(org.sparsej.api.ChatMessage.assistant(a.text() == null ? "" : a.text()));
      } else {
        throw new UnsupportedFeatureException("SparseJ models do not take " + m.type() + " messages");
      }
    }
    return out;
  }

  /** Generation options from request parameters (already defaulted by the model's own). */
  static GenerationOptions options(ChatRequestParameters p) {
    if (p.topK() != null && p.topK() < 0) {
      throw new InvalidRequestException("top-k must be >= 0, got " + p.topK());
    }
    GenerationOptions o = GenerationOptions.defaults()
        .withTemperature(p.temperature() == null ? 0f : p.temperature().floatValue())
        .withTopP(p.topP() == null ? 1f : p.topP().floatValue())
        .withTopK(p.topK() == null ? 0 : p.topK())
        .withMaxTokens(p.maxOutputTokens() == null ? -1 : p.maxOutputTokens());
    return p.stopSequences() == null ? o : o.withStop(p.stopSequences());
  }

  static ChatResponse response(Completion c, String modelName) {
    return ChatResponse.builder().aiMessage(AiMessage.from(c.text())).modelName(modelName)
        .tokenUsage(usage(c)).finishReason(finishReason(c)).build();
  }

  /** Prompt tokens (the chat template's included) and generated tokens (a final end token included). */
  static TokenUsage usage(Completion c) {
    return new TokenUsage(c.promptTokens(), c.completionTokens());
  }

  static FinishReason finishReason(Completion c) {
    return switch (c.finishReason()) {
      case STOP -> FinishReason.STOP;
      case LENGTH -> FinishReason.LENGTH;
      case CANCELLED -> FinishReason.OTHER;
    };
  }
}
