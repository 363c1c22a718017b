package io.llmq.api.usage;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The body of a usage report (SPEC §2 Usage): one entry per day or model, and their total. */
@Schema(
    name = "UsageReport",
    description = "Usage of a period, per day or per model, and its total.")
public record UsageReport(
    Instant from,
    Instant to,
    @Schema(enumeration = {"day", "model"}) String groupBy,
    List<Entry> data,
    Sums total) {

  /** Builds the report of the entries; the total is their exact sum. */
  static UsageReport of(UsageQuery query, List<Entry> data) {
    Sums total = Sums.ZERO;
    for (Entry entry : data) {
      total = total.plus(entry.sums());
    }
    return new UsageReport(query.from(), query.to(), query.groupBy().wire(), data, total);
  }

  /** One day ({@code 2026-12-01}, UTC) or one model. */
  @Schema(name = "UsageEntry", description = "One day (UTC) or one model, and its sums.")
  public record Entry(
      @Schema(description = "The day (2026-12-01) or the model.") String key,
      @JsonUnwrapped Sums sums) {}

  /**
   * What a group of ledger rows adds up to. {@code requests} counts upstream attempts (rows of kind
   * {@code call}, failed ones included), {@code cacheHits} answers from the cache; tokens and costs
   * are sums over both. Costs are exact decimals without trailing zeros, written as plain numbers,
   * as a job's {@code cost_usd} is.
   */
  @Schema(name = "UsageSums", description = "What a group of calls adds up to.")
  public record Sums(
      long requests,
      long promptTokens,
      long cachedTokens,
      long completionTokens,
      BigDecimal costUsd,
      long cacheHits,
      BigDecimal costSavedUsd) {

    static final Sums ZERO = new Sums(0, 0, 0, 0, BigDecimal.ZERO, 0, BigDecimal.ZERO);

    public Sums {
      costUsd = costUsd.stripTrailingZeros();
      costSavedUsd = costSavedUsd.stripTrailingZeros();
    }

    Sums plus(Sums other) {
      return new Sums(
          requests + other.requests,
          promptTokens + other.promptTokens,
          cachedTokens + other.cachedTokens,
          completionTokens + other.completionTokens,
          costUsd.add(other.costUsd),
          cacheHits + other.cacheHits,
          costSavedUsd.add(other.costSavedUsd));
    }
  }
}
