package dev.zephyr.eval.report;

import java.util.ArrayList;
import java.util.List;

/** A GitHub-flavoured Markdown table: a header row, an alignment row, then the rows; pipes in cells are escaped. */
public final class MarkdownTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public MarkdownTable(List<String> header) {
    this.header = List.copyOf(header);
  }

  public MarkdownTable row(List<String> cells) {
    if (cells.size() != header.size()) {
      throw new IllegalArgumentException("row has " + cells.size() + " cells, header has " + header.size());
    }
    rows.add(List.copyOf(cells));
    return this;
  }

  public List<List<String>> rows() {
    return rows;
  }

  /** The table text, ending in a newline; the first column is left-aligned, the others right-aligned. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    line(sb, header);
    List<String> align = new ArrayList<>();
    for (int i = 0; i < header.size(); i++) {
      align.add(i == 0 ? ":---" : "---:");
    }
    line(sb, align);
    for (List<String> r : rows) {
      line(sb, r);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> cells) {
    sb.append('|');
    for (String c : cells) {
      sb.append(' ').append(c.replace("|", "\\|").replace("\n", " ")).append(" |");
    }
    sb.append('\n');
  }
}
