package dev.zephyr.core.chat;

/**
 * A call that was never sent: its provider had already failed several calls in a row with the same status that no
 * retry can fix (a wrong key, a forbidden or unknown model), so sending more would only repeat the failure. The call
 * itself did not fail; a job counts its item as pending, stops starting new work and reports {@link #getMessage()}.
 */
public final class ProviderStoppedException extends ProviderException {
  private final int failuresInARow;

  /**
   * @param lastFailure the failure that completed the streak; its status and detail are repeated in this message
   */
  public ProviderStoppedException(int failuresInARow, ProviderException lastFailure) {
    super(lastFailure.provider(), lastFailure.status(), false, failuresInARow
        + " calls in a row failed with the same status, so no more are sent; the last: " + lastFailure.detail(), null);
    this.failuresInARow = failuresInARow;
  }

  /** How many identical failures in a row stopped the provider. */
  public int failuresInARow() {
    return failuresInARow;
  }
}
