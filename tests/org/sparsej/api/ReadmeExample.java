package org.sparsej.api;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The README's example of the Java API, word for word (ReadmeExampleTest runs it). */
public final class ReadmeExample {
  private ReadmeExample() {}

  public static void main(String[] args) {
    try (Model model = Model.load(Path.of("../shared/models/sj-7m/model.bin"), ModelOptions.defaults().withSlots(4))) {
      GenerationOptions options = GenerationOptions.greedy().withMaxTokens(24).withStop(List.of("\n"));
      model.generate("Once upon a time", options, System.out::print);          // streamed to a callback
      System.out.println();
      try (Stream<String> chunks = model.stream("In the beginning", options)) {  // or as a Stream / Iterator
        chunks.forEach(System.out::print);
      }
      System.out.println();
      Completion answer = model.chat(List.of(ChatMessage.user("Who art thou?")), options);
      System.out.println(answer.text() + " [" + answer.finishReason() + ", " + answer.completionTokens() + " tokens]");
      System.out.printf("perplexity %.2f%n", model.score("To be, or not to be, that is the question").perplexity());
    }
  }
}
