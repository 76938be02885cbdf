package org.sparsej.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.util.SparsejException;

/**
 * Writes an output file or directory under a temporary name beside its destination and renames it into place only
 * once complete and on disk (fsynced), so that a failed, killed or concurrent write never leaves a half-written
 * model. Temporaries are named {@code .NAME.sparsej-tmp-PID-N} (replaced directories {@code .NAME.sparsej-old-PID-N})
 * so that the next write to NAME can tell those of dead processes and clean them up.
 *
 * <p>Commit: a new file is hard-linked into place (fails if NAME appeared meanwhile), a replaced file is renamed
 * over NAME in one atomic rename, a new directory is renamed into place (rename fails on a non-empty directory). A
 * replaced directory is swapped with the temporary in one step (Linux renameat2 RENAME_EXCHANGE), so NAME always
 * holds a complete model, the old one or the new. Where that swap is missing (another kernel or file system, no
 * native library) it takes two renames (NAME to old, temporary to NAME): a kill between them leaves the complete
 * old model as {@code .NAME.sparsej-old-PID-N}, which the next write to NAME moves back before anything else.
 */
public final class AtomicOutput {
  /** Produces the content at a temporary path. */
  public interface Body {
    void write(Path temporary) throws IOException;
  }

  private static final String TMP = ".sparsej-tmp-";
  private static final String OLD = ".sparsej-old-";
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private AtomicOutput() {}

  public static void file(Path destination, boolean replace, Body body) {
    commit(destination, replace, false, body);
  }

  public static void directory(Path destination, boolean replace, Body body) {
    commit(destination, replace, true, body);
  }

  /**
   * Fails now, before minutes of work, if destination could not be written: its parent must be an existing,
   * writable directory (parents are never created: a typo in -o should not make directories), and destination
   * must not exist unless replace.
   */
  public static void checkWritable(Path destination, boolean replace) {
    Path dest = destination.toAbsolutePath();
    Path parent = dest.getParent();
    if (!Files.isDirectory(parent)) {
      throw new SparsejException(destination + ": cannot write: directory " + parent + " does not exist");
    }
    if (!Files.isWritable(parent)) {
      throw new SparsejException(destination + ": cannot write: directory " + parent + " is not writable");
    }
    if (!replace && Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
      throw new SparsejException(destination + ": already exists (choose another output or pass --force)");
    }
  }

  /** Fails now if the file system of destination has less than bytes free. */
  public static void requireSpace(Path destination, long bytes) {
    Path parent = destination.toAbsolutePath().getParent();
    try {
      long free = Files.getFileStore(parent).getUsableSpace();
      if (free < bytes) {
        throw new SparsejException(String.format("%s: needs %.2f GB, the file system has %.2f GB free", destination,
            bytes / 1e9, free / 1e9));
      }
    } catch (IOException e) {
      throw new SparsejException(destination + ": cannot check free space: " + e.getMessage());
    }
  }

  /**
   * A new empty scratch directory beside destination, for files assembled on the way (a tokenizer to copy in):
   * on the output's file system rather than java.io.tmpdir, which may be small or full, and named like a
   * temporary so that a killed run's scratch is cleaned up too. The caller deletes it.
   */
  public static Path scratchDirectory(Path destination) {
    Path dest = destination.toAbsolutePath();
    checkWritable(destination, true);
    Path scratch = temporary(dest, TMP);
    try {
      Files.createDirectory(scratch);
    } catch (IOException e) {
      throw new SparsejException(destination + ": cannot write: " + e.getMessage());
    }
    return scratch;
  }

