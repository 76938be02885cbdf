package org.sparsej.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.sparsej.util.SparsejException;

/**
 * Reads llama2.c's {@code tokenizer.bin}: int32 max_token_length, then per token a float32 score, an int32 byte
 * length and the piece's bytes, all little-endian. The file does not store how many tokens it has, so the reader
 * takes the count the model expects and insists that the file holds exactly that many.
 *
 * <p>Every problem is reported as a one-line {@link SparsejException} naming the file.
 */
final class Llama2cTokenizerFile {
  /** The pieces as stored (SentencePiece's "▁" already written as a space by llama2.c's exporter). */
  record Contents(int maxTokenLength, byte[][] pieces, float[] scores) {}

  /** Real files are well under 1 MB (32000 tokens: 434 KB); anything this large is not a tokenizer. */
  private static final long MAX_FILE_BYTES = 256L << 20;

  private static final int ENTRY_HEADER_BYTES = 8; // float32 score + int32 length

  private Llama2cTokenizerFile() {}

  static Contents read(Path file, int vocabSize) {
    if (vocabSize <= 0) {
      throw new IllegalArgumentException("vocab size must be positive, got " + vocabSize);
    }
    ByteBuffer in = ByteBuffer.wrap(readAll(file)).order(ByteOrder.LITTLE_ENDIAN);
    if (in.remaining() < 4) {
      throw problem(file, "is too short (" + in.capacity() + " bytes) to be a llama2.c tokenizer.bin");
    }
    int maxTokenLength = in.getInt();
    if (maxTokenLength <= 0) {
      throw problem(file, "has an invalid max_token_length " + maxTokenLength + " in its header");
    }

    byte[][] pieces = new byte[vocabSize][];
    float[] scores = new float[vocabSize];
    for (int id = 0; id < vocabSize; id++) {
      if (!in.hasRemaining()) {
        throw vocabMismatch(file, vocabSize, "file has " + id);
      }
      int length = entryLength(file, in, id, maxTokenLength);
      scores[id] = in.getFloat();
      in.getInt(); // the length, checked above
      pieces[id] = new byte[length];
      in.get(pieces[id]);
    }
    if (in.hasRemaining()) {
      throw vocabMismatch(file, vocabSize, describeExtra(in, vocabSize, maxTokenLength));
    }
    return new Contents(maxTokenLength, pieces, scores);
  }

  /** Checks the entry at the buffer's position and returns its piece length, leaving the position unchanged. */
  private static int entryLength(Path file, ByteBuffer in, int id, int maxTokenLength) {
    int start = in.position();
    if (in.remaining() < ENTRY_HEADER_BYTES) {
      throw truncated(file, id, start, in.capacity());
    }
    int length = in.getInt(start + 4);
    if (length < 0 || length > maxTokenLength) {
      throw problem(file, "is corrupt: token " + id + " (at byte " + start + ") has length " + length
          + ", outside 0.." + maxTokenLength + " (the header's max_token_length)");
    }
    if (in.remaining() - ENTRY_HEADER_BYTES < length) {
      throw truncated(file, id, start, in.capacity());
    }
    return length;
  }

  /** After the expected tokens: "file has M" if the rest parses as whole entries, else how many bytes are left. */
  private static String describeExtra(ByteBuffer in, int vocabSize, int maxTokenLength) {
    int leftover = in.remaining();
    int count = vocabSize;
    while (in.remaining() >= ENTRY_HEADER_BYTES) {
      int length = in.getInt(in.position() + 4);
      if (length < 0 || length > maxTokenLength || length > in.remaining() - ENTRY_HEADER_BYTES) {
        break;
      }
      in.position(in.position() + ENTRY_HEADER_BYTES + length);
      count++;
    }
    if (!in.hasRemaining()) {
      return "file has " + count;
    }
    return "file has " + vocabSize + " and then " + leftover + " more bytes";
  }

  private static byte[] readAll(Path file) {
    if (Files.exists(file) && !Files.isRegularFile(file)) {  // a FIFO would block the read forever
      throw new SparsejException("cannot read tokenizer file " + file + ": not a regular file (a directory, FIFO, "
          + "socket or device)");
    }
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw problem(file, "is " + size + " bytes, far too large to be a llama2.c tokenizer.bin");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new SparsejException("tokenizer file not found: " + file, e);
    } catch (IOException e) {
      throw new SparsejException("cannot read tokenizer file " + file + ": " + e, e);
    }
  }

  private static SparsejException truncated(Path file, int id, int offset, int fileSize) {
    return problem(file, "is truncated: token " + id + " starting at byte " + offset
        + " runs past the end of the file (" + fileSize + " bytes)");
  }

  private static SparsejException vocabMismatch(Path file, int expected, String found) {
    return new SparsejException("tokenizer " + file + " does not match the model's vocab (" + expected
        + " tokens expected, " + found + ")");
  }

  private static SparsejException problem(Path file, String what) {
    return new SparsejException("tokenizer file " + file + " " + what);
  }
}
