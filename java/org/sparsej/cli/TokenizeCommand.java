package org.sparsej.cli;

import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.sparsej.model.LlamaModel;
import org.sparsej.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** sparsej tokenize: text to the model's token ids, for scripting and for checking a tokenizer. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
    description = {"Print the token ids the model's tokenizer gives for a text.",
        "One line per token (id, tab, piece as the vocabulary spells it), or with --ids the ids alone on one line.",
        "TEXT '-' reads standard input (UTF-8). BOS is added as generate adds it unless --no-bos."})
final class TokenizeCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;

  @Option(names = "--ids", description = "Print only the ids, space-separated, on one line.")
  boolean idsOnly;

  @Option(names = "--no-bos", description = "Do not add the BOS token.")
  boolean noBos;

  @Parameters(index = "0", paramLabel = "TEXT", description = "The text, or '-' for standard input.")
  String text;

  @Override
  public Integer call() {
    String input = TextFiles.argumentOrStdin(text);
    LlamaModel model = modelOptions.loadModel();
    Tokenizer tok = modelOptions.loadTokenizer(model);
    int[] ids = tok.encode(input, !noBos, false);
    if (idsOnly) {
      System.out.println(IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
    } else {
      for (int id : ids) {
        System.out.println(id + "\t" + tok.piece(id));
      }
    }
    return 0;
  }
}
