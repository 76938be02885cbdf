package org.sparsej.util;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The JSON files models come with (config.json, tokenizer.json, ...), read strictly, failing in one line. */
public final class JsonFiles {
  /** Rejects duplicate keys and trailing data: a model file that is ambiguous is treated as broken. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** config.json, tokenizer_config.json, shard indexes: real ones are kilobytes. */
  public static final long MAX_SMALL_FILE = 16L << 20;
  /** tokenizer.json: the largest real ones (Gemma's 256k vocabulary) are ~35 MB. */
  public static final long MAX_TOKENIZER_FILE = 64L << 20;

  private JsonFiles() {}

  /** Parses a small JSON file (at most {@link #MAX_SMALL_FILE}) into an object node, or throws "FILE: problem". */
  public static ObjectNode readObject(Path file) {
    return readObject(file, MAX_SMALL_FILE);
  }

  /**
   * Parses a JSON file of at most maxBytes into an object node, or throws "FILE: problem". The size is checked
   * before anything is read, so a hostile multi-gigabyte file costs nothing.
   */
  public static ObjectNode readObject(Path file, long maxBytes) {
    InputPaths.requireRegularFile(file);
    try {
      long size = Files.size(file);
      if (size > maxBytes) {
        throw new SparsejException(file + ": " + size + " bytes is beyond the " + (maxBytes >> 20)
            + " MiB a JSON file of a model may have (corrupt or not a model file?)");
      }
    } catch (IOException e) {
      throw new SparsejException(file + ": cannot read: " + e.getMessage());
    }
    try {
      JsonNode node = MAPPER.readTree(Files.readAllBytes(file));
      if (node == null || !node.isObject()) {
        throw new SparsejException(file + ": not a JSON object");
      }
      return (ObjectNode) node;
    } catch (NoSuchFileException e) {
      throw new SparsejException(file + ": file not found");
    } catch (JsonProcessingException e) {
      String msg = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage().lines().findFirst()
          .orElse("");
      throw new SparsejException(file + ": malformed JSON (" + msg + ")");
    } catch (IOException e) {
      throw new SparsejException(file + ": cannot read: " + e.getMessage());
    }
  }
}
