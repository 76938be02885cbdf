package org.sparsej.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.sparsej.api.Chat;
import org.sparsej.api.ChatMessage;
import org.sparsej.generate.Sampler;
import org.sparsej.model.InferenceSession;
import org.sparsej.tensor.Tensor;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.util.SparsejException;

/**
 * A multi-turn conversation on one {@link InferenceSession} whose KV cache is kept between turns: each turn renders
 * the whole conversation with the chat template, keeps the cached tokens it starts with (the earlier turns, the
 * reply as it was generated when its re-encoding agrees) and prefills only the rest, as llama.cpp's server reuses a
 * prompt's cached prefix.
 */
final class ChatSession {
  /** What one turn did: the reply, and how many of its prompt's tokens were prefilled and how many reused. */
  record Turn(String reply, int prefilled, int reused, int generated, String finish) {}

  private final InferenceSession session;
  private final Tokenizer tokenizer;
  private final Chat chat;
  private final Sampler sampler;
  private final String system;
  private final List<ChatMessage> messages = new ArrayList<>();
  private int[] cached = new int[0];  // the tokens in the session's cache, in order
  private int[] lastPrompt;           // the last turn's prompt (null before the first turn)

  ChatSession(InferenceSession session, Tokenizer tokenizer, Chat chat, Sampler sampler, String system) {
    this.session = session;
    this.tokenizer = tokenizer;
    this.chat = chat;
    this.sampler = sampler;
    this.system = system;
    reset();
  }

  /** Forgets the conversation (the system message stays) and the cache. */
  void reset() {
    messages.clear();
    if (system != null) {
      messages.add(ChatMessage.system(system));
    }
    cached = new int[0];
    lastPrompt = null;
    session.reset();
  }

  /**
   * The assistant's answer to {@code user}, streamed to {@code out} as it is decoded, at most {@code maxTokens}
   * tokens (-1: until an end-of-turn token or the context is full).
   */
  Turn reply(String user, int maxTokens, Consumer<String> out) {
    int[] prompt = prompt(user);
    messages.add(ChatMessage.user(user));
    int context = session.config().seqLen();
    if (prompt.length >= context) {
      messages.remove(messages.size() - 1);
      throw new SparsejException("the conversation is " + prompt.length + " tokens, the model's context is "
          + context + ": /reset to start again");
    }
    int keep = Math.min(commonPrefix(cached, prompt), prompt.length - 1);  // at least one token gives the logits
    session.rewind(keep);
    Tensor logits = session.prefill(Arrays.copyOfRange(prompt, keep, prompt.length));
    int[] tokens = Arrays.copyOf(prompt, context);
    int n = prompt.length;
    sampler.begin(prompt);
    int vocab = session.config().vocabSize();
    int limit = maxTokens < 0 ? context - n : Math.min(maxTokens, context - n);
    int printed = 0;
    String finish = "length";
    int generated = 0;
    while (generated < limit) {
      int token = sampler.sample(logits, vocab);
      if (isStop(token)) {
        finish = "stop";
        break;
      }
      tokens[n++] = token;
      generated++;
      String decoded = tokenizer.decode(Arrays.copyOfRange(tokens, prompt.length, n));
      if (!decoded.endsWith("\uFFFD")) {  // hold back a character whose UTF-8 bytes are not all out yet
        out.accept(decoded.substring(Math.min(printed, decoded.length())));
        printed = decoded.length();
      }
      if (n == context) {
        break;
      }
      logits = session.forward(new int[] {token}, 1, false);
    }
    String reply = tokenizer.decode(Arrays.copyOfRange(tokens, prompt.length, n));
    if (reply.length() > printed) {
      out.accept(reply.substring(printed));
    }
    cached = Arrays.copyOf(tokens, session.position());  // the prompt and the generated tokens fed back
    lastPrompt = prompt;
    messages.add(ChatMessage.assistant(reply));
    return new Turn(reply, prompt.length - keep, keep, generated, finish);
  }

  /**
   * The tokens the cache should hold before this turn's reply. After a reply the cache holds the last prompt and
   * the reply as generated; the turn continues it with what the template puts after an assistant message (its
   * end-of-turn tokens) and the new user turn, each taken as the difference of two renderings. A template whose
   * renderings are not prefixes of each other gets the whole conversation rendered again (its shared prefix with the
   * cache is still reused).
   */
  private int[] prompt(String user) {
    List<ChatMessage> withUser = new ArrayList<>(messages);
    withUser.add(ChatMessage.user(user));
    int[] full = chat.encode(withUser, tokenizer);
    if (lastPrompt == null) {
      return full;
    }
    List<ChatMessage> before = messages.subList(0, messages.size() - 1);  // without the last reply
    List<ChatMessage> emptyReply = new ArrayList<>(before);
    emptyReply.add(ChatMessage.assistant(""));
    int[] closing = suffix(chat.encode(emptyReply, tokenizer, false), lastPrompt);
    int[] userTurn = suffix(full, chat.encode(messages, tokenizer, false));
    if (closing == null || userTurn == null) {
      return full;
    }
    int[] next = Arrays.copyOf(cached, cached.length + closing.length + userTurn.length);
    System.arraycopy(closing, 0, next, cached.length, closing.length);
    System.arraycopy(userTurn, 0, next, cached.length + closing.length, userTurn.length);
    return next;
  }

  /** {@code whole} past {@code prefix}, or null when {@code prefix} does not start it. */
  private static int[] suffix(int[] whole, int[] prefix) {
    if (prefix.length > whole.length || commonPrefix(whole, prefix) != prefix.length) {
      return null;
    }
    return Arrays.copyOfRange(whole, prefix.length, whole.length);
  }

  /** The tokens the session's cache holds, in order (for tests). */
  int[] cachedTokens() {
    return cached.clone();
  }

  private boolean isStop(int token) {
    for (int s : chat.stopTokens()) {
      if (s == token) {
        return true;
      }
    }
    return false;
  }

  private static int commonPrefix(int[] a, int[] b) {
    int n = Math.min(a.length, b.length);
    int i = 0;
    while (i < n && a[i] == b[i]) {
      i++;
    }
    return i;
  }
}
