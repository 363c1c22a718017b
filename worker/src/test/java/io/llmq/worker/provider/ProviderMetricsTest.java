package io.llmq.worker.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmq.common.job.FailureCode;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How a failed call is labelled: its status class and, when it is retried, the reason. */
class ProviderMetricsTest {

  @Test
  void statusClassesFollowTheHttpStatusAndNoAnswerIsNetwork() {
    assertEquals("2xx", ProviderMetrics.statusClass(200));
    assertEquals("4xx", ProviderMetrics.statusClass(400));
    assertEquals("429", ProviderMetrics.statusClass(429));
    assertEquals("5xx", ProviderMetrics.statusClass(503));
    assertEquals("network", ProviderMetrics.statusClass(0));
  }

  @Test
  void classifiedFailuresCarryTheirStatusAndTheRetryReason() {
    ProviderException limited = FailureClassifier.forStatus(429, "{}", RateLimitSnapshot.NONE);
    assertEquals(429, limited.status());
    assertEquals("rate_limited", ProviderMetrics.reason(limited));

    ProviderException down = FailureClassifier.forStatus(503, "{}", RateLimitSnapshot.NONE);
    assertEquals(503, down.status());
    assertEquals("server_error", ProviderMetrics.reason(down));

    ProviderException refused = FailureClassifier.forTransport(new ConnectException("refused"));
    assertEquals(0, refused.status());
    assertEquals("network", ProviderMetrics.reason(refused));

    ProviderException reset = FailureClassifier.forTransport(new IOException("reset"));
    assertEquals("network", ProviderMetrics.reason(reset));

    ProviderException slow = FailureClassifier.forTransport(new TimeoutException("slow"));
    assertEquals(0, slow.status());
    assertEquals("timeout", ProviderMetrics.reason(slow));
    assertEquals("timeout", ProviderMetrics.reason(ProviderException.timedOut("timed out")));

    ProviderException garbled = FailureClassifier.malformed();
    assertEquals(200, garbled.status());
    assertEquals("incomplete_answer", ProviderMetrics.reason(garbled));

    // The simulator's failures have no status of their own unless it says one.
    assertEquals(
        "network",
        ProviderMetrics.reason(new ProviderException(FailureCode.UPSTREAM_ERROR, "no status")));
  }
}
