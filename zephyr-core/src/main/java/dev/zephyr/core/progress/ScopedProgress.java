package dev.zephyr.core.progress;

/** A progress whose task names carry a scope, {@code [scope] task}. */
final class ScopedProgress implements Progress {
  private final Progress delegate;
  private final String scope;

  ScopedProgress(Progress delegate, String scope) {
    this.delegate = delegate;
    this.scope = scope;
  }

  @Override
  public Task start(String task, String unit, long total, long alreadyDone) {
    return delegate.start("[" + scope + "] " + task, unit, total, alreadyDone);
  }

  @Override
  public Progress scoped(String inner) {
    return new ScopedProgress(delegate, scope + "/" + inner);
  }
}
