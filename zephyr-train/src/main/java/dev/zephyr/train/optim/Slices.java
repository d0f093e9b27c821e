package dev.zephyr.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.function.Consumer;

/**
 * Runs an elementwise update over same-shaped arrays in pieces of bounded size, each inside its own {@link NDScope}:
 * a piece is a range of rows (first dimension), which is a view, so in-place operations on it change the array. Since
 * every element is computed by the same operations either way, the result does not depend on the piece size.
 */
final class Slices {
  /** Default piece size: 4 Mi elements, 16 MiB of float32 per temporary. */
  static final long DEFAULT_ELEMENTS = 1L << 22;

  private Slices() {}

  /**
   * Calls {@code body} with views of {@code arrays} covering at most {@code maxElements} elements each (whole rows;
   * one row when a row alone is larger), or once with the arrays themselves when they fit. Temporaries the body
   * creates are released after each call.
   */
  static void forEach(long maxElements, NDArray[] arrays, Consumer<NDArray[]> body) {
    Shape shape = arrays[0].getShape();
    long size = shape.size();
    if (size <= maxElements || shape.dimension() == 0) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        body.accept(arrays);
      }
      return;
    }
    long rows = shape.get(0);
    long rowsPerPiece = Math.max(1, maxElements / Math.max(1, size / rows));
    for (long from = 0; from < rows; from += rowsPerPiece) {
      long to = Math.min(rows, from + rowsPerPiece);
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray[] views = new NDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
          views[i] = arrays[i].get(new NDIndex("{}:{}", from, to));
        }
        body.accept(views);
      }
    }
  }
}
