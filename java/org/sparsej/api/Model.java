package org.sparsej.api;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import org.sparsej.engine.Engine;
import org.sparsej.engine.EngineOptions;
import org.sparsej.engine.EngineRefusedException;
import org.sparsej.engine.EngineStats;
import org.sparsej.engine.SamplingParams;
import org.sparsej.engine.SequenceRequest;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.util.SparsejException;

/**
 * A loaded model, ready to generate, chat and score from any number of threads at once: requests go to one engine
 * that decodes up to {@link ModelOptions#slots()} sequences per forward pass and queues the rest. Each request has
 * its own sampler, KV cache and result, so one never sees another's state. Close it to free its native memory.
 *
 * <p>Every failure is a {@link ModelException}; its {@link ModelException#kind()} tells a bad request from an
 * overloaded model.
 */
public final class Model implements AutoCloseable {
  private final Path path;
  private final LlamaModel model;
  private final Tokenizer tokenizer;
  private final Backend backend;
  private final Engine engine;
  private final ModelOptions options;
  private final int context;
  private volatile Chat chat;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private Model(Path path, LlamaModel model, Tokenizer tokenizer, Backend backend, Engine engine,
                ModelOptions options) {
    this.path = path;
    this.model = model;
    this.tokenizer = tokenizer;
    this.backend = backend;
    this.engine = engine;
    this.options = options;
    int modelContext = model.config().seqLen();
    this.context = options.contextLength() == 0 ? modelContext : Math.min(options.contextLength(), modelContext);
  }

  /** Loads a model (Hugging Face directory, .gguf or llama2.c .bin) with {@link ModelOptions#defaults()}. */
  public static Model load(Path path) {
    return load(path, ModelOptions.defaults());
  }

  /** Loads a model and its tokenizer, opens the backend and starts the engine. */
  public static Model load(Path path, ModelOptions options) {
    options.validate();
    Backend backend = null;
    try {
      if (options.chatTemplate() != null) {
        org.sparsej.tokenizer.ChatTemplate.byName(options.chatTemplate());  // a misspelt name fails here, not later
      }
      LlamaModel model = ModelLoader.load(path);
      int vocab = model.config().vocabSize();
      Tokenizer tokenizer = options.tokenizer() != null ? ModelTokenizers.fromFile(options.tokenizer(), vocab)
          : ModelTokenizers.forModel(path, vocab);
      int threads = options.threads() == 0 ? Backends.defaultThreads() : options.threads();
      backend = Backends.open(options.backend(), threads, options.log());
      Engine engine = new Engine(model, backend, new EngineOptions(options.slots(), options.tokenBudget(),
          options.kvBudgetBytes(), options.maxQueued()));
      return new Model(path, model, tokenizer, backend, engine, options);
    } catch (ModelException e) {
      closeQuietly(backend);
      throw e;
    } catch (SparsejException e) {
      closeQuietly(backend);
      throw new ModelException(ModelException.Kind.LOAD, e.getMessage(), e);
    }
  }

  private static void closeQuietly(Backend backend) {
    if (backend != null) {
      backend.close();
    }
  }

  /** A short name for the model: its directory or file name without extension ("model.bin" takes its folder's). */
  public String name() {
    Path abs = path.toAbsolutePath().normalize();
    String file = abs.getFileName() == null ? abs.toString() : abs.getFileName().toString();
    if (file.equals("model.bin") && abs.getParent() != null && abs.getParent().getFileName() != null) {
      return abs.getParent().getFileName().toString();
    }
    int dot = file.lastIndexOf('.');
    return dot > 0 && !java.nio.file.Files.isDirectory(abs) ? file.substring(0, dot) : file;
  }

  /** Longest sequence, prompt plus generated tokens, this model accepts. */
  public int contextLength() {
    return context;
  }

  /** Number of tokens in the vocabulary. */
  public int vocabularySize() {
    return model.config().vocabSize();
  }

  /** The backend in one line (name, ISA, threads). */
  public String backendDescription() {
    return backend.describe();
  }

  /** The options the model was loaded with. */
  public ModelOptions options() {
    return options;
  }

