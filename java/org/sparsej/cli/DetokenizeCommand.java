package org.sparsej.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.sparsej.model.LlamaModel;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.util.SparsejException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** sparsej detokenize: token ids back to text, the inverse of tokenize --ids. */
@Command(name = "detokenize", mixinStandardHelpOptions = true,
    description = {"Print the text of a list of token ids (as tokenize --ids prints them).",
        "IDS are separated by spaces or commas; '-' reads them from standard input. Special tokens print nothing."})
final class DetokenizeCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;

  @Parameters(paramLabel = "IDS", arity = "1..*", description = "Token ids, or '-' for standard input.")
  List<String> ids;

  @Override
  public Integer call() {
    List<String> words = new ArrayList<>();
    for (String arg : ids) {
      for (String w : TextFiles.argumentOrStdin(arg).trim().split("[\\s,]+")) {
        if (!w.isEmpty()) {
          words.add(w);
        }
      }
    }
    LlamaModel model = modelOptions.loadModel();
    Tokenizer tok = modelOptions.loadTokenizer(model);
    int[] tokens = new int[words.size()];
    for (int i = 0; i < tokens.length; i++) {
      try {
        tokens[i] = Integer.parseInt(words.get(i));
      } catch (NumberFormatException e) {
        throw new SparsejException("'" + words.get(i) + "' is not a token id");
      }
      if (tokens[i] < 0 || tokens[i] >= tok.vocabSize()) {
        throw new SparsejException("token id " + tokens[i] + " is outside the vocabulary (0.." + (tok.vocabSize() - 1)
            + ")");
      }
    }
    System.out.println(tok.decode(tokens));
    return 0;
  }
}
