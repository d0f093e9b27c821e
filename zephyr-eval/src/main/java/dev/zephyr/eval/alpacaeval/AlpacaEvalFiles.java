package dev.zephyr.eval.alpacaeval;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes alpaca_eval's files: {@code model_outputs.json}, {@code annotations.json}, the GLM CSVs. */
public final class AlpacaEvalFiles {
  private AlpacaEvalFiles() {}

  /** A {@code model_outputs.json} list (also the eval set with reference outputs); every entry needs its fields. */
  public static List<ModelOutput> readModelOutputs(Path file) {
    List<ModelOutput> list = readList(file, new TypeReference<List<ModelOutput>>() {});
    for (int i = 0; i < list.size(); i++) {
      ModelOutput o = list.get(i);
      if (o == null || o.instruction() == null) {
        throw new InvalidInputException(file.toString(), 0, "[" + i + "].instruction", "missing instruction");
      }
      if (o.output() == null) {
        throw new InvalidInputException(file.toString(), 0, "[" + i + "].output", "missing output");
      }
    }
    return list;
  }

  /** An {@code annotations.json} list. */
  public static List<Annotation> readAnnotations(Path file) {
    List<Annotation> list = readList(file, new TypeReference<List<Annotation>>() {});
    for (int i = 0; i < list.size(); i++) {
      Annotation a = list.get(i);
      if (a == null || a.output1() == null || a.output2() == null) {
        throw new InvalidInputException(file.toString(), 0, "[" + i + "]", "an annotation needs output_1 and output_2");
      }
    }
    return list;
  }

  /** Writes a JSON list with two-space indentation, as pandas' {@code to_json(orient="records", indent=2)} lays out. */
  public static void writeJson(Path file, Object value) {
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
        .withArrayIndenter(new DefaultIndenter("  ", "\n"))
        .withObjectIndenter(new DefaultIndenter("  ", "\n"));
    ObjectWriter w = Json.mapper().writer(pp);
    AtomicFiles.write(file, out -> out.write(w.writeValueAsBytes(value)));
  }

  /**
   * Writes {@code leaderboard.csv} with alpaca_eval's AlpacaEval 2 columns (first column the model name, {@code mode}
   * "community"); empty cells where a value is missing.
   */
  public static void writeLeaderboardCsv(Path file, List<LeaderboardRow> rows) {
    StringBuilder sb = new StringBuilder(",win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,"
        + "discrete_win_rate,mode,avg_length,length_controlled_winrate,lc_standard_error\n");
    for (LeaderboardRow r : rows) {
      String name = r.name().contains(",") || r.name().contains("\"")
          ? "\"" + r.name().replace("\"", "\"\"") + "\"" : r.name();
      sb.append(name).append(',').append(num(r.winRate())).append(',').append(num(r.standardError())).append(',')
          .append(r.nWins()).append(',').append(r.nWinsBase()).append(',').append(r.nDraws()).append(',')
          .append(r.nTotal()).append(',').append(num(r.discreteWinRate())).append(",community,")
          .append(r.avgLength()).append(',').append(num(r.lengthControlledWinrate())).append(',')
          .append(num(r.lcStandardError())).append('\n');
    }
    AtomicFiles.writeString(file, sb.toString());
  }

  private static String num(Double v) {
    return v == null || v.isNaN() ? "" : Double.toString(v);
  }

  /**
   * Instruction difficulty by row index from a CSV with header {@code index,instruction_difficulty} (alpaca_eval's
   * {@code instruction_difficulty.csv} layout); indices must be 0..n-1.
   */
  public static double[] readInstructionDifficulty(Path csv) {
    List<String[]> rows = readCsv(csv);
    String[] header = rows.get(0);
    int col = column(csv, header, "instruction_difficulty");
    double[] out = new double[rows.size() - 1];
    for (int r = 1; r < rows.size(); r++) {
      String[] row = rows.get(r);
      try {
        int index = (int) Double.parseDouble(row[0]);
        if (index != r - 1) {
          throw new InvalidInputException(csv.toString(), r + 1, "index", "expected index " + (r - 1) + ", got " + row[0]);
        }
        out[r - 1] = Double.parseDouble(row[col]);
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        throw new InvalidInputException(csv.toString(), r + 1, "instruction_difficulty", "not a number", e);
      }
    }
    return out;
  }

  /**
   * The LC GLM's regularisation set in {@code df_gamed.csv} layout: columns {@code preference} (in [0, 1]),
   * {@code index}, {@code std_delta_len}, {@code instruction_difficulty}; other columns are ignored.
   */
  public static List<LengthControlledWinRate.RegularizationRow> readRegularization(Path csv) {
    List<String[]> rows = readCsv(csv);
    String[] header = rows.get(0);
    int pref = column(csv, header, "preference");
    int index = column(csv, header, "index");
    int sdl = column(csv, header, "std_delta_len");
    int diff = column(csv, header, "instruction_difficulty");
    List<LengthControlledWinRate.RegularizationRow> out = new ArrayList<>();
    for (int r = 1; r < rows.size(); r++) {
      String[] row = rows.get(r);
      try {
        out.add(new LengthControlledWinRate.RegularizationRow(
            row[pref].isEmpty() ? Double.NaN : Double.parseDouble(row[pref]),
            (int) Double.parseDouble(row[index]), Double.parseDouble(row[sdl]), Double.parseDouble(row[diff])));
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        throw new InvalidInputException(csv.toString(), r + 1, null, "bad regularisation row: " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static int column(Path csv, String[] header, String name) {
    for (int i = 0; i < header.length; i++) {
      if (header[i].strip().equals(name)) {
        return i;
      }
    }
    throw new InvalidInputException(csv.toString(), 1, name, "missing column '" + name + "'");
  }

  /** Plain numeric CSV (no quoted commas in these files). */
  private static List<String[]> readCsv(Path csv) {
    List<String> lines;
    try {
      lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + csv, e);
    }
    List<String[]> rows = new ArrayList<>();
    for (String l : lines) {
      if (!l.isBlank()) {
        rows.add(l.split(",", -1));
      }
    }
    if (rows.isEmpty()) {
      throw new InvalidInputException(csv.toString(), 1, null, "empty CSV");
    }
    return rows;
  }

  private static <T> List<T> readList(Path file, TypeReference<List<T>> type) {
    try {
      List<T> list = Json.mapper().readValue(file.toFile(), type);
      if (list == null) {
        throw new InvalidInputException(file.toString(), 0, null, "expected a JSON list");
      }
      return list;
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "not a JSON list of records: " + e.getMessage(), e);
    }
  }

}