  /** Token ids of text, without BOS. */
  public int[] tokenize(String text) {
    return tokenize(text, false);
  }

  /** Token ids of text, with the beginning-of-sequence token first if {@code addBos}. */
  public int[] tokenize(String text, boolean addBos) {
    synchronized (tokenizer) {  // tokenizers keep a cache that is not thread-safe
      return tokenizer.encode(text, addBos, false);
    }
  }

  /** The text of token ids (control tokens print nothing). */
  public String detokenize(int[] ids) {
    return tokenizer.decode(ids);
  }

  /**
   * The bytes of one token as it reads inside a text (a SentencePiece word's leading space kept); a control token
   * (BOS, EOS, a chat template's markers), which prints nothing, gives its spelling instead, so that it can be named.
   */
  public byte[] tokenBytes(int id) {
    if (id < 0 || id >= vocabularySize()) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, "token id " + id
          + " is outside the vocabulary (0.." + (vocabularySize() - 1) + ")");
    }
    synchronized (tokenizer) {  // tokenizers keep a cache that is not thread-safe
      byte[] b = tokenizer.decodeBytes(-1, id);  // -1: no previous token, so never "the first word after BOS"
      return b.length > 0 ? b : tokenizer.piece(id).getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Starts generating after a text prompt (BOS is put before it); returns at once. */
  public Generation start(String prompt, GenerationOptions options) {
    return start(tokenize(prompt, true), options);
  }

  /** Starts generating after prompt token ids, used as given; returns at once. */
  public Generation start(int[] promptTokens, GenerationOptions options) {
    return submit(promptTokens, options, options.ignoreEos() ? new int[0]
        : new int[] {tokenizer.eos(), tokenizer.bos()});
  }

  /** Generates after a text prompt and returns the whole completion. */
  public Completion generate(String prompt, GenerationOptions options) {
    return start(prompt, options).await();
  }

  /** Generates after a text prompt, handing each chunk of text to {@code onText} (on this thread) as it comes. */
  public Completion generate(String prompt, GenerationOptions options, Consumer<String> onText) {
    return drain(start(prompt, options), onText);
  }

  /** The chunks of text after a prompt as a stream; close it (try-with-resources) to stop early. */
  public Stream<String> stream(String prompt, GenerationOptions options) {
    return start(prompt, options).stream();
  }

  /** Starts the assistant's answer to a conversation, formatted with the model's chat template. */
  public Generation startChat(List<ChatMessage> messages, GenerationOptions options) {
    return submit(chatTokens(messages), options, options.ignoreEos() ? new int[0] : chat().stopTokens());
  }

  /** The assistant's answer to a conversation. */
  public Completion chat(List<ChatMessage> messages, GenerationOptions options) {
    return startChat(messages, options).await();
  }

  /** The assistant's answer to a conversation, handing each chunk of text to {@code onText} as it comes. */
  public Completion chat(List<ChatMessage> messages, GenerationOptions options, Consumer<String> onText) {
    return drain(startChat(messages, options), onText);
  }

  /** The name of the chat template in use: "llama2", "llama3", "chatml" or "zephyr". */
  public String chatTemplate() {
    return chat().template().id();
  }

  /** The tokens of messages under the chat template (for counting them before a request). */
  public int[] chatTokens(List<ChatMessage> messages) {
    Chat c = chat();
    synchronized (tokenizer) {
      return c.encode(messages, tokenizer);
    }
  }

  /**
   * Log-likelihood of a text (BOS put before it): every token is predicted from the ones before it. A text longer
   * than the context is scored in windows as {@link #score(int[], int, int, ScoreProgress)} does.
   */
  public Score score(String text) {
    int[] ids = tokenize(text, false);
    return score(ids, context, context - 1, null);
  }

  /** Receives the progress of a long scoring run. */
  @FunctionalInterface
  public interface ScoreProgress {
    /** After each window: tokens scored so far out of all, and the score so far. */
    void update(int scored, int total, Score soFar);
  }

  /**
   * Scores token ids (without BOS) the way perplexity is usually measured: cut into windows of {@code window - 1}
   * ids starting every {@code stride} ids, each run from an empty cache as [BOS] + window; only ids no earlier
   * window predicted count, so each id is predicted exactly once. Windows run concurrently on the engine.
   */
  public Score score(int[] ids, int window, int stride, ScoreProgress progress) {
    return new WindowedScore(this, ids, window, stride).run(progress);
  }

  /** Serving state: running and queued requests, slots, KV memory, token counts. */
  public ModelStats stats() {
    EngineStats s = engine.stats();
    return new ModelStats(s.running(), s.queued(), s.slots(), s.kvBytesInUse(), s.kvBudgetBytes(),
        s.promptTokensTotal(), s.generatedTokensTotal());
  }

  /** Cancels every request, stops the engine and frees its native memory. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      engine.close();
      backend.close();
    }
  }

  int bos() {
    return tokenizer.bos();
  }

  /** Starts a scoring request: the prompt's log-probabilities, nothing generated. */
  Generation startScoring(int[] tokens) {
    if (tokens.length > context) {
      throw new ModelException(ModelException.Kind.CONTEXT_EXCEEDED, "a window of " + tokens.length
          + " tokens exceeds the model's context of " + context);
    }
    return submitRequest(new SequenceRequest(tokens, 0, SamplingParams.greedy(), new int[0], true),
        tokens.length, new TextDecoder(tokenizer, 0, List.of()), new int[0]);
  }

  private Generation submit(int[] prompt, GenerationOptions o, int[] stopTokens) {
    o.validate();
    if (prompt.length == 0) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, "the prompt has no tokens");
    }
    if (prompt.length >= context) {
      throw new ModelException(ModelException.Kind.CONTEXT_EXCEEDED, "prompt is " + prompt.length
          + " tokens, too long for the model's context of " + context + " (at most " + (context - 1)
          + " leave room to generate)");
    }
    for (int id : prompt) {
      if (id < 0 || id >= vocabularySize()) {
        throw new ModelException(ModelException.Kind.INVALID_REQUEST, "prompt token id " + id
            + " is outside the vocabulary (0.." + (vocabularySize() - 1) + ")");
      }
    }
    int room = context - prompt.length;
    if (o.maxTokens() > room) {
      throw new ModelException(ModelException.Kind.CONTEXT_EXCEEDED, "prompt (" + prompt.length + " tokens) + "
          + o.maxTokens() + " new tokens exceeds the model's context of " + context + " (at most " + room
          + " new tokens fit)");
    }
    int maxNew = o.maxTokens() < 0 ? room : o.maxTokens();
    long seed = o.seed() != null ? o.seed() : ThreadLocalRandom.current().nextLong();
    SamplingParams sampling = new SamplingParams(o.temperature(), o.topP(), o.topK(), o.minP(), o.repeatPenalty(),
        o.repeatLastN(), o.topLogits(), seed);
    TextDecoder decoder = new TextDecoder(tokenizer, prompt[prompt.length - 1], o.stop());
    return submitRequest(new SequenceRequest(prompt.clone(), maxNew, sampling, stopTokens, false), prompt.length,
        decoder, stopTokens);
  }

  private Generation submitRequest(SequenceRequest request, int promptTokens, TextDecoder decoder,
                                   int[] stopTokens) {
    if (closed.get()) {
      throw new ModelException(ModelException.Kind.FAILED, "the model is closed");
    }
    Generation g = new Generation(promptTokens, decoder, stopTokens);
    try {
      g.started(engine.submit(request, g.listener()));
    } catch (EngineRefusedException e) {
      throw new ModelException(e.queueFull() ? ModelException.Kind.OVERLOADED : ModelException.Kind.CONTEXT_EXCEEDED,
          e.getMessage(), e);
    } catch (SparsejException e) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, e.getMessage(), e);
    }
    return g;
  }

  private static Completion drain(Generation g, Consumer<String> onText) {
    try (g) {
      for (String s = g.nextText(); s != null; s = g.nextText()) {
        onText.accept(s);
      }
      return g.await();
    }
  }

  private Chat chat() {
    Chat c = chat;
    if (c == null) {
      synchronized (this) {
        if (chat == null) {
          chat = Chat.forModel(path, options, tokenizer);
        }
        c = chat;
      }
    }
    return c;
  }
}
