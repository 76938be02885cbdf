package org.sparsej.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.sparsej.util.SparsejException;

/** Reads a UTF-8 text file named on the command line, with one-line errors. */
final class TextFiles {
  private TextFiles() {}

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
