package org.sparsej.nativeops;

import java.util.Locale;
import org.sparsej.util.SparsejException;

/** Loads the native kernels once and knows why they could not be loaded. */
public final class NativeLibrary {
  private static final String LOAD_ERROR = tryLoad();

  private NativeLibrary() {}

  private static String tryLoad() {
    try {
      SparsejNative.sj_isa_detected();
      return null;
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      String msg = e.getMessage() != null ? e.getMessage() : e.toString();
      return "native kernels did not load (" + msg.lines().findFirst().orElse(msg) + ")";
    }
  }

  /** Null when the library is usable, else one line saying why not. */
  public static String unavailableReason() {
    if (LOAD_ERROR == null && !"x86_64".equals(arch()) && !"amd64".equals(arch())) {
      return "native kernels are built for x86-64 only, this JVM runs on " + arch();
    }
    return LOAD_ERROR;
  }

  public static boolean available() {
    return unavailableReason() == null;
  }

  public static void require() {
    String reason = unavailableReason();
    if (reason != null) {
      throw new SparsejException("cpu: " + reason);
    }
  }

  private static String arch() {
    return System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
  }

  /** The ISA names the dispatcher knows, by sj_isa value. */
  public static String isaName(int isa) {
    return SparsejNative.sj_isa_name(isa);
  }

  /** Every ISA the dispatcher knows (native/src/isa_list.h), in sj_isa order: scalar first. */
  public static java.util.List<String> isaNames() {
    require();
    java.util.List<String> names = new java.util.ArrayList<>();
    for (int isa = 0; isa < SparsejNative.sj_isa_count(); isa++) {
      names.add(isaName(isa));
    }
    return names;
  }

  /** Parses an ISA name (one of {@link #isaNames}) to an sj_isa value. */
  public static int parseIsa(String name) {
    java.util.List<String> names = isaNames();
    int isa = names.indexOf(name.trim().toLowerCase(Locale.ROOT));
    if (isa < 0) {
      String expected = String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
      throw new SparsejException("unknown ISA '" + name + "' (expected " + expected + ")");
    }
    return isa;
  }

  /**
   * Applies SPARSEJ_ISA (or -Dsparsej.isa) if set: it may only lower the ISA the CPU supports.
   * Returns the active ISA's name.
   */
  public static String applyIsaOverride() {
    require();
    String forced = System.getProperty("sparsej.isa", System.getenv("SPARSEJ_ISA"));
    if (forced != null && !forced.isBlank()) {
      selectIsa(parseIsa(forced));
    }
    return isaName(SparsejNative.sj_isa_active());
  }

  /** Selects an ISA for the native kernels; fails with one line if this CPU cannot run it. */
  public static void selectIsa(int isa) {
    require();
    if (SparsejNative.sj_isa_select(isa) < 0) {
      throw new SparsejException("cpu: ISA " + isaName(isa) + " is not supported by this CPU (best: "
          + isaName(SparsejNative.sj_isa_detected()) + ")");
    }
  }
}
