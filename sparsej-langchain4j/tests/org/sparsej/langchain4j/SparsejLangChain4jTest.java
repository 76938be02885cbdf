package org.sparsej.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsej.api.ChatMessage;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.ModelException;
import org.sparsej.api.ModelOptions;

/**
 * The LangChain4j models on sj-7m, each checked against the Java API's own answer (temperature 0) for the same
 * conversation: a chat round trip, streaming in order, token usage from the tokenizer, and AiServices.
 */
class SparsejLangChain4jTest {
  static final Path SJ7M = Path.of("../shared/models/sj-7m/model.bin");
  private static Model model;
  private static SparsejChatModel chat;
  private static SparsejStreamingChatModel streaming;

  @BeforeAll
  static void load() {
    model = Model.load(SJ7M, ModelOptions.defaults().withThreads(2).withSlots(4));
    chat = SparsejChatModel.builder().model(model).maxTokens(24).build();
    streaming = SparsejStreamingChatModel.builder().model(model).maxTokens(24).build();
  }

  @AfterAll
  static void close() {
    chat.close();
    streaming.close();
    assertTrue(model.stats().slots() > 0, "a shared model is left open by the models built on it");
    model.close();
  }

  private static Completion expected(List<ChatMessage> messages, int maxTokens) {
    return model.chat(messages, GenerationOptions.greedy().withMaxTokens(maxTokens));
  }

  @Test
  void chatRoundTripIsTheModelsAnswerWithUsageFromTheTokenizer() {
    ChatResponse r = chat.chat(SystemMessage.from("You are a poet."), UserMessage.from("Who art thou?"));
    List<ChatMessage> same = List.of(ChatMessage.system("You are a poet."), ChatMessage.user("Who art thou?"));
    Completion c = expected(same, 24);
    assertEquals(c.text(), r.aiMessage().text());
    assertFalse(r.aiMessage().text().isBlank());
    assertEquals(model.chatTokens(same).length, r.tokenUsage().inputTokenCount());
    assertEquals(c.completionTokens(), r.tokenUsage().outputTokenCount());
    assertEquals(r.tokenUsage().inputTokenCount() + r.tokenUsage().outputTokenCount(),
        r.tokenUsage().totalTokenCount());
    assertEquals(c.finishReason() == org.sparsej.api.FinishReason.LENGTH ? FinishReason.LENGTH : FinishReason.STOP,
        r.finishReason());
    assertEquals(model.name(), r.modelName());
    // the text is what the tokenizer makes of the generated ids (less a final end-of-turn token)
    assertTrue(model.detokenize(c.tokens()).strip().startsWith(r.aiMessage().text().strip()));
  }

  @Test
  void requestParametersOverrideTheBuildersDefaults() {
    ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Tell me a tale."))
        .maxOutputTokens(5).build());
    assertEquals(5, r.tokenUsage().outputTokenCount());
    assertEquals(FinishReason.LENGTH, r.finishReason());
    assertEquals(expected(List.of(ChatMessage.user("Tell me a tale.")), 5).text(), r.aiMessage().text());
  }

  @Test
  void streamingDeliversTheAnswerInOrderThenTheResponse() throws Exception {
    List<String> parts = new ArrayList<>();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    streaming.chat(List.of(UserMessage.from("Speak of the sea.")), new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(String text) {
        assertFalse(done.isDone(), "no partial text after the end");
        parts.add(text);
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        done.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }
    });
    ChatResponse r = done.get(60, TimeUnit.SECONDS);
    List<String> expectedParts = new ArrayList<>();
    Completion c = model.chat(List.of(ChatMessage.user("Speak of the sea.")),
        GenerationOptions.greedy().withMaxTokens(24), expectedParts::add);
    assertTrue(parts.size() > 1, parts.toString());
    assertEquals(expectedParts, parts);
    assertEquals(c.text(), String.join("", parts));
    assertEquals(c.text(), r.aiMessage().text());
    assertEquals(c.completionTokens(), r.tokenUsage().outputTokenCount());
    assertEquals(c.promptTokens(), r.tokenUsage().inputTokenCount());
  }

  @Test
  void streamingReportsABadRequestToTheHandler() throws Exception {
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    streaming.chat(ChatRequest.builder().messages(UserMessage.from("x".repeat(5000))).build(),
        new StreamingChatResponseHandler() {
          @Override
          public void onCompleteResponse(ChatResponse response) {
            error.complete(null);
          }

          @Override
          public void onError(Throwable e) {
            error.complete(e);
          }
        });
    Throwable e = error.get(60, TimeUnit.SECONDS);
    assertInstanceOf(ModelException.class, e);
    assertTrue(e.getMessage().contains("context"), e.getMessage());
  }

  interface Poet {
    @dev.langchain4j.service.SystemMessage("You are a poet.")
    String answer(String question);
  }

  interface StreamingPoet {
    TokenStream answer(String question);
  }

  @Test
  void aiServicesWorkWithTheModel() throws Exception {
    Poet poet = AiServices.create(Poet.class, chat);
    assertEquals(expected(List.of(ChatMessage.system("You are a poet."), ChatMessage.user("Who art thou?")), 24)
        .text(), poet.answer("Who art thou?"));

    StreamingPoet streamingPoet = AiServices.create(StreamingPoet.class, streaming);
    StringBuilder text = new StringBuilder();
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    streamingPoet.answer("Who art thou?").onPartialResponse(text::append).onCompleteResponse(done::complete)
        .onError(done::completeExceptionally).start();
    ChatResponse r = done.get(60, TimeUnit.SECONDS);
    assertEquals(expected(List.of(ChatMessage.user("Who art thou?")), 24).text(), text.toString());
    assertEquals(text.toString(), r.aiMessage().text());
  }

  @Test
  void languageModelContinuesPlainText() {
    try (SparsejLanguageModel lm = SparsejLanguageModel.builder().modelPath(SJ7M.toString()).maxTokens(16)
        .modelOptions(ModelOptions.defaults().withThreads(2).withSlots(2)).build()) {
      Response<String> r = lm.generate("Once upon a time");
      Completion c = model.generate("Once upon a time", GenerationOptions.greedy().withMaxTokens(16));
      assertEquals(c.text(), r.content());
      assertArrayEquals(new int[] {model.tokenize("Once upon a time", true).length, 16},
          new int[] {r.tokenUsage().inputTokenCount(), r.tokenUsage().outputTokenCount()});
      assertEquals(FinishReason.LENGTH, r.finishReason());
    }
  }

  @Test
  void unsupportedFeaturesAndBadModelsAreRefusedClearly() {
    var image = UserMessage.from(dev.langchain4j.data.message.ImageContent.from("https://example.org/a.png"));
    assertThrows(UnsupportedFeatureException.class, () -> chat.chat(image));
    ModelException e = assertThrows(ModelException.class,
        () -> SparsejChatModel.builder().modelPath("/nonexistent/model.gguf").build());
    assertTrue(e.getMessage().contains("/nonexistent/model.gguf"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> SparsejChatModel.builder().build());
  }
}
