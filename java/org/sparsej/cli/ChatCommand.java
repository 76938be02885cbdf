package org.sparsej.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.sparsej.api.Chat;
import org.sparsej.backend.Backend;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LlamaModel;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.util.SparsejException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** An interactive multi-turn chat: one line of standard input per user turn, the reply streamed to stdout. */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = {"Chat with a model, multi-turn, in its chat template.",
        "Each line read from standard input is a user message; the reply is streamed to standard output.",
        "The conversation is rendered with the model's chat template (tokenizer_config.json's",
        "chat_template or GGUF's tokenizer.chat_template: Llama 2, Llama 3, ChatML or Zephyr), or --template NAME.",
        "The KV cache is kept between turns: only the tokens a turn adds are prefilled. Lines: /reset forgets the",
        "conversation (the --system message stays), /exit or end of input (Ctrl-D) ends; Ctrl-C stops at once."})
final class ChatCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;
  @Mixin SamplingOptions sampling;

  @Option(names = "--system", paramLabel = "TEXT", description = "A system message that opens the conversation.")
  String system;

  @Option(names = "--template", paramLabel = "NAME",
      description = "Chat template: llama2, llama3, chatml or zephyr (default: the model's, else llama2).")
  String template;

  @Option(names = {"-n", "--max-tokens"}, paramLabel = "N",
      description = "Most tokens per reply (default: until the end of the turn or a full context).")
  int maxTokens = -1;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (maxTokens == 0 || maxTokens < -1) {
      throw new ParameterException(spec.commandLine(), "--max-tokens must be positive, got " + maxTokens);
    }
    sampling.check();
    LlamaModel model = modelOptions.loadModel();
    Tokenizer tokenizer = modelOptions.loadTokenizer(model);
    Chat chat;
    try {
      chat = Chat.forModel(modelOptions.model, template, modelOptions.tokenizer, tokenizer);
    } catch (SparsejException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    // Ctrl-C ends the JVM (exit 130); leave the terminal on a fresh line
    Thread newline = new Thread(out::println);
    Runtime.getRuntime().addShutdownHook(newline);
    try {
      converse(model, tokenizer, chat, out);
    } finally {
      Runtime.getRuntime().removeShutdownHook(newline);
    }
    return 0;
  }

  private void converse(LlamaModel model, Tokenizer tokenizer, Chat chat, PrintStream out) throws IOException {
    boolean interactive = System.console() != null;
    try (Backend backend = backendOptions.open();
         InferenceSession session = model.newSession(backend, Math.min(256, model.config().seqLen()))) {
      ChatSession conversation = new ChatSession(session, tokenizer, chat, sampling.sampler(), system);
      System.err.printf("chat: %s template, %s; /reset, /exit%n", chat.template().id(), backend.describe());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (true) {
        if (interactive) {
          System.err.print("> ");
          System.err.flush();
        }
        String line = in.readLine();
        if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) {
          break;
        }
        if (line.strip().equals("/reset")) {
          conversation.reset();
          System.err.println("(conversation reset)");
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        ChatSession.Turn turn = conversation.reply(line, maxTokens, text -> {
          out.print(text);
          out.flush();
        });
        out.println();
        System.err.printf("[%d tokens prefilled, %d reused from the cache, %d generated, %s]%n", turn.prefilled(),
            turn.reused(), turn.generated(), turn.finish());
      }
    }
  }
}
