package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.ChildJvm;
import org.sparsej.testing.SharedData;

/**
 * Outputs reach the disk before they get their name: the system calls of a child JVM, traced with strace, show an
 * fsync of every file and directory of the temporary before the link or rename that commits it, and an fsync of
 * the destination's directory after it (so the rename itself survives a power cut). A power cut cannot be staged
 * in a test; the order of these calls is what makes the output survive one.
 */
class FsyncBeforeCommitTest {
  private static final String SHAPE = "dim=64,hidden=128,layers=1,heads=2,kv_heads=2,vocab=300,seq=32";
  // strace -y prints the path behind each descriptor: fsync(5</dir/.out.bin.sparsej-tmp-1-0>) = 0
  private static final Pattern SYNC = Pattern.compile("\\b(?:fsync|fdatasync)\\(\\d+<(.*?)>(?:\\)| <unfinished)");
  // and the directory behind AT_FDCWD: renameat2(AT_FDCWD</dir>, "/dir/.hf.sparsej-tmp-1-0", AT_FDCWD</dir>, ...)
  private static final Pattern COMMIT = Pattern.compile("\\b(?:link|rename)\\(\"([^\"]*)\", \"([^\"]*)\""
      + "|\\b(?:linkat|renameat2?)\\(AT_FDCWD(?:<.*?>)?, \"([^\"]*)\", AT_FDCWD(?:<.*?>)?, \"([^\"]*)\"");

  // --seccomp-bpf stops the child only at the traced calls, not at every futex of the JVM's threads
  private static final List<String> STRACE = List.of("strace", "-f", "--seccomp-bpf", "-qq", "-y",
      "-e", "trace=fsync,fdatasync,link,linkat,rename,renameat,renameat2");

  @TempDir Path tmpLink;
  private Path tmp;  // its real path: strace -y prints real paths, and a temporary directory may sit under a link

  @BeforeEach
  void realTemporaryDirectory() throws IOException {
    tmp = tmpLink.toRealPath();
  }

  @BeforeAll
  static void straceRuns() throws Exception {
    // the same flags as the real runs, on a command that fsyncs: an strace that cannot decode descriptors skips too
    Path log = Files.createTempFile("strace-probe", ".log");
    boolean runs;
    try {
      List<String> cmd = new ArrayList<>(STRACE);
      cmd.addAll(List.of("-o", log.toString(), "sync", log.toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      runs = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && SYNC.matcher(Files.readString(log)).find();
      p.destroyForcibly();
    } catch (IOException e) {
      runs = false;
    } finally {
      Files.deleteIfExists(log);
    }
    Assumptions.assumeTrue(runs, "strace is not installed or may not trace here (ptrace refused): the order of "
        + "fsync and rename cannot be observed");
  }

  /** One traced call: its line number in the trace, and the paths it names. */
  private record Call(int line, boolean sync, String path, String to) {}

  /** Runs sparsej ARGS under strace and returns its fsync and commit calls in the order they were made. */
  private List<Call> traced(String... args) throws Exception {
    Path log = tmp.resolve("strace.log");
    List<String> cmd = new ArrayList<>(STRACE);
    cmd.addAll(List.of("-o", log.toString()));
    cmd.addAll(ChildJvm.sparsej(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile())
        .start();
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "traced run did not finish");
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("out.log")));
    List<Call> calls = new ArrayList<>();
    List<String> lines = Files.readAllLines(log);
    for (int i = 0; i < lines.size(); i++) {
      Matcher s = SYNC.matcher(lines.get(i));
      Matcher c = COMMIT.matcher(lines.get(i));
      if (s.find()) {
        calls.add(new Call(i, true, s.group(1), null));
      } else if (c.find()) {
        calls.add(c.group(1) != null ? new Call(i, false, c.group(1), c.group(2))
            : new Call(i, false, c.group(3), c.group(4)));
      }
    }
    Files.delete(log);
    return calls;
  }

  /** The output's files and directories, relative to it ("" is the output itself). */
  private static List<String> tree(Path out) throws IOException {
    try (Stream<Path> s = Files.walk(out)) {
      return s.map(p -> out.relativize(p).toString()).sorted().toList();
    }
  }

  private static void assertSyncedThenCommitted(List<Call> calls, Path out) throws IOException {
    String dest = out.toAbsolutePath().toRealPath().toString();
    Call commit = calls.stream().filter(c -> !c.sync() && c.to().equals(dest) && c.path().contains(".sparsej-tmp-"))
        .findFirst().orElseThrow(() -> new AssertionError("no link or rename of a temporary onto " + dest));
    for (String part : tree(out)) {
      String staged = part.isEmpty() ? commit.path() : commit.path() + "/" + part;
      assertTrue(calls.stream().anyMatch(c -> c.sync() && c.path().equals(staged) && c.line() < commit.line()),
          "no fsync of " + staged + " before it was committed as " + dest);
    }
    String parent = out.toAbsolutePath().toRealPath().getParent().toString();
    assertTrue(calls.stream().anyMatch(c -> c.sync() && c.path().equals(parent) && c.line() > commit.line()),
        "no fsync of " + parent + " after the commit, so the new name could be lost");
  }

  @Test
  void aNewFileAndAReplacedFileAreSyncedBeforeTheirName() throws Exception {
    Path out = tmp.resolve("out.bin");
    List<Call> created = traced("synth", "--shape", SHAPE, "-o", out.toString());
    assertSyncedThenCommitted(created, out);
    List<Call> replaced = traced("synth", "--shape", SHAPE, "-s", "7", "-o", out.toString(), "--force");
    assertSyncedThenCommitted(replaced, out);
  }

  @Test
  void aNewAndAReplacedDirectoryAreSyncedFileByFileBeforeTheirName() throws Exception {
    Path out = tmp.resolve("hf");
    String model = SharedData.sj7m().toString();
    List<Call> created = traced("convert", "-m", model, "--to", "hf", "-o", out.toString());
    assertTrue(tree(out).size() >= 4, "expected a Hugging Face directory: " + tree(out));
    assertSyncedThenCommitted(created, out);
    List<Call> replaced = traced("convert", "-m", model, "--to", "hf", "--sparse-bitmask", "-o", out.toString(),
        "--force");
    assertSyncedThenCommitted(replaced, out);
  }
}
