package org.sparsej.format;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.sparsej.util.SparsejException;

/**
 * Writes an output file or directory under a temporary name beside its destination and renames it into place
 * only once complete, so that a failed or interrupted write never leaves a half-written model behind.
 */
public final class AtomicOutput {
  /** Produces the content at a temporary path. */
  public interface Body {
    void write(Path temporary) throws IOException;
  }

  private AtomicOutput() {}

  public static void file(Path destination, boolean replace, Body body) {
    commit(destination, replace, false, body);
  }

  public static void directory(Path destination, boolean replace, Body body) {
    commit(destination, replace, true, body);
  }

  private static void commit(Path destination, boolean replace, boolean directory, Body body) {
    Path dest = destination.toAbsolutePath();
    if (Files.exists(dest) && !replace) {
      throw new SparsejException(destination + ": already exists (choose another output or pass --force)");
    }
    Path parent = dest.getParent();
    Path tmp = parent.resolve("." + dest.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(parent);
      deleteRecursively(tmp);
      if (directory) {
        Files.createDirectory(tmp);
      }
      body.write(tmp);
      Path old = null;
      if (Files.exists(dest)) {
        old = parent.resolve("." + dest.getFileName() + ".old-" + ProcessHandle.current().pid());
        deleteRecursively(old);
        Files.move(dest, old);
      }
      try {
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dest);
      }
      if (old != null) {
        deleteRecursively(old);
      }
    } catch (FileAlreadyExistsException e) {
      throw new SparsejException(destination + ": already exists");
    } catch (IOException e) {
      throw new SparsejException(destination + ": cannot write: " + e.getMessage());
    } finally {
      try {
        deleteRecursively(tmp);
      } catch (IOException e) {
        // best effort: a stale temporary is hidden and replaced by the next write
      }
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    }
  }
}
