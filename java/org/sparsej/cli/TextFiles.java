package org.sparsej.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.sparsej.util.SparsejException;

/** Reads a UTF-8 text file named on the command line (or standard input), with one-line errors. */
final class TextFiles {
  private TextFiles() {}

  /** The text of a command-line argument: itself, or all of standard input when it is "-" (strict UTF-8). */
  static String argumentOrStdin(String arg) {
    if (!arg.equals("-")) {
      return arg;
    }
    try {
      byte[] bytes = System.in.readAllBytes();
      return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new SparsejException("standard input is not UTF-8 text");
    } catch (IOException e) {
      throw new SparsejException("cannot read standard input: " + e.getMessage());
    }
  }

  static String read(Path file, String what) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new SparsejException(what + " file not found: " + file);
    } catch (CharacterCodingException e) {
      throw new SparsejException(file + ": not UTF-8 text");
    } catch (IOException e) {
      throw new SparsejException(file + ": cannot read: " + e.getMessage());
    }
  }
}
