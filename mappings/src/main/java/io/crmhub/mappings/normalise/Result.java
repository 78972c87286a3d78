package io.crmhub.mappings.normalise;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Outcome of normalising one value, without exceptions: {@linkplain #isOk() ok} with the
 * normalised value, {@linkplain #isEmpty() empty} (the input was null or blank, nothing to keep)
 * or {@linkplain #isInvalid() invalid} with a human-readable reason.
 * <p>
 * Normalisers run per row for millions of rows, so failure is a value here, not an exception.
 */
public final class Result<T> {

    private static final Result<?> EMPTY = new Result<>(null, null);

    private final T value;
    private final String reason;

    private Result(T value, String reason) {
        this.value = value;
        this.reason = reason;
    }

    public static <T> Result<T> ok(T value) {
        return new Result<>(Objects.requireNonNull(value, "value"), null);
    }

    public static <T> Result<T> invalid(String reason) {
        return new Result<>(null, Objects.requireNonNull(reason, "reason"));
    }

    @SuppressWarnings("unchecked")
    public static <T> Result<T> empty() {
        return (Result<T>) EMPTY;
    }

    public boolean isOk() {
        return value != null;
    }

    public boolean isInvalid() {
        return reason != null;
    }

    public boolean isEmpty() {
        return value == null && reason == null;
    }

    /** The normalised value; only for {@link #isOk()} results. */
    public T value() {
        if (value == null) {
            throw new IllegalStateException(reason == null ? "empty result" : "invalid: " + reason);
        }
        return value;
    }

    /** Why the value was rejected; {@code null} unless {@link #isInvalid()}. */
    public String reason() {
        return reason;
    }

    public T orElse(T other) {
        return value != null ? value : other;
    }

    public Optional<T> toOptional() {
        return Optional.ofNullable(value);
    }

    /** The value, or an {@link IllegalArgumentException} with the reason (for call sites outside the hot path). */
    public T orElseThrow() {
        if (value == null) {
            throw new IllegalArgumentException(reason == null ? "no value" : reason);
        }
        return value;
    }

    public <R> Result<R> map(Function<? super T, ? extends R> f) {
        return value != null ? Result.ok(f.apply(value)) : cast();
    }

    @SuppressWarnings("unchecked")
    <R> Result<R> cast() {
        if (value != null) {
            throw new IllegalStateException("cannot cast an ok result");
        }
        return (Result<R>) this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Result<?> r && Objects.equals(value, r.value) && Objects.equals(reason, r.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, reason);
    }

    @Override
    public String toString() {
        return value != null ? "Ok[" + value + "]" : reason != null ? "Invalid[" + reason + "]" : "Empty";
    }
}
