package org.sparsej.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Checks the type of an input path before it is opened: reading a FIFO blocks forever, a device never ends, and a
 * directory opened as a file fails with an IOException that means nothing to the user.
 */
public final class InputPaths {
  private InputPaths() {}

  /** Throws "PATH: ..." unless path is a regular file (symbolic links followed). */
  public static void requireRegularFile(Path path) {
    BasicFileAttributes a = attributes(path);
    if (a.isDirectory()) {
      throw new SparsejException(path + ": is a directory, expected a file");
    }
    if (!a.isRegularFile()) {
      throw new SparsejException(path + ": not a regular file (a FIFO, socket or device cannot be read as one)");
    }
  }

  /** Throws "PATH: ..." unless path is a regular file or a directory. */
  public static void requireFileOrDirectory(Path path) {
    BasicFileAttributes a = attributes(path);
    if (!a.isRegularFile() && !a.isDirectory()) {
      throw new SparsejException(path + ": neither a regular file nor a directory (a FIFO, socket or device "
          + "cannot be read as a model)");
    }
  }

  private static BasicFileAttributes attributes(Path path) {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new SparsejException(path + ": file not found");
    } catch (IOException e) {
      throw new SparsejException(path + ": cannot read: " + e.getMessage());
    }
  }
}
