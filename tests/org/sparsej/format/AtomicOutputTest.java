package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.util.SparsejException;

/** Outputs appear complete or not at all; temporaries are recognisable and those of dead processes are cleaned. */
class AtomicOutputTest {
  @TempDir Path tmp;

  /** A pid no process has: larger than any Linux pid_max. */
  private static final long DEAD_PID = 4_999_999_999L;

  private List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFailedWriteLeavesNothing() throws IOException {
    Path out = tmp.resolve("x.bin");
    SparsejException e = assertThrows(SparsejException.class, () -> AtomicOutput.file(out, false, t -> {
      Files.writeString(t, "half");
      throw new IOException("No space left on device");
    }));
    assertTrue(e.getMessage().contains("x.bin: cannot write: No space left on device"), e.getMessage());
    assertEquals(List.of(), names());
  }

  @Test
  void existingOutputNeedsReplace() throws IOException {
    Path out = tmp.resolve("x.bin");
    Files.writeString(out, "old");
    SparsejException e = assertThrows(SparsejException.class,
        () -> AtomicOutput.file(out, false, t -> Files.writeString(t, "new")));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    AtomicOutput.file(out, true, t -> Files.writeString(t, "new"));
    assertEquals("new", Files.readString(out));
    assertEquals(List.of("x.bin"), names());
  }

  @Test
  void anOutputThatAppearsDuringTheWriteIsNotOverwritten() throws IOException {
    // A concurrent run commits first: the "already exists" check is made again at commit, atomically.
    Path file = tmp.resolve("x.bin");
    SparsejException e = assertThrows(SparsejException.class, () -> AtomicOutput.file(file, false, t -> {
      Files.writeString(t, "mine");
      Files.writeString(file, "theirs");
    }));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals("theirs", Files.readString(file));
    Path dir = tmp.resolve("model");
    assertThrows(SparsejException.class, () -> AtomicOutput.directory(dir, false, t -> {
      Files.writeString(t.resolve("a"), "mine");
      Files.createDirectory(dir);
      Files.writeString(dir.resolve("b"), "theirs");
    }));
    assertEquals("theirs", Files.readString(dir.resolve("b")));
    assertFalse(Files.exists(dir.resolve("a")));
    assertEquals(List.of("model", "x.bin"), names());
  }

  @Test
  void directoriesAreReplacedWhole() throws IOException {
    Path dir = tmp.resolve("model");
    AtomicOutput.directory(dir, false, t -> Files.writeString(t.resolve("a"), "1"));
    AtomicOutput.directory(dir, true, t -> Files.writeString(t.resolve("b"), "2"));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of("b"), s.map(p -> p.getFileName().toString()).toList());
    }
    assertEquals(List.of("model"), names());
  }

  @Test
  void exchangeSwapsTwoDirectoriesOrLeavesBothAsTheyWere() throws IOException {
    Path a = Files.createDirectory(tmp.resolve("a"));
    Path b = Files.createDirectory(tmp.resolve("b"));
    Files.writeString(a.resolve("x"), "old");
    Files.writeString(b.resolve("y"), "new");
    if (AtomicOutput.exchange(a, b)) {  // Linux with RENAME_EXCHANGE (ext4, xfs, btrfs, tmpfs...): one step
      assertEquals("old", Files.readString(b.resolve("x")));
      assertEquals("new", Files.readString(a.resolve("y")));
      assertFalse(Files.exists(a.resolve("x")) || Files.exists(b.resolve("y")));
    } else {  // no swap here: the caller falls back to two renames, so nothing may have moved
      assertEquals("old", Files.readString(a.resolve("x")));
      assertEquals("new", Files.readString(b.resolve("y")));
    }
    assertEquals(List.of("a", "b"), names());
  }

  @Test
  void exchangeWithAMissingPathFailsAndMovesNothing() throws IOException {
    Path a = Files.createDirectory(tmp.resolve("a"));
    assertFalse(AtomicOutput.exchange(a, tmp.resolve("missing")));
    assertEquals(List.of("a"), names());
  }

  @Test
  void missingParentIsRefusedNotCreated() {
    Path out = tmp.resolve("no/such/dir/x.gguf");
    SparsejException e = assertThrows(SparsejException.class,
        () -> AtomicOutput.file(out, false, t -> Files.writeString(t, "x")));
    assertTrue(e.getMessage().contains("directory " + tmp.resolve("no/such/dir") + " does not exist"),
        e.getMessage());
    assertFalse(Files.exists(tmp.resolve("no")));
  }

  @Test
  void staleTemporariesOfDeadProcessesAreRemovedLiveOnesKept() throws IOException {
    Path out = tmp.resolve("x.bin");
    Files.writeString(tmp.resolve(".x.bin.sparsej-tmp-" + DEAD_PID + "-1"), "debris");
    Files.createDirectories(tmp.resolve(".x.bin.sparsej-tmp-" + DEAD_PID + "-2").resolve("sub"));
    Path live = tmp.resolve(".x.bin.sparsej-tmp-" + ProcessHandle.current().pid() + "-999999");
    Files.writeString(live, "a concurrent run's");
    Files.writeString(tmp.resolve(".y.bin.sparsej-tmp-" + DEAD_PID + "-1"), "another output's");
    AtomicOutput.file(out, false, t -> Files.writeString(t, "x"));
    assertEquals(List.of(".x.bin.sparsej-tmp-" + ProcessHandle.current().pid() + "-999999",
        ".y.bin.sparsej-tmp-" + DEAD_PID + "-1", "x.bin"), names());
  }

  @Test
  void aDirectoryReplacementKilledBetweenItsRenamesIsRestored() throws IOException {
    // The state a kill -9 between "model -> old" and "tmp -> model" leaves: no model, the old one hidden.
    Path old = tmp.resolve(".model.sparsej-old-" + DEAD_PID + "-1");
    Files.createDirectories(old);
    Files.writeString(old.resolve("config.json"), "{}");
    Files.createDirectories(tmp.resolve(".model.sparsej-tmp-" + DEAD_PID + "-2"));
    Path dir = tmp.resolve("model");
    // Without --force the restored model is not replaced...
    assertThrows(SparsejException.class, () -> AtomicOutput.directory(dir, false, t -> { }));
    assertEquals("{}", Files.readString(dir.resolve("config.json")));
    assertEquals(List.of("model"), names());
  }

  @Test
  void freeSpaceIsCheckedBeforeWriting() {
    SparsejException e = assertThrows(SparsejException.class,
        () -> AtomicOutput.requireSpace(tmp.resolve("x.bin"), 120L * 1000 * 1000 * 1000 * 1000));
    assertTrue(e.getMessage().contains("needs 120000.00 GB"), e.getMessage());
  }
}