  private static void commit(Path destination, boolean replace, boolean directory, Body body) {
    Path dest = destination.toAbsolutePath();
    cleanStale(dest);  // first: it may move a killed run's model back into place
    checkWritable(destination, replace);
    Path tmp = temporary(dest, TMP);
    try {
      if (directory) {
        Files.createDirectory(tmp);
      }
      body.write(tmp);
      sync(tmp);
      if (!directory) {
        commitFile(tmp, dest, replace);
      } else if (replace && Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
        if (!exchange(tmp, dest)) {  // no atomic swap here: two renames, the old model kept aside between them
          Path old = temporary(dest, OLD);
          Files.move(dest, old, StandardCopyOption.ATOMIC_MOVE);
          Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
          deleteRecursively(old);
        }  // after a swap tmp holds the old model, which the finally below deletes
      } else {
        // rename(2) onto a directory that appeared meanwhile fails unless it is empty (and so holds no model).
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
      }
      syncDirectory(dest.getParent());
    } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
      throw new SparsejException(destination + ": already exists (another run wrote it meanwhile)");
    } catch (IOException e) {
      throw new SparsejException(destination + ": cannot write: " + e.getMessage());
    } finally {
      try {
        deleteRecursively(tmp);
      } catch (IOException e) {
        // best effort: the next write to this destination removes it (its process is dead by then)
      }
    }
  }

  /**
   * Swaps a and b in one step where the kernel and file system can (Linux renameat2 RENAME_EXCHANGE, through the
   * native library), so that a replaced directory is never missing; false where they cannot.
   */
  static boolean exchange(Path a, Path b) {
    return NativeLibrary.available() && SparsejNative.sj_rename_exchange(a.toString(), b.toString()) == 0;
  }

  private static void commitFile(Path tmp, Path dest, boolean replace) throws IOException {
    if (replace) {
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try {
      Files.createLink(dest, tmp);  // exclusive: fails if dest exists, unlike rename, which would replace it
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
      if (e instanceof FileAlreadyExistsException f) {
        throw f;
      }
      // no hard links on this file system: check, then rename (a small race that only concurrent runs can lose)
      if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
        throw new FileAlreadyExistsException(dest.toString());
      }
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static Path temporary(Path dest, String kind) {
    return dest.resolveSibling("." + dest.getFileName() + kind + ProcessHandle.current().pid() + "-"
        + SEQUENCE.incrementAndGet());
  }

  /**
   * Removes the temporaries of dest left by processes that no longer run, after moving a replaced directory back
   * into place if its replacement never arrived. Those of live processes (a concurrent run) are left alone.
   */
  static void cleanStale(Path dest) {
    String prefix = "." + dest.getFileName();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dest.getParent(), prefix + ".sparsej-*")) {
      for (Path p : s) {
        String rest = p.getFileName().toString().substring(prefix.length());
        boolean old = rest.startsWith(OLD);
        if (!old && !rest.startsWith(TMP)) {
          continue;
        }
        long pid = pidOf(rest.substring(TMP.length()));
        if (pid < 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        if (old && !Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
          Files.move(p, dest, StandardCopyOption.ATOMIC_MOVE);
          System.err.println("note: restored " + dest + " from " + p.getFileName() + ", left by a killed run");
        } else {
          deleteRecursively(p);
        }
      }
    } catch (IOException e) {
      // best effort: stale temporaries cost disk space, never correctness
    }
  }

  private static long pidOf(String pidAndSequence) {
    int dash = pidAndSequence.indexOf('-');
    try {
      return Long.parseLong(dash < 0 ? pidAndSequence : pidAndSequence.substring(0, dash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Forces a written file, or every file and directory of a written tree, to disk before it is renamed. */
  private static void sync(Path p) throws IOException {
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(q, LinkOption.NOFOLLOW_LINKS)) {
          try (FileChannel ch = FileChannel.open(q, StandardOpenOption.WRITE)) {
            ch.force(true);
          }
        } else if (Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS)) {
          syncDirectory(q);
        }
      }
    }
  }

  /** fsync of a directory makes its renames durable; not every platform lets a directory be opened. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // not supported here: the rename is still atomic, only its durability after a power cut is not forced
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(q);
      }
    }
  }
}
