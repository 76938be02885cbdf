package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.sparsej.testing.SharedData;

/** sparsej eval ppl against the PyTorch perplexities in ../shared/reference/sj-7m-ppl.json. */
class EvalPplTest {
  private static final String MODEL = SharedData.sj7m().toString();
  private static final Pattern RESULT = Pattern.compile("ppl ([0-9.]+) over ([0-9]+) tokens");

  static double[] pplAndTokens(CliRun run) {
    assertEquals(0, run.exitCode(), run.err());
    Matcher m = RESULT.matcher(run.out());
    assertTrue(m.find(), run.out());
    return new double[] {Double.parseDouble(m.group(1)), Long.parseLong(m.group(2))};
  }

  @Test
  void shakespeareMatchesTheReferenceToAThousandth() {
    String file = "eval-shakespeare.txt";
    JsonNode expected = null;
    for (JsonNode r : SharedData.json("reference/sj-7m-ppl.json").get("results")) {
      if (r.get("file").asText().equals(file)) {
        expected = r;
      }
    }
    assertTrue(expected != null, "no reference for " + file);
    double[] got = pplAndTokens(CliRun.of("eval", "ppl", "-m", MODEL, "--text",
        SharedData.path("data/sj-corpus/" + file).toString(), "--backend", "cpu"));
    assertEquals(expected.get("tokens").asLong(), (long) got[1], "predicted tokens");
    double ppl = expected.get("ppl").asDouble();
    assertEquals(ppl, got[0], ppl * 1e-3, "ppl vs the PyTorch reference");
  }

  @Test
  void maxTokensAndStrideCountEveryIdOnce() {
    String text = SharedData.path("data/sj-corpus/eval-wikitext2.txt").toString();
    double[] plain = pplAndTokens(CliRun.of("eval", "ppl", "-m", MODEL, "--text", text, "--max-tokens", "300",
        "--backend", "cpu"));
    double[] explicit = pplAndTokens(CliRun.of("eval", "ppl", "-m", MODEL, "--text", text, "--max-tokens", "300",
        "--stride", "255", "--backend", "cpu"));
    double[] strided = pplAndTokens(CliRun.of("eval", "ppl", "-m", MODEL, "--text", text, "--max-tokens", "300",
        "--ctx", "128", "--stride", "64", "--backend", "cpu"));
    assertEquals(300, (long) plain[1]);
    assertEquals(300, (long) strided[1]);
    assertEquals(plain[0], explicit[0], 0, "--stride CTX-1 is the default rule");
    assertTrue(strided[0] != plain[0], "a 128-token window with stride 64 scores differently");
  }

  @Test
  void badValuesAreUsageErrors() {
    String text = SharedData.path("data/sj-corpus/eval-shakespeare.txt").toString();
    CliRun ctx = CliRun.of("eval", "ppl", "-m", MODEL, "--text", text, "--ctx", "1000");
    assertEquals(2, ctx.exitCode(), ctx.err());
    assertTrue(ctx.errorLine().contains("--ctx"), ctx.err());
    CliRun stride = CliRun.of("eval", "ppl", "-m", MODEL, "--text", text, "--stride", "0");
    assertEquals(2, stride.exitCode(), stride.err());
    CliRun missing = CliRun.of("eval", "ppl", "-m", MODEL, "--text", "no-such-file.txt");
    assertEquals(1, missing.exitCode(), missing.err());
    assertTrue(missing.errorLine().contains("no-such-file.txt"), missing.err());
  }
}
