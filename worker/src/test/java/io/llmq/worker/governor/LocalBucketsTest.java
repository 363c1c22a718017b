package io.llmq.worker.governor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fallback buckets' arithmetic, on explicit clock readings: shares, outages, workers. */
class LocalBucketsTest {

  private static final long HORIZON = 30_000;
  private static final long FAR = 10 * 60_000;

  /** A share and a contact count a test can change, as {@link LiveWorkers} would. */
  private static final class Shares implements FallbackShare {
    double share;
    long contacts;

    Shares(double share) {
      this.share = share;
    }

    @Override
    public double share() {
      return share;
    }

    @Override
    public long contacts() {
      return contacts;
    }
  }

  private static List<LocalBuckets.Charge> tokens(String key, long tokens, long tpm) {
    return List.of(new LocalBuckets.Charge(key, tokens, tpm, 0, 0));
  }

  @Test
  void aWorkerTakesItsShareOfEachLimitFromAnEmptyBucket() {
    LocalBuckets local = new LocalBuckets(() -> 0.25);
    // A quarter of 6,000 a minute: 25 tokens a second, and no burst.
    assertEquals(6_000, local.reserve(tokens("t", 150, 6_000), FAR, 0));
    assertEquals(12_000, local.reserve(tokens("t", 150, 6_000), FAR, 0));
    // A quarter of 240 requests a minute: one a second.
    List<LocalBuckets.Charge> request = List.of(new LocalBuckets.Charge("r", 1, 0, 240, 0));
    assertEquals(1_000, local.reserve(request, FAR, 0));
    assertEquals(2_000, local.reserve(request, FAR, 0));
  }

  @Test
  void theShareIsTheOneInForceAtEachReservation() {
    Shares shares = new Shares(0.25);
    LocalBuckets local = new LocalBuckets(shares);
    assertEquals(6_000, local.reserve(tokens("a", 150, 6_000), FAR, 0));
    // The worker counted fewer peers before this outage began: half the limit, 50 a second.
    shares.share = 0.5;
    assertEquals(3_000, local.reserve(tokens("b", 150, 6_000), FAR, 0));
  }

  @Test
  void anIdleBucketRefillsWithinOneOutage() {
    Shares shares = new Shares(0.25);
    LocalBuckets local = new LocalBuckets(shares);
    local.reserve(tokens("t", 150, 6_000), FAR, 0);
    // Ten minutes later, Redis still away: the bucket holds its minute's share, 1,500.
    assertEquals(0, local.reserve(tokens("t", 1_500, 6_000), FAR, 600_000));
  }

  @Test
  void aLaterOutageStartsEmptyAgain() {
    Shares shares = new Shares(0.25);
    LocalBuckets local = new LocalBuckets(shares);
    local.reserve(tokens("t", 150, 6_000), FAR, 0);
    // Redis answered meanwhile (its bucket may be spent when it goes away again): no burst.
    shares.contacts++;
    assertEquals(6_000, local.reserve(tokens("t", 150, 6_000), FAR, 600_000));
  }

  @Test
  void aLaterOutageKeepsTheDebtOfCallsAlreadyAdmitted() {
    Shares shares = new Shares(0.25);
    LocalBuckets local = new LocalBuckets(shares);
    // 3,000 at 25 a second: 120 s of debt.
    assertEquals(120_000, local.reserve(tokens("t", 3_000, 6_000), FAR, 0));
    shares.contacts++;
    // A minute later half the debt is paid: 1,500 left, plus 150 more, is 66 s.
    assertEquals(66_000, local.reserve(tokens("t", 150, 6_000), FAR, 60_000));
  }

  @Test
  void workersTakingTheirPartOfTheShareStayWithinTheLimitTogether() {
    long tpm = 60_000; // 1,000 tokens a second
    List<Long> starts = admittedUnderLoad(3, 0.9 / 3, tpm, 500);
    long seconds = 120;
    long total = 0;
    for (long second = 1; second <= seconds; second++) {
      long until = second * 1_000;
      long admitted = starts.stream().filter(start -> start <= until).count() * 500;
      // Nothing was spent when the outage began: the provider admits a second's refill a second.
      assertTrue(
          admitted <= tpm / 60 * second,
          admitted + " tokens admitted in the first " + second + " s");
      total = admitted;
    }
    // And the workers use what they may: 90 % of the limit, less the first calls' wait.
    assertTrue(total >= 0.88 * tpm / 60 * seconds, total + " tokens in " + seconds + " s");
  }

  /**
   * Start times of 500-token calls by {@code workers} workers, each with its own buckets at {@code
   * share} of {@code tpm}, each keeping 20 reservations open for two minutes (as 20 jobs in hand
   * would), from the start of an outage.
   */
  private static List<Long> admittedUnderLoad(int workers, double share, long tpm, long tokens) {
    List<Long> starts = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      LocalBuckets local = new LocalBuckets(() -> share);
      List<Long> open = new ArrayList<>();
      for (long now = 0; now <= 120_000; now += 100) {
        long at = now;
        open.removeIf(start -> start <= at);
        while (open.size() < 20) {
          long wait = local.reserve(tokens("provider", tokens, tpm), HORIZON, now);
          if (wait < 0) {
            break; // past the horizon: back to the queue, nothing charged
          }
          open.add(now + wait);
          starts.add(now + wait);
        }
      }
    }
    return starts;
  }
}
